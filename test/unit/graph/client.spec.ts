import { strict as assert } from "node:assert";
import { GraphClient, GraphError } from "../../../provider/graph";
import { countingTokenSource, GUID, graphError, recordingDelay, rejectionOf, startServer, type ScriptedServer } from "./helpers";

describe("GraphClient: requests and answers", () => {
    let server: ScriptedServer | undefined;
    let other: ScriptedServer | undefined;
    let client: GraphClient | undefined;
    afterEach(async () => {
        await client?.close();
        await server?.close();
        await other?.close();
        client = server = other = undefined;
    });

    function makeClient(origin: string, extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}): GraphClient {
        client = new GraphClient({ baseUrl: origin, tokenSource: countingTokenSource(), delay: recordingDelay().delay, ...extra });
        return client;
    }

    it("tells onWrite listeners of every request but GETs, also those sent through a view of the client, until they stop", async () => {
        server = await startServer(Array(5).fill({ status: 204 }));
        const c = makeClient(server.origin);
        const seen: string[] = [];
        const stop = c.onWrite((r) => seen.push(`${r.method} ${r.path}`));
        // A step's client is a view of the process's (lifecycle/bounds.ts).
        const view = Object.create(c) as GraphClient;
        await c.send({ method: "GET", apiVersion: "beta", path: "/a" });
        await c.send({ method: "PATCH", apiVersion: "beta", path: "/b/1", body: {} });
        await view.send({ method: "DELETE", apiVersion: "v1.0", path: "/c/2" });
        stop();
        await c.send({ method: "POST", apiVersion: "beta", path: "/d", body: {} });
        assert.deepEqual(seen, ["PATCH /b/1", "DELETE /c/2"]);
    });

    it("sends JSON with version, encoded query, Accept and Content-Type, and parses the JSON answer", async () => {
        server = await startServer([{ status: 200, headers: { "request-id": "rid-42" }, body: { id: "abc", serialNumber: "SN1" } }]);
        const res = await makeClient(server.origin).send<{ id: string }>({
            method: "PATCH",
            apiVersion: "beta",
            path: "/deviceManagement/windowsAutopilotDeviceIdentities/abc",
            query: { $select: "id,serialNumber", $filter: "serialNumber eq 'A B'" },
            body: { orderIdentifier: "PO-1" },
        });
        const seen = server.requests[0];
        assert.equal(seen.method, "PATCH");
        assert.equal(seen.url, "/beta/deviceManagement/windowsAutopilotDeviceIdentities/abc?$select=id%2CserialNumber&$filter=serialNumber%20eq%20%27A%20B%27");
        assert.equal(seen.headers["content-type"], "application/json");
        assert.equal(seen.headers["accept"], "application/json");
        assert.deepEqual(JSON.parse(seen.body), { orderIdentifier: "PO-1" });
        assert.deepEqual(res.body, { id: "abc", serialNumber: "SN1" });
        assert.equal(res.status, 200);
        assert.equal(res.requestId, "rid-42");
        assert.equal(res.attempts, 1);
    });

    it("sends no Content-Type without a body, and answers 204 with body undefined", async () => {
        server = await startServer([{ status: 204 }]);
        const res = await makeClient(server.origin).send({
            method: "DELETE",
            apiVersion: "v1.0",
            path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities/x",
        });
        assert.equal(server.requests[0].url, "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/x");
        assert.equal(server.requests[0].headers["content-type"], undefined);
        assert.equal(res.status, 204);
        assert.equal(res.body, undefined);
    });

    it("keeps a path prefix of the base URL", async () => {
        server = await startServer([{ status: 200, body: {} }]);
        await makeClient(server.origin + "/graph-proxy/").send({ method: "GET", apiVersion: "v1.0", path: "/deviceManagement/x" });
        assert.equal(server.requests[0].url, "/graph-proxy/v1.0/deviceManagement/x");
    });

    it("puts a GUID client-request-id on every request, the same across the retries of one request", async () => {
        server = await startServer([{ status: 503 }, { status: 200, body: {} }, { status: 200, body: {} }]);
        const c = makeClient(server.origin);
        await c.send({ method: "GET", apiVersion: "beta", path: "/a" });
        await c.send({ method: "GET", apiVersion: "beta", path: "/b" });
        const ids = server.requests.map((r) => r.headers["client-request-id"]);
        assert.equal(ids.length, 3);
        for (const id of ids) assert.match(String(id), GUID);
        assert.equal(ids[0], ids[1], "a retry keeps the id of its logical request");
        assert.notEqual(ids[1], ids[2], "another logical request gets another id");
    });

    it("keeps a client-request-id the caller chose", async () => {
        server = await startServer([{ status: 200, body: {} }]);
        await makeClient(server.origin).send({ method: "GET", apiVersion: "beta", path: "/a", headers: { "Client-Request-Id": "mine-1" } });
        assert.equal(server.requests[0].headers["client-request-id"], "mine-1");
    });

    it("sends the bearer token to the Graph origin only, also for @odata.nextLink URLs", async () => {
        server = await startServer([
            { status: 200, body: {} },
            { status: 200, body: {} },
        ]);
        other = await startServer([{ status: 200, body: {} }]);
        const c = makeClient(server.origin);
        await c.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" });
        await c.send({
            method: "GET",
            apiVersion: "beta",
            path: "/ignored",
            absoluteUrl: `${server.origin}/beta/deviceManagement/windowsAutopilotDeviceIdentities?$skiptoken=abc`,
        });
        await c.send({
            method: "GET",
            apiVersion: "beta",
            path: "/ignored",
            absoluteUrl: `${other.origin}/beta/deviceManagement/windowsAutopilotDeviceIdentities?$skiptoken=abc`,
        });
        assert.equal(server.requests[0].headers["authorization"], "Bearer token-1");
        assert.equal(server.requests[1].headers["authorization"], "Bearer token-1");
        assert.equal(server.requests[1].url, "/beta/deviceManagement/windowsAutopilotDeviceIdentities?$skiptoken=abc");
        assert.equal(other.requests.length, 1);
        assert.equal(other.requests[0].headers["authorization"], undefined);
    });

    it("refuses an Authorization header from the caller", async () => {
        server = await startServer([]);
        const err = await rejectionOf(
            makeClient(server.origin).send({ method: "GET", apiVersion: "beta", path: "/a", headers: { Authorization: "Bearer x" } }),
        );
        assert.ok(err instanceof TypeError);
        assert.equal(server.requests.length, 0);
    });

    it("refuses paths that would leave the version segment", async () => {
        server = await startServer([]);
        const c = makeClient(server.origin);
        for (const path of ["deviceManagement", "/a/../../x", "/a?b=c"]) {
            assert.ok((await rejectionOf(c.send({ method: "GET", apiVersion: "beta", path }))) instanceof TypeError, path);
        }
        assert.equal(server.requests.length, 0);
    });

    it("turns a 4xx into a GraphError at once, with Graph's code and ids", async () => {
        server = await startServer([{ status: 404, headers: { "request-id": "rid-404" }, body: graphError("ResourceNotFound", "Not found", "rid-body") }]);
        const err = await rejectionOf(
            makeClient(server.origin).send({
                method: "GET",
                apiVersion: "beta",
                path: "/deviceManagement/windowsAutopilotDeviceIdentities/gone",
                route: "GET /deviceManagement/windowsAutopilotDeviceIdentities/{id}",
            }),
        );
        assert.ok(GraphError.isGraphError(err));
        assert.equal(err.code, "GRAPH_HTTP_ERROR");
        assert.equal(err.status, 404);
        assert.equal(err.graphCode, "ResourceNotFound");
        assert.equal(err.requestId, "rid-404", "the response header wins over the body");
        assert.match(String(err.clientRequestId), GUID);
        assert.equal(err.attempts, 1);
        assert.equal(server.requests.length, 1);
    });

    it("rejects a 2xx JSON answer that is not JSON with GRAPH_INVALID_RESPONSE", async () => {
        server = await startServer([{ status: 200, headers: { "content-type": "application/json" }, body: "<html>proxy</html>" }]);
        const err = await rejectionOf(makeClient(server.origin).send({ method: "GET", apiVersion: "beta", path: "/a" }));
        assert.equal(err.code, "GRAPH_INVALID_RESPONSE");
        assert.match(err.message, /not valid JSON/);
    });

    it("returns a non-JSON body as text", async () => {
        server = await startServer([{ status: 200, headers: { "content-type": "text/plain" }, body: "hello" }]);
        const res = await makeClient(server.origin).send({ method: "GET", apiVersion: "beta", path: "/a" });
        assert.equal(res.body, "hello");
    });

    it("counts requests per route, retries and throttling answers", async () => {
        server = await startServer([
            { status: 429, headers: { "retry-after": "1" } },
            { status: 503, headers: { "retry-after": "1" } },
            { status: 502 },
            { status: 200, body: {} },
            { status: 200, body: {} },
        ]);
        const c = makeClient(server.origin);
        await c.send({ method: "GET", apiVersion: "beta", path: "/items/1", route: "GET /items/{id}" });
        await c.send({ method: "GET", apiVersion: "beta", path: "/other" });
        assert.deepEqual(c.stats(), {
            requests: 5,
            byRoute: { "GET /items/{id}": 4, "GET /other": 1 },
            retries: 3,
            throttled: 2,
            batches: 0,
            batchedRequests: 0,
        });
    });

    it("reuses keep-alive connections for sequential requests", async () => {
        const ports = new Set<number>();
        server = await startServer((_req, _i) => (_r, res) => {
            ports.add(res.socket?.remotePort ?? -1);
            res.writeHead(200, { "content-type": "application/json" });
            res.end("{}");
        });
        const c = makeClient(server.origin);
        for (let i = 0; i < 10; i++) await c.send({ method: "GET", apiVersion: "beta", path: "/a" });
        assert.equal(server.requests.length, 10);
        // undici's pool may open a second socket while the first is being released; without
        // keep-alive there would be ten.
        assert.ok(ports.size <= 2, `${ports.size} connections for 10 requests`);
    });

    it("rejects sends after close()", async () => {
        server = await startServer([]);
        const c = makeClient(server.origin);
        await c.close();
        await rejectionOf(c.send({ method: "GET", apiVersion: "beta", path: "/a" }));
        assert.equal(server.requests.length, 0);
    });

    it("rejects bad options", () => {
        const tokenSource = countingTokenSource();
        assert.throws(() => new GraphClient({ baseUrl: "not a url", tokenSource }), TypeError);
        assert.throws(() => new GraphClient({ baseUrl: "https://graph.microsoft.com", tokenSource, maxConcurrency: 0 }), RangeError);
        assert.throws(() => new GraphClient({ baseUrl: "https://graph.microsoft.com", tokenSource, maxRetries: -1 }), RangeError);
        assert.throws(() => new GraphClient({ baseUrl: "https://graph.microsoft.com", tokenSource, timeoutSeconds: 0 }), RangeError);
    });
});
