import { abortedError } from "./httpError";
import type { PipelinePolicy, PipelineRequest } from "./pipeline";
import { isThrottlingResponse, parseRetryAfterMs } from "./retryAfter";
import type { Clock, Delay } from "./types";

/** Which requests a throttling answer holds back: every request, or the writes only. */
export type ThrottleScope = "all" | "writes";

/**
 * Paces requests to a rate (items per second) that it learns: unlimited until the first
 * throttling answer, then set at each throttling round to just under the rate Graph admitted
 * over the last few seconds, raised slowly (+5% per second) while no throttling comes, and
 * unlimited again after `forgetMs` without throttling. Never below `min` (Intune's tenant budget is 100 requests
 * per second). A sliding-window budget like Intune's admits bursts, so up to `burstMs` worth of
 * the rate may go at once. (Generic cell rate algorithm: each request reserves its slot on a
 * virtual schedule.)
 */
export class RatePacer {
    private rate = Infinity;
    private tat = 0;
    private lastThrottleAt = -Infinity;
    private readonly sent: Array<{ at: number; weight: number }> = [];
    private readonly answered: Array<{ at: number; weight: number }> = [];
    private readonly firstAt: number;

    constructor(
        private readonly clock: Clock,
        private readonly burstMs = 1000,
        private readonly min = 20,
        private readonly forgetMs = 30_000,
        private readonly horizonMs = 5000,
    ) {
        this.firstAt = clock.now();
    }

    /** The learned rate, items per second (Infinity before the first throttling answer). */
    get itemsPerSecond(): number {
        return this.rate;
    }

    /** Milliseconds to wait before sending `weight` items; reserves their slot. */
    reserve(weight: number): number {
        const now = this.clock.now();
        this.sent.push({ at: now, weight });
        while (this.sent.length > 0 && this.sent[0].at < now - 1000) this.sent.shift();
        if (Number.isFinite(this.rate) && now - this.lastThrottleAt > this.forgetMs) this.rate = Infinity;
        if (!Number.isFinite(this.rate)) return 0;
        this.tat = Math.max(this.tat, now);
        const wait = this.tat - this.burstMs - now;
        this.tat += (weight * 1000) / this.rate;
        return Math.max(0, wait);
    }

    /**
     * A throttling round: the pace becomes 95% of what Graph admitted per second over the last
     * `horizonMs` (its budget's rate, when the client was using it all), or, without enough of
     * those answers yet, 80% of the pace (or of what was sent in the last second, the first time).
     */
    decrease(): void {
        const now = this.clock.now();
        this.lastThrottleAt = now;
        const since = (list: Array<{ at: number; weight: number }>, ms: number) => list.filter((s) => s.at >= now - ms).reduce((n, s) => n + s.weight, 0);
        const horizon = Math.min(this.horizonMs, Math.max(1000, now - this.firstAt));
        const admittedPerSecond = (since(this.answered, horizon) * 1000) / horizon;
        if (admittedPerSecond >= this.min) {
            this.rate = 0.95 * admittedPerSecond;
        } else {
            this.rate = Math.max(this.min, 0.8 * (Number.isFinite(this.rate) ? this.rate : since(this.sent, 1000)));
        }
    }

    /** Items answered without throttling: additive increase (+5% of the pace per second's worth). */
    increase(weight: number): void {
        const now = this.clock.now();
        this.answered.push({ at: now, weight });
        while (this.answered.length > 0 && this.answered[0].at < now - this.horizonMs) this.answered.shift();
        if (Number.isFinite(this.rate)) this.rate += 0.05 * weight;
    }
}

/** The limit an {@link AdaptiveLimiter} starts from and grows back to, and its time. */
export interface AdaptiveLimiterOptions {
    /** Most requests on the wire at once (the configured maxConcurrency). */
    max: number;
    clock: Clock;
    delay: Delay;
}

/** One AIMD limit from `max` down to 1: halved once per throttling round, +1 per round trip's worth of successes. */
class AimdLimit {
    private current: number;
    private lastDecreaseAt = -Infinity;

    constructor(private readonly max: number) {
        this.current = max;
    }

    get value(): number {
        return Math.floor(this.current);
    }

    /** Lowers the limit unless the answer belongs to a round that already lowered it. */
    decrease(sentAtMs: number, now: number): boolean {
        if (sentAtMs < this.lastDecreaseAt) return false;
        this.current = Math.max(1, this.current * 0.5);
        this.lastDecreaseAt = now;
        return true;
    }

    /** True when the whole-number limit grew. */
    increase(): boolean {
        if (this.current >= this.max) return false;
        const before = this.value;
        this.current = Math.min(this.max, this.current + 1 / this.current);
        return this.value > before;
    }
}

interface Waiter {
    readonly seq: number;
    grant(): void;
}

/** A first-in first-out line that does not move every waiter when the first one leaves. */
class Line {
    private items: Waiter[] = [];
    private head = 0;

    get first(): Waiter | undefined {
        return this.items[this.head];
    }

    push(w: Waiter): void {
        this.items.push(w);
    }

    shift(): Waiter {
        const w = this.items[this.head++];
        if (this.head > 1024 && this.head * 2 > this.items.length) {
            this.items = this.items.slice(this.head);
            this.head = 0;
        }
        return w;
    }

    remove(w: Waiter): void {
        const i = this.items.indexOf(w, this.head);
        if (i >= 0) this.items.splice(i, 1);
    }
}

/**
 * Adaptive concurrency (AIMD) with a shared throttle gate:
 *
 * - Two limits on requests in flight, each halved after a throttling answer of its kind (at most
 *   once per round: only a request sent after the last decrease can lower it again) and grown by
 *   one per `limit` successful answers (+1 per round trip's worth), up to `max`: one for every
 *   request (lowered by throttled reads: the request budget) and one for the writes among them
 *   (lowered by throttled writes: the write budget). A full write budget says nothing about the
 *   request budget, so it holds back writes only; reads keep their own line and are not queued
 *   behind writes that wait for the write limit.
 * - A throttling answer's Retry-After closes a gate for the requests it concerns (a throttled
 *   read: every request, since reads and writes share the request budget; a throttled write: the
 *   writes), so requests that were not throttled yet do not spend the budget on answers that can
 *   only be 429 too. The throttled request itself waits in the retry policy. Requests
 *   wait for the gate in their line: no permit goes to a request whose gate is closed (a write
 *   queued behind one that was just refused would only draw a certain 429), and one timer wakes
 *   the lines when it opens.
 * - Once reads were throttled, every request is paced to a learned rate ({@link RatePacer}),
 *   counting each `$batch` item: concurrency alone cannot keep batches of 20 under a request
 *   budget, and a gate that opens for everyone at once only moves the burst.
 */
export class AdaptiveLimiter {
    private readonly all: AimdLimit;
    private readonly writes: AimdLimit;
    private inFlight = 0;
    private writesInFlight = 0;
    private seq = 0;
    private readonly readLine = new Line();
    private readonly writeLine = new Line();
    private readonly blockedUntil: Record<ThrottleScope, number> = { all: 0, writes: 0 };
    /** When the timer that wakes the lines at the gate's opening fires (0: none set). */
    private wakeAt = 0;
    /** Paces every request to the request budget's rate once throttling showed it (batch items count). */
    readonly pacer: RatePacer;
    /** Counters for reports and tests (`lowest`: the lowest limit on all requests). */
    readonly counters = { decreases: 0, gateWaits: 0, lowest: 0, lowestWrites: 0 };

    constructor(private readonly options: AdaptiveLimiterOptions) {
        if (!Number.isInteger(options.max) || options.max < 1) throw new RangeError(`AdaptiveLimiter: max must be a positive integer, got ${options.max}`);
        this.all = new AimdLimit(options.max);
        this.writes = new AimdLimit(options.max);
        this.counters.lowest = this.counters.lowestWrites = options.max;
        this.pacer = new RatePacer(options.clock);
    }

    /** The current limit on requests in flight (whole requests). */
    get limit(): number {
        return this.all.value;
    }

    /** The current limit on writes in flight. */
    get writeLimit(): number {
        return this.writes.value;
    }

    get active(): number {
        return this.inFlight;
    }

    /** When requests of this kind may go again (the injected clock's ms; 0 = not held). */
    heldUntil(isWrite: boolean): number {
        return isWrite ? Math.max(this.blockedUntil.all, this.blockedUntil.writes) : this.blockedUntil.all;
    }

    /** Waits for the request's slot at the learned rate (none before reads were throttled). */
    async pace(weight = 1, signal?: AbortSignal): Promise<void> {
        const paced = this.pacer.reserve(weight);
        if (paced > 0) await this.options.delay(paced, signal);
    }

    /**
     * Resolves once a permit is free for this kind of request and its gate is open (first come,
     * first served within the limits).
     */
    acquire(isWrite = false, signal?: AbortSignal): Promise<void> {
        if (signal?.aborted) return Promise.reject(signal.reason);
        const line = isWrite ? this.writeLine : this.readLine;
        if (line.first === undefined && this.fits(isWrite) && this.heldUntil(isWrite) <= this.options.clock.now()) {
            this.take(isWrite);
            return Promise.resolve();
        }
        return new Promise<void>((resolve, reject) => {
            const onAbort = (): void => {
                line.remove(waiter);
                reject(signal?.reason);
            };
            const waiter: Waiter = {
                seq: this.seq++,
                grant: () => {
                    signal?.removeEventListener("abort", onAbort);
                    resolve();
                },
            };
            line.push(waiter);
            signal?.addEventListener("abort", onAbort, { once: true });
            this.pump();
        });
    }

    /** Gives a permit back and wakes as many waiters as the limits now allow. */
    release(isWrite = false): void {
        this.inFlight--;
        if (isWrite) this.writesInFlight--;
        this.pump();
    }

    /** A successful (not throttled) answer: additive increase. */
    succeeded(weight = 1, isWrite = false): void {
        this.pacer.increase(weight);
        const grew = this.all.increase();
        const writesGrew = isWrite && this.writes.increase();
        if (grew || writesGrew) this.pump();
    }

    /**
     * A throttling answer to a request handed down at `sentAtMs`: multiplicative decrease of the
     * limit of its kind (once per round) and the gate closed for `retryAfterMs`.
     */
    throttled(scope: ThrottleScope, retryAfterMs: number | undefined, sentAtMs: number): void {
        const now = this.options.clock.now();
        if (scope === "all") {
            if (this.all.decrease(sentAtMs, now)) {
                // Reads and writes share the request budget: any throttling round lowers the pace.
                this.pacer.decrease();
                this.counters.decreases++;
                this.counters.lowest = Math.min(this.counters.lowest, this.all.value);
            }
        } else if (this.writes.decrease(sentAtMs, now)) {
            this.counters.decreases++;
            this.counters.lowestWrites = Math.min(this.counters.lowestWrites, this.writes.value);
        }
        if (retryAfterMs !== undefined && retryAfterMs > 0) {
            this.blockedUntil[scope] = Math.max(this.blockedUntil[scope], now + retryAfterMs);
        }
    }

    private fits(isWrite: boolean): boolean {
        return this.inFlight < this.all.value && (!isWrite || this.writesInFlight < this.writes.value);
    }

    private take(isWrite: boolean): void {
        this.inFlight++;
        if (isWrite) this.writesInFlight++;
    }

    private pump(): void {
        const now = this.options.clock.now();
        const readsOpen = this.heldUntil(false) <= now;
        const writesOpen = this.heldUntil(true) <= now;
        while (this.inFlight < this.all.value) {
            const read = readsOpen ? this.readLine.first : undefined;
            const write = writesOpen && this.writesInFlight < this.writes.value ? this.writeLine.first : undefined;
            if (!read && !write) break;
            const isWrite = write !== undefined && (read === undefined || write.seq < read.seq);
            const waiter = isWrite ? this.writeLine.shift() : this.readLine.shift();
            this.take(isWrite);
            waiter.grant();
        }
        // Waiters that only a closed gate holds: one timer wakes the lines when it opens.
        const heldReads = !readsOpen && this.readLine.first !== undefined;
        const heldWrites = !writesOpen && this.writeLine.first !== undefined;
        if (!heldReads && !heldWrites) return;
        const opensAt = heldReads ? this.heldUntil(false) : this.heldUntil(true);
        if (this.wakeAt > now && this.wakeAt <= opensAt) return;
        this.wakeAt = opensAt;
        this.counters.gateWaits++;
        void this.options.delay(opensAt - now).then(() => {
            if (this.wakeAt === opensAt) this.wakeAt = 0;
            this.pump();
        });
    }
}

/** Whether a request spends the write budget (everything but GET, and `$batch` envelopes of GETs). */
export function isWriteRequest(request: PipelineRequest): boolean {
    return request.method !== "GET" && request.route !== "POST /$batch";
}

/**
 * Holds a permit of the adaptive limiter while one attempt is on the wire (in place of the fixed
 * semaphore), waits at the throttle gate first, and tells the limiter how the attempt went.
 */
export function adaptiveConcurrencyPolicy(limiter: AdaptiveLimiter, clock: Clock): PipelinePolicy {
    return {
        name: "adaptiveConcurrencyPolicy",
        async sendRequest(request, next) {
            const write = isWriteRequest(request);
            const weight = request.weight ?? 1;
            try {
                await limiter.pace(weight, request.signal);
                // The line holds the request while its gate is closed (see AdaptiveLimiter).
                await limiter.acquire(write, request.signal);
            } catch (err) {
                throw abortedError(request, err);
            }
            const sentAt = clock.now();
            request.sentAtMs = sentAt;
            try {
                const response = await next(request);
                const now = clock.now();
                if (isThrottlingResponse(response, now)) {
                    limiter.throttled(write ? "writes" : "all", parseRetryAfterMs(response.headers, now), sentAt);
                } else if (response.status < 500) {
                    limiter.succeeded(weight, write);
                }
                return response;
            } finally {
                limiter.release(write);
            }
        },
    };
}
