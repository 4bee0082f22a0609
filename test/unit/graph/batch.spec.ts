import { strict as assert } from "node:assert";
import { GraphClient, GraphError } from "../../../provider/graph";
import { splitBatchAnswer } from "../../../provider/graph/batchPolicy";
import { countingTokenSource, rejectionOf, RecordedRequest, recordingDelay, ScriptedServer, startServer } from "./helpers";

interface Item {
    id: string;
    method: string;
    url: string;
    headers?: Record<string, string>;
}

/** The items of a recorded `$batch` request. */
function itemsOf(req: RecordedRequest): Item[] {
    return (JSON.parse(req.body) as { requests: Item[] }).requests;
}

const isBatch = (req: RecordedRequest): boolean => req.method === "POST" && /\/\$batch$/.test(req.url);

/** Answers each batch item with `answer(item)`, plain GETs with `plain(url)`. */
function batchServer(answer: (item: Item, batchIndex: number) => { status: number; headers?: Record<string, string>; body?: unknown }) {
    let batches = 0;
    return (req: RecordedRequest) => {
        if (!isBatch(req)) return { status: 200, body: { plain: req.url } };
        const n = batches++;
        return { status: 200, body: { responses: itemsOf(req).map((item) => ({ id: item.id, ...answer(item, n) })) } };
    };
}

describe("GraphClient $batch coalescing", () => {
    let server: ScriptedServer | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    const client = (extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}) =>
        new GraphClient({ baseUrl: server!.origin, tokenSource: countingTokenSource(), batch: true, ...extra });

    it("sends GETs issued together as one $batch, each caller getting its own answer", async () => {
        server = await startServer(batchServer((item) => ({ status: 200, headers: { "Content-Type": "application/json" }, body: { url: item.url } })));
        const graph = client();
        const paths = ["/deviceManagement/a/1", "/deviceManagement/a/2", "/deviceManagement/a/3"];
        const answers = await Promise.all(
            paths.map((path, i) => graph.send<{ url: string }>({ method: "GET", apiVersion: "beta", path, query: i === 2 ? { $select: "id" } : undefined })),
        );
        assert.deepEqual(
            answers.map((a) => a.body.url),
            ["/deviceManagement/a/1", "/deviceManagement/a/2", "/deviceManagement/a/3?$select=id"],
        );
        assert.equal(server.requests.length, 1);
        assert.equal(server.requests[0].url, "/beta/$batch");
        assert.equal(server.requests[0].headers.authorization, "Bearer token-1");
        const items = itemsOf(server.requests[0]);
        assert.deepEqual(
            items.map((i) => [i.method, i.url]),
            paths.map((p, i) => ["GET", i === 2 ? `${p}?$select=id` : p]),
        );
        // Each item carries the client-request-id of its own logical request.
        assert.equal(new Set(items.map((i) => i.headers?.["client-request-id"])).size, 3);
        assert.deepEqual(
            answers.map((a) => a.attempts),
            [1, 1, 1],
        );
        const stats = graph.stats();
        assert.equal(stats.requests, 1);
        assert.equal(stats.batches, 1);
        assert.equal(stats.batchedRequests, 3);
        await graph.close();
    });

    it("sends a GET with no company as a plain GET, and never batches writes", async () => {
        server = await startServer(batchServer(() => ({ status: 200 })));
        const graph = client();
        await graph.send({ method: "GET", apiVersion: "v1.0", path: "/deviceManagement/x" });
        await Promise.all([
            graph.send({ method: "POST", apiVersion: "v1.0", path: "/deviceManagement/x/act", body: {} }),
            graph.send({ method: "PATCH", apiVersion: "v1.0", path: "/deviceManagement/x", body: {} }),
        ]);
        assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url}`).sort(), [
            "GET /v1.0/deviceManagement/x",
            "PATCH /v1.0/deviceManagement/x",
            "POST /v1.0/deviceManagement/x/act",
        ]);
        await graph.close();
    });

    it("puts at most 20 GETs in a batch and keeps API versions apart", async () => {
        server = await startServer(batchServer(() => ({ status: 200, body: {} })));
        const graph = client();
        await Promise.all([
            ...Array.from({ length: 45 }, (_, i) => graph.send({ method: "GET", apiVersion: "beta", path: `/deviceManagement/d/${i}` })),
            ...Array.from({ length: 3 }, (_, i) => graph.send({ method: "GET", apiVersion: "v1.0", path: `/deviceManagement/i/${i}` })),
        ]);
        const batches = server.requests.filter(isBatch);
        const beta = batches.filter((r) => r.url === "/beta/$batch").map((r) => itemsOf(r).length);
        const v1 = batches.filter((r) => r.url === "/v1.0/$batch").map((r) => itemsOf(r).length);
        assert.ok(
            beta.every((n) => n <= 20),
            `beta batches ${beta}`,
        );
        assert.equal(
            beta.reduce((a, b) => a + b, 0),
            45,
        );
        assert.ok(beta.length >= 3 && beta.length <= 4, `beta batches ${beta}`);
        assert.deepEqual(v1, [3]);
        await graph.close();
    });

    it("hands each item its own status: a 404 item rejects only its caller", async () => {
        server = await startServer(
            batchServer((item) =>
                item.url.endsWith("/gone")
                    ? { status: 404, body: { error: { code: "ResourceNotFound", message: "not found" } } }
                    : { status: 200, body: { ok: item.url } },
            ),
        );
        const graph = client();
        const [ok, gone] = await Promise.allSettled([
            graph.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/d/here" }),
            graph.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/d/gone" }),
        ]);
        assert.equal(ok.status, "fulfilled");
        assert.equal(gone.status, "rejected");
        const err = (gone as PromiseRejectedResult).reason as GraphError;
        assert.ok(GraphError.isGraphError(err));
        assert.equal(err.status, 404);
        assert.equal(err.graphCode, "ResourceNotFound");
        assert.equal(server.requests.length, 1);
        await graph.close();
    });

    it("retries throttled items after the longest Retry-After of their batch, together, and only them", async () => {
        const waits = recordingDelay();
        server = await startServer(
            batchServer((item, n) => {
                if (n === 0 && item.url.endsWith("/1"))
                    return { status: 429, headers: { "Retry-After": "1" }, body: { error: { code: "TooManyRequests", message: "slow down" } } };
                if (n === 0 && item.url.endsWith("/2"))
                    return { status: 429, headers: { "Retry-After": "3" }, body: { error: { code: "TooManyRequests", message: "slow down" } } };
                return { status: 200, body: { url: item.url, batch: n } };
            }),
        );
        const graph = client({ delay: waits.delay });
        const answers = await Promise.all(
            [0, 1, 2].map((i) => graph.send<{ batch: number }>({ method: "GET", apiVersion: "beta", path: `/deviceManagement/d/${i}` })),
        );
        assert.deepEqual(
            answers.map((a) => a.body.batch),
            [0, 1, 1],
        );
        assert.deepEqual(
            answers.map((a) => a.attempts),
            [1, 2, 2],
        );
        // Both throttled items waited the longest wait of the batch (3 s), not their own.
        assert.deepEqual(waits.waits, [3000, 3000]);
        const batches = server.requests.filter(isBatch);
        assert.equal(batches.length, 2);
        assert.deepEqual(
            itemsOf(batches[1]).map((i) => i.url),
            ["/deviceManagement/d/1", "/deviceManagement/d/2"],
        );
        assert.equal(graph.stats().throttled, 2);
        await graph.close();
    });

    it("gives every item the envelope's failure: a throttled envelope is waited out and sent again", async () => {
        const waits = recordingDelay();
        server = await startServer((req, index) =>
            index === 0
                ? { status: 429, headers: { "Retry-After": "2" }, body: { error: { code: "TooManyRequests", message: "slow down" } } }
                : { status: 200, body: { responses: itemsOf(req).map((i) => ({ id: i.id, status: 200, body: { url: i.url } })) } },
        );
        const graph = client({ delay: waits.delay });
        const answers = await Promise.all(
            [0, 1].map((i) => graph.send<{ url: string }>({ method: "GET", apiVersion: "beta", path: `/deviceManagement/d/${i}` })),
        );
        assert.deepEqual(
            answers.map((a) => a.body.url),
            ["/deviceManagement/d/0", "/deviceManagement/d/1"],
        );
        assert.deepEqual(waits.waits, [2000, 2000]);
        assert.equal(server.requests.filter(isBatch).length, 2);
        await graph.close();
    });

    it("fails each item clearly when a 200 envelope is not a batch answer", async () => {
        server = await startServer([{ status: 200, body: { nothing: true } }]);
        const graph = client({ maxRetries: 0 });
        const errors = await Promise.all([0, 1].map((i) => rejectionOf(graph.send({ method: "GET", apiVersion: "beta", path: `/deviceManagement/d/${i}` }))));
        for (const e of errors) {
            assert.equal(e.code, "GRAPH_INVALID_RESPONSE");
            assert.match(e.message, /\$batch/);
        }
        await graph.close();
    });

    it("splits a batch answer into per-item answers with lower-case headers", () => {
        const parts = splitBatchAnswer({
            status: 200,
            headers: { "request-id": "env-1" },
            bodyText: JSON.stringify({
                responses: [
                    { id: "1", status: 204 },
                    { id: "2", status: 429, headers: { "Retry-After": "5" }, body: { error: { code: "TooManyRequests" } } },
                ],
            }),
        });
        assert.deepEqual(parts.get("1"), { status: 204, headers: { "request-id": "env-1" }, bodyText: "" });
        assert.equal(parts.get("2")!.headers["retry-after"], "5");
        assert.equal(parts.get("2")!.headers["content-type"], "application/json");
        assert.throws(() => splitBatchAnswer({ status: 200, headers: {}, bodyText: "{}" }), /responses/);
    });
});
