// The one way requests are combined (combiner.ts), on injected timers: no test sleeps.
import { strict as assert } from "node:assert";
import { Combiner, Kept, type Timers } from "../../../provider/graph/combiner";

/** Timers on a clock that only `advance` moves. */
function fakeTimers() {
    let now = 1000;
    let seq = 0;
    const pending = new Map<number, { at: number; fn: () => void }>();
    const timers: Timers = {
        now: () => now,
        after(ms, fn) {
            const id = seq++;
            pending.set(id, { at: now + Math.max(0, ms), fn });
            return () => pending.delete(id);
        },
    };
    const settle = () => new Promise((r) => setImmediate(r));
    return {
        timers,
        pending,
        async advance(ms: number) {
            const until = now + ms;
            for (;;) {
                const next = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
                if (!next) break;
                pending.delete(next[0]);
                now = next[1].at;
                next[1].fn();
                await settle();
            }
            now = until;
            await settle();
        },
    };
}

/** A combiner that records each request and answers each item with `item:key`. */
function recording(options: Partial<ConstructorParameters<typeof Combiner<string, string>>[0]> = {}) {
    const t = fakeTimers();
    const sent: Array<{ key: string; items: string[] }> = [];
    const combiner = new Combiner<string, string>({
        windowMs: 20,
        timers: t.timers,
        send: async (items, key) => {
            sent.push({ key, items });
            return items.map((i) => `${i}:${key}`);
        },
        ...options,
    });
    return { t, sent, combiner };
}

describe("combining requests (combiner.ts)", () => {
    it("gathers what arrives within the window under one key into one request, and hands each caller its part", async () => {
        const { t, sent, combiner } = recording();
        const answers = Promise.all([combiner.add("a", "v1"), combiner.add("b", "v1"), combiner.add("c", "beta")]);
        await t.advance(19);
        assert.equal(sent.length, 0);
        await t.advance(1);
        assert.deepEqual(await answers, ["a:v1", "b:v1", "c:beta"]);
        assert.deepEqual(sent, [
            { key: "v1", items: ["a", "b"] },
            { key: "beta", items: ["c"] },
        ]);
    });

    it("each arrival extends the window, up to maxWaitMs after the first; a fixed window does not move", async () => {
        const { t, sent, combiner } = recording({ windowMs: 20, maxWaitMs: 50 });
        for (let i = 0; i < 3; i++) {
            void combiner.add(`x${i}`);
            await t.advance(15);
        }
        void combiner.add("x3");
        await t.advance(4);
        assert.equal(sent.length, 0, "still gathering 49 ms after the first");
        await t.advance(1);
        assert.deepEqual(
            sent.map((s) => s.items.length),
            [4],
            "sent 50 ms after the first",
        );

        const fixed = recording({ windowMs: 100 });
        void fixed.combiner.add("p");
        await fixed.t.advance(90);
        void fixed.combiner.add("q");
        await fixed.t.advance(10);
        assert.deepEqual(fixed.sent, [{ key: "", items: ["p", "q"] }]);
    });

    it("a full gathering goes at once; what is left waits for a window of its own", async () => {
        const { t, sent, combiner } = recording({ maxItems: 3 });
        const all = ["1", "2", "3", "4", "5", "6", "7"].map((i) => combiner.add(i));
        await t.advance(0);
        assert.deepEqual(
            sent.map((s) => s.items),
            [
                ["1", "2", "3"],
                ["4", "5", "6"],
            ],
        );
        await t.advance(20);
        assert.deepEqual(
            sent.map((s) => s.items),
            [["1", "2", "3"], ["4", "5", "6"], ["7"]],
        );
        assert.equal((await Promise.all(all)).length, 7);
    });

    it("items with the same distinct value never share a request", async () => {
        const { t, sent, combiner } = recording({ distinctBy: (i) => i.toLowerCase() });
        void combiner.add("A");
        void combiner.add("a");
        void combiner.add("B");
        await t.advance(20);
        await t.advance(20);
        assert.deepEqual(
            sent.map((s) => s.items),
            [["A", "B"], ["a"]],
        );
    });

    it("past its capacity it keeps gathering, and the fullest gathering whose window passed goes when a request returns", async () => {
        const t = fakeTimers();
        const sent: string[][] = [];
        const release: Array<() => void> = [];
        const combiner = new Combiner<string, string>({
            windowMs: 10,
            capacity: () => 1,
            timers: t.timers,
            send: (items) => {
                sent.push(items);
                return new Promise((r) => release.push(() => r(items)));
            },
        });
        void combiner.add("first", "a");
        await t.advance(10);
        void combiner.add("b1", "b");
        void combiner.add("c1", "c");
        void combiner.add("c2", "c");
        await t.advance(10);
        assert.deepEqual(sent, [["first"]], "one request in flight at most");
        release.shift()!();
        await t.advance(0);
        assert.deepEqual(sent, [["first"], ["c1", "c2"]], "the fullest goes first");
        release.shift()!();
        await t.advance(0);
        assert.deepEqual(sent, [["first"], ["c1", "c2"], ["b1"]]);
    });

    it("a failed request is every item's failure; an aborted item rejects alone and is left out of the request", async () => {
        const t = fakeTimers();
        const sent: string[][] = [];
        const combiner = new Combiner<string, string>({
            windowMs: 10,
            timers: t.timers,
            aborted: (item, reason) => new Error(`${item}: ${String(reason)}`),
            send: async (items) => {
                sent.push(items);
                throw new Error("envelope failed");
            },
        });
        const gone = new AbortController();
        const results = Promise.allSettled([combiner.add("kept"), combiner.add("gone", "", gone.signal), combiner.add("also")]);
        gone.abort("cancelled");
        await t.advance(10);
        const [kept, aborted, also] = await results;
        assert.deepEqual(sent, [["kept", "also"]]);
        assert.equal((aborted as PromiseRejectedResult).reason.message, "gone: cancelled");
        assert.equal((kept as PromiseRejectedResult).reason.message, "envelope failed");
        assert.equal((also as PromiseRejectedResult).reason.message, "envelope failed");
    });

    it("a request's signal aborts once every caller gave up, never while one without a signal waits", async () => {
        const t = fakeTimers();
        const signals: AbortSignal[] = [];
        const combiner = new Combiner<string, string>({
            windowMs: 10,
            timers: t.timers,
            send: (items, _key, signal) => (signals.push(signal), new Promise(() => undefined)),
        });
        const a = new AbortController();
        const b = new AbortController();
        void combiner.add("a", "", a.signal).catch(() => undefined);
        void combiner.add("b", "", b.signal).catch(() => undefined);
        void combiner.add("c", "other").catch(() => undefined);
        await t.advance(10);
        a.abort("a gave up");
        assert.equal(signals[0].aborted, false, "b still waits");
        b.abort("b gave up");
        assert.equal(signals[0].aborted, true);
        assert.equal(signals[0].reason, "b gave up");
        assert.equal(signals[1].aborted, false, "a caller without a signal never gives up");
    });

    it("a 0 ms window gathers until the next turn", async () => {
        const sent: string[][] = [];
        const combiner = new Combiner<string, string>({ windowMs: 0, send: async (items) => (sent.push(items), items) });
        const answers = Promise.all([combiner.add("a"), combiner.add("b")]);
        assert.equal(sent.length, 0);
        assert.deepEqual(await answers, ["a", "b"]);
        assert.deepEqual(sent, [["a", "b"]]);
    });
});

describe("keeping answers until they are stale (combiner.ts Kept)", () => {
    it("a value is fresh until maxAgeMs after it was kept, and a take hands it over once", () => {
        const kept = new Kept<string>({ maxAgeMs: 100 });
        kept.keep("k", "v", 1000);
        assert.equal(kept.get("k", 1100), "v");
        assert.equal(kept.get("k", 1101), undefined);
        kept.keep("k", "w", 2000);
        assert.equal(kept.get("k", 1999), undefined, "a value from the future is not trusted");
        kept.keep("k", "w", 2000);
        assert.equal(kept.take("k", 2050), "w");
        assert.equal(kept.take("k", 2051), undefined);
    });

    it("idleness counts only once the value is ready; past the capacity the oldest go", async () => {
        const kept = new Kept<string>({ maxAgeMs: 1000, idleMs: 10 });
        kept.keep("listing", "running", 0, false);
        assert.equal(kept.get("listing", 50), "running", "not idle while it is not ready");
        kept.ready("listing", "running");
        assert.equal(kept.get("listing", 60), "running");
        assert.equal(kept.get("listing", 71), undefined);

        const few = new Kept<number>({ maxAgeMs: 1000, capacity: 2 });
        [1, 2, 3].forEach((n) => few.keep(String(n), n, n));
        assert.deepEqual(
            ["1", "2", "3"].map((k) => few.get(k, 5)),
            [undefined, 2, 3],
        );
    });

    it("with timers, a ready value is dropped when it goes stale", async () => {
        const t = fakeTimers();
        const kept = new Kept<string>({ maxAgeMs: 1000, idleMs: 50, timers: t.timers });
        kept.keep("k", "v", t.timers.now());
        await t.advance(30);
        assert.equal(kept.get("k", t.timers.now()), "v");
        await t.advance(81);
        assert.equal(t.pending.size, 0, "no timer left");
        assert.equal(kept.get("k", t.timers.now() - 81), undefined, "dropped, not only stale");
    });
});
