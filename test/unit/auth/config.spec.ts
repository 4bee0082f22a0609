import { strict as assert } from "node:assert";
import { CLOUDS, graphScope, isLoopbackHost, resolveAuthConfig } from "../../../provider/auth";

const none = (): undefined => undefined;
const from = (values: Record<string, string>) => (key: string) => values[key];

describe("resolveAuthConfig", () => {
  it("defaults to the global cloud and no credentials", () => {
    assert.deepEqual(resolveAuthConfig(none, {}), {
      cloud: "global",
      graphBaseUrl: "https://graph.microsoft.com",
      authorityHost: "https://login.microsoftonline.com",
    });
  });

  it("reads the config keys and prefers them to the environment", () => {
    const cfg = resolveAuthConfig(
      from({ "autopilot:tenantId": "contoso.onmicrosoft.com", "autopilot:clientId": "cid-config", "autopilot:clientSecret": "s3cret" }),
      { AZURE_TENANT_ID: "env-tenant", AZURE_CLIENT_ID: "cid-env", AZURE_CLIENT_SECRET: "env-secret" },
    );
    assert.equal(cfg.tenantId, "contoso.onmicrosoft.com");
    assert.equal(cfg.clientId, "cid-config");
    assert.equal(cfg.clientSecret, "s3cret");
  });

  it("falls back to AZURE_* and AUTOPILOT_* variables; empty values count as unset", () => {
    const cfg = resolveAuthConfig(from({ "autopilot:tenantId": "" }), {
      AZURE_TENANT_ID: "11111111-2222-3333-4444-555555555555",
      AZURE_CLIENT_ID: "cid",
      AZURE_CLIENT_SECRET: "sec",
      AUTOPILOT_ACCESS_TOKEN: "Bearer eyJ.a.b",
      AUTOPILOT_GRAPH_ENDPOINT: "http://127.0.0.1:8080/",
    });
    assert.equal(cfg.tenantId, "11111111-2222-3333-4444-555555555555");
    assert.equal(cfg.clientId, "cid");
    assert.equal(cfg.clientSecret, "sec");
    assert.equal(cfg.accessToken, "eyJ.a.b", "a pasted 'Bearer ' prefix is dropped");
    assert.equal(cfg.graphBaseUrl, "http://127.0.0.1:8080");
  });

  it("picks Graph host and authority by autopilot:cloud", () => {
    const expected = {
      global: ["https://graph.microsoft.com", "https://login.microsoftonline.com"],
      usgov: ["https://graph.microsoft.us", "https://login.microsoftonline.us"],
      usgovdod: ["https://dod-graph.microsoft.us", "https://login.microsoftonline.us"],
      china: ["https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"],
    };
    for (const [name, [graph, authority]] of Object.entries(expected)) {
      const cfg = resolveAuthConfig(from({ "autopilot:cloud": name.toUpperCase() }), {});
      assert.equal(cfg.cloud, name);
      assert.equal(cfg.graphBaseUrl, graph);
      assert.equal(cfg.authorityHost, authority);
      assert.equal(graphScope(cfg.graphBaseUrl), `${graph}/.default`);
    }
    assert.equal(Object.keys(CLOUDS).length, 4);
    assert.throws(() => resolveAuthConfig(from({ "autopilot:cloud": "mars" }), {}), /autopilot:cloud .*global, usgov, usgovdod, china.*"mars"/);
  });

  it("lets autopilot:graphEndpoint override the cloud's Graph host, with the scope following it", () => {
    const cfg = resolveAuthConfig(from({ "autopilot:cloud": "usgov", "autopilot:graphEndpoint": "https://proxy.example.com/graph/" }), {});
    assert.equal(cfg.graphBaseUrl, "https://proxy.example.com/graph");
    assert.equal(cfg.authorityHost, "https://login.microsoftonline.us");
    assert.equal(graphScope(cfg.graphBaseUrl), "https://proxy.example.com/.default");
  });

  it("allows http only on loopback", () => {
    for (const ok of ["http://localhost:1234", "http://127.0.0.1:9", "http://127.10.0.2", "http://[::1]:8443", "https://graph.example.com"]) {
      assert.doesNotThrow(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": ok }), {}), ok);
    }
    for (const bad of ["http://graph.microsoft.com", "http://10.0.0.1", "http://127.0.0.1.nip.io", "http://localhost.evil.com", "ftp://localhost"]) {
      assert.throws(
        () => resolveAuthConfig(from({ "autopilot:graphEndpoint": bad }), {}),
        (e: Error) => /^autopilot:graphEndpoint \(or AUTOPILOT_GRAPH_ENDPOINT\) must be an https URL, or http on loopback only \(localhost, 127\.0\.0\.0\/8, ::1\)/.test(e.message),
        bad,
      );
    }
    assert.equal(isLoopbackHost("127.0.0.1"), true);
    assert.equal(isLoopbackHost("128.0.0.1"), false);
  });

  it("rejects a version segment, a query, garbage, and does not echo credentials in a URL", () => {
    assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://graph.microsoft.com/v1.0" }), {}), /leave out \/v1\.0/);
    assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://graph.microsoft.com/beta/" }), {}), /leave out \/beta/);
    assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://graph.microsoft.com?x=1" }), {}), /query/);
    assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "graph.microsoft.com" }), {}), /not a URL/);
    assert.throws(
      () => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://user:hunter2@graph.example.com" }), {}),
      (e: Error) => /credentials/.test(e.message) && !e.message.includes("hunter2"),
    );
  });

  it("checks autopilot:authorityHost the same way", () => {
    assert.equal(resolveAuthConfig(from({ "autopilot:authorityHost": "http://localhost:5000/" }), {}).authorityHost, "http://localhost:5000");
    assert.throws(() => resolveAuthConfig(none, { AZURE_AUTHORITY_HOST: "http://login.example.com" }), /autopilot:authorityHost \(or AZURE_AUTHORITY_HOST\)/);
  });

  it("asks for tenantId and clientId when a secret is set, without showing the secret", () => {
    assert.throws(
      () => resolveAuthConfig(from({ "autopilot:clientSecret": "very-secret" }), {}),
      (e: Error) => /autopilot:clientSecret is set, so autopilot:tenantId .* and autopilot:clientId .* must be set too/.test(e.message) && !e.message.includes("very-secret"),
    );
  });

  it("rejects a tenant id that is neither a GUID nor a domain", () => {
    assert.throws(() => resolveAuthConfig(from({ "autopilot:tenantId": "../evil" }), {}), /autopilot:tenantId/);
  });
});
