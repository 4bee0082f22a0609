/**
 * Intune-style throttling budgets: requests counted in a sliding window per tenant and per app;
 * a request over any budget is answered 429 with `Retry-After` = seconds until the window has room.
 *
 * Intune's documented limits for the enrollment (Autopilot) workload are 200 writes per 20 s per
 * tenant and 100 per app, and 2,000 requests per 20 s (DESIGN §1). {@link INTUNE_BUDGETS} holds
 * them; `scale` multiplies every limit (scale 10 = ten times the throughput, same window), so a
 * bench or a chaos run can keep the shape of the limits while finishing in minutes.
 *
 * Only admitted requests use up a budget: a client that waits what Retry-After says always gets
 * through once the window has moved on.
 */

/** Options of the budgets; each limit is per {@link windowMs}. Omitted limits do not apply. */
export interface IntuneBudgetOptions {
    /** The sliding window, ms. Default 20,000 (Intune's 20 s). */
    windowMs?: number;
    /** Writes (POST, PATCH, PUT, DELETE) per window for the whole tenant. Intune: 200. */
    tenantWrites?: number;
    /** Writes per window for one app (one client identity). Intune: 100. */
    appWrites?: number;
    /** Requests of any method per window for the whole tenant. Intune: 2,000. */
    tenantRequests?: number;
    /** Requests of any method per window for one app. Not an Intune limit; off unless given. */
    appRequests?: number;
    /** Multiplies every limit (not the window). Default 1. */
    scale?: number;
}

/** Intune's enrollment-workload limits (DESIGN §1). */
export const INTUNE_BUDGETS: Readonly<Required<Omit<IntuneBudgetOptions, "appRequests">>> = {
    windowMs: 20_000,
    tenantWrites: 200,
    appWrites: 100,
    tenantRequests: 2_000,
    scale: 1,
};

/** Names of the budgets, as counted and as said in the 429 message. */
export type BudgetName = "tenantWrites" | "appWrites" | "tenantRequests" | "appRequests";

/** The result of asking a budget for room. */
export type Admission = { admitted: true } | { admitted: false; budget: BudgetName; limit: number; retryAfterMs: number };

const WRITE_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** True for methods Intune counts as writes. */
export function isWrite(method: string): boolean {
    return WRITE_METHODS.has(method.toUpperCase());
}

/** Arrival times within the window, oldest first (a queue with a moving head). */
class Window {
    private times: number[] = [];
    private head = 0;

    count(now: number, windowMs: number): number {
        while (this.head < this.times.length && this.times[this.head] <= now - windowMs) this.head++;
        if (this.head > 1024 && this.head * 2 > this.times.length) {
            this.times = this.times.slice(this.head);
            this.head = 0;
        }
        return this.times.length - this.head;
    }

    /** When the oldest counted request leaves the window. */
    freesAt(windowMs: number): number {
        return this.times[this.head] + windowMs;
    }

    add(now: number): void {
        this.times.push(now);
    }
}

/** Sliding-window budgets for one tenant and its apps. */
export class Budgets {
    readonly windowMs: number;
    private readonly limits: Partial<Record<BudgetName, number>>;
    private readonly tenantWrites = new Window();
    private readonly tenantRequests = new Window();
    private readonly appWrites = new Map<string, Window>();
    private readonly appRequests = new Map<string, Window>();
    /** 429s answered, per budget. */
    readonly rejected: Record<BudgetName, number> = { tenantWrites: 0, appWrites: 0, tenantRequests: 0, appRequests: 0 };

    constructor(options: IntuneBudgetOptions) {
        const scale = options.scale ?? 1;
        if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`emulator budgets: scale must be a number > 0 (got ${scale})`);
        this.windowMs = options.windowMs ?? INTUNE_BUDGETS.windowMs;
        if (!(this.windowMs > 0)) throw new Error(`emulator budgets: windowMs must be > 0 (got ${this.windowMs})`);
        this.limits = {};
        for (const name of ["tenantWrites", "appWrites", "tenantRequests", "appRequests"] as const) {
            const v = options[name];
            if (v === undefined) continue;
            if (!(v > 0)) throw new Error(`emulator budgets: ${name} must be > 0 (got ${v})`);
            this.limits[name] = Math.max(1, Math.floor(v * scale));
        }
    }

    /** The effective limits (after scale). */
    get effectiveLimits(): Readonly<Partial<Record<BudgetName, number>>> {
        return this.limits;
    }

    /** Counts the request if every budget it falls under has room; otherwise says which is full and for how long. */
    admit(app: string, method: string, now = Date.now()): Admission {
        const write = isWrite(method);
        const checks: [BudgetName, Window][] = [
            ["tenantRequests", this.tenantRequests],
            ["appRequests", windowOf(this.appRequests, app)],
        ];
        if (write) checks.push(["tenantWrites", this.tenantWrites], ["appWrites", windowOf(this.appWrites, app)]);
        let worst: Admission | undefined;
        for (const [name, w] of checks) {
            const limit = this.limits[name];
            if (limit === undefined) continue;
            if (w.count(now, this.windowMs) >= limit) {
                const retryAfterMs = Math.max(1, w.freesAt(this.windowMs) - now);
                if (!worst || (!worst.admitted && retryAfterMs > worst.retryAfterMs)) worst = { admitted: false, budget: name, limit, retryAfterMs };
            }
        }
        if (worst && !worst.admitted) {
            this.rejected[worst.budget]++;
            return worst;
        }
        for (const [name, w] of checks) if (this.limits[name] !== undefined) w.add(now);
        return { admitted: true };
    }
}

function windowOf(map: Map<string, Window>, app: string): Window {
    let w = map.get(app);
    if (!w) {
        w = new Window();
        map.set(app, w);
    }
    return w;
}
