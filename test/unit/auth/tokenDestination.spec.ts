import { strict as assert } from "node:assert";
import { GraphClient, GraphError } from "../../../provider/graph";
import { countingTokenSource, recordingDelay, rejectionOf, startServer, type ScriptedServer } from "../graph/helpers";

describe("the bearer token goes only to the configured Graph origin", () => {
    let graph: ScriptedServer | undefined;
    let other: ScriptedServer | undefined;
    afterEach(async () => {
        await graph?.close();
        await other?.close();
        graph = other = undefined;
    });

    it("a redirect to another origin is not followed: the token never reaches it", async () => {
        other = await startServer(() => ({ status: 200, body: { value: [] } }));
        const target = `${other.origin}/beta/deviceManagement/windowsAutopilotDeviceIdentities`;
        graph = await startServer(() => ({ status: 307, headers: { location: target } }));
        const client = new GraphClient({ baseUrl: graph.origin, tokenSource: countingTokenSource(), delay: recordingDelay().delay });
        try {
            const err = await rejectionOf(client.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" }));
            assert.ok(GraphError.isGraphError(err));
            assert.equal(err.status, 307);
            assert.ok(!err.message.includes("token-"), err.message);
        } finally {
            await client.close();
        }
        assert.equal(graph.requests.length, 1);
        assert.equal(graph.requests[0].headers["authorization"], "Bearer token-1");
        assert.equal(other.requests.length, 0);
    });

    it("an @odata.nextLink to another origin is sent without the token", async () => {
        other = await startServer(() => ({ status: 200, body: { value: [] } }));
        graph = await startServer(() => ({ status: 200, body: { value: [] } }));
        const client = new GraphClient({ baseUrl: graph.origin, tokenSource: countingTokenSource(), delay: recordingDelay().delay });
        try {
            await client.send({ method: "GET", apiVersion: "beta", path: "/x", absoluteUrl: `${other.origin}/beta/x?$skiptoken=1` });
            // Same host, other port: another origin, too.
            await client
                .send({ method: "GET", apiVersion: "beta", path: "/x", absoluteUrl: `${graph.origin.replace("127.0.0.1", "localhost")}/beta/x?$skiptoken=2` })
                .catch(() => undefined);
        } finally {
            await client.close();
        }
        assert.equal(other.requests.length, 1);
        assert.equal(other.requests[0].headers["authorization"], undefined);
        for (const r of graph.requests) assert.equal(r.headers["authorization"], undefined, "localhost is not the configured 127.0.0.1");
    });
});
