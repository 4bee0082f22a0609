import * as assert from "assert";
import * as path from "path";
import { WindowsAutopilotDeviceIdentity } from "../../provider";
import { REPO_ROOT, type Host } from "../runner/host";
import { programFrom, projectName } from "../runner/program";
import {
  ADO_SERVICE_CONNECTION,
  ADO_SUBJECT,
  ADO_SYSTEM_TOKEN,
  AuthWorld,
  CLIENT_ID,
  CLIENT_SECRET,
  GITHUB_REQUEST_TOKEN,
  GITHUB_SUBJECT,
  startAuthWorld,
  TENANT_ID,
  WORKLOAD_SUBJECT,
} from "./authKit";
import { stepOf } from "./harness";

/** The seed's devices, adopted by id: one GET each on create, one each on refresh. */
const DEVICE_IDS = [
  "4b77edd2-0549-4e37-960f-5dcd781c6560",
  "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff",
  "1cb374d2-6cd6-4ba1-a886-448a9054629d",
  "ff02d305-3123-45cc-86ed-6ceb6a464ceb",
  "d7c44078-285c-4e5a-b3ec-a0ab2cf36ffa",
  "c96ef2b0-1043-4ed0-b6ac-a1775ae4b8f0",
];

function devices(ids = DEVICE_IDS): () => void {
  return () => {
    ids.forEach((deviceId, i) => new WindowsAutopilotDeviceIdentity(`dev-${i}`, { deviceId }));
  };
}

/** The GitHub Actions example, run with the environment its workflow sets. */
const EXAMPLE_DIR = path.join(REPO_ROOT, "examples/github-actions");
const EXAMPLE_PROJECT = projectName(EXAMPLE_DIR);
const EXAMPLE_DEVICES = [
  { serialNumber: "5CG1234ABC", groupTag: "Sales", displayName: "SALES-001" },
  { serialNumber: "1ZXY8K3", groupTag: "Finance", displayName: "FIN-001" },
];

const graphRequests = (w: AuthWorld) => w.emu.requests.filter((r) => r.path.startsWith("/beta/") || r.path.startsWith("/v1.0/"));

type HostName = "secret" | "certificate" | "tokenFile" | "github" | "azurePipelines" | "midRun" | "nextLink" | "endpoint";

describe("sign-in through the real host against the emulator's HTTPS token endpoint", function () {
  let w: AuthWorld;
  /** One host per test (a host keeps the config of its first Configure), started together. */
  const hosts = {} as Record<HostName, Host>;
  before(async () => {
    w = await startAuthWorld();
    const authority = w.emu.authority!.url;
    const env: Record<HostName, Record<string, string>> = {
      secret: {},
      certificate: {},
      tokenFile: { AZURE_FEDERATED_TOKEN_FILE: w.tokenFile },
      // What .github/workflows/pulumi-up.yml sets, plus what GitHub sets for `id-token: write`,
      // plus the emulator's endpoints (a real run uses the cloud's).
      github: {
        AUTOPILOT_USE_OIDC: "true",
        AZURE_TENANT_ID: TENANT_ID,
        AZURE_CLIENT_ID: CLIENT_ID,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${authority}/_github/idtoken?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: GITHUB_REQUEST_TOKEN,
        AUTOPILOT_GRAPH_ENDPOINT: w.emu.url,
        AZURE_AUTHORITY_HOST: authority,
      },
      azurePipelines: { SYSTEM_OIDCREQUESTURI: `${authority}/_ado/oidctoken`, SYSTEM_ACCESSTOKEN: ADO_SYSTEM_TOKEN, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: ADO_SERVICE_CONNECTION },
      midRun: {},
      nextLink: {},
      endpoint: {},
    };
    const started = await Promise.all(
      Object.entries(env).map(async ([name, e]) => [name, await w.startHost(e, undefined, name === "github" ? { cwd: EXAMPLE_DIR, name: EXAMPLE_PROJECT } : undefined)] as const),
    );
    for (const [name, host] of started) hosts[name as HostName] = host;
  });
  after(async () => w.close());
  beforeEach(() => {
    w.emu.clearRequests();
    w.emu.authority!.clear();
    w.emu.authority!.setTokenLifetime(3600);
  });

  async function upAndRefresh(host: Host, config: Record<string, string>): Promise<void> {
    const engine = w.engine(host, devices(), config);
    const steps = await engine.up(false);
    for (const s of steps) assert.strictEqual(s.op, "create", `${s.name}: ${s.error}`);
    const refreshed = await engine.refresh();
    for (const s of refreshed) assert.strictEqual(s.op, "refresh", `${s.name}: ${s.error}`);
  }

  /** Many Graph calls, every one answered 200 with the one token the authority issued. */
  function assertOneTokenForAllCalls(credential: string, subject?: string): void {
    const graph = graphRequests(w);
    // A GET per device on create and on refresh (and whatever else the lifecycle sends).
    assert.ok(graph.length >= 2 * DEVICE_IDS.length, JSON.stringify(graph.map((r) => `${r.method} ${r.path} ${r.status}`)));
    assert.deepStrictEqual([...new Set(graph.map((r) => r.status))], [200]);
    const tokens = w.emu.authority!.tokenRequests;
    assert.strictEqual(tokens.length, 1, JSON.stringify(tokens));
    assert.deepStrictEqual(
      { tenant: tokens[0].tenant, clientId: tokens[0].clientId, credential: tokens[0].credential, scope: tokens[0].scope, status: tokens[0].status, subject: tokens[0].subject },
      { tenant: TENANT_ID, clientId: CLIENT_ID, credential, scope: `${w.emu.url}/.default`, status: 200, subject },
    );
  }

  /**
   * The CI system's ID token was fetched for the one Entra token request: MSAL (5.x) calls the
   * assertion callback twice per token request, so one or two fetches, each answered 200.
   */
  function assertIdTokenRequests(system: "github" | "azureDevOps"): void {
    const seen = w.emu.authority!.idTokenRequests;
    assert.ok(seen.length >= 1 && seen.length <= 2, JSON.stringify(seen));
    for (const r of seen) assert.deepStrictEqual(r, { system, status: 200 });
  }

  it("client secret: ClientSecretCredential, one token request for a dozen Graph calls", async () => {
    await upAndRefresh(hosts.secret, { ...w.baseConfig(), "autopilot:clientSecret": CLIENT_SECRET });
    assertOneTokenForAllCalls("client_secret");
    // MSAL read the tenant's metadata once, from the emulator (instance discovery is off for a custom authority).
    assert.deepStrictEqual(
      w.emu.authority!.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      [`GET /${TENANT_ID}/v2.0/.well-known/openid-configuration 200`, `POST /${TENANT_ID}/oauth2/v2.0/token 200`],
    );
  });

  it("certificate: ClientCertificateCredential signs a client assertion the authority verifies", async () => {
    await upAndRefresh(hosts.certificate, { ...w.baseConfig(), "autopilot:clientCertificatePath": w.certificateFile });
    assertOneTokenForAllCalls("certificate");
  });

  it("federated token file (useOidc + AZURE_FEDERATED_TOKEN_FILE): WorkloadIdentityCredential", async () => {
    await upAndRefresh(hosts.tokenFile, { ...w.baseConfig(), "autopilot:useOidc": "true" });
    assertOneTokenForAllCalls("federated", WORKLOAD_SUBJECT);
  });

  it("GitHub Actions: examples/github-actions with its workflow's environment; the ID token becomes the client assertion", async () => {
    // The stack config holds only the devices, as Pulumi.production.yaml does: no credential.
    const engine = w.engine(hosts.github, programFrom(EXAMPLE_DIR), { [`${EXAMPLE_PROJECT}:devices`]: JSON.stringify(EXAMPLE_DEVICES) }, [], EXAMPLE_PROJECT);
    const steps = await engine.up(false);
    assert.deepStrictEqual(steps.map((s) => `${s.op} ${s.name} ${s.error ?? ""}`.trim()), ["create device-5CG1234ABC", "create device-1ZXY8K3"]);
    assert.strictEqual(w.emu.tenant.devices.get("1cb374d2-6cd6-4ba1-a886-448a9054629d")!.displayName, "FIN-001");
    for (const s of await engine.refresh()) assert.strictEqual(s.op, "refresh", s.error);
    const graph = graphRequests(w);
    assert.ok(graph.length >= 4);
    assert.ok(graph.every((r) => r.status === 200 || r.status === 204), "every call signed in (updateDeviceProperties answers 204)");
    const tokens = w.emu.authority!.tokenRequests;
    assert.deepStrictEqual(
      tokens.map((t) => ({ clientId: t.clientId, credential: t.credential, subject: t.subject, status: t.status })),
      [{ clientId: CLIENT_ID, credential: "federated", subject: GITHUB_SUBJECT, status: 200 }],
    );
    assertIdTokenRequests("github");
  });

  it("Azure Pipelines (useOidc + SYSTEM_OIDCREQUESTURI): AzurePipelinesCredential", async () => {
    await upAndRefresh(hosts.azurePipelines, { ...w.baseConfig(), "autopilot:useOidc": "true" });
    assertOneTokenForAllCalls("federated", ADO_SUBJECT);
    assertIdTokenRequests("azureDevOps");
  });

  it("refreshes ahead of expiry mid-run: a 2 s token is replaced after 1 s, Graph never sees an expired one", async () => {
    w.emu.authority!.setTokenLifetime(2);
    const engine = w.engine(
      hosts.midRun,
      async () => {
        const early = DEVICE_IDS.slice(0, 3).map((deviceId, i) => new WindowsAutopilotDeviceIdentity(`early-${i}`, { deviceId }));
        await Promise.all(early.map((d) => new Promise((r) => d.deviceId.apply(r))));
        // The first token came before the first batch finished; now past its refresh point
        // (half the lifetime), and before it expires.
        await new Promise((r) => setTimeout(r, 1200));
        DEVICE_IDS.slice(3).forEach((deviceId, i) => new WindowsAutopilotDeviceIdentity(`late-${i}`, { deviceId }));
      },
      { ...w.baseConfig(), "autopilot:clientSecret": CLIENT_SECRET },
    );
    const steps = await engine.up(false);
    for (const s of steps) assert.strictEqual(s.op, "create", `${s.name}: ${s.error}`);
    const tokens = w.emu.authority!.tokenRequests;
    assert.strictEqual(tokens.length, 2, JSON.stringify(tokens));
    const graph = graphRequests(w);
    assert.deepStrictEqual([...new Set(graph.map((r) => r.status))], [200], "no request was refused");
    const early = graph.filter((r) => DEVICE_IDS.slice(0, 3).some((id) => r.path.endsWith(id)));
    const late = graph.filter((r) => DEVICE_IDS.slice(3).some((id) => r.path.endsWith(id)));
    assert.ok(early.every((r) => r.time <= tokens[1].time) && late.every((r) => r.time >= tokens[1].time), "the second token came between the two batches");
  });

  it("a 401 refreshes once and retries once; requests refused together cause one new token", async () => {
    // The client-secret test's host (same config): it may hold a token already.
    const host = hosts.secret;
    const config = { ...w.baseConfig(), "autopilot:clientSecret": CLIENT_SECRET };
    const engine = w.engine(host, devices(), config);
    await engine.up(false);
    assert.ok(w.emu.authority!.tokenRequests.length <= 1);
    w.emu.clearRequests();
    w.emu.authority!.clear();

    // The tenant expires every token (the provider's cache still thinks it valid).
    w.emu.authority!.expireTokens();
    const refreshed = await engine.refresh();
    for (const s of refreshed) assert.strictEqual(s.op, "refresh", `${s.name}: ${s.error}`);
    const tokens = w.emu.authority!.tokenRequests;
    assert.strictEqual(tokens.length, 1, "one new token for all refused requests");
    // Whether the reads went one by one or in a $batch: what was sent on the wire.
    const wire = graphRequests(w).filter((r) => !r.viaBatch);
    const refused = wire.filter((r) => r.status === 401);
    assert.ok(refused.length >= 1, "Graph refused the expired token");
    assert.ok(refused.every((r) => r.time <= tokens[0].time), "refused before the new token");
    const after = wire.filter((r) => r.time >= tokens[0].time);
    assert.strictEqual(after.length, refused.length, `each refused request sent once more: ${JSON.stringify(wire.map((r) => `${r.method} ${r.path} ${r.status}`))}`);
    assert.deepStrictEqual([...new Set(after.map((r) => r.status))], [200]);

    // Tokens refused whatever their age: one new token, one resend, then the 401 is the answer.
    w.emu.clearRequests();
    w.emu.authority!.refuseTokens(true);
    try {
      const one = w.engine(host, devices(DEVICE_IDS.slice(0, 1)), config);
      const step = stepOf(await one.up(false), "dev-0");
      assert.strictEqual(step.op, "failed");
      assert.match(step.error!, /401 InvalidAuthenticationToken: Access token validation failure\. \(request-id [0-9a-f-]{36}/);
      for (const t of w.emu.authority!.issuedTokens) assert.ok(!step.error!.includes(t), "no token in the message");
      assert.deepStrictEqual(graphRequests(w).filter((r) => !r.viaBatch).map((r) => r.status), [401, 401]);
      assert.strictEqual(w.emu.authority!.tokenRequests.length, 2, "one more new token, then no more");
    } finally {
      w.emu.authority!.refuseTokens(false);
    }
  });

  it("sends the token only to the configured Graph origin: a nextLink to another origin goes without it", async () => {
    // Graph over HTTPS on the authority's listener; its nextLinks point at the emulator's http origin.
    const added: string[] = [];
    for (let i = 0; i <= 101; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
      w.emu.tenant.devices.set(id, { id, serialNumber: i === 0 ? "PAGE" : `PAGE${i}`, manufacturer: "HP", model: "EliteBook" });
      added.push(id);
    }
    try {
      const config = { ...w.baseConfig(), "autopilot:graphEndpoint": w.emu.authority!.url, "autopilot:clientSecret": CLIENT_SECRET };
      const step = stepOf(await w.engine(hosts.nextLink, () => new WindowsAutopilotDeviceIdentity("dev", { serialNumber: "PAGE" }), config).up(false), "dev");
      const lists = graphRequests(w);
      assert.strictEqual(lists.length, 2, JSON.stringify(lists.map((r) => r.path)));
      const httpsPort = new URL(w.emu.authority!.url).port;
      const httpPort = new URL(w.emu.url).port;
      assert.strictEqual(lists[0].headers["host"], `127.0.0.1:${httpsPort}`);
      assert.strictEqual(lists[0].headers["authorization"], "Bearer <redacted>");
      assert.strictEqual(lists[1].headers["host"], `127.0.0.1:${httpPort}`);
      assert.strictEqual(lists[1].headers["authorization"], undefined, "no token to another origin");
      assert.strictEqual(lists[1].query.$skiptoken !== undefined, true);
      // That origin answers 401; the provider does not fetch a token for it, and the step says so.
      assert.strictEqual(step.op, "failed");
      assert.match(step.error!, /401 InvalidAuthenticationToken/);
      assert.strictEqual(w.emu.authority!.tokenRequests.length, 1);
      assert.strictEqual(w.emu.authority!.tokenRequests[0].scope, `${w.emu.authority!.url}/.default`, "the scope follows graphEndpoint");
    } finally {
      for (const id of added) w.emu.tenant.devices.delete(id);
    }
  });

  it("refuses a Graph endpoint that is neither https nor loopback, before any request", async () => {
    const host = hosts.endpoint;
    const config = { "autopilot:graphEndpoint": "http://graph.example.com", "autopilot:accessToken": "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln" };
    const step = stepOf(await w.engine(host, devices(DEVICE_IDS.slice(0, 1)), config).up(false), "dev-0");
    assert.strictEqual(step.op, "failed");
    assert.match(step.error!, /autopilot:graphEndpoint \(or AUTOPILOT_GRAPH_ENDPOINT\) must be an https URL, or http on loopback only .*got "http:\/\/graph\.example\.com": http is only allowed on loopback/);
    assert.ok(!step.error!.includes("eyJ0eXAi"));
    assert.strictEqual(w.emu.requests.length, 0);
    assert.strictEqual(w.emu.authority!.requests.length, 0);
  });
});
