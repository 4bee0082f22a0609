import { strict as assert } from "node:assert";
import type { ServerResponse } from "node:http";
import { Agent } from "undici";
import { GraphClient, Semaphore } from "../../../provider/graph";
import { countingTokenSource, recordingDelay, startServer, type ScriptedServer } from "./helpers";

describe("GraphClient: concurrency bound", () => {
    let server: ScriptedServer | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    // Holds every answer until the test lets it go, so requests pile up at the server.
    async function holdingServer() {
        const held: ServerResponse[] = [];
        server = await startServer(() => (_req, res) => held.push(res));
        const releaseOne = () => {
            const res = held.shift();
            res?.writeHead(200, { "content-type": "application/json" });
            res?.end("{}");
        };
        return { server, held, releaseOne };
    }

    const settle = () => new Promise((r) => setTimeout(r, 50));

    for (const withOwnAgent of [true, false]) {
        it(`keeps at most maxConcurrency requests in flight (${withOwnAgent ? "own agent" : "unbounded dispatcher passed in"})`, async () => {
            const { server, held, releaseOne } = await holdingServer();
            // Passing an Agent without a connection limit shows the client's own bound at work.
            const dispatcher = withOwnAgent ? undefined : new Agent();
            const client = new GraphClient({
                baseUrl: server.origin,
                tokenSource: countingTokenSource(),
                maxConcurrency: 3,
                delay: recordingDelay().delay,
                dispatcher,
            });
            const all = Promise.all(Array.from({ length: 10 }, (_, i) => client.send({ method: "GET", apiVersion: "beta", path: `/items/${i}` })));
            await settle();
            assert.equal(server.inFlight, 3);
            while (server.requests.length < 10 || held.length > 0) {
                releaseOne();
                await settle();
                assert.ok(server.inFlight <= 3);
            }
            await all;
            assert.equal(server.maxInFlight, 3);
            assert.equal(server.requests.length, 10);
            await client.close();
            await dispatcher?.close();
        });
    }
});

describe("Semaphore", () => {
    it("grants in FIFO order and hands a released permit to the next waiter", async () => {
        const s = new Semaphore(1);
        const order: number[] = [];
        const r0 = await s.acquire();
        const waiters = [1, 2, 3].map((n) => s.acquire().then((release) => (order.push(n), release)));
        assert.equal(s.waiting, 3);
        r0();
        r0(); // a second call must not free a second permit
        const r1 = await waiters[0];
        assert.equal(s.inUse, 1);
        assert.equal(s.waiting, 2);
        r1();
        (await waiters[1])();
        (await waiters[2])();
        assert.deepEqual(order, [1, 2, 3]);
        assert.equal(s.inUse, 0);
    });

    it("drops a waiter whose signal aborts", async () => {
        const s = new Semaphore(1);
        const r0 = await s.acquire();
        const ac = new AbortController();
        const aborted = s.acquire(ac.signal);
        const next = s.acquire();
        ac.abort(new Error("gone"));
        await assert.rejects(aborted, /gone/);
        assert.equal(s.waiting, 1);
        r0();
        (await next)();
        assert.equal(s.inUse, 0);
    });

    it("rejects a limit below 1", () => {
        assert.throws(() => new Semaphore(0), RangeError);
    });
});
