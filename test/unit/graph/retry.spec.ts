import { strict as assert } from "node:assert";
import { getEventListeners } from "node:events";
import { Agent } from "undici";
import { GraphClient, GraphError, realDelay, type Delay, type GraphClientOptions } from "../../../provider/graph";
import { countingTokenSource, fakeClock, graphError, recordingDelay, rejectionOf, startServer, type Answer, type ScriptedServer } from "./helpers";

const THROTTLED = graphError("TooManyRequests", "Please retry again later.", "94fb3b52-452a-4535-a601-69e0a90e3aa2");

describe("GraphClient: retries", () => {
    let server: ScriptedServer | undefined;
    let client: GraphClient | undefined;
    afterEach(async () => {
        await client?.close();
        await server?.close();
        client = server = undefined;
    });

    async function setup(script: Answer[], extra: Partial<GraphClientOptions> = {}) {
        server = await startServer(script);
        const rec = recordingDelay();
        const clock = fakeClock();
        const lines: string[] = [];
        client = new GraphClient({
            baseUrl: server.origin,
            tokenSource: countingTokenSource(),
            delay: rec.delay,
            clock,
            logger: (l) => lines.push(l),
            ...extra,
        });
        return { client, server, waits: rec.waits, clock, lines };
    }

    const get = { method: "GET", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" } as const;
    const create = {
        method: "POST",
        apiVersion: "v1.0",
        path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
        route: "POST /deviceManagement/importedWindowsAutopilotDeviceIdentities",
        body: { serialNumber: "SN1", hardwareIdentifier: "SECRET-HASH" },
    } as const;

    describe("throttling strategy (429/503 with a wait header)", () => {
        it("waits exactly Retry-After seconds", async () => {
            const t = await setup([
                { status: 429, headers: { "retry-after": "10" }, body: THROTTLED },
                { status: 200, body: { ok: 1 } },
            ]);
            const res = await t.client.send(get);
            assert.deepEqual(t.waits, [10_000]);
            assert.equal(res.attempts, 2);
            assert.equal(t.server.requests.length, 2);
            assert.match(t.lines[0], /-> 429 \(attempt 1\); retrying in 10000 ms \(Retry-After\)/);
        });

        it("waits fractional seconds to the millisecond, never less", async () => {
            const t = await setup([
                { status: 429, headers: { "retry-after": "2.128" } },
                { status: 429, headers: { "retry-after": "0.1701" } },
                { status: 200, body: {} },
            ]);
            await t.client.send(get);
            assert.deepEqual(t.waits, [2128, 171]);
        });

        it("measures an HTTP date against the injected clock", async () => {
            const t = await setup([
                { status: 429, headers: { "retry-after": "Wed, 21 Oct 2015 07:28:07 GMT" } },
                { status: 200, body: {} },
            ]);
            t.clock.set(Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"));
            await t.client.send(get);
            assert.deepEqual(t.waits, [7000]);
        });

        it("never retries at once: 0 and a past date wait the minimum", async () => {
            const t = await setup([
                { status: 429, headers: { "retry-after": "0" } },
                { status: 429, headers: { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" } },
                { status: 200, body: {} },
            ]);
            await t.client.send(get);
            assert.deepEqual(t.waits, [100, 100]);
        });

        it("prefers x-ms-retry-after-ms to Retry-After", async () => {
            const t = await setup([
                { status: 429, headers: { "retry-after": "10", "x-ms-retry-after-ms": "1500" } },
                { status: 200, body: {} },
            ]);
            await t.client.send(get);
            assert.deepEqual(t.waits, [1500]);
        });

        it("honours Retry-After on 503 too", async () => {
            const t = await setup([
                { status: 503, headers: { "retry-after": "3" } },
                { status: 200, body: {} },
            ]);
            await t.client.send(get);
            assert.deepEqual(t.waits, [3000]);
        });
    });

    describe("exponential strategy", () => {
        const ceilings = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000];

        it("backs off with full jitter up to the ceiling 1 s * 2^n, capped at 60 s (random near 1)", async () => {
            const t = await setup([...Array(8).fill({ status: 429 }), { status: 200, body: {} }], { random: () => 0.999999 });
            await t.client.send(get);
            assert.equal(t.waits.length, 8);
            t.waits.forEach((w, i) => {
                assert.ok(w < ceilings[i] && w >= ceilings[i] - 1, `wait ${i} = ${w}, ceiling ${ceilings[i]}`);
            });
        });

        it("never waits less than the 100 ms floor (random 0)", async () => {
            const t = await setup([{ status: 500 }, { status: 502 }, { status: 504 }, { status: 507 }, { status: 503 }, { status: 200, body: {} }], {
                random: () => 0,
            });
            await t.client.send(get);
            assert.deepEqual(t.waits, [100, 100, 100, 100, 100]);
        });

        it("draws uniformly between the floor and the ceiling", async () => {
            const t = await setup([{ status: 500 }, { status: 500 }, { status: 200, body: {} }], { random: () => 0.5 });
            await t.client.send(get);
            assert.deepEqual(t.waits, [100 + 450, 100 + 950]);
        });

        it("takes base, cap and floor from options", async () => {
            const t = await setup([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200, body: {} }], {
                random: () => 0.999999,
                retry: { baseDelayMs: 10, maxDelayMs: 30, minDelayMs: 5 },
            });
            await t.client.send(get);
            assert.deepEqual(t.waits, [9, 19, 29]);
        });

        it("does not retry other 4xx or 501", async () => {
            for (const status of [400, 404, 409, 501]) {
                const t = await setup([
                    { status, body: graphError("X", "no") },
                    { status: 200, body: {} },
                ]);
                const err = await rejectionOf(t.client.send(get));
                assert.equal(err.code, "GRAPH_HTTP_ERROR", String(status));
                assert.equal(t.server.requests.length, 1, String(status));
                assert.deepEqual(t.waits, []);
                await client?.close();
                await server?.close();
            }
            client = server = undefined;
        });

        it("retries an idempotent request after a connection reset", async () => {
            const t = await setup(["reset", { status: 200, body: { ok: true } }], { random: () => 0 });
            const res = await t.client.send(get);
            assert.deepEqual(res.body, { ok: true });
            assert.equal(t.server.requests.length, 2);
            assert.deepEqual(t.waits, [100]);
        });

        it("retries an idempotent request after a timeout", async () => {
            const t = await setup(["hang", { status: 200, body: {} }], { timeoutSeconds: 0.2, random: () => 0 });
            const res = await t.client.send(get);
            assert.equal(res.attempts, 2);
            assert.equal(t.server.requests.length, 2);
        });

        it("does not retry a refused connection (a wrong endpoint, not a passing fault)", async () => {
            server = await startServer([]);
            const origin = server.origin;
            await server.close();
            server = undefined;
            const rec = recordingDelay();
            client = new GraphClient({ baseUrl: origin, tokenSource: countingTokenSource(), delay: rec.delay });
            const err = await rejectionOf(client.send(get));
            assert.equal(err.code, "GRAPH_NETWORK_ERROR");
            assert.equal(err.networkCode, "ECONNREFUSED");
            assert.deepEqual(rec.waits, []);
        });
    });

    describe("giving up", () => {
        it("gives up after maxRetries retries and says how often it tried and what came last", async () => {
            const t = await setup(Array(9).fill({ status: 429, headers: { "retry-after": "1", "request-id": "rid-last" }, body: THROTTLED }));
            const err = await rejectionOf(t.client.send({ ...get, route: "GET /deviceManagement/windowsAutopilotDeviceIdentities" }));
            assert.ok(GraphError.isGraphError(err));
            assert.equal(err.code, "GRAPH_RETRIES_EXHAUSTED");
            assert.equal(err.attempts, 9);
            assert.equal(err.status, 429);
            assert.equal(err.graphCode, "TooManyRequests");
            assert.equal(err.retryAfterMs, 1000);
            assert.equal(err.requestId, "rid-last");
            assert.equal(
                err.message,
                `Graph GET /deviceManagement/windowsAutopilotDeviceIdentities failed: gave up after 9 attempts (8 retries); ` +
                    `last: 429 TooManyRequests: Please retry again later. (request-id rid-last, client-request-id ${err.clientRequestId})`,
            );
            assert.equal(t.server.requests.length, 9);
            assert.equal(t.waits.length, 8);
        });

        it("honours a smaller maxRetries, also for network failures", async () => {
            const t = await setup(["reset", "reset", "reset", { status: 200, body: {} }], { maxRetries: 2, random: () => 0 });
            const err = await rejectionOf(t.client.send(get));
            assert.equal(err.code, "GRAPH_RETRIES_EXHAUSTED");
            assert.match(err.message, /gave up after 3 attempts \(2 retries\); last: network error UND_ERR_SOCKET/);
            assert.equal(err.networkCode, "UND_ERR_SOCKET");
            assert.equal(err.cause.code, "GRAPH_NETWORK_ERROR");
            assert.equal(t.server.requests.length, 3);
        });

        it("does not count throttling while Graph answers the client's other requests; counts it when Graph admits nothing", async () => {
            // /waiting is refused 6 times, then answered; /other is always answered.
            let refusals = 0;
            const answer: Answer = (req, res) => {
                if (req.url.includes("/waiting") && refusals < 6) {
                    refusals++;
                    res.writeHead(429, { "retry-after": "0.001", "content-type": "application/json" });
                    res.end(JSON.stringify(THROTTLED));
                    return;
                }
                res.writeHead(200, { "content-type": "application/json" });
                res.end("{}");
            };
            server = await startServer(Array(5000).fill(answer));
            // Each wait yields long enough for one of the other requests to be answered meanwhile.
            const delay: Delay = () => new Promise((r) => setTimeout(r, 15));
            client = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), delay, maxRetries: 2 });
            const waiting = { method: "GET", apiVersion: "beta", path: "/waiting", route: "GET /waiting" } as const;
            let busy = true;
            const others = (async () => {
                while (busy) await client!.send({ method: "GET", apiVersion: "beta", path: "/other", route: "GET /other" });
            })();
            const res = await client.send(waiting);
            busy = false;
            await others;
            assert.equal(res.status, 200);
            assert.equal(refusals, 6, "refused 6 times, with maxRetries 2, and still answered");

            // Alone, nothing else is admitted: throttling counts, and maxRetries ends it.
            refusals = 0;
            const err = await rejectionOf(client.send(waiting));
            assert.equal(err.code, "GRAPH_RETRIES_EXHAUSTED");
            assert.match(err.message, /gave up after 3 attempts \(2 retries\)/);
        });

        it("with maxRetries 0 sends once", async () => {
            const t = await setup([{ status: 503 }, { status: 200, body: {} }], { maxRetries: 0 });
            const err = await rejectionOf(t.client.send(get));
            assert.equal(err.code, "GRAPH_RETRIES_EXHAUSTED");
            assert.match(err.message, /gave up after 1 attempt \(0 retries\)/);
            assert.equal(t.server.requests.length, 1);
        });
    });

    describe("writes that are not idempotent", () => {
        it("does not send a POST again after the connection broke once the body was sent", async () => {
            const t = await setup(["reset", { status: 201, body: { id: "dup" } }]);
            const err = await rejectionOf(t.client.send(create));
            assert.equal(err.code, "GRAPH_AMBIGUOUS_WRITE");
            assert.equal(err.ambiguous, true);
            assert.equal(err.networkCode, "UND_ERR_SOCKET");
            assert.match(
                err.message,
                /^Graph POST \/deviceManagement\/importedWindowsAutopilotDeviceIdentities failed: network error UND_ERR_SOCKET.*not sent again/,
            );
            assert.doesNotMatch(err.message, /SECRET-HASH/);
            assert.equal(t.server.requests.length, 1);
            assert.deepEqual(t.waits, []);
        });

        it("does not send a POST again after a timeout", async () => {
            const t = await setup(["hang", { status: 201, body: {} }], { timeoutSeconds: 0.2 });
            const err = await rejectionOf(t.client.send(create));
            assert.equal(err.code, "GRAPH_AMBIGUOUS_WRITE");
            assert.match(err.message, /timeout/);
            assert.equal(t.server.requests.length, 1);
        });

        it("does not send a POST again after a 500 or 504 (Graph may have acted)", async () => {
            for (const status of [500, 504]) {
                const t = await setup([
                    { status, body: graphError("InternalServerError", "boom") },
                    { status: 201, body: {} },
                ]);
                const err = await rejectionOf(t.client.send(create));
                assert.equal(err.code, "GRAPH_AMBIGUOUS_WRITE");
                assert.equal(err.status, status);
                assert.equal(t.server.requests.length, 1);
                await client?.close();
                await server?.close();
            }
            client = server = undefined;
        });

        it("sends a POST again after 429 and 503: Graph refused it before acting", async () => {
            const t = await setup([{ status: 429, headers: { "retry-after": "1" } }, { status: 503 }, { status: 201, body: { id: "new" } }], {
                random: () => 0,
            });
            const res = await t.client.send(create);
            assert.equal(res.status, 201);
            assert.deepEqual(t.waits, [1000, 100]);
            assert.equal(t.server.requests.length, 3);
            assert.equal(t.server.requests[2].body, t.server.requests[0].body);
        });

        it("sends a POST marked idempotent (an action) again after a reset", async () => {
            const t = await setup(["reset", { status: 204 }], { random: () => 0 });
            const res = await t.client.send({
                method: "POST",
                apiVersion: "beta",
                path: "/deviceManagement/windowsAutopilotDeviceIdentities/abc/updateDeviceProperties",
                body: { groupTag: "x" },
                idempotent: true,
            });
            assert.equal(res.status, 204);
            assert.equal(t.server.requests.length, 2);
        });
    });

    describe("abort", () => {
        it("stops waiting at once when the signal aborts, with GRAPH_ABORTED", async () => {
            const neverEnding: Delay = (_ms, signal) =>
                new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
            const t = await setup(
                [
                    { status: 429, headers: { "retry-after": "3600" } },
                    { status: 200, body: {} },
                ],
                { delay: neverEnding },
            );
            const ac = new AbortController();
            const pending = t.client.send({ ...get, signal: ac.signal });
            while (t.server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
            await new Promise((r) => setTimeout(r, 20));
            const started = Date.now();
            ac.abort();
            const err = await rejectionOf(pending);
            assert.equal(err.code, "GRAPH_ABORTED");
            assert.ok(Date.now() - started < 1000);
            assert.equal(t.server.requests.length, 1);
        });

        it("aborts a request in flight", async () => {
            const t = await setup(["hang"]);
            const ac = new AbortController();
            const pending = t.client.send({ ...create, signal: ac.signal });
            while (t.server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
            ac.abort();
            const err = await rejectionOf(pending);
            assert.equal(err.code, "GRAPH_ABORTED");
            assert.equal(err.ambiguous, true, "a POST already sent may have been applied");
        });

        it("leaves nothing on a long-lived caller signal once the attempts are over", async () => {
            const t = await setup([
                { status: 200, body: {} },
                { status: 200, body: {} },
                { status: 200, body: {} },
            ]);
            const process = new AbortController();
            for (let i = 0; i < 3; i++) await t.client.send({ ...create, signal: process.signal });
            assert.equal(getEventListeners(process.signal, "abort").length, 0);
            // A signal aborted before the request: nothing is sent.
            process.abort(new Error("stopping"));
            const err = await rejectionOf(t.client.send({ ...create, signal: process.signal }));
            assert.equal(err.code, "GRAPH_ABORTED");
            assert.equal(t.server.requests.length, 3);
        });

        it("realDelay waits and rejects at once on abort", async () => {
            const t0 = Date.now();
            await realDelay(30);
            assert.ok(Date.now() - t0 >= 25);
            const ac = new AbortController();
            const t1 = Date.now();
            setTimeout(() => ac.abort(new Error("stop")), 10);
            await assert.rejects(realDelay(60_000, ac.signal), /stop/);
            assert.ok(Date.now() - t1 < 1000);
        });
    });

    it("does not hold a concurrency slot while waiting out a Retry-After", async function () {
        // If the slot were held, the second request would wait forever: fail fast instead.
        this.timeout(5000);
        let releaseWait: () => void = () => undefined;
        const waited = new Promise<void>((r) => (releaseWait = r));
        const gate: Delay = () => waited;
        server = await startServer((req) =>
            req.url.endsWith("/slow") && !req.headers["x-second"] ? { status: 429, headers: { "retry-after": "5" } } : { status: 200, body: {} },
        );
        // A dispatcher without a connection limit, so only the client's own bound applies.
        const dispatcher = new Agent();
        client = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), maxConcurrency: 1, delay: gate, dispatcher });
        let slowDone = false;
        const slow = client.send({ method: "GET", apiVersion: "beta", path: "/slow" }).finally(() => (slowDone = true));
        while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
        await client.send({ method: "GET", apiVersion: "beta", path: "/fast" });
        assert.equal(slowDone, false, "the throttled request is still waiting");
        releaseWait();
        await slow.catch(() => undefined);
        await dispatcher.close();
    });
});
