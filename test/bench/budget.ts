/**
 * Intune-style throttling budgets for the bench: per tenant, at most `writes` write requests and
 * `requests` requests (writes included) in any sliding window of `windowMs`. Every item of a
 * `$batch` counts on its own; a refused request does not count (it did no work). Intune's
 * enrollment limits are 200 writes and 2,000 requests per 20 s per tenant; `scaled(s)` shortens
 * the window by `s` so a 10,000-device run fits in minutes while each burst keeps its size.
 *
 * Bench-only: the emulator's own budgets are not used here, so the bench decides how
 * requests are counted and can compute the floor from the same numbers.
 */

export interface BudgetLimits {
    /** Write requests (anything but GET) per window. */
    writes: number;
    /** Requests of any method per window. */
    requests: number;
    windowMs: number;
}

export const INTUNE_LIMITS: BudgetLimits = { writes: 200, requests: 2000, windowMs: 20_000 };

/** The limits with the window shortened `scale` times (scale 1 = Intune's). */
export function scaledLimits(scale: number, base: BudgetLimits = INTUNE_LIMITS): BudgetLimits {
    if (!(scale > 0)) throw new RangeError(`budget scale must be > 0, got ${scale}`);
    return { ...base, windowMs: base.windowMs / scale };
}

/** Timestamps of admitted requests in the current window, oldest first. */
class SlidingWindow {
    private times: number[] = [];
    private head = 0;

    constructor(
        private readonly limit: number,
        private readonly windowMs: number,
    ) {}

    private prune(now: number): void {
        while (this.head < this.times.length && this.times[this.head] <= now - this.windowMs) this.head++;
        if (this.head > 4096 && this.head * 2 > this.times.length) {
            this.times = this.times.slice(this.head);
            this.head = 0;
        }
    }

    /** 0 when there is room now, else how long until the oldest admitted request leaves the window. */
    waitMs(now: number): number {
        this.prune(now);
        if (this.times.length - this.head < this.limit) return 0;
        return this.times[this.head] + this.windowMs - now;
    }

    add(now: number): void {
        this.times.push(now);
    }
}

export type Admission = { ok: true } | { ok: false; retryAfterMs: number; exhausted: "writes" | "requests" };

/** One tenant's budget. */
export class TenantBudget {
    private readonly writes: SlidingWindow;
    private readonly requests: SlidingWindow;
    readonly counters = { admitted: 0, admittedWrites: 0, refused: 0 };

    constructor(readonly limits: BudgetLimits) {
        this.writes = new SlidingWindow(limits.writes, limits.windowMs);
        this.requests = new SlidingWindow(limits.requests, limits.windowMs);
    }

    /** Admits (and counts) one request, or says how long to wait. */
    take(isWrite: boolean, now: number = Date.now()): Admission {
        const requestWait = this.requests.waitMs(now);
        const writeWait = isWrite ? this.writes.waitMs(now) : 0;
        if (requestWait > 0 || writeWait > 0) {
            this.counters.refused++;
            return { ok: false, retryAfterMs: Math.max(requestWait, writeWait), exhausted: writeWait >= requestWait ? "writes" : "requests" };
        }
        this.requests.add(now);
        this.counters.admitted++;
        if (isWrite) {
            this.writes.add(now);
            this.counters.admittedWrites++;
        }
        return { ok: true };
    }
}

/**
 * The least time `writes` writes and `requests` requests (writes included) can take under the
 * limits: the k-th request of a kind (from 0) cannot start before floor(k / limit) windows have
 * passed, and the last one takes one round trip.
 */
export function throttlingFloorMs(work: { writes: number; requests: number }, limits: BudgetLimits, latencyMs: number): number {
    const windows = (n: number, limit: number) => (n <= 0 ? 0 : Math.floor((n - 1) / limit));
    if (work.requests <= 0 && work.writes <= 0) return 0;
    return Math.max(windows(work.writes, limits.writes), windows(work.requests, limits.requests)) * limits.windowMs + latencyMs;
}
