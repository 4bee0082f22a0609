/**
 * Fault modes shaped like Graph's own failures, configurable per run and per route (DESIGN §5).
 * Sources: documented Graph error answers and Dev Proxy's Graph failure presets.
 *
 * - `random`: a failure rate over 429/500/502/503/504/507, statuses by method as Dev Proxy's
 *   GraphRandomErrorPlugin draws them (GET and PATCH never 507), Graph's error body and headers;
 *   a 429 says when to come back in seconds, fractional seconds, an HTTP date, or not at all.
 *   A write answered 500/502/504 may have been processed first (`processedRate`).
 * - `resets`: the connection is reset before the request is processed (nothing happened) or after
 *   (the write happened but the client sees a reset).
 * - `slow`: the answer comes after `delayMs` (longer than the client's timeout): processed at once
 *   and answered late, or not processed (a 504 if the client is still there).
 * - `budgets`: Intune's throttling budgets (budgets.ts).
 * - `earlyRetry`: a request that comes back before the Retry-After it was given gets another 429
 *   and is counted (Dev Proxy's RetryAfterPlugin). Scope `request` (default) matches the retry by
 *   its `client-request-id`; `url` by method and path; `workload` by the path's first segment after
 *   the version, as Dev Proxy does (any request of the app to that workload is punished).
 *   Tracked per client (app).
 *
 * Every injected fault is counted by kind ({@link FaultStats}), and marked on the recorded request.
 */
import { createHash } from "crypto";
import { Budgets, IntuneBudgetOptions } from "./budgets";
import { FAULT_ERRORS, GraphError } from "./errors";

/** How a 429 says when to come back. */
export type RetryAfterStyle = "seconds" | "fractional" | "date" | "missing";

/** Random Graph errors. */
export interface RandomFaultOptions {
    /** Probability (0..1) that a request fails. */
    rate: number;
    /** Statuses drawn from (each only for the methods Dev Proxy uses it with). Default all six. */
    statuses?: number[];
    /** The Retry-After style of 429s: one, or a list drawn from at random. Default "seconds". */
    retryAfter?: RetryAfterStyle | RetryAfterStyle[];
    /** Seconds a 429 asks for (Dev Proxy: 5). Fractional style asks for 50-100 % of it. Default 5. */
    retryAfterSeconds?: number;
    /** Of the writes answered 500/502/504, the fraction processed before the error. Default 0. */
    processedRate?: number;
}

/** When a connection fault strikes: before the request is processed, after, or either (half each). */
export type ProcessedWhen = "before" | "after" | "either";

/** Connection resets. */
export interface ResetFaultOptions {
    rate: number;
    /** Default "either". */
    when?: ProcessedWhen;
}

/** Answers slower than the client's timeout. */
export interface SlowFaultOptions {
    rate: number;
    /** How late the answer comes, ms. */
    delayMs: number;
    /** Default "either". */
    when?: ProcessedWhen;
}

/** A per-route override: the first rule matching method and path replaces the modes it names (false = off). */
export interface FaultRule {
    /** Omitted = any method. */
    method?: string;
    /** A RegExp is tested against the path (with version, without query); a string matches when the path contains it. */
    path?: string | RegExp;
    random?: RandomFaultOptions | false;
    resets?: ResetFaultOptions | false;
    slow?: SlowFaultOptions | false;
}

/** Scope of the early-retry punishment; false turns it off. */
export type EarlyRetryScope = "request" | "url" | "workload" | false;

/** The fault modes of a run (`EmulatorOptions.faults`, `Emulator.setFaultModes`). */
export interface FaultModes {
    random?: RandomFaultOptions;
    resets?: ResetFaultOptions;
    slow?: SlowFaultOptions;
    budgets?: IntuneBudgetOptions;
    /** Default "request". */
    earlyRetry?: EarlyRetryScope;
    routes?: FaultRule[];
    /** Seed of the fault generator, for a reproducible run. Default: random (see {@link FaultStats.seed}). */
    seed?: number;
}

/** Counters of what the fault modes did. */
export interface FaultStats {
    /** The generator's seed (rerun with it to get the same draws for the same requests). */
    seed: number;
    /** Faults injected, by kind: "random 429", "random 500 (processed)", "reset after processing", "budget appWrites", "early retry", "scripted 503", ... */
    injected: Record<string, number>;
    /** Requests that came back before their Retry-After. */
    earlyRetries: number;
    /** 429 answers that carried a Retry-After (any source). */
    retryAfterGiven: number;
}

/** A connection-level fault for one request. */
export interface ConnectionFault {
    kind: "reset" | "slow";
    processed: boolean;
    delayMs: number;
}

/** A Graph-level fault: answer `error` (after processing the request when `processed`). */
export interface GraphFault {
    error: GraphError;
    processed: boolean;
    kind: string;
}

/** Dev Proxy's GraphRandomErrorPlugin: statuses by method. */
export const STATUSES_BY_METHOD: Readonly<Record<string, readonly number[]>> = {
    GET: [429, 500, 502, 503, 504],
    PATCH: [429, 500, 502, 503, 504],
    POST: [429, 500, 502, 503, 504, 507],
    PUT: [429, 500, 502, 503, 504, 507],
    DELETE: [429, 500, 502, 503, 504, 507],
};

const MAYBE_PROCESSED = new Set([500, 502, 504]);
const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** Headers Dev Proxy's BuildGraphResponseHeaders adds to a Graph error (request ids and Date are added by the server). */
function graphFaultHeaders(): Record<string, string> {
    return {
        "Cache-Control": "no-store",
        "x-ms-ags-diagnostic": JSON.stringify({ ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "1", ScaleUnit: "000", RoleInstance: "emulator" } }),
        "Strict-Transport-Security": "max-age=31536000",
    };
}

/** mulberry32: a small seeded generator, so a run's fault draws can be replayed. */
function generator(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function checkRate(name: string, rate: number | undefined): void {
    if (rate === undefined) return;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`emulator faults: ${name} must be between 0 and 1 (got ${rate})`);
}

function validate(modes: FaultModes): void {
    const check = (where: string, m: { random?: RandomFaultOptions | false; resets?: ResetFaultOptions | false; slow?: SlowFaultOptions | false }): void => {
        if (m.random) {
            checkRate(`${where}random.rate`, m.random.rate);
            checkRate(`${where}random.processedRate`, m.random.processedRate);
            for (const s of m.random.statuses ?? []) {
                if (!FAULT_ERRORS[s] || s < 429)
                    throw new Error(`emulator faults: ${where}random.statuses: unsupported status ${s} (429, 500, 502, 503, 504, 507)`);
            }
            if (m.random.retryAfterSeconds !== undefined && !(m.random.retryAfterSeconds >= 0)) {
                throw new Error(`emulator faults: ${where}random.retryAfterSeconds must be >= 0`);
            }
        }
        if (m.resets) checkRate(`${where}resets.rate`, m.resets.rate);
        if (m.slow) {
            checkRate(`${where}slow.rate`, m.slow.rate);
            if (!(m.slow.delayMs >= 0)) throw new Error(`emulator faults: ${where}slow.delayMs must be >= 0`);
        }
    };
    check("", modes);
    (modes.routes ?? []).forEach((r, i) => check(`routes[${i}].`, r));
}

function pathMatches(rule: FaultRule, method: string, path: string): boolean {
    if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
    if (rule.path === undefined) return true;
    if (typeof rule.path === "string") return path.includes(rule.path);
    rule.path.lastIndex = 0;
    return rule.path.test(path);
}

/** The identity throttling is counted for: the token's app id when it is a JWT, else a digest of the token. */
export function clientOf(authorization: string | undefined): string {
    const token = /^Bearer\s+(.+)$/i.exec((authorization ?? "").trim())?.[1]?.trim() ?? "";
    if (token === "") return "anonymous";
    const parts = token.split(".");
    if (parts.length === 3) {
        try {
            const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
            const app = claims.appid ?? claims.azp;
            if (typeof app === "string" && app !== "") return `app:${app}`;
        } catch {
            // not a JWT after all
        }
    }
    return `token:${createHash("sha256").update(token).digest("hex").slice(0, 12)}`;
}

/** `deviceManagement` for `/beta/deviceManagement/...` (Dev Proxy's workload key). */
function workloadOf(path: string): string {
    return path.split("/").filter(Boolean)[1] ?? "";
}

/** The Retry-After header value and the moment it names. */
function retryAfterValue(style: RetryAfterStyle, seconds: number, now: number, rng: () => number): { header?: string; until?: number } {
    switch (style) {
        case "missing":
            return {};
        case "fractional": {
            const s = Math.max(0.001, seconds * (0.5 + rng() * 0.5));
            const text = s.toFixed(3);
            return { header: text, until: now + Math.round(Number(text) * 1000) };
        }
        case "date": {
            // An HTTP date has whole seconds: round up so it never asks for less than `seconds`.
            const at = Math.ceil((now + seconds * 1000) / 1000) * 1000;
            return { header: new Date(at).toUTCString(), until: at };
        }
        default: {
            const s = Math.ceil(seconds);
            return { header: String(s), until: now + s * 1000 };
        }
    }
}

/** Parses a Retry-After the emulator itself sent, to know until when a retry is early. */
function untilOf(header: string | undefined, now: number): number | undefined {
    if (header === undefined) return undefined;
    if (/^\d+(\.\d+)?$/.test(header.trim())) return now + Math.round(Number(header) * 1000);
    const at = Date.parse(header);
    return Number.isFinite(at) ? at : undefined;
}

/** The run's fault modes, their random generator, the early-retry memory and the counters. */
export class FaultEngine {
    private modes: FaultModes = {};
    private rng: () => number = Math.random;
    private seed = 0;
    private budgets?: Budgets;
    /** Early-retry memory: key -> the moment the client may come back. */
    private readonly throttled = new Map<string, number>();
    private counts: Record<string, number> = {};
    private earlyRetries = 0;
    private retryAfterGiven = 0;

    constructor(modes: FaultModes = {}) {
        this.configure(modes);
    }

    /** Replaces the modes (counters, early-retry memory and budgets start afresh). */
    configure(modes: FaultModes): void {
        validate(modes);
        this.modes = modes;
        this.seed = modes.seed ?? Math.floor(Math.random() * 2 ** 31);
        this.rng = generator(this.seed);
        this.budgets = modes.budgets ? new Budgets(modes.budgets) : undefined;
        this.throttled.clear();
        this.counts = {};
        this.earlyRetries = 0;
        this.retryAfterGiven = 0;
    }

    stats(): FaultStats {
        return { seed: this.seed, injected: { ...this.counts }, earlyRetries: this.earlyRetries, retryAfterGiven: this.retryAfterGiven };
    }

    /** Counts a fault injected elsewhere (scripted faults). */
    count(kind: string): void {
        this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    }

    private effective(method: string, path: string): Pick<FaultRule, "random" | "resets" | "slow"> {
        const rule = (this.modes.routes ?? []).find((r) => pathMatches(r, method, path));
        const pick = <K extends "random" | "resets" | "slow">(k: K): FaultRule[K] => (rule && rule[k] !== undefined ? rule[k] : this.modes[k]);
        return { random: pick("random"), resets: pick("resets"), slow: pick("slow") };
    }

    private processedDraw(when: ProcessedWhen | undefined): boolean {
        const w = when ?? "either";
        return w === "after" ? true : w === "before" ? false : this.rng() < 0.5;
    }

    /** Decides a connection-level fault for one HTTP request (not for $batch items). */
    connectionFault(method: string, path: string): ConnectionFault | undefined {
        const { resets, slow } = this.effective(method, path);
        if (resets && resets.rate > 0 && this.rng() < resets.rate) {
            const processed = this.processedDraw(resets.when);
            this.count(`reset ${processed ? "after" : "before"} processing`);
            return { kind: "reset", processed, delayMs: 0 };
        }
        if (slow && slow.rate > 0 && this.rng() < slow.rate) {
            const processed = this.processedDraw(slow.when);
            this.count(`slow ${processed ? "after" : "before"} processing`);
            return { kind: "slow", processed, delayMs: slow.delayMs };
        }
        return undefined;
    }

    /**
     * Decides the Graph-level fault of one request (an HTTP request or a $batch item, not the
     * envelope): early retry, then budgets, then the random failure rate.
     */
    graphFault(req: { method: string; path: string; client: string; headers: Record<string, string> }, now = Date.now()): GraphFault | undefined {
        const method = req.method.toUpperCase();
        const early = this.earlyRetryKey(req);
        if (early) {
            const until = this.throttled.get(early);
            if (until !== undefined) {
                if (until > now) {
                    this.earlyRetries++;
                    this.count("early retry");
                    const wait = String(Math.ceil((until - now) / 1000));
                    return {
                        kind: "early retry",
                        processed: false,
                        error: new GraphError(
                            429,
                            "TooManyRequests",
                            `Calling ${method} ${req.path} before waiting for the Retry-After period. Request will be throttled. Throttling on ${early.split("|").slice(1).join("|")}.`,
                            { ...graphFaultHeaders(), "Retry-After": wait },
                        ),
                    };
                }
                this.throttled.delete(early);
            }
        }
        if (this.budgets) {
            const a = this.budgets.admit(req.client, method, now);
            if (!a.admitted) {
                this.count(`budget ${a.budget}`);
                const who = a.budget.startsWith("tenant") ? "tenant" : "application";
                const what = a.budget.endsWith("Writes") ? "write requests" : "requests";
                return {
                    kind: `budget ${a.budget}`,
                    processed: false,
                    error: new GraphError(
                        429,
                        "TooManyRequests",
                        `Too many ${what} for this ${who}: the limit is ${a.limit} per ${this.budgets.windowMs / 1000} seconds. Please retry after the time in the Retry-After header.`,
                        { ...graphFaultHeaders(), "Retry-After": String(Math.ceil(a.retryAfterMs / 1000)) },
                    ),
                };
            }
        }
        const { random } = this.effective(method, req.path);
        if (random && random.rate > 0 && this.rng() < random.rate) {
            const allowed = (random.statuses ?? STATUSES_BY_METHOD.POST).filter((s) => (STATUSES_BY_METHOD[method] ?? STATUSES_BY_METHOD.GET).includes(s));
            if (allowed.length === 0) return undefined;
            const status = allowed[Math.floor(this.rng() * allowed.length)];
            const headers = graphFaultHeaders();
            if (status === 429) {
                const styles = Array.isArray(random.retryAfter) ? random.retryAfter : [random.retryAfter ?? "seconds"];
                const style = styles[Math.floor(this.rng() * styles.length)];
                const v = retryAfterValue(style, random.retryAfterSeconds ?? 5, now, this.rng);
                if (v.header !== undefined) headers["Retry-After"] = v.header;
            }
            const processed = WRITES.has(method) && MAYBE_PROCESSED.has(status) && (random.processedRate ?? 0) > 0 && this.rng() < (random.processedRate ?? 0);
            const kind = `random ${status}${processed ? " (processed)" : ""}`;
            this.count(kind);
            const { code, message } = FAULT_ERRORS[status];
            return { kind, processed, error: new GraphError(status, code, message, headers) };
        }
        return undefined;
    }

    /** Called with every answer: a 429 with Retry-After starts the early-retry window of its key. */
    noteAnswer(
        req: { method: string; path: string; client: string; headers: Record<string, string> },
        status: number,
        headers: Record<string, string> | undefined,
        now = Date.now(),
    ): void {
        if (status !== 429) return;
        const value = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === "retry-after")?.[1];
        const until = untilOf(value, now);
        if (until === undefined) return;
        this.retryAfterGiven++;
        const key = this.earlyRetryKey(req);
        if (key) this.throttled.set(key, Math.max(until, this.throttled.get(key) ?? 0));
    }

    private earlyRetryKey(req: { method: string; path: string; client: string; headers: Record<string, string> }): string | undefined {
        const scope = this.modes.earlyRetry ?? "request";
        switch (scope) {
            case false:
                return undefined;
            case "url":
                return `${req.client}|${req.method.toUpperCase()} ${req.path}`;
            case "workload":
                return `${req.client}|${workloadOf(req.path)}`;
            default: {
                // A retry is recognised by its client-request-id; without one a request cannot be told from a new one.
                const id = req.headers["client-request-id"];
                return id ? `${req.client}|${id}` : undefined;
            }
        }
    }
}
