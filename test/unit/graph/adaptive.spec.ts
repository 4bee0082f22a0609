import { strict as assert } from "node:assert";
import { GraphClient } from "../../../provider/graph";
import { AdaptiveLimiter, RatePacer } from "../../../provider/graph/adaptiveConcurrency";
import { countingTokenSource, fakeClock, ScriptedServer, startServer } from "./helpers";

describe("adaptive concurrency (AIMD) and the throttle gate", () => {
    describe("AdaptiveLimiter", () => {
        const make = (max = 8) => {
            const clock = fakeClock();
            const waits: number[] = [];
            const limiter = new AdaptiveLimiter({
                max,
                clock,
                delay: async (ms) => {
                    waits.push(ms);
                    clock.advance(ms);
                },
            });
            return { clock, waits, limiter };
        };

        it("halves after a throttling answer, once per round, and grows back by one per round of successes", () => {
            const { clock, limiter } = make(8);
            assert.equal(limiter.limit, 8);
            const sentAt = clock.now();
            clock.advance(10);
            limiter.throttled("all", undefined, sentAt);
            assert.equal(limiter.limit, 4);
            // Another answer to a request sent before that decrease is the same round: no second halving.
            limiter.throttled("all", undefined, sentAt);
            assert.equal(limiter.limit, 4);
            // One sent after it lowers the limit again.
            limiter.throttled("all", undefined, clock.now());
            assert.equal(limiter.limit, 2);
            for (let i = 0; i < 3; i++) limiter.throttled("all", undefined, clock.now() + 1 + i);
            assert.equal(limiter.limit, 1, "never below 1");
            // +1/limit per success: about `limit` successes per step up.
            let successes = 0;
            while (limiter.limit < 8) {
                limiter.succeeded();
                successes++;
            }
            assert.ok(successes > 20 && successes < 40, `${successes} successes from 1 back to 8`);
            for (let i = 0; i < 100; i++) limiter.succeeded();
            assert.equal(limiter.limit, 8, "never above max");
            assert.equal(limiter.counters.lowest, 1);
        });

        it("a throttled write lowers the limit on writes only; reads keep theirs", () => {
            const { clock, limiter } = make(8);
            limiter.throttled("writes", undefined, clock.now());
            clock.advance(1);
            limiter.throttled("writes", undefined, clock.now());
            assert.deepEqual([limiter.limit, limiter.writeLimit], [8, 2]);
            // Successful reads do not raise the write limit; successful writes do.
            for (let i = 0; i < 50; i++) limiter.succeeded(1, false);
            assert.equal(limiter.writeLimit, 2);
            for (let i = 0; i < 50; i++) limiter.succeeded(1, true);
            assert.equal(limiter.writeLimit, 8);
            assert.deepEqual([limiter.counters.lowest, limiter.counters.lowestWrites], [8, 2]);
        });

        it("a read does not wait in line behind writes that the write limit holds", async () => {
            const { clock, limiter } = make(4);
            limiter.throttled("writes", undefined, clock.now());
            clock.advance(1);
            limiter.throttled("writes", undefined, clock.now());
            assert.equal(limiter.writeLimit, 1);
            const order: string[] = [];
            await limiter.acquire(true);
            const writes = [1, 2].map((i) => limiter.acquire(true).then(() => order.push(`write ${i}`)));
            const read = limiter.acquire(false).then(() => order.push("read"));
            await read;
            assert.deepEqual(order, ["read"]);
            assert.equal(limiter.active, 2);
            limiter.release(true);
            await writes[0];
            assert.deepEqual(order, ["read", "write 1"], "writes keep their order");
            limiter.release(true);
            await writes[1];
            assert.deepEqual(order, ["read", "write 1", "write 2"]);
        });

        it("holds only the permits the limit allows, waking waiters in order as it grows", async () => {
            const { clock, limiter } = make(4);
            limiter.throttled("all", undefined, clock.now());
            assert.equal(limiter.limit, 2);
            const order: number[] = [];
            await limiter.acquire();
            await limiter.acquire();
            const third = limiter.acquire().then(() => order.push(3));
            const fourth = limiter.acquire().then(() => order.push(4));
            await new Promise((r) => setImmediate(r));
            assert.deepEqual(order, []);
            limiter.release();
            await third;
            assert.deepEqual(order, [3]);
            // Growing to 3 lets the fourth in without a release.
            while (limiter.limit < 3) limiter.succeeded();
            await fourth;
            assert.deepEqual(order, [3, 4]);
            assert.equal(limiter.active, 3);
        });

        it("a line holds its requests while their gate is closed, and one timer lets them go when it opens", async () => {
            const clock = fakeClock();
            const timers: Array<{ at: number; fire: () => void }> = [];
            const limiter = new AdaptiveLimiter({ max: 8, clock, delay: (ms) => new Promise<void>((fire) => timers.push({ at: clock.now() + ms, fire })) });
            limiter.throttled("writes", 1000, clock.now());
            assert.deepEqual([limiter.limit, limiter.writeLimit], [8, 4]);
            const order: string[] = [];
            const writes = [1, 2, 3].map((i) => limiter.acquire(true).then(() => order.push(`write ${i}`)));
            await limiter.acquire(false);
            order.push("read");
            await new Promise((r) => setImmediate(r));
            assert.deepEqual(order, ["read"], "the reads' gate is open; the writes' is not");
            assert.equal(timers.length, 1, "one timer for the whole line");
            assert.equal(timers[0].at, clock.now() + 1000);
            clock.advance(1000);
            timers[0].fire();
            await Promise.all(writes);
            assert.deepEqual(order, ["read", "write 1", "write 2", "write 3"]);
            assert.equal(limiter.active, 4);
        });

        it("a throttled write holds back the writes until Retry-After, not the reads; a throttled read holds back all", async () => {
            const { clock, waits, limiter } = make();
            // Through the line, as a request goes: the permit, then back.
            const pass = async (isWrite: boolean) => {
                await limiter.acquire(isWrite);
                limiter.release(isWrite);
            };
            limiter.throttled("writes", 2000, clock.now());
            await pass(false);
            assert.deepEqual(waits, []);
            await pass(true);
            assert.deepEqual(waits, [2000]);
            limiter.throttled("all", 500, clock.now());
            await pass(false);
            assert.deepEqual(waits, [2000, 500]);
            limiter.throttled("all", 300, clock.now());
            await pass(true);
            assert.deepEqual(waits, [2000, 500, 300]);
            await pass(true);
            await pass(false);
            assert.equal(waits.length, 3, "the gate is open again");
        });
    });

    describe("RatePacer", () => {
        it("is unlimited until throttled, then paces just under what Graph admitted, recovers, forgets", () => {
            const clock = fakeClock();
            const pacer = new RatePacer(clock, 1000, 20, 30_000, 5000);
            clock.advance(10_000);
            for (let i = 0; i < 50; i++) assert.equal(pacer.reserve(20), 0, "no pacing before a throttle");
            // Graph admitted 4,000 items over the last 5 s (800/s): the pace becomes 760 items/s.
            for (let i = 0; i < 5; i++) {
                clock.advance(999);
                pacer.increase(800);
            }
            pacer.decrease();
            assert.equal(pacer.itemsPerSecond, 760);
            // A second's burst goes at once (760 items = 38 batches of 20), then each batch waits its turn.
            const waits = Array.from({ length: 41 }, () => pacer.reserve(20));
            assert.deepEqual(waits.slice(0, 38), Array(38).fill(0));
            assert.ok(waits[39] > 0 && waits[40] > waits[39], `waits ${waits.slice(36)}`);
            pacer.increase(200);
            assert.equal(pacer.itemsPerSecond, 770);
            clock.advance(30_001);
            assert.equal(pacer.reserve(20), 0);
            assert.equal(pacer.itemsPerSecond, Infinity, "forgotten after a quiet spell");
        });

        it("without admitted answers to go by, lowers the pace by a fifth, never below the minimum", () => {
            const clock = fakeClock();
            const pacer = new RatePacer(clock, 1000, 20, 30_000, 5000);
            for (let i = 0; i < 50; i++) pacer.reserve(20);
            pacer.decrease();
            assert.equal(pacer.itemsPerSecond, 800, "80% of the 1,000 items sent in the last second");
            clock.advance(6000);
            pacer.decrease();
            assert.equal(pacer.itemsPerSecond, 640);
            for (let i = 0; i < 40; i++) pacer.decrease();
            assert.equal(pacer.itemsPerSecond, 20);
        });
    });

    describe("GraphClient with adaptive: true", () => {
        let server: ScriptedServer | undefined;
        afterEach(async () => {
            await server?.close();
            server = undefined;
        });

        it("after a 429 with Retry-After no other write is sent until the wait is over", async () => {
            const started = Date.now();
            const times: Array<{ at: number; method: string; status: number }> = [];
            let throttledOnce = false;
            server = await startServer((req) => {
                const at = Date.now() - started;
                if (req.method === "POST" && !throttledOnce) {
                    throttledOnce = true;
                    times.push({ at, method: req.method, status: 429 });
                    return { status: 429, headers: { "Retry-After": "0.4" }, body: { error: { code: "TooManyRequests", message: "slow down" } } };
                }
                times.push({ at, method: req.method, status: 200 });
                return { status: 200, body: {} };
            });
            const graph = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), adaptive: true, maxConcurrency: 1 });
            const first = graph.send({ method: "POST", apiVersion: "beta", path: "/deviceManagement/d/1/act", body: {}, idempotent: true });
            await new Promise((r) => setTimeout(r, 100));
            // Sent after the 429 came back: these wait at the gate; the read does not.
            const later = [2, 3, 4].map((i) =>
                graph.send({ method: "POST", apiVersion: "beta", path: `/deviceManagement/d/${i}/act`, body: {}, idempotent: true }),
            );
            const read = graph.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/d/9" });
            await Promise.all([first, ...later, read]);
            const throttledAt = times.find((t) => t.status === 429)!.at;
            const writesAfter = times.filter((t) => t.method === "POST" && t.status === 200);
            assert.equal(writesAfter.length, 4);
            for (const w of writesAfter)
                assert.ok(w.at >= throttledAt + 380, `a write went at ${w.at} ms, the 429 came at ${throttledAt} ms with Retry-After 0.4 s`);
            const readAt = times.find((t) => t.method === "GET")!.at;
            assert.ok(readAt < throttledAt + 350, `the read waited too (${readAt} ms)`);
            assert.equal(times.filter((t) => t.status === 429).length, 1, "no write was refused twice");
            assert.equal(graph.stats().concurrency?.decreases, 1);
            await graph.close();
        });

        it("writes that queued for a permit while a 429 closed the gate wait in line for it to open instead of going", async () => {
            let refusedUntil = 0;
            const sent: Array<{ method: string; status: number }> = [];
            server = await startServer((req) => {
                if (req.method === "POST" && (refusedUntil === 0 || Date.now() < refusedUntil)) {
                    refusedUntil = refusedUntil || Date.now() + 400;
                    sent.push({ method: req.method, status: 429 });
                    return (_r, res) =>
                        setTimeout(
                            () =>
                                res
                                    .writeHead(429, { "content-type": "application/json", "Retry-After": "0.4" })
                                    .end('{"error":{"code":"TooManyRequests","message":"x"}}'),
                            30,
                        );
                }
                sent.push({ method: req.method, status: 200 });
                return { status: 200, body: {} };
            });
            const graph = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), adaptive: true, maxConcurrency: 1 });
            // All five pass the open gate at once and line up for the one permit.
            await Promise.all(
                [1, 2, 3, 4, 5].map((i) =>
                    graph.send({ method: "POST", apiVersion: "beta", path: `/deviceManagement/d/${i}/act`, body: {}, idempotent: true }),
                ),
            );
            assert.deepEqual(
                sent.map((s) => s.status),
                [429, 200, 200, 200, 200, 200],
                "the four queued writes waited out the Retry-After instead of drawing 429s",
            );
            assert.ok(graph.stats().concurrency!.gateWaits >= 1, JSON.stringify(graph.stats().concurrency));
            await graph.close();
        });

        it("keeps no more requests in flight than the lowered limit", async () => {
            let n = 0;
            server = await startServer((_req) => {
                n++;
                if (n <= 1) return { status: 429, headers: { "Retry-After": "0" }, body: { error: { code: "TooManyRequests", message: "x" } } };
                return (_r, res) => setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end("{}"), 20);
            });
            const graph = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), adaptive: true, maxConcurrency: 8 });
            await graph.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/d/0" });
            assert.equal(graph.stats().concurrency?.limit, 4);
            await Promise.all(Array.from({ length: 8 }, (_, i) => graph.send({ method: "DELETE", apiVersion: "beta", path: `/deviceManagement/d/${i}` })));
            assert.ok(server.maxInFlight <= 5, `max in flight ${server.maxInFlight}`);
            await graph.close();
        });
    });
});
