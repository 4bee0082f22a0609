import { abortedError } from "./httpError";
import type { PipelinePolicy, PipelineRequest } from "./pipeline";
import { parseRetryAfterMs } from "./retryAfter";
import type { Clock, Delay } from "./types";

/** Which requests a throttling answer holds back: every request, or the writes only. */
export type ThrottleScope = "all" | "writes";

/**
 * How many requests Graph counts one HTTP request as: the items of a `$batch` envelope (set by
 * the batch policy); 1 when absent.
 */
export const requestWeights = new WeakMap<PipelineRequest, number>();

/**
 * When each request last went on the wire (after the gate, the pace and the permit): a throttled
 * `$batch` item lowers the limits only when its envelope was sent after the last decrease.
 */
export const sentTimes = new WeakMap<PipelineRequest, number>();

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

export interface AdaptiveLimiterOptions {
  /** Most requests on the wire at once (the configured maxConcurrency). */
  max: number;
  /** Fewest; default 1. */
  min?: number;
  /** Start here; default `max`. */
  initial?: number;
  /** Factor applied after a throttling answer; default 0.5. */
  decrease?: number;
  clock: Clock;
  delay: Delay;
}

interface Waiter {
  grant(): void;
}

/**
 * Adaptive concurrency (AIMD) with a shared throttle gate:
 *
 * - The limit on requests in flight halves after a throttling answer (at most once per round:
 *   only a request sent after the last decrease can lower it again), and grows by one per
 *   `limit` successful answers (+1 per round trip's worth), up to `max`.
 * - A throttling answer's Retry-After closes a gate for the requests it concerns (a throttled
 *   read: every request, since reads and writes share the request budget; a throttled write: the
 *   writes), so requests that were not throttled yet do not spend the budget on answers that can
 *   only be 429 too. The throttled request itself waits in the retry policy, as before.
 * - Once reads were throttled, every request is paced to a learned rate ({@link RatePacer}),
 *   counting each `$batch` item: concurrency alone cannot keep batches of 20 under a request
 *   budget, and a gate that opens for everyone at once only moves the burst.
 */
export class AdaptiveLimiter {
  private current: number;
  private readonly min: number;
  private readonly max: number;
  private readonly factor: number;
  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  private lastDecreaseAt = -Infinity;
  private readonly blockedUntil: Record<ThrottleScope, number> = { all: 0, writes: 0 };
  /** Paces every request to the request budget's rate once throttling showed it (batch items count). */
  readonly pacer: RatePacer;
  /** Counters for reports and tests. */
  readonly counters = { decreases: 0, gateWaits: 0, lowest: 0 };

  constructor(private readonly options: AdaptiveLimiterOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new RangeError(`AdaptiveLimiter: max must be a positive integer, got ${options.max}`);
    this.max = options.max;
    this.min = Math.min(this.max, Math.max(1, options.min ?? 1));
    this.current = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
    this.factor = options.decrease ?? 0.5;
    this.counters.lowest = this.current;
    this.pacer = new RatePacer(options.clock);
  }

  /** The current limit (whole requests). */
  get limit(): number {
    return Math.floor(this.current);
  }

  get active(): number {
    return this.inFlight;
  }

  /** When requests of this kind may go again (the injected clock's ms; 0 = not held). */
  heldUntil(isWrite: boolean): number {
    return isWrite ? Math.max(this.blockedUntil.all, this.blockedUntil.writes) : this.blockedUntil.all;
  }

  /** Waits while the gate is closed for this kind of request, then for its slot at the learned rate. */
  async passGate(isWrite: boolean, signal?: AbortSignal, weight = 1): Promise<void> {
    for (;;) {
      const wait = this.heldUntil(isWrite) - this.options.clock.now();
      if (wait <= 0) break;
      this.counters.gateWaits++;
      await this.options.delay(wait, signal);
    }
    const paced = this.pacer.reserve(weight);
    if (paced > 0) await this.options.delay(paced, signal);
  }

  /** Resolves once a permit is free (FIFO). */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.inFlight < this.limit && this.queue.length === 0) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.queue.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Gives a permit back and wakes as many waiters as the limit now allows. */
  release(): void {
    this.inFlight--;
    this.pump();
  }

  /** A successful (not throttled) answer: additive increase. */
  succeeded(weight = 1): void {
    this.pacer.increase(weight);
    if (this.current < this.max) {
      this.current = Math.min(this.max, this.current + 1 / this.current);
      this.pump();
    }
  }

  /**
   * A throttling answer to a request handed down at `sentAtMs`: multiplicative decrease (once
   * per round) and the gate closed for `retryAfterMs`.
   */
  throttled(scope: ThrottleScope, retryAfterMs: number | undefined, sentAtMs: number): void {
    const now = this.options.clock.now();
    if (sentAtMs >= this.lastDecreaseAt) {
      // Reads and writes share the request budget: any throttling round lowers the pace.
      if (scope === "all") this.pacer.decrease();
      this.current = Math.max(this.min, this.current * this.factor);
      this.lastDecreaseAt = now;
      this.counters.decreases++;
      this.counters.lowest = Math.min(this.counters.lowest, this.limit);
    }
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.blockedUntil[scope] = Math.max(this.blockedUntil[scope], now + retryAfterMs);
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.limit) {
      this.inFlight++;
      this.queue.shift()!.grant();
    }
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
      const weight = requestWeights.get(request) ?? 1;
      try {
        await limiter.passGate(write, request.signal, weight);
        await limiter.acquire(request.signal);
      } catch (err) {
        throw abortedError(request, err);
      }
      const sentAt = clock.now();
      sentTimes.set(request, sentAt);
      try {
        const response = await next(request);
        const now = clock.now();
        const retryAfterMs = parseRetryAfterMs(response.headers, now);
        if (response.status === 429 || (response.status === 503 && retryAfterMs !== undefined)) {
          limiter.throttled(write ? "writes" : "all", retryAfterMs, sentAt);
        } else if (response.status < 500) {
          limiter.succeeded(weight);
        }
        return response;
      } finally {
        limiter.release();
      }
    },
  };
}
