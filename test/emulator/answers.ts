/**
 * The parts every answer shares: request ids, Graph's error body for thrown errors, and the
 * standard headers. Used by the server, the dispatcher and $batch.
 */
import { randomUUID } from "crypto";
import { errorBody, GraphError } from "./errors";
import type { Reply } from "./router";

/** The ids an answer carries: a new request-id, and the caller's client-request-id or that. */
export function answerIds(headers: Record<string, string>): { requestId: string; clientRequestId: string } {
    const requestId = randomUUID();
    return { requestId, clientRequestId: headers["client-request-id"] || requestId };
}

/** Turns an error into Graph's error answer. */
export function errorReply(e: unknown, requestId: string, clientRequestId: string): Reply {
    if (e instanceof GraphError) {
        return { status: e.status, body: errorBody(e.code, e.message, requestId, clientRequestId), headers: { ...e.headers } };
    }
    // A bug in the emulator must be visible, not look like a Graph outage.
    const message = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
    console.error(`[graph-emulator] internal error: ${message}`);
    return { status: 500, body: errorBody("EmulatorInternalError", `Emulator bug: ${message}`, requestId, clientRequestId) };
}

/** Adds request-id, client-request-id and Content-Type (when there is a body). */
export function withStandardHeaders(reply: Reply, requestId: string, clientRequestId: string): Reply {
    const headers: Record<string, string> = { "request-id": requestId, "client-request-id": clientRequestId, ...reply.headers };
    if (reply.body !== undefined) headers["Content-Type"] = "application/json";
    return { ...reply, headers };
}
