/**
 * One way to combine requests. A {@link Combiner} gathers what arrives within a window under a
 * key, sends one combined request for it and hands each caller its own part of the answer: the
 * `$batch` envelope, the bulk import call, the shared listings of import states and import records.
 * {@link Kept} holds a combined answer (or a read) for the callers that come after it, until it is
 * stale: the listings that answer refresh reads and creates, the device read handed from one step
 * to the next. A use says only its key, its window, and how to combine and split.
 */

/** Time as the combiners see it: injected in tests, so that no test sleeps. */
export interface Timers {
    now(): number;
    /**
     * Calls `fn` after `ms` (0: on the event loop's next turn); returns what cancels the call. A
     * `background` call does not keep the process alive (a pending request's timer must).
     */
    after(ms: number, fn: () => void, background?: boolean): () => void;
}

/** The process's clock and timers (tests inject their own). */
export const realTimers: Timers = {
    now: () => Date.now(),
    after(ms, fn, background) {
        if (ms <= 0 && !background) {
            const immediate = setImmediate(fn);
            return () => clearImmediate(immediate);
        }
        const timer = setTimeout(fn, ms);
        if (background) timer.unref();
        return () => clearTimeout(timer);
    },
};

/** What a {@link Combiner} is told: its window, its limits, and how to send and answer. */
export interface CombinerOptions<T, R> {
    /** How long a gathering waits for one more arrival (each arrival extends it); 0: the next turn. */
    windowMs: number;
    /** The longest the first arrival waits for company; default `windowMs` (a window fixed at it). */
    maxWaitMs?: number;
    /** A gathering this full goes at once; default no limit. */
    maxItems?: number;
    /**
     * Combined requests in flight at once over all keys; default no limit. While that many are out,
     * arrivals keep gathering (fuller requests instead of small ones that would only wait for a
     * connection), and when one returns the fullest gathering whose window passed goes.
     */
    capacity?: () => number;
    /** Items with the same value here never share a request (the later waits for the next). */
    distinctBy?(item: T): string;
    /**
     * Sends one request for `items` (never empty) and answers each, in order; a rejection is every
     * item's. `signal` aborts once every item's caller gave up (never while one cannot).
     */
    send(items: T[], key: string, signal: AbortSignal): Promise<ReadonlyArray<R | Promise<R>>>;
    /** What an item whose signal aborted before its answer rejects with; default the signal's reason. */
    aborted?(item: T, reason: unknown): unknown;
    timers?: Timers;
}

interface Entry<T, R> {
    item: T;
    resolve(answer: R | Promise<R>): void;
    reject(error: unknown): void;
    signal?: AbortSignal;
    onAbort?: () => void;
    done: boolean;
}

/** What waits under one key; `due`: its window passed (or it is full) and it waits for capacity. */
interface Gathering<T, R> {
    key: string;
    entries: Entry<T, R>[];
    firstAt?: number;
    cancelTimer?: () => void;
    due: boolean;
}

/** Gathers items under keys and sends each gathering as one request; see the module comment. */
export class Combiner<T, R> {
    private readonly gatherings = new Map<string, Gathering<T, R>>();
    private inFlight = 0;
    private readonly maxWaitMs: number;
    private readonly maxItems: number;
    private readonly timers: Timers;

    constructor(private readonly options: CombinerOptions<T, R>) {
        this.maxWaitMs = Math.max(options.windowMs, options.maxWaitMs ?? options.windowMs);
        this.maxItems = options.maxItems ?? Infinity;
        this.timers = options.timers ?? realTimers;
    }

    /** Adds `item` to the gathering of `key`; resolves with its part of the combined answer. */
    add(item: T, key = "", signal?: AbortSignal): Promise<R> {
        return new Promise<R>((resolve, reject) => {
            const entry: Entry<T, R> = { item, resolve, reject, signal, done: false };
            if (signal?.aborted) return this.abort(entry);
            if (signal) {
                entry.onAbort = () => this.abort(entry);
                signal.addEventListener("abort", entry.onAbort, { once: true });
            }
            let gathering = this.gatherings.get(key);
            if (!gathering) {
                gathering = { key, entries: [], due: false };
                this.gatherings.set(key, gathering);
            }
            gathering.entries.push(entry);
            this.schedule(gathering);
        });
    }

    private abort(entry: Entry<T, R>): void {
        const reason = entry.signal?.reason ?? new Error("aborted");
        this.settle(entry, () => entry.reject(this.options.aborted ? this.options.aborted(entry.item, reason) : reason));
    }

    private settle(entry: Entry<T, R>, hand: () => void): void {
        if (entry.done) return;
        entry.done = true;
        if (entry.onAbort) entry.signal?.removeEventListener("abort", entry.onAbort);
        hand();
    }

    private schedule(g: Gathering<T, R>): void {
        if (g.entries.length >= this.maxItems || g.due) return this.flush(g);
        const now = this.timers.now();
        // A window fixed at the first arrival needs its one timer only.
        if (g.cancelTimer && this.maxWaitMs === this.options.windowMs) return;
        g.firstAt ??= now;
        g.cancelTimer?.();
        g.cancelTimer = this.timers.after(Math.max(0, Math.min(this.options.windowMs, g.firstAt + this.maxWaitMs - now)), () => this.flush(g));
    }

    /** Sends the gathering's next request if capacity allows; otherwise it waits for capacity. */
    private flush(g: Gathering<T, R>): void {
        g.cancelTimer?.();
        g.cancelTimer = undefined;
        g.due = true;
        if (this.inFlight >= Math.max(1, this.options.capacity?.() ?? Infinity)) return;
        g.due = false;
        g.firstAt = undefined;
        const taken = this.take(g);
        if (g.entries.length === 0) this.gatherings.delete(g.key);
        else this.schedule(g);
        if (taken.length === 0) return;
        this.inFlight++;
        void this.send(g.key, taken).finally(() => {
            this.inFlight--;
            let fullest: Gathering<T, R> | undefined;
            for (const w of this.gatherings.values()) {
                if ((w.due || w.entries.length >= this.maxItems) && w.entries.length > (fullest?.entries.length ?? -1)) fullest = w;
            }
            if (fullest) this.flush(fullest);
        });
    }

    /** Up to `maxItems` live entries that may share a request; the rest stay. */
    private take(g: Gathering<T, R>): Entry<T, R>[] {
        const taken: Entry<T, R>[] = [];
        const rest: Entry<T, R>[] = [];
        const seen = new Set<string>();
        const { distinctBy } = this.options;
        for (const e of g.entries) {
            if (e.done) continue;
            const k = distinctBy?.(e.item);
            if (taken.length >= this.maxItems || (k !== undefined && seen.has(k))) {
                rest.push(e);
                continue;
            }
            if (k !== undefined) seen.add(k);
            taken.push(e);
        }
        g.entries = rest;
        return taken;
    }

    private async send(key: string, entries: Entry<T, R>[]): Promise<void> {
        const gaveUp = new AbortController();
        let left = entries.every((e) => e.signal) ? entries.length : Infinity;
        const onAbort = (event: Event): void => void (--left === 0 && gaveUp.abort((event.target as AbortSignal).reason));
        for (const e of entries) e.signal?.addEventListener("abort", onAbort, { once: true });
        let answers: ReadonlyArray<R | Promise<R>>;
        try {
            answers = await this.options.send(
                entries.map((e) => e.item),
                key,
                gaveUp.signal,
            );
        } catch (error) {
            for (const e of entries) this.settle(e, () => e.reject(error));
            return;
        } finally {
            for (const e of entries) e.signal?.removeEventListener("abort", onAbort);
        }
        entries.forEach((e, i) => this.settle(e, () => e.resolve(answers[i])));
    }
}

/** How long a {@link Kept} keeps its values. */
export interface KeptOptions {
    /** A value is stale this long after it was kept. */
    maxAgeMs: number;
    /** ... and this long after its last use, once it is ready (see {@link Kept.keep}); default never. */
    idleMs?: number;
    /** At most this many values; the oldest go first. Default no limit. */
    capacity?: number;
    /** With timers, a ready value is dropped when it goes stale (its memory), not at the next look. */
    timers?: Timers;
}

type KeptEntry<V> = { value: V; at: number; usedAt: number; ready: boolean };

/** Values kept under a key for those who come after, until they are stale; see the module comment. */
export class Kept<V> {
    private readonly entries = new Map<string, KeptEntry<V>>();

    constructor(private readonly options: KeptOptions) {}

    /** Keeps `value` as of `at`; idleness counts once it is `ready` (a listing still running is not idle). */
    keep(key: string, value: V, at: number, ready = true): void {
        this.entries.delete(key);
        this.entries.set(key, { value, at, usedAt: at, ready });
        // Insertion order is age order: drop the oldest past the capacity, and any that went stale.
        for (const [k, e] of this.entries) {
            if (this.entries.size <= (this.options.capacity ?? Infinity) && !this.stale(e, at)) break;
            this.entries.delete(k);
        }
        if (ready) this.dropWhenStale(key);
    }

    /** The value while it is fresh at `now` (a use), else undefined (a stale one is dropped). */
    get(key: string, now: number): V | undefined {
        const e = this.entries.get(key);
        if (!e || this.stale(e, now)) return void this.entries.delete(key);
        e.usedAt = Math.max(e.usedAt, now);
        return e.value;
    }

    /** The value while it is fresh at `now`, handed over once. */
    take(key: string, now: number): V | undefined {
        const value = this.get(key, now);
        this.entries.delete(key);
        return value;
    }

    /** From now on the value's idleness counts. */
    ready(key: string, value: V): void {
        const e = this.entries.get(key);
        if (!e || e.value !== value) return;
        e.ready = true;
        this.dropWhenStale(key);
    }

    /** Drops the value under `key` (only `value`, when given). */
    drop(key: string, value?: V): void {
        if (value === undefined || this.entries.get(key)?.value === value) this.entries.delete(key);
    }

    private stale(e: KeptEntry<V>, now: number): boolean {
        const age = now - e.at;
        return age < 0 || age > this.options.maxAgeMs || (e.ready && this.options.idleMs !== undefined && now - e.usedAt > this.options.idleMs);
    }

    private dropWhenStale(key: string): void {
        const { timers, idleMs, maxAgeMs } = this.options;
        const e = this.entries.get(key);
        if (!timers || !e) return;
        const check = (): void => {
            if (this.entries.get(key) !== e) return;
            const now = timers.now();
            if (this.stale(e, now)) return void this.entries.delete(key);
            timers.after(Math.max(10, Math.min(e.usedAt + (idleMs ?? Infinity), e.at + maxAgeMs) - now + 1), check, true);
        };
        check();
    }
}
