/**
 * What the bench puts in front of the Graph emulator, as Graph's own front door would be: https,
 * the bearer token checked (issued by the emulator's Entra authority for this origin), a
 * round-trip latency, Intune-style throttling budgets (budget.ts, per `$batch` item), and the
 * counters the bench reports: HTTP round trips, requests by route (batch items counted on their
 * own), 429s and sockets opened. Everything else is the emulator's (a real HTTP server).
 */
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import { Pool } from "undici";
import { BudgetLimits, TenantBudget } from "./budget";

export interface FrontOptions {
    /** The emulator's base URL. */
    target: string;
    latencyMs: number;
    limits: BudgetLimits;
    /** Graph's check of a bearer token for this origin: undefined when accepted, else the 401 message. */
    validateToken(token: string, origin: string): string | undefined;
    /** The token the emulator behind accepts (the front has checked the caller's). */
    upstreamToken: string;
    /** TLS certificate and key for 127.0.0.1 (Graph is https, as the real one is). */
    tls: { cert: string; key: string };
}

export interface FrontCounters {
    /** HTTP requests to Graph (a `$batch` is one). */
    roundTrips: number;
    /** Logical requests: plain requests plus every item of every `$batch`. */
    requests: number;
    /** Logical requests by route template (`GET /v1.0/deviceManagement/.../{id}`). */
    byRoute: Record<string, number>;
    /** `$batch` round trips and the items they carried. */
    batches: number;
    batchItems: number;
    /** Answers (or batch items) refused with 429, and which budget was full. */
    throttled: number;
    throttledBy: { writes: number; requests: number };
    /** Requests answered with another 4xx/5xx (not 429). */
    errors: number;
    /** TCP connections accepted. */
    sockets: number;
    /** Writes admitted (what the write budget counted). */
    writes: number;
    /** Per second since the reset: [reads admitted, writes admitted, refused]. */
    timeline: number[][];
    /** Milliseconds from the reset to the first Graph request (-1: none). */
    firstRequestMs: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `/v1.0/deviceManagement/x/<guid>/y` -> `/v1.0/deviceManagement/x/{id}/y`; a $filter is kept as `?$filter`. */
export function routeTemplate(method: string, pathAndQuery: string): string {
    const [path, query] = pathAndQuery.split("?");
    const segments = path.split("/").map((s) => (GUID.test(decodeURIComponent(s)) ? "{id}" : s));
    const q = query && /\$filter/.test(decodeURIComponent(query)) ? "?$filter" : "";
    return `${method.toUpperCase()} ${segments.join("/")}${q}`;
}

function emptyCounters(): FrontCounters {
    return {
        roundTrips: 0,
        requests: 0,
        byRoute: {},
        batches: 0,
        batchItems: 0,
        throttled: 0,
        throttledBy: { writes: 0, requests: 0 },
        errors: 0,
        sockets: 0,
        writes: 0,
        timeline: [],
        firstRequestMs: -1,
    };
}

function throttledBody(retryAfterMs: number): { error: Record<string, unknown> } {
    return {
        error: {
            code: "TooManyRequests",
            message: `Too many requests; retry after ${Math.ceil(retryAfterMs / 100) / 10} seconds.`,
            innerError: { date: new Date().toISOString().slice(0, 19), "request-id": crypto.randomUUID() },
        },
    };
}

/** Retry-After in seconds, one decimal, never 0. */
function retryAfterValue(ms: number): string {
    return String(Math.max(0.1, Math.ceil(ms / 100) / 10));
}

export class GraphFront {
    counters: FrontCounters = emptyCounters();
    private since = Date.now();
    budget: TenantBudget;
    private readonly pool: Pool;
    private server!: https.Server;
    /** Graph's base URL (https). */
    url = "";

    private constructor(private readonly options: FrontOptions) {
        this.budget = new TenantBudget(options.limits);
        this.pool = new Pool(options.target, { connections: 64, pipelining: 1 });
    }

    static async start(options: FrontOptions): Promise<GraphFront> {
        const front = new GraphFront(options);
        const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
            front.handle(req, res).catch((e) => {
                if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: { code: "BenchFrontFailed", message: String(e) } }));
            });
        };
        front.server = https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest);
        front.server.keepAliveTimeout = 5000;
        // Only Graph's connections count as sockets opened (TLS handshakes included).
        front.server.on("secureConnection", () => front.counters.sockets++);
        await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
        front.url = `https://127.0.0.1:${(front.server.address() as AddressInfo).port}`;
        return front;
    }

    /**
     * The answer with the emulator's absolute links (`@odata.nextLink`) pointing at this front, as
     * Graph's own links point at Graph: a client following them stays behind the budgets and latency.
     */
    private ownLinks(text: string): string {
        return text.includes(this.options.target) ? text.split(this.options.target).join(this.url) : text;
    }

    /** New counters and a fresh budget (as if a full window had passed since the last run). */
    reset(): FrontCounters {
        const old = this.counters;
        this.counters = emptyCounters();
        this.since = Date.now();
        this.budget = new TenantBudget(this.options.limits);
        return old;
    }

    async close(): Promise<void> {
        await new Promise<void>((resolve) => {
            this.server.closeAllConnections();
            this.server.close(() => resolve());
        });
        await this.pool.close();
    }

    private tick(kind: 0 | 1 | 2): void {
        const sec = Math.floor((Date.now() - this.since) / 1000);
        const t = this.counters.timeline;
        while (t.length <= sec) t.push([0, 0, 0]);
        t[sec][kind]++;
    }

    private count(route: string): void {
        this.counters.requests++;
        this.counters.byRoute[route] = (this.counters.byRoute[route] ?? 0) + 1;
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks).toString("utf8");
        const method = (req.method ?? "GET").toUpperCase();
        const url = req.url ?? "/";
        const answer = async (status: number, headers: Record<string, string>, body: string): Promise<void> => {
            if (this.options.latencyMs > 0) await new Promise((r) => setTimeout(r, this.options.latencyMs));
            res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
            res.end(body);
        };

        this.counters.roundTrips++;
        if (this.counters.firstRequestMs < 0) this.counters.firstRequestMs = Date.now() - this.since;
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
        const refusal = bearer === undefined ? "Access token is empty." : this.options.validateToken(bearer, this.url);
        if (refusal !== undefined) {
            this.counters.errors++;
            const body = { error: { code: "InvalidAuthenticationToken", message: refusal, innerError: { date: new Date().toISOString().slice(0, 19) } } };
            await answer(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm=""' }, JSON.stringify(body));
            return;
        }
        const batch = /^\/(beta|v1\.0)\/\$batch\/?$/.exec(url.split("?")[0]);
        if (method === "POST" && batch) {
            await this.handleBatch(batch[1], req, raw, answer);
            return;
        }

        const route = routeTemplate(method, url);
        this.count(route);
        const admission = this.budget.take(method !== "GET");
        this.tick(!admission.ok ? 2 : method !== "GET" ? 1 : 0);
        if (!admission.ok) {
            this.counters.throttled++;
            this.counters.throttledBy[admission.exhausted]++;
            await answer(
                429,
                { "content-type": "application/json", "retry-after": retryAfterValue(admission.retryAfterMs) },
                JSON.stringify(throttledBody(admission.retryAfterMs)),
            );
            return;
        }
        if (method !== "GET") this.counters.writes++;
        const upstream = await this.pool.request({
            path: url,
            method: method as "GET",
            headers: forwardHeaders(req, this.options.upstreamToken),
            body: raw === "" ? undefined : raw,
        });
        const text = this.ownLinks(await upstream.body.text());
        if (upstream.statusCode >= 400) this.counters.errors++;
        await answer(upstream.statusCode, pickHeaders(upstream.headers), text);
    }

    private async handleBatch(
        version: string,
        req: http.IncomingMessage,
        raw: string,
        answer: (status: number, headers: Record<string, string>, body: string) => Promise<void>,
    ): Promise<void> {
        this.counters.batches++;
        const payload = JSON.parse(raw) as { requests: Array<{ id: string; method: string; url: string }> };
        const items = payload.requests ?? [];
        this.counters.batchItems += items.length;
        const admitted: typeof items = [];
        const refused = new Map<string, unknown>();
        for (const item of items) {
            const method = item.method.toUpperCase();
            this.count(routeTemplate(method, `/${version}${item.url.startsWith("/") ? "" : "/"}${item.url}`));
            const admission = this.budget.take(method !== "GET");
            this.tick(!admission.ok ? 2 : method !== "GET" ? 1 : 0);
            if (admission.ok) {
                if (method !== "GET") this.counters.writes++;
                admitted.push(item);
            } else {
                this.counters.throttled++;
                this.counters.throttledBy[admission.exhausted]++;
                refused.set(item.id, {
                    id: item.id,
                    status: 429,
                    headers: { "Retry-After": retryAfterValue(admission.retryAfterMs), "Content-Type": "application/json" },
                    body: throttledBody(admission.retryAfterMs),
                });
            }
        }
        let answered = new Map<string, unknown>();
        let envelopeHeaders: Record<string, string> = { "content-type": "application/json" };
        if (admitted.length > 0) {
            const upstream = await this.pool.request({
                path: `/${version}/$batch`,
                method: "POST",
                headers: forwardHeaders(req, this.options.upstreamToken),
                body: JSON.stringify({ ...payload, requests: admitted }),
            });
            const text = this.ownLinks(await upstream.body.text());
            if (upstream.statusCode !== 200) {
                this.counters.errors++;
                await answer(upstream.statusCode, pickHeaders(upstream.headers), text);
                return;
            }
            envelopeHeaders = pickHeaders(upstream.headers);
            const responses = (JSON.parse(text) as { responses: Array<{ id: string; status: number }> }).responses;
            for (const r of responses) if (r.status >= 400) this.counters.errors++;
            answered = new Map(responses.map((r) => [r.id, r]));
        }
        const responses = items.map((item) => refused.get(item.id) ?? answered.get(item.id)).filter((r) => r !== undefined);
        await answer(200, envelopeHeaders, JSON.stringify({ responses }));
    }
}

function forwardHeaders(req: http.IncomingMessage, token: string): Record<string, string> {
    const out: Record<string, string> = { authorization: `Bearer ${token}` };
    for (const name of ["content-type", "accept", "client-request-id"]) {
        const v = req.headers[name];
        if (typeof v === "string") out[name] = v;
    }
    return out;
}

function pickHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
        const name = k.toLowerCase();
        if (v === undefined || ["content-length", "connection", "keep-alive", "transfer-encoding", "date"].includes(name)) continue;
        out[name] = Array.isArray(v) ? v.join(", ") : v;
    }
    return out;
}
