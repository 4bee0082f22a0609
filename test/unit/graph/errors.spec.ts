import { strict as assert } from "node:assert";
import { GraphClient, GraphError, parseGraphErrorBody, redactSecrets } from "../../../provider/graph";
import { countingTokenSource, graphError, recordingDelay, rejectionOf, startServer, type ScriptedServer } from "./helpers";

// Bodies of documented Graph answers (error samples from Microsoft's Graph documentation).
const SAMPLES: Record<string, { body: unknown }> = {
    "throttled-429": {
        body: {
            error: {
                code: "TooManyRequests",
                innerError: {
                    code: "429",
                    date: "2020-08-18T12:51:51",
                    message: "Please retry after",
                    "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
                    status: "429",
                },
                message: "Please retry again later.",
            },
        },
    },
    "batch-item-403": {
        body: {
            error: {
                code: "Authorization_RequestDenied",
                message: "Insufficient privileges to complete the operation.",
                innerError: {
                    date: "2025-02-13T10:17:06",
                    "request-id": "93b6f17e-c05d-4f45-ad2a-6665c708d8a0",
                    "client-request-id": "e70c5c1b-8b47-68c0-3171-3d22f5e0bd54",
                },
            },
        },
    },
    "autopilot-patch-not-routed-400": {
        body: {
            error: {
                code: "No method match route template",
                message:
                    "No OData route exists that match template ~/singleton/navigation/key with http verb PATCH for request /DeviceEnrollmentFE_2011/StatelessDeviceEnrollmentFEService/deviceManagement/windowsAutopilotDeviceIdentities(xxxxxxx).",
                innerError: {
                    date: "2020-11-19T20:20:47",
                    "request-id": "b9f00b46-1f9d-43f5-ad51-04140c7496b6",
                    "client-request-id": "b9f00b46-1f9d-43f5-ad51-04140c7496b6",
                },
            },
        },
    },
};
const sample = (name: string): { body: unknown } => SAMPLES[name];

describe("GraphError", () => {
    let server: ScriptedServer | undefined;
    let client: GraphClient | undefined;
    afterEach(async () => {
        await client?.close();
        await server?.close();
        client = server = undefined;
    });

    async function failWith(status: number, body: unknown, headers: Record<string, string> = {}) {
        server = await startServer([{ status, body, headers }]);
        client = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(false), delay: recordingDelay().delay });
        return client;
    }

    it("formats route, status, Graph code and message, and both ids (the live PATCH 400)", async () => {
        const s = sample("autopilot-patch-not-routed-400");
        const c = await failWith(400, s.body, { "request-id": "1234" });
        const err = await rejectionOf(
            c.send({
                method: "PATCH",
                apiVersion: "beta",
                path: "/deviceManagement/windowsAutopilotDeviceIdentities/abc",
                route: "PATCH /deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                body: { groupTag: "x" },
                headers: { "client-request-id": "5678" },
            }),
        );
        const graphMessage = (s.body as { error: { message: string } }).error.message;
        assert.equal(
            err.message,
            `Graph PATCH /deviceManagement/windowsAutopilotDeviceIdentities/{id} failed: 400 No method match route template: ${graphMessage} (request-id 1234, client-request-id 5678)`,
        );
        assert.equal(err.name, "GraphError");
        assert.equal(err.code, "GRAPH_HTTP_ERROR");
        assert.equal(err.status, 400);
        assert.equal(err.graphCode, "No method match route template");
        assert.equal(err.graphMessage, graphMessage);
        assert.equal(err.requestId, "1234");
        assert.equal(err.clientRequestId, "5678");
        assert.equal(err.method, "PATCH");
        assert.equal(err.route, "PATCH /deviceManagement/windowsAutopilotDeviceIdentities/{id}");
        assert.equal(err.attempts, 1);
        assert.equal(err.ambiguous, false);
    });

    it("takes the request id from the body when the header is missing", async () => {
        const c = await failWith(409, graphError("Conflict", "A sync is already in progress", "body-rid"));
        const err = await rejectionOf(c.send({ method: "POST", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotSettings/sync" }));
        assert.equal(err.requestId, "body-rid");
        assert.match(err.message, /409 Conflict: A sync is already in progress \(request-id body-rid, client-request-id /);
    });

    it("names the permission a 403 needs; for reads the narrower one as well", async () => {
        const s = sample("batch-item-403");
        const c = await failWith(403, s.body);
        const write = await rejectionOf(
            c.send({
                method: "PATCH",
                apiVersion: "beta",
                path: "/deviceManagement/windowsAutopilotDeviceIdentities/abc/deploymentProfile/assignments/1",
                body: {},
            }),
        );
        assert.match(
            write.message,
            /^Graph PATCH .* failed: 403 Authorization_RequestDenied: Insufficient privileges to complete the operation\. \(request-id 93b6f17e-c05d-4f45-ad2a-6665c708d8a0, client-request-id [^)]+\)\. /,
        );
        assert.ok(
            write.message.endsWith(
                "The app needs the Microsoft Graph application permission DeviceManagementServiceConfig.ReadWrite.All (admin consent granted).",
            ),
            write.message,
        );
        await client?.close();
        await server?.close();

        const c2 = await failWith(403, s.body);
        const read = await rejectionOf(c2.send({ method: "GET", apiVersion: "v1.0", path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities" }));
        assert.match(
            read.message,
            /DeviceManagementServiceConfig\.ReadWrite\.All \(admin consent granted\); for reads DeviceManagementServiceConfig\.Read\.All is enough\.$/,
        );
    });

    it("lets a request name its own permission for the 403 message", async () => {
        const c = await failWith(403, graphError("Forbidden", "no"));
        const err = await rejectionOf(
            c.send({ method: "GET", apiVersion: "beta", path: "/groups", permissions: { readWrite: "Group.ReadWrite.All", read: "Group.Read.All" } }),
        );
        assert.match(err.message, /Group\.ReadWrite\.All .*Group\.Read\.All/);
        assert.doesNotMatch(err.message, /DeviceManagementServiceConfig/);
    });

    it("never puts the request body or the token in the message, and redacts secrets Graph echoes", async () => {
        const hash = "T0FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
        const key = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY";
        const c = await failWith(400, graphError("BadRequest", `Cannot convert the literal '${hash}' for key ${key} of order secret-order-77`));
        const err = await rejectionOf(
            c.send({
                method: "POST",
                apiVersion: "v1.0",
                path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
                body: { hardwareIdentifier: hash, productKey: key, orderIdentifier: "secret-order-77" },
                redact: ["secret-order-77"],
            }),
        );
        for (const secret of [hash, key, "secret-order-77", "token-1", "Bearer"]) {
            assert.ok(!err.message.includes(secret), `message contains ${secret}: ${err.message}`);
            assert.ok(!String(err.graphMessage).includes(secret), `graphMessage contains ${secret}`);
        }
        assert.match(err.message, /Cannot convert the literal '\*\*\*' for key \*\*\* of order \*\*\*/);
    });

    it("parses Graph error bodies and tolerates others", () => {
        assert.deepEqual(parseGraphErrorBody(JSON.stringify(sample("throttled-429").body)), {
            code: "TooManyRequests",
            message: "Please retry again later.",
            requestId: "94fb3b52-452a-4535-a601-69e0a90e3aa2",
        });
        assert.deepEqual(parseGraphErrorBody("<html><body>Bad gateway</body></html>"), {});
        assert.deepEqual(parseGraphErrorBody("upstream   connect error"), { message: "upstream connect error" });
        assert.deepEqual(parseGraphErrorBody(""), {});
        assert.deepEqual(parseGraphErrorBody('{"value":[]}'), {});
    });

    it("redactSecrets replaces given values, product keys and long base64 runs only", () => {
        assert.equal(redactSecrets("serial SN-12345 is fine"), "serial SN-12345 is fine");
        assert.equal(redactSecrets("id 93b6f17e-c05d-4f45-ad2a-6665c708d8a0"), "id 93b6f17e-c05d-4f45-ad2a-6665c708d8a0");
        assert.equal(redactSecrets("key ABCDE-FGHIJ-KLMNO-PQRST-UVWXY."), "key ***.");
        assert.equal(redactSecrets("x " + "A".repeat(64) + "== y"), "x *** y");
        assert.equal(redactSecrets("literal 'ab+/cdEF12" + "Q".repeat(30) + "=' to Edm.Binary"), "literal '***' to Edm.Binary");
        const path = "for request /DeviceEnrollmentFE_2011/StatelessDeviceEnrollmentFEService/deviceManagement/windowsAutopilotDeviceIdentities(x).";
        assert.equal(redactSecrets(path), path);
        assert.equal(redactSecrets("pw hunter22 and hunter2", ["hunter2", "hunter22"]), "pw *** and ***");
    });

    it("prefixes the method to a route without one", () => {
        const err = new GraphError({ code: "GRAPH_HTTP_ERROR", method: "GET", route: "/x", attempts: 1, status: 500 });
        assert.equal(err.route, "GET /x");
        assert.equal(err.message, "Graph GET /x failed: 500 Internal Server Error");
    });
});
