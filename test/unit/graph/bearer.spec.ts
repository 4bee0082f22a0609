import { strict as assert } from "node:assert";
import { GraphClient, GraphError } from "../../../provider/graph";
import { countingTokenSource, graphError, recordingDelay, rejectionOf, startServer, type ScriptedServer } from "./helpers";

describe("GraphClient: bearer token", () => {
    let server: ScriptedServer | undefined;
    let client: GraphClient | undefined;
    afterEach(async () => {
        await client?.close();
        await server?.close();
        client = server = undefined;
    });

    const expired = { status: 401, body: graphError("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.") };
    const get = { method: "GET", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" } as const;

    it("after a 401 invalidates the token and sends once more with a fresh one", async () => {
        server = await startServer([expired, { status: 200, body: { value: [] } }]);
        const tokens = countingTokenSource();
        const lines: string[] = [];
        client = new GraphClient({ baseUrl: server.origin, tokenSource: tokens, delay: recordingDelay().delay, logger: (l) => lines.push(l) });
        const res = await client.send(get);
        assert.equal(res.status, 200);
        assert.equal(res.attempts, 2);
        assert.deepEqual(
            server.requests.map((r) => r.headers["authorization"]),
            ["Bearer token-1", "Bearer token-2"],
        );
        assert.equal(server.requests[0].headers["client-request-id"], server.requests[1].headers["client-request-id"]);
        assert.equal(tokens.invalidations, 1);
        assert.equal(client.stats().retries, 1);
        assert.ok(lines.some((l) => /401/.test(l)));
        assert.ok(
            lines.every((l) => !l.includes("token-")),
            "no token in the log",
        );
    });

    it("refreshes only once per request: a second 401 is the answer", async () => {
        server = await startServer([expired, expired, { status: 200, body: {} }]);
        const tokens = countingTokenSource();
        const rec = recordingDelay();
        client = new GraphClient({ baseUrl: server.origin, tokenSource: tokens, delay: rec.delay });
        const err = await rejectionOf(client.send(get));
        assert.ok(GraphError.isGraphError(err));
        assert.equal(err.code, "GRAPH_HTTP_ERROR");
        assert.equal(err.status, 401);
        assert.equal(err.graphCode, "InvalidAuthenticationToken");
        assert.equal(err.attempts, 2);
        assert.match(err.message, /must be issued for http:\/\/127\.0\.0\.1:\d+/);
        assert.ok(!err.message.includes("token-"), "no token in the message");
        assert.equal(server.requests.length, 2);
        assert.equal(tokens.invalidations, 1);
        assert.deepEqual(rec.waits, []);
    });

    it("refreshes at most once per logical request, also across retries", async () => {
        server = await startServer([expired, { status: 503 }, expired, { status: 200, body: {} }]);
        const tokens = countingTokenSource();
        client = new GraphClient({ baseUrl: server.origin, tokenSource: tokens, delay: recordingDelay().delay });
        const err = await rejectionOf(client.send(get));
        assert.equal(err.status, 401);
        assert.equal(err.attempts, 3);
        assert.equal(tokens.invalidations, 1);
        assert.equal(server.requests.length, 3);
    });

    it("does not resend when the token source cannot refresh (a static token)", async () => {
        server = await startServer([expired, { status: 200, body: {} }]);
        client = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(false), delay: recordingDelay().delay });
        const err = await rejectionOf(client.send(get));
        assert.equal(err.status, 401);
        assert.equal(server.requests.length, 1);
    });

    it("resends a POST after a 401 too (Graph refused it before acting)", async () => {
        server = await startServer([expired, { status: 201, body: { id: "n" } }]);
        client = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), delay: recordingDelay().delay });
        const res = await client.send({ method: "POST", apiVersion: "v1.0", path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities", body: {} });
        assert.equal(res.status, 201);
        assert.equal(server.requests.length, 2);
    });

    it("asks the token source on every attempt, so a retry after a long wait has a current token", async () => {
        server = await startServer([
            { status: 429, headers: { "retry-after": "1" } },
            { status: 200, body: {} },
        ]);
        const tokens = countingTokenSource();
        client = new GraphClient({ baseUrl: server.origin, tokenSource: tokens, delay: recordingDelay().delay });
        await client.send(get);
        assert.equal(tokens.gets, 2);
    });

    it("passes a token source failure through without sending", async () => {
        server = await startServer([]);
        const failing = { getToken: async () => Promise.reject(new Error("Could not get a Microsoft Graph token from X")) };
        client = new GraphClient({ baseUrl: server.origin, tokenSource: failing, delay: recordingDelay().delay });
        const err = await rejectionOf(client.send(get));
        assert.match(err.message, /Could not get a Microsoft Graph token/);
        assert.equal(server.requests.length, 0);
    });
});
