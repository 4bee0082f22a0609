import { GraphError } from "./errors";
import { abortedError, graphErrorFromResponse, requestFields } from "./httpError";
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from "./pipeline";
import { isThrottlingResponse, parseRetryAfterMs } from "./retryAfter";
import type { Clock, Delay, RetryOptions } from "./types";

/** What a strategy sees after a failed attempt: an answer or an error, never both. */
export interface RetryState {
    readonly request: PipelineRequest;
    /** Retries this policy made so far (0 after the first attempt). */
    readonly retryCount: number;
    readonly response?: PipelineResponse;
    readonly error?: GraphError;
    /** The injected clock's time when the attempt ended. */
    readonly nowMs: number;
}

/** Decides how long to wait before the next attempt; the first strategy with an opinion wins. */
export interface RetryStrategy {
    readonly name: string;
    /** Milliseconds to wait, or `undefined` when this strategy does not handle the failure. */
    retryDelayMs(state: RetryState): number | undefined;
}

/** No retry waits less than this by default ("never retry at once"). */
export const DEFAULT_MIN_DELAY_MS = 100;
/** The exponential strategy's first wait, by default. */
export const DEFAULT_BASE_DELAY_MS = 1_000;
/** The exponential strategy's longest wait, by default. */
export const DEFAULT_MAX_DELAY_MS = 60_000;

/** Statuses that are worth another attempt. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504, 507]);

/** Statuses with which Graph refuses a request before acting on it. */
export const REFUSED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * Network failures after which the request may have reached Graph: retried for idempotent
 * requests, ambiguous for the others.
 */
export const MAYBE_SENT_NETWORK_CODES: ReadonlySet<string> = new Set([
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "UND_ERR_SOCKET",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);

/**
 * Network failures before the request left this machine: safe to retry for any method.
 * ECONNREFUSED and ENOTFOUND are not here: they mean a wrong endpoint far more often than
 * a passing fault, and backing off for minutes would only hide that.
 */
export const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set(["UND_ERR_CONNECT_TIMEOUT", "EAI_AGAIN"]);

/** A timeout or a network failure that may pass. */
export function isTransientError(error: GraphError): boolean {
    if (error.code === "GRAPH_TIMEOUT") return true;
    if (error.code !== "GRAPH_NETWORK_ERROR" || error.networkCode === undefined) return false;
    return MAYBE_SENT_NETWORK_CODES.has(error.networkCode) || NOT_SENT_NETWORK_CODES.has(error.networkCode);
}

/** True when Graph cannot have acted on the attempt, so even a non-idempotent POST may go again. */
export function wasRefusedBeforeProcessing(state: Pick<RetryState, "response" | "error">): boolean {
    if (state.response) return REFUSED_STATUSES.has(state.response.status);
    const code = state.error?.networkCode;
    return state.error?.code === "GRAPH_NETWORK_ERROR" && code !== undefined && NOT_SENT_NETWORK_CODES.has(code);
}

/**
 * 429 and 503 with `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After`: waits exactly
 * what Graph asked for, and at least `minDelayMs` (a 0 or a date in the past).
 */
export function throttlingRetryStrategy(options: { minDelayMs?: number } = {}): RetryStrategy {
    const minDelayMs = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    return {
        name: "throttlingRetryStrategy",
        retryDelayMs({ response, nowMs }) {
            if (!response || !REFUSED_STATUSES.has(response.status)) return undefined;
            const asked = parseRetryAfterMs(response.headers, nowMs);
            return asked === undefined ? undefined : Math.max(minDelayMs, asked);
        },
    };
}

/** The exponential strategy's waits and its source of jitter. */
export interface ExponentialRetryOptions extends RetryOptions {
    /** Uniform in [0, 1). */
    random?: () => number;
}

/**
 * The retryable statuses without a wait header, timeouts and transient network failures:
 * full jitter, a uniform wait in [minDelayMs, min(maxDelayMs, baseDelayMs * 2^retryCount)).
 * The floor keeps two clients that drew near 0 from coming back at once.
 */
export function exponentialRetryStrategy(options: ExponentialRetryOptions = {}): RetryStrategy {
    const base = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    const cap = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    const floor = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    const random = options.random ?? Math.random;
    return {
        name: "exponentialRetryStrategy",
        retryDelayMs({ response, error, retryCount }) {
            const retryable = response ? RETRYABLE_STATUSES.has(response.status) : error !== undefined && isTransientError(error);
            if (!retryable) return undefined;
            const ceiling = Math.max(floor, Math.min(cap, base * 2 ** retryCount));
            return floor + Math.floor(random() * (ceiling - floor));
        },
    };
}

/** How often the retry policy tries again, who decides the wait, and its time. */
export interface RetryPolicyOptions {
    /** Retries after the first attempt. */
    maxRetries: number;
    /** Asked in order; the first with an answer decides the wait. */
    strategies: readonly RetryStrategy[];
    delay: Delay;
    clock: Clock;
    logger?: (line: string) => void;
    /** Called before each retry is sent (for counters). */
    onRetry?: (request: PipelineRequest) => void;
    /** Called for each throttling answer (for counters). */
    onThrottled?: (request: PipelineRequest) => void;
}

/**
 * Sends the request again after transient failures, waiting through the injected `delay`.
 * A request that is not idempotent goes again only when Graph refused it (429, 503) or it
 * never left; otherwise it fails with `GRAPH_AMBIGUOUS_WRITE`. After `maxRetries` retries it
 * fails with `GRAPH_RETRIES_EXHAUSTED`. An aborted signal ends any wait at once (`GRAPH_ABORTED`).
 *
 * A throttling answer does not count as a retry when Graph answered other requests of this
 * client meanwhile: the budget is being spent on work and this request waits its turn (10,000
 * queued writes at 50 per second wait minutes each; counted, a few of them ran out of retries
 * while all the others went through). When Graph admits nothing, throttling counts as a retry, and
 * the step's own time bound ends any wait.
 */
export function retryPolicy(options: RetryPolicyOptions): PipelinePolicy {
    const { maxRetries, strategies, delay, clock, logger, onRetry, onThrottled } = options;
    // Answers Graph gave this client's requests (not refusals, not server errors).
    let admitted = 0;
    return {
        name: "retryPolicy",
        async sendRequest(request, next) {
            let counted = 0;
            for (let retryCount = 0; ; retryCount++) {
                let response: PipelineResponse | undefined;
                let error: GraphError | undefined;
                const admittedBefore = admitted;
                try {
                    response = await next(request);
                } catch (err) {
                    // Not ours to judge (a credential failure) or the caller gave up.
                    if (!GraphError.isGraphError(err) || err.code === "GRAPH_ABORTED") throw err;
                    error = err;
                }
                const nowMs = clock.now();
                const throttled = response !== undefined && isThrottlingResponse(response, nowMs);
                if (throttled) onThrottled?.(request);
                else if (response && response.status < 500) admitted++;

                const state: RetryState = { request, retryCount, response, error, nowMs };
                let waitMs: number | undefined;
                let strategyName = "";
                for (const strategy of strategies) {
                    waitMs = strategy.retryDelayMs(state);
                    if (waitMs !== undefined) {
                        strategyName = strategy.name;
                        break;
                    }
                }
                if (waitMs === undefined) {
                    if (error) throw error;
                    return response as PipelineResponse;
                }
                if (!request.idempotent && !wasRefusedBeforeProcessing(state)) {
                    throw finalError(state, "GRAPH_AMBIGUOUS_WRITE");
                }
                if (!(throttled && admitted > admittedBefore)) {
                    if (counted >= maxRetries) throw finalError(state, "GRAPH_RETRIES_EXHAUSTED");
                    counted++;
                }
                logger?.(
                    `graph: ${request.route} -> ${outcome(state)} (attempt ${request.attempts}); ` +
                        `retrying in ${waitMs} ms (${strategyName === "throttlingRetryStrategy" ? "Retry-After" : "backoff"})`,
                );
                await waitOrAbort(delay, waitMs, request);
                onRetry?.(request);
            }
        },
    };
}

function finalError(state: RetryState, code: "GRAPH_AMBIGUOUS_WRITE" | "GRAPH_RETRIES_EXHAUSTED"): GraphError {
    const { request, response, error, nowMs } = state;
    if (response) {
        const retryAfterMs = REFUSED_STATUSES.has(response.status) ? parseRetryAfterMs(response.headers, nowMs) : undefined;
        return graphErrorFromResponse(request, response, code, retryAfterMs);
    }
    const last = error as GraphError;
    return new GraphError({
        code,
        ...requestFields(request),
        clientRequestId: last.clientRequestId,
        networkCode: last.networkCode,
        detail: last.detail,
        ambiguous: code === "GRAPH_AMBIGUOUS_WRITE",
        cause: last,
    });
}

async function waitOrAbort(delay: Delay, ms: number, request: PipelineRequest): Promise<void> {
    const { signal } = request;
    try {
        if (!signal?.aborted) await delay(ms, signal);
    } catch (err) {
        if (!signal?.aborted) throw err;
    }
    // An injected delay may ignore the signal; do not send after an abort anyway.
    if (signal?.aborted) throw abortedError(request, signal.reason);
}

function outcome(state: RetryState): string {
    if (state.response) return String(state.response.status);
    const e = state.error as GraphError;
    return e.code === "GRAPH_TIMEOUT" ? "timeout" : `network error ${e.networkCode ?? ""}`.trim();
}
