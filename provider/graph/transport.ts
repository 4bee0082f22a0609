import type { Dispatcher } from "undici";
import { GraphError } from "./errors";
import { requestFields } from "./httpError";
import type { PipelineRequest, PipelineResponse, SendRequest } from "./pipeline";

/** The connection pool requests go out on, and a hook for counting them. */
export interface TransportOptions {
    dispatcher: Dispatcher;
    /** Called once per HTTP request, before it is sent (for counters). */
    onSend?: (request: PipelineRequest) => void;
}

/**
 * The end of the pipeline: one HTTP exchange on undici, body read to the end. Any status
 * resolves; failures without an answer reject with a {@link GraphError}: `GRAPH_TIMEOUT`
 * (the attempt took longer than `timeoutMs`), `GRAPH_ABORTED` (the caller's signal), or
 * `GRAPH_NETWORK_ERROR` with `networkCode`. Whether to try again is the retry policy's call.
 */
export function createUndiciTransport(options: TransportOptions): SendRequest {
    const { dispatcher, onSend } = options;
    return async (request) => {
        request.attempts++;
        onSend?.(request);
        // One limit for the whole attempt (connect, headers, body). undici's own
        // headersTimeout/bodyTimeout only measure silence, so a slow drip would never end.
        const attempt = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            attempt.abort(new Error("attempt timed out"));
        }, request.timeoutMs);
        // The caller's signal ends the attempt too. A listener, not AbortSignal.any: in Node 20 a
        // composite signal leaves a WeakRef in its sources that is never removed, one per attempt
        // on a signal that may live as long as the process.
        const { signal: callerSignal } = request;
        const onCallerAbort = (): void => attempt.abort(callerSignal?.reason);
        if (callerSignal?.aborted) onCallerAbort();
        else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
        try {
            const answer = await dispatcher.request({
                origin: request.url.origin,
                path: request.url.pathname + request.url.search,
                method: request.method,
                headers: request.headers,
                body: request.body,
                signal: attempt.signal,
                // Backstops in case a caller sets timeoutSeconds above undici's defaults (300 s).
                headersTimeout: request.timeoutMs,
                bodyTimeout: request.timeoutMs,
            });
            const bodyText = await answer.body.text();
            return { status: answer.statusCode, headers: flattenHeaders(answer.headers), bodyText } satisfies PipelineResponse;
        } catch (err) {
            throw toGraphError(err, request, { timedOut, aborted: request.signal?.aborted === true });
        } finally {
            clearTimeout(timer);
            callerSignal?.removeEventListener("abort", onCallerAbort);
        }
    };
}

const UNDICI_TIMEOUTS = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function toGraphError(err: unknown, request: PipelineRequest, how: { timedOut: boolean; aborted: boolean }): GraphError {
    const base = { ...requestFields(request), cause: err };
    const networkCode = errorCode(err);
    if (how.aborted) {
        // The request may already be on the wire; for a write that is the ambiguous case.
        return new GraphError({ ...base, code: "GRAPH_ABORTED", ambiguous: !request.idempotent });
    }
    if (how.timedOut || (networkCode !== undefined && UNDICI_TIMEOUTS.has(networkCode))) {
        return new GraphError({
            ...base,
            code: "GRAPH_TIMEOUT",
            networkCode: how.timedOut ? undefined : networkCode,
            detail: `no complete answer within ${Number((request.timeoutMs / 1000).toFixed(3))} s (timeout)`,
        });
    }
    return new GraphError({
        ...base,
        code: "GRAPH_NETWORK_ERROR",
        networkCode,
        detail: `network error ${networkCode ?? "(no code)"}: ${err instanceof Error ? err.message : String(err)}`,
    });
}

/** `code` of the error or of its cause (undici wraps some socket errors). */
function errorCode(err: unknown): string | undefined {
    for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
        const code = (e as { code?: unknown }).code;
        if (typeof code === "string") return code;
    }
    return undefined;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
        if (value === undefined) continue;
        out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return out;
}
