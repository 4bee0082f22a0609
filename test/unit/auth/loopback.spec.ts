import { strict as assert } from "node:assert";
import { createCredential, createTokenSource, resolveAuthConfig, TokenAcquisitionError } from "../../../provider/auth";
import { GraphClient } from "../../../provider/graph";
import { recordingDelay, startServer, type ScriptedServer } from "../graph/helpers";

describe("client secret against an http loopback authority (the emulator)", () => {
  let authority: ScriptedServer | undefined;
  let graph: ScriptedServer | undefined;
  afterEach(async () => {
    await authority?.close();
    await graph?.close();
    authority = graph = undefined;
  });

  const config = (authorityHost: string, graphEndpoint: string, secret = "emu-secret-1") =>
    resolveAuthConfig(
      (k) =>
        ({
          "autopilot:authorityHost": authorityHost,
          "autopilot:graphEndpoint": graphEndpoint,
          "autopilot:tenantId": "contoso.onmicrosoft.com",
          "autopilot:clientId": "app-1",
          "autopilot:clientSecret": secret,
        })[k],
      {},
    );

  it("gets a token with the client-credentials grant and Graph receives it", async () => {
    authority = await startServer([{ status: 200, body: { token_type: "Bearer", expires_in: 3599, access_token: "emu-token" } }]);
    graph = await startServer([{ status: 200, body: { value: [] } }]);
    const cfg = config(authority.origin, graph.origin);
    const client = new GraphClient({ baseUrl: cfg.graphBaseUrl, tokenSource: createTokenSource(cfg), delay: recordingDelay().delay });
    await client.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" });
    await client.close();

    assert.equal(authority.requests.length, 1);
    const tokenRequest = authority.requests[0];
    assert.equal(tokenRequest.method, "POST");
    assert.equal(tokenRequest.url, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
    assert.deepEqual(Object.fromEntries(new URLSearchParams(tokenRequest.body)), {
      client_id: "app-1",
      client_secret: "emu-secret-1",
      scope: `${graph.origin}/.default`,
      grant_type: "client_credentials",
    });
    assert.equal(graph.requests[0].headers["authorization"], "Bearer emu-token");
  });

  it("reports the endpoint's error without the secret", async () => {
    authority = await startServer([{ status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret emu-secret-1" } }]);
    const cfg = config(authority.origin, "http://127.0.0.1:1");
    await assert.rejects(
      createTokenSource(cfg).getToken(),
      (e: Error) =>
        e instanceof TokenAcquisitionError &&
        /LoopbackClientSecretCredential \(tenant contoso\.onmicrosoft\.com, client app-1\).*invalid_client: AADSTS7000215/.test(e.message) &&
        !e.message.includes("emu-secret-1"),
    );
  });

  it("refuses other credentials on an http authority", () => {
    const cfg = resolveAuthConfig((k) => ({ "autopilot:authorityHost": "http://127.0.0.1:9" })[k], {});
    assert.throws(() => createCredential(cfg), /works only with autopilot:tenantId, autopilot:clientId and autopilot:clientSecret/);
  });
});
