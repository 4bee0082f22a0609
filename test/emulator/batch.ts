/**
 * JSON batching (`POST /{version}/$batch`): at most 20 items with unique ids; the envelope is 200
 * and each item carries its own status, headers (Retry-After on a throttled item) and body. Items
 * go through the same dispatcher as HTTP requests (faults apply per item) and are recorded with
 * `viaBatch: true`. Items run in order; an item whose `dependsOn` failed gets 424.
 */
import { answerIds, errorReply, withStandardHeaders } from "./answers";
import { badRequest, GraphError } from "./errors";
import type { InboundRequest } from "./dispatch";
import type { Reply, RouteContext } from "./router";
import { recordRequest, redactHeaders } from "./state";
import type { EmulatorState } from "./state";
import { requireObject } from "./validate";

/** Graph's limit on items per batch. */
export const MAX_BATCH_ITEMS = 20;

type Dispatch = (state: EmulatorState, req: InboundRequest) => Promise<Reply>;

interface BatchItem {
    id: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body: unknown;
    dependsOn: string[];
}

// Item headers Graph returns; the per-answer ids stay on the envelope.
const ITEM_HEADERS = ["content-type", "retry-after", "location"];

function parseItems(raw: unknown): BatchItem[] {
    const body = requireObject(raw, "batch payload");
    const requests = body.requests;
    if (!Array.isArray(requests)) throw badRequest("Invalid batch payload format: 'requests' must be an array.");
    if (requests.length > MAX_BATCH_ITEMS) {
        throw badRequest(`Invalid batch payload format: ${requests.length} requests exceed the limit of ${MAX_BATCH_ITEMS}.`);
    }
    const seen = new Set<string>();
    return requests.map((r: unknown, i) => {
        const item = requireObject(r, `batch request #${i}`);
        const { id, method, url } = item;
        if (typeof id !== "string" || id === "") throw badRequest(`Invalid batch payload format: request #${i} has no 'id'.`);
        if (seen.has(id)) throw badRequest(`Invalid batch payload format: the request id '${id}' is used more than once.`);
        seen.add(id);
        if (typeof method !== "string" || typeof url !== "string" || url === "") {
            throw badRequest(`Invalid batch payload format: request '${id}' needs 'method' and 'url'.`);
        }
        const dependsOn = item.dependsOn ?? [];
        if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== "string" || !seen.has(d) || d === id)) {
            throw badRequest(`Invalid batch payload format: request '${id}' has an invalid 'dependsOn'.`);
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(requireObject(item.headers ?? {}, `headers of request '${id}'`))) {
            headers[k.toLowerCase()] = String(v);
        }
        return { id, method: method.toUpperCase(), url, headers, body: item.body, dependsOn: dependsOn as string[] };
    });
}

/** Handles the envelope; the envelope's own authentication covers its items. */
export async function handleBatch(ctx: RouteContext, dispatch: Dispatch): Promise<Reply> {
    const { state } = ctx;
    const items = parseItems(ctx.body());
    const statusById = new Map<string, number>();
    const responses: unknown[] = [];
    const delivered: (() => void)[] = [];
    for (const item of items) {
        const url = new URL(item.url.startsWith("/") ? item.url : `/${item.url}`, "http://batch.invalid");
        const path = `/${ctx.version}${url.pathname}`;
        const query = Object.fromEntries(url.searchParams);
        const entry = recordRequest(state, {
            method: item.method,
            path,
            query,
            headers: { ...redactHeaders(item.headers), authorization: "Bearer <redacted>" },
            body: item.body,
            viaBatch: true,
            batchItemId: item.id,
        });
        const reply = await runItem(state, item, path, query, statusById, dispatch, ctx.client);
        entry.status = reply.status;
        if (reply.fault) entry.fault = reply.fault;
        if (reply.delivered) delivered.push(reply.delivered);
        statusById.set(item.id, reply.status);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(reply.headers ?? {})) if (ITEM_HEADERS.includes(k.toLowerCase())) headers[k] = v;
        const out: Record<string, unknown> = { id: item.id, status: reply.status, headers };
        if (reply.body !== undefined) out.body = reply.body;
        responses.push(out);
    }
    return { status: 200, body: { responses }, delivered: () => delivered.forEach((d) => d()) };
}

async function runItem(
    state: EmulatorState,
    item: BatchItem,
    path: string,
    query: Record<string, string>,
    statusById: Map<string, number>,
    dispatch: Dispatch,
    client: string,
): Promise<Reply> {
    const fail = (e: GraphError): Reply => {
        const { requestId, clientRequestId } = answerIds(item.headers);
        return withStandardHeaders(errorReply(e, requestId, clientRequestId), requestId, clientRequestId);
    };
    const failed = item.dependsOn.find((d) => (statusById.get(d) ?? 500) >= 400);
    if (failed !== undefined) {
        return fail(new GraphError(424, "FailedDependency", `The request depends on request '${failed}', which failed.`));
    }
    if (item.body !== undefined && !item.headers["content-type"]) {
        return fail(badRequest(`Request '${item.id}' has a body but no Content-Type header.`));
    }
    if (/^\/[^/]+\/\$batch\/?$/i.test(path)) return fail(badRequest("Nested batch requests are not supported."));
    let body = item.body;
    let bodyInvalid: string | undefined;
    if (typeof body === "string" && /json/i.test(item.headers["content-type"] ?? "")) {
        try {
            body = JSON.parse(body);
        } catch (e) {
            bodyInvalid = (e as Error).message;
        }
    }
    return dispatch(state, { method: item.method, path, query, headers: item.headers, body, bodyInvalid, viaBatch: true, client });
}
