import { randomUUID } from "node:crypto";
import { Combiner, realTimers } from "./combiner";
import { GraphError } from "./errors";
import { abortedError, requestFields } from "./httpError";
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "./pipeline";
import { isThrottlingResponse, parseRetryAfterMs } from "./retryAfter";

/** Graph's limit on requests per JSON batch. */
export const MAX_BATCH_ITEMS = 20;
/** How long a batch waits for one more GET (each arrival extends it, up to the max). */
const BATCH_WINDOW_MS = 20;
/** The longest the first GET of a batch waits for company. */
const BATCH_MAX_WAIT_MS = 200;

/** Where `$batch` requests go and how many may be out at once. */
export interface BatchPolicyOptions {
    /** The configured Graph origin and base path (a proxy may serve Graph under a prefix). */
    graphOrigin: string;
    basePath: string;
    /** Wall clock (for HTTP-date Retry-After values). */
    now?: () => number;
    /** How many batches (or lone GETs) may be on the wire at once: the {@link Combiner}'s `capacity`. */
    capacity?: () => number;
    /** Called once per batch sent, with its size (for counters). */
    onBatch?: (items: number) => void;
    /**
     * Called once per batch whose items were throttled: how many, the longest wait they were told,
     * and when the batch was handed down the pipeline (for adaptive concurrency).
     */
    onItemsThrottled?: (count: number, longestMs: number | undefined, sentAtMs: number) => void;
}

interface Waiting {
    request: PipelineRequest;
    /** Path and query relative to the version segment, as a batch item's `url`. */
    relativeUrl: string;
    /** The rest of the pipeline. */
    next: SendRequest;
}

/**
 * Coalesces GETs issued within a short window into JSON `$batch` requests of up to 20 items,
 * transparently: each caller still gets its own answer (status, headers, body) as if it had sent
 * the GET alone, so the retry policy above handles every item on its own. A GET with no company
 * within the window goes out as a plain GET.
 *
 * Graph answers a batch with 200 whatever its items did. Throttled items (429, or 503 with a wait)
 * all get the longest wait any item of that batch was told, so they come back together after it
 * and share a batch again rather than trickling back one by one. If the batch itself fails (a
 * throttled, failed or lost envelope), every item gets that outcome and is retried on its own.
 *
 * It sits between the retry policy and the bearer-token policy: the envelope gets the token, holds
 * one concurrency permit and counts as one HTTP request; each item counts as an attempt of its own
 * logical request.
 */
export function batchPolicy(options: BatchPolicyOptions): PipelinePolicy {
    const now = options.now ?? Date.now;

    const batches = new Combiner<Waiting, PipelineResponse>({
        windowMs: BATCH_WINDOW_MS,
        maxWaitMs: BATCH_MAX_WAIT_MS,
        maxItems: MAX_BATCH_ITEMS,
        capacity: options.capacity,
        timers: { ...realTimers, now },
        aborted: (w, reason) => abortedError(w.request, reason),
        // Alone: a plain GET, exactly what the caller asked for.
        send: async (items, version) => (items.length === 1 ? [await items[0].next(items[0].request)] : sendBatch(version, items)),
    });

    async function sendBatch(version: string, items: Waiting[]): Promise<PipelineResponse[]> {
        for (const w of items) w.request.attempts++;
        options.onBatch?.(items.length);
        const envelope = envelopeFor(options, version, items);
        const sentAtMs = now();
        const response = await items[0].next(envelope);
        // The envelope was refused or failed: each item has that outcome.
        if (response.status !== 200) return items.map(() => response);
        const answers = batchAnswers(envelope, response);
        const nowMs = now();
        const { throttled, longestMs } = throttling(answers, nowMs);
        // When the envelope really left (after waiting for its turn), if the limiter knows it.
        if (throttled > 0) options.onItemsThrottled?.(throttled, longestMs, envelope.sentAtMs ?? sentAtMs);
        return items.map((_w, i) => itemAnswer(answers, String(i + 1), response, longestMs, nowMs));
    }

    return {
        name: "batchPolicy",
        sendRequest(request, next) {
            const target = batchTarget(options, request);
            if (!target || request.signal?.aborted) return next(request);
            return batches.add({ request, relativeUrl: target.relativeUrl, next }, target.version, request.signal);
        },
    };
}

/** The version and the URL in a batch of a GET of Graph without a body; none for any other request. */
function batchTarget({ graphOrigin, basePath }: BatchPolicyOptions, request: PipelineRequest): { version: string; relativeUrl: string } | undefined {
    if (request.method !== "GET" || request.body !== undefined || request.url.origin !== graphOrigin) return undefined;
    const path = request.url.pathname;
    if (!path.startsWith(basePath + "/")) return undefined;
    const m = /^\/(beta|v1\.0)(\/.*)$/.exec(path.slice(basePath.length));
    if (!m || /\/\$batch$/i.test(m[2])) return undefined;
    return { version: m[1], relativeUrl: m[2] + request.url.search };
}

/** The `POST /$batch` that carries `items`, with ids "1", "2", ... in their order. */
function envelopeFor({ graphOrigin, basePath }: BatchPolicyOptions, version: string, items: Waiting[]): PipelineRequest {
    const body = JSON.stringify({
        requests: items.map((w, i) => ({
            id: String(i + 1),
            method: "GET",
            url: w.relativeUrl,
            headers: { "client-request-id": w.request.headers["client-request-id"] ?? randomUUID() },
        })),
    });
    return {
        method: "POST",
        url: new URL(`${graphOrigin}${basePath}/${version}/$batch`),
        route: "POST /$batch",
        headers: { accept: "application/json", "content-type": "application/json", "client-request-id": randomUUID() },
        body,
        // A batch of GETs may go again.
        idempotent: true,
        timeoutMs: Math.max(...items.map((w) => w.request.timeoutMs)),
        graphPath: "/$batch",
        redact: [],
        attempts: 0,
        // Graph counts every item against its budgets.
        weight: items.length,
    };
}

/** The items of the envelope's 200 answer by id; a GraphError if it is not a batch answer. */
function batchAnswers(envelope: PipelineRequest, response: PipelineResponse): Map<string, PipelineResponse> {
    try {
        return splitBatchAnswer(response);
    } catch (cause) {
        throw new GraphError({
            code: "GRAPH_INVALID_RESPONSE",
            ...requestFields(envelope),
            requestId: response.headers["request-id"],
            detail: "answered 200 to a $batch with a body that is not a batch answer",
            cause,
        });
    }
}

/** How many of the answers are throttled (429, or 503 with a wait), and the longest wait they were told. */
function throttling(answers: Map<string, PipelineResponse>, nowMs: number): { throttled: number; longestMs?: number } {
    let longestMs: number | undefined;
    let throttled = 0;
    for (const answer of answers.values()) {
        if (!isThrottlingResponse(answer, nowMs)) continue;
        throttled++;
        const ms = parseRetryAfterMs(answer.headers, nowMs);
        if (ms !== undefined) longestMs = Math.max(longestMs ?? 0, ms);
    }
    return { throttled, longestMs };
}

/** The answer to item `id`: a 503 if the envelope's answer lacks it, the batch's longest wait if throttled. */
function itemAnswer(answers: Map<string, PipelineResponse>, id: string, envelopeAnswer: PipelineResponse, longestMs: number | undefined, nowMs: number) {
    const answer = answers.get(id);
    if (!answer) return syntheticAnswer(503, "ServiceUnavailable", `the $batch answer had no item ${id}`, envelopeAnswer.headers["request-id"]);
    if (longestMs === undefined || !isThrottlingResponse(answer, nowMs)) return answer;
    const { "retry-after": _s, "retry-after-ms": _ms, "x-ms-retry-after-ms": _xms, ...headers } = answer.headers;
    return { ...answer, headers: { ...headers, "retry-after": (longestMs / 1000).toFixed(3) } };
}

function syntheticAnswer(status: number, code: string, message: string, requestId?: string): PipelineResponse {
    return {
        status,
        headers: { "content-type": "application/json", ...(requestId ? { "request-id": requestId } : {}) },
        bodyText: JSON.stringify({ error: { code, message } }),
    };
}

/** The items of a `$batch` answer by id, each as an HTTP answer of its own. */
export function splitBatchAnswer(response: PipelineResponse): Map<string, PipelineResponse> {
    const parsed = JSON.parse(response.bodyText) as { responses?: unknown };
    if (!parsed || !Array.isArray(parsed.responses)) throw new TypeError("no 'responses' array");
    const out = new Map<string, PipelineResponse>();
    for (const raw of parsed.responses as Array<Record<string, unknown>>) {
        if (!raw || typeof raw.id !== "string" || typeof raw.status !== "number") throw new TypeError("an item lacks id or status");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((raw.headers as Record<string, unknown>) ?? {})) headers[k.toLowerCase()] = String(v);
        // The envelope's request-id names the answer when the item has none.
        if (headers["request-id"] === undefined && response.headers["request-id"] !== undefined) headers["request-id"] = response.headers["request-id"];
        let bodyText = "";
        if (typeof raw.body === "string") {
            bodyText = raw.body;
        } else if (raw.body !== undefined && raw.body !== null) {
            bodyText = JSON.stringify(raw.body);
            headers["content-type"] ??= "application/json";
        }
        out.set(raw.id, { status: raw.status, headers, bodyText });
    }
    return out;
}
