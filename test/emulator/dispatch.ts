/**
 * One request through the emulator: scripted faults, routing, the handler, and Graph's error
 * body and standard headers. Used by the HTTP server and by each `$batch` item.
 */
import { assignmentRoutes } from "./assignments";
import { handleBatch } from "./batch";
import { deviceRoutes } from "./devices";
import { answerIds, errorReply, withStandardHeaders } from "./answers";
import type { GraphFault } from "./chaos";
import { GraphError, noMethodMatch, segmentNotFound } from "./errors";
import { importRoutes } from "./imports";
import { profileRoutes } from "./profiles";
import { matchRoute, Reply, RouteContext, RouteDef, splitPath } from "./router";
import type { EmulatorState } from "./state";
import { REMOVED_UPLOAD_SEGMENTS, uploadRoutes } from "./uploads";

/** A request as the dispatcher sees it (already authenticated). */
export interface InboundRequest {
    method: string;
    /** Path with version, without query. */
    path: string;
    query: Record<string, string>;
    /** Lower-cased header names. */
    headers: Record<string, string>;
    body: unknown;
    /** Set when the body was not valid JSON: the parser's message. */
    bodyInvalid?: string;
    viaBatch: boolean;
    /** Who throttling counts the request for (chaos.ts `clientOf`). Default "anonymous". */
    client?: string;
}

/** Every route the emulator serves. */
export const ROUTES: readonly RouteDef[] = [
    ...deviceRoutes,
    ...importRoutes,
    ...uploadRoutes,
    ...profileRoutes,
    ...assignmentRoutes,
    { pattern: "$batch", versions: ["beta", "v1.0"], methods: { POST: (ctx) => handleBatch(ctx, dispatch) } },
];

const BATCH_ENVELOPE = /^\/[^/]+\/\$batch\/?$/i;

/** Answers one authenticated request. Never throws. */
export async function dispatch(state: EmulatorState, req: InboundRequest): Promise<Reply> {
    const { requestId, clientRequestId } = answerIds(req.headers);
    const client = req.client ?? "anonymous";
    // The envelope of a $batch is not throttled or failed itself: its items are (each goes through here).
    const envelope = BATCH_ENVELOPE.test(req.path);
    const who = { method: req.method, path: req.path, client, headers: req.headers };
    let reply: Reply;
    let injected: string | undefined;
    let afterProcessing: GraphFault | undefined;
    try {
        // Faults come first: a throttled or failing service answers before looking at the route.
        const scripted = state.faults.take(req.method, req.path);
        if (scripted) {
            injected = `scripted ${scripted.status}`;
            state.chaos.count(injected);
            throw scripted;
        }
        const fault = envelope ? undefined : state.chaos.graphFault(who);
        if (fault) {
            injected = fault.kind;
            if (!fault.processed) throw fault.error;
            afterProcessing = fault;
        }
        const { version, segments } = splitPath(req.path);
        const removed = state.uploadsRemoved ? segments.find((s) => REMOVED_UPLOAD_SEGMENTS.includes(s)) : undefined;
        if (removed) throw segmentNotFound(removed);
        const match = matchRoute(ROUTES, version, segments);
        const method = req.method.toUpperCase();
        const handler = match.route.methods[method];
        if (!handler) throw noMethodMatch(match.template, method, match.odataPath);
        const ctx: RouteContext = {
            state,
            version,
            method,
            path: req.path,
            query: req.query,
            headers: req.headers,
            params: match.params,
            template: match.template,
            odataPath: match.odataPath,
            selfUrl: state.baseUrl + req.path,
            requestId,
            viaBatch: req.viaBatch,
            client,
            body: () => {
                if (req.bodyInvalid !== undefined) {
                    throw new GraphError(400, "BadRequest", `Invalid JSON in the request body: ${req.bodyInvalid}`);
                }
                return req.body;
            },
        };
        reply = await handler(ctx);
        // The write happened; the client is told it failed.
        if (afterProcessing) throw afterProcessing.error;
    } catch (e) {
        reply = errorReply(e, requestId, clientRequestId);
    }
    const inner = reply.delivered;
    const answered = reply.status;
    const headers = reply.headers;
    const delivered = (): void => {
        inner?.();
        if (!envelope) state.chaos.noteAnswer(who, answered, headers);
    };
    return { ...withStandardHeaders(reply, requestId, clientRequestId), ...(injected ? { fault: injected } : {}), delivered };
}
