import type { Dispatcher } from "undici";

/** The Graph API version segment a request goes to. */
export type ApiVersion = "beta" | "v1.0";

/** The HTTP methods the Autopilot routes use. */
export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * The Graph permissions a route needs, named in the message of a 403.
 * `read` is the narrower permission that is enough for GET.
 */
export interface RequiredPermissions {
    readWrite: string;
    read?: string;
}

/** One logical request to Microsoft Graph (the client may send it several times). */
export interface GraphRequest {
    method: HttpMethod;
    apiVersion: ApiVersion;
    /** Starts with "/", without the version, e.g. `/deviceManagement/windowsAutopilotDeviceIdentities/abc`. */
    path: string;
    /** Query parameters, e.g. `{ $filter: "serialNumber eq 'X'" }`; encoded by the client. */
    query?: Record<string, string>;
    /** Serialized as JSON. Never logged and never put into an error message. */
    body?: unknown;
    /**
     * Template for messages and metrics, e.g.
     * `PATCH /deviceManagement/windowsAutopilotDeviceIdentities/{id}`. Default: method + path.
     */
    route?: string;
    /** Extra headers. `Authorization` is refused: only the bearer policy sets it. */
    headers?: Record<string, string>;
    signal?: AbortSignal;
    /**
     * For `@odata.nextLink`: used instead of apiVersion + path + query. The bearer token is
     * only sent if its origin equals the configured Graph origin.
     */
    absoluteUrl?: string;
    /**
     * Whether sending the request twice has the effect of sending it once. Default: true for
     * GET, PATCH and DELETE, false for POST. Set it to true for POSTs to actions that are
     * idempotent (`/updateDeviceProperties`, `/assignUserToDevice`). A request that is not
     * idempotent is retried only when Graph refused it before processing (429, 503).
     */
    idempotent?: boolean;
    /**
     * Values that must never appear in an error message (product keys, hardware hashes).
     * Graph sometimes echoes a rejected literal in its message; these are replaced by `***`.
     */
    redact?: string[];
    /** Overrides the permission table for the 403 message of this request. */
    permissions?: RequiredPermissions;
}

/** What sends Graph requests: the client, or the view of it a step uses (lifecycle/bounds.ts). */
export interface GraphSender {
    /** Resolves with a 2xx answer; rejects with a GraphError otherwise (see GraphClient.send). */
    send<T = unknown>(request: GraphRequest): Promise<GraphResponse<T>>;
}

/** A successful (2xx) answer. */
export interface GraphResponse<T = unknown> {
    status: number;
    /** Header names in lower case. */
    headers: Record<string, string>;
    /** Parsed JSON; `undefined` for 204 or an empty body; the text for a non-JSON body. */
    body: T;
    /** Graph's `request-id` for this answer. */
    requestId?: string;
    /** How many HTTP requests were sent for this logical request (1 = no retry). */
    attempts: number;
}

/** Wall clock in milliseconds since the epoch (injectable so tests need not wait). */
export interface Clock {
    now(): number;
}

/** Waits `ms` milliseconds; rejects as soon as `signal` aborts. */
export type Delay = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Supplies bearer tokens for the Graph origin. */
export interface TokenSource {
    getToken(signal?: AbortSignal): Promise<string>;
    /**
     * Forget the cached token so the next `getToken` fetches a new one (after a 401). `rejected` is
     * the token Graph refused: a source may ignore the call when it already holds a newer one.
     */
    invalidate?(rejected?: string): void;
}

/** Retry tuning; the defaults fit Graph. */
export interface RetryOptions {
    /** First exponential backoff ceiling. Default 1000. */
    baseDelayMs?: number;
    /** Largest exponential backoff. Default 60000. */
    maxDelayMs?: number;
    /** No retry waits less than this, whatever Retry-After or jitter say. Default 100. */
    minDelayMs?: number;
}

/** A Graph client's endpoint, credentials, limits and policies. */
export interface GraphClientOptions {
    /** Graph base URL without the version, e.g. "https://graph.microsoft.com". */
    baseUrl: string;
    tokenSource: TokenSource;
    /** Requests on the wire at once, over all origins. Default: `autopilot:maxConcurrency`'s (settings/table.ts). */
    maxConcurrency?: number;
    /** Retries after the first attempt. Default: `autopilot:maxRetries`'s. */
    maxRetries?: number;
    /** Limit for one attempt (connect, headers and body). Default: `autopilot:timeoutSeconds`'s. */
    timeoutSeconds?: number;
    retry?: RetryOptions;
    clock?: Clock;
    delay?: Delay;
    /** Uniform in [0, 1), for jitter. Default Math.random. */
    random?: () => number;
    /** Receives one line per retry and per token refresh after a 401; never tokens or bodies. */
    logger?: (line: string) => void;
    /** Use this dispatcher instead of an own keep-alive Agent (not closed by `close()`). */
    dispatcher?: Dispatcher;
    /**
     * Coalesce GETs issued within a short window into JSON `$batch` requests (up to 20 items each);
     * transparent to callers. Default off here; the runtime sets it from `autopilot:batch`.
     */
    batch?: boolean;
    /**
     * Adaptive concurrency: fewer requests in flight after throttling answers, slowly more when
     * none come, and a shared hold on Retry-After (see AdaptiveLimiter). Default off here (a fixed
     * limit of `maxConcurrency`); the runtime sets it from `autopilot:adaptive`.
     */
    adaptive?: boolean;
}

/** Counters since the client was made. */
export interface GraphClientStats {
    /** HTTP requests sent (every attempt counts). */
    requests: number;
    /** HTTP requests sent, per route template. */
    byRoute: Record<string, number>;
    /** Requests sent again (retry policy and the one token refresh after a 401). */
    retries: number;
    /** Answers that were throttling: 429, or 503 with a retry-after header. */
    throttled: number;
    /** `$batch` requests sent and the GETs they carried (when batching is on). */
    batches?: number;
    batchedRequests?: number;
    /**
     * Adaptive concurrency (when on): the limits now (all requests, writes), the lowest each
     * reached, how often one was lowered, and how often requests waited for the throttle gate.
     */
    concurrency?: { limit: number; writeLimit: number; lowest: number; lowestWrites: number; decreases: number; gateWaits: number };
}
