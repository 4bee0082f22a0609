import type { Agent } from "undici";
import { DEFAULT_TUNING } from "../settings/table";
import { AdaptiveLimiter, adaptiveConcurrencyPolicy } from "./adaptiveConcurrency";
import { batchPolicy } from "./batchPolicy";
import { bearerTokenPolicy } from "./bearerTokenPolicy";
import { concurrencyPolicy } from "./concurrencyPolicy";
import { realDelay } from "./delay";
import { GraphError, normalizeRoute } from "./errors";
import { graphErrorFromResponse, requestFields } from "./httpError";
import { composePipeline, type PipelinePolicy, type PipelineRequest, type SendRequest } from "./pipeline";
import { requestIdPolicy } from "./requestIdPolicy";
import { exponentialRetryStrategy, retryPolicy, throttlingRetryStrategy } from "./retry";
import { Semaphore } from "./semaphore";
import { createUndiciTransport } from "./transport";
import type { Clock, GraphClientOptions, GraphClientStats, GraphRequest, GraphResponse } from "./types";

/**
 * Sends requests to Microsoft Graph: JSON in and out, a `client-request-id` on each, the
 * bearer token only to the Graph origin, retries for throttling and transient failures,
 * at most `maxConcurrency` requests on the wire. Non-2xx answers reject with a GraphError.
 *
 * Pipeline, outermost first: request id -> retry -> [$batch coalescing] -> bearer token ->
 * concurrency (fixed, or adaptive) -> undici.
 */
export class GraphClient {
    private readonly origin: string;
    private readonly basePath: string;
    private readonly timeoutMs: number;
    private readonly pipeline: SendRequest;
    private readonly ownedAgent?: Agent;
    private readonly counters = { requests: 0, byRoute: new Map<string, number>(), retries: 0, throttled: 0, batches: 0, batchedRequests: 0 };
    private readonly limiter?: AdaptiveLimiter;
    private closed = false;
    /** Called with every request that is not a GET, before it is sent (see {@link onWrite}). */
    private readonly writeListeners = new Set<(request: GraphRequest) => void>();

    constructor(options: GraphClientOptions) {
        const base = parseBaseUrl(options.baseUrl);
        this.origin = base.origin;
        this.basePath = base.path;
        const settings = checkedSettings(options);
        this.timeoutMs = settings.timeoutMs;
        let dispatcher = options.dispatcher;
        if (!dispatcher) dispatcher = this.ownedAgent = ownConnectionPool(settings.maxConcurrency);
        if (options.adaptive) this.limiter = new AdaptiveLimiter({ max: settings.maxConcurrency, clock: settings.clock, delay: settings.delay });
        this.pipeline = composePipeline(
            [
                requestIdPolicy(),
                this.makeRetryPolicy(options, settings),
                ...(options.batch ? [this.makeBatchPolicy(settings)] : []),
                bearerTokenPolicy({
                    tokenSource: options.tokenSource,
                    graphOrigin: this.origin,
                    logger: options.logger,
                    onResend: () => this.counters.retries++,
                }),
                this.limiter ? adaptiveConcurrencyPolicy(this.limiter, settings.clock) : concurrencyPolicy(new Semaphore(settings.maxConcurrency)),
            ],
            createUndiciTransport({
                dispatcher,
                onSend: (request) => {
                    this.counters.requests++;
                    this.counters.byRoute.set(request.route, (this.counters.byRoute.get(request.route) ?? 0) + 1);
                },
            }),
        );
    }

    /** Throttled requests wait as Graph says; other transient failures back off exponentially. */
    private makeRetryPolicy(options: GraphClientOptions, { maxRetries, clock, delay }: Settings): PipelinePolicy {
        return retryPolicy({
            maxRetries,
            strategies: [throttlingRetryStrategy(options.retry), exponentialRetryStrategy({ ...options.retry, random: options.random })],
            delay,
            clock,
            logger: options.logger,
            onRetry: () => this.counters.retries++,
            onThrottled: () => this.counters.throttled++,
        });
    }

    private makeBatchPolicy({ maxConcurrency, clock }: Settings): PipelinePolicy {
        return batchPolicy({
            graphOrigin: this.origin,
            basePath: this.basePath,
            now: () => clock.now(),
            // While every connection permit is taken, GETs keep gathering into fuller batches.
            capacity: () => (this.limiter ? this.limiter.limit : maxConcurrency),
            onBatch: (items) => {
                this.counters.batches++;
                this.counters.batchedRequests += items;
            },
            onItemsThrottled: (_count, longestMs, sentAtMs) => this.limiter?.throttled("all", longestMs, sentAtMs),
        });
    }

    /**
     * Calls `listener` with every write (any request but a GET) sent through this client or a view
     * of it, before it is sent, from now on: caches of what Graph holds (the read coalescer) learn
     * which objects this process changed. Returns a function that stops the calls.
     */
    onWrite(listener: (request: GraphRequest) => void): () => void {
        this.writeListeners.add(listener);
        return () => this.writeListeners.delete(listener);
    }

    /**
     * Sends one logical request (retrying as needed). Resolves with a 2xx answer, the JSON
     * body parsed (`undefined` for 204 or an empty body); rejects with a GraphError otherwise.
     */
    async send<T = unknown>(request: GraphRequest): Promise<GraphResponse<T>> {
        if (this.closed) throw new Error("GraphClient is closed");
        if (request.method !== "GET") for (const listener of this.writeListeners) listener(request);
        const pipelineRequest = this.toPipelineRequest(request);
        const response = await this.pipeline(pipelineRequest);
        if (response.status < 200 || response.status >= 300) {
            throw graphErrorFromResponse(pipelineRequest, response);
        }
        let body: unknown;
        if (response.status !== 204 && response.bodyText.trim() !== "") {
            if (/\bjson\b/i.test(response.headers["content-type"] ?? "")) {
                try {
                    body = JSON.parse(response.bodyText);
                } catch (err) {
                    throw new GraphError({
                        code: "GRAPH_INVALID_RESPONSE",
                        ...requestFields(pipelineRequest),
                        requestId: response.headers["request-id"],
                        detail: `answered ${response.status} with a body that is not valid JSON`,
                        cause: err,
                    });
                }
            } else {
                body = response.bodyText;
            }
        }
        const result: GraphResponse<T> = {
            status: response.status,
            headers: response.headers,
            body: body as T,
            attempts: pipelineRequest.attempts,
        };
        const requestId = response.headers["request-id"];
        if (requestId !== undefined) result.requestId = requestId;
        return result;
    }

    /** Counters since construction. */
    stats(): GraphClientStats {
        return {
            ...this.counters,
            byRoute: Object.fromEntries(this.counters.byRoute),
            ...(this.limiter ? { concurrency: { limit: this.limiter.limit, writeLimit: this.limiter.writeLimit, ...this.limiter.counters } } : {}),
        };
    }

    /** Closes the own connection pool (not a dispatcher passed in). Later sends reject. */
    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        await this.ownedAgent?.close();
    }

    private toPipelineRequest(request: GraphRequest): PipelineRequest {
        const { method } = request;
        let url: URL;
        let graphPath: string;
        if (request.absoluteUrl !== undefined) {
            url = new URL(request.absoluteUrl);
            if (url.protocol !== "https:" && url.protocol !== "http:") {
                throw new TypeError(`GraphRequest.absoluteUrl must be an http(s) URL, got ${url.protocol}`);
            }
            graphPath =
                url.origin === this.origin && url.pathname.startsWith(this.basePath + "/")
                    ? url.pathname.slice(this.basePath.length).replace(/^\/(?:beta|v1\.0)(?=\/)/, "")
                    : url.pathname;
        } else {
            checkPath(request.path);
            graphPath = request.path;
            url = new URL(`${this.origin}${this.basePath}/${request.apiVersion}${request.path}${encodeQuery(request.query)}`);
        }

        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers ?? {})) {
            const lower = name.toLowerCase();
            // Only the bearer policy may set a token, and only for the Graph origin.
            if (lower === "authorization") throw new TypeError("GraphRequest.headers must not set Authorization");
            headers[lower] = value;
        }
        headers["accept"] ??= "application/json";
        let body: string | undefined;
        if (request.body !== undefined) {
            body = JSON.stringify(request.body);
            headers["content-type"] = "application/json";
        }

        return {
            method,
            url,
            route: normalizeRoute(method, request.route ?? (request.absoluteUrl !== undefined ? url.pathname : request.path)),
            headers,
            body,
            idempotent: request.idempotent ?? method !== "POST",
            signal: request.signal,
            timeoutMs: this.timeoutMs,
            graphPath,
            permissions: request.permissions,
            redact: request.redact ?? [],
            attempts: 0,
        };
    }
}

type Settings = ReturnType<typeof checkedSettings>;

/** The limits and the time of `options`, checked, with their defaults. */
function checkedSettings(options: GraphClientOptions) {
    const maxConcurrency = options.maxConcurrency ?? DEFAULT_TUNING.maxConcurrency;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
        throw new RangeError(`GraphClient: maxConcurrency must be a positive integer, got ${maxConcurrency}`);
    }
    const maxRetries = options.maxRetries ?? DEFAULT_TUNING.maxRetries;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
        throw new RangeError(`GraphClient: maxRetries must be an integer >= 0, got ${maxRetries}`);
    }
    const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TUNING.timeoutSeconds;
    if (!(timeoutSeconds > 0) || !Number.isFinite(timeoutSeconds)) {
        throw new RangeError(`GraphClient: timeoutSeconds must be a positive number, got ${timeoutSeconds}`);
    }
    const clock: Clock = options.clock ?? { now: () => Date.now() };
    return { maxConcurrency, maxRetries, timeoutMs: Math.ceil(timeoutSeconds * 1000), clock, delay: options.delay ?? realDelay };
}

function ownConnectionPool(connections: number): Agent {
    // One Agent keeps one keep-alive pool per origin and reuses its sockets. Its idle timeout stays
    // at undici's short default (4 s, or the server's Keep-Alive hint): a socket the server closed
    // first turns a POST into an ambiguous write.
    // undici (about 110 modules) loads with the first client that needs a pool, not with the
    // package: a no-change plan only checks and diffs and never makes a client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const undici = require("undici") as typeof import("undici");
    return new undici.Agent({ connections });
}

function parseBaseUrl(baseUrl: string): { origin: string; path: string } {
    let url: URL;
    try {
        url = new URL(baseUrl);
    } catch {
        throw new TypeError(`GraphClient: baseUrl is not a URL: ${JSON.stringify(baseUrl)}`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        throw new TypeError(`GraphClient: baseUrl must be http(s), got ${url.protocol}`);
    }
    if (url.search || url.hash || url.username || url.password) {
        throw new TypeError("GraphClient: baseUrl must not have credentials, a query or a fragment");
    }
    // A proxy may serve Graph under a path prefix; keep it, without the trailing slash.
    return { origin: url.origin, path: url.pathname.replace(/\/+$/, "") };
}

function checkPath(path: string): void {
    if (!path.startsWith("/")) throw new TypeError(`GraphRequest.path must start with "/", got ${JSON.stringify(path)}`);
    if (/[?#]/.test(path)) throw new TypeError("GraphRequest.path must not contain '?' or '#'; use query");
    // A "." or ".." segment would move the request out of the version segment.
    if (path.split("/").some((s) => s === "." || s === "..")) {
        throw new TypeError(`GraphRequest.path must not contain "." or ".." segments: ${JSON.stringify(path)}`);
    }
}

function encodeQuery(query: Record<string, string> | undefined): string {
    if (!query) return "";
    const parts = Object.entries(query).map(
        // "$filter" reads better than "%24filter", and Graph accepts both; spaces become %20, not "+".
        ([k, v]) => `${encodeURIComponent(k).replace(/%24/g, "$")}=${encodeURIComponent(v)}`,
    );
    return parts.length > 0 ? `?${parts.join("&")}` : "";
}
