import * as assert from "assert";
import * as path from "path";
import { WindowsAutopilotDeviceIdentity } from "../../provider";
import { REPO_ROOT } from "../pulumi/cli";
import { TestStack } from "../pulumi/stack";
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
import { failing, stepOf } from "./harness";

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
const EXAMPLE_DEVICES = [
    { serialNumber: "5CG1234ABC", groupTag: "Sales", displayName: "SALES-001" },
    { serialNumber: "1ZXY8K3", groupTag: "Finance", displayName: "FIN-001" },
];

const graphRequests = (w: AuthWorld) => w.emu.requests.filter((r) => r.path.startsWith("/beta/") || r.path.startsWith("/v1.0/"));

describe("sign-in through the real Pulumi CLI against the emulator's HTTPS token endpoint", function () {
    this.timeout(120_000);
    let w: AuthWorld;
    before(async () => {
        w = await startAuthWorld();
    });
    after(async () => w?.close());
    beforeEach(() => {
        w.emu.clearRequests();
        w.emu.authority!.clear();
        w.emu.authority!.setTokenLifetime(3600);
    });

    /** `pulumi up` then `pulumi refresh`: two commands, so two provider hosts. */
    async function upAndRefresh(stack: TestStack): Promise<void> {
        const { steps } = await stack.up();
        for (const s of steps) assert.strictEqual(s.op, "create", `${s.name}: ${s.error}`);
        const refreshed = await stack.refresh();
        for (const s of refreshed.steps) assert.strictEqual(s.op, "same", `${s.name}: ${s.error}`);
    }

    /**
     * Many Graph calls, every one answered 200, with one token per `pulumi` command: each command
     * starts its own provider host, which signs in once.
     */
    function assertOneTokenPerCommand(commands: number, credential: string, subject?: string): void {
        const graph = graphRequests(w);
        // A GET per device on create and on refresh (and whatever else the lifecycle sends).
        assert.ok(graph.length >= 2 * DEVICE_IDS.length, JSON.stringify(graph.map((r) => `${r.method} ${r.path} ${r.status}`)));
        assert.deepStrictEqual([...new Set(graph.map((r) => r.status))], [200]);
        const tokens = w.emu.authority!.tokenRequests;
        assert.strictEqual(tokens.length, commands, JSON.stringify(tokens));
        for (const t of tokens) {
            assert.deepStrictEqual(
                { tenant: t.tenant, clientId: t.clientId, credential: t.credential, scope: t.scope, status: t.status, subject: t.subject },
                { tenant: TENANT_ID, clientId: CLIENT_ID, credential, scope: `${w.emu.url}/.default`, status: 200, subject },
            );
        }
    }

    /**
     * The CI system's ID token was fetched for each Entra token request: MSAL (5.x) calls the
     * assertion callback twice per token request, so one or two fetches each, each answered 200.
     */
    function assertIdTokenRequests(system: "github" | "azureDevOps", tokenRequests: number): void {
        const seen = w.emu.authority!.idTokenRequests;
        assert.ok(seen.length >= tokenRequests && seen.length <= 2 * tokenRequests, JSON.stringify(seen));
        for (const r of seen) assert.deepStrictEqual(r, { system, status: 200 });
    }

    it("client secret: ClientSecretCredential, one token request per command for all its Graph calls", async () => {
        await upAndRefresh(await w.stack(devices(), { config: w.baseConfig(), secretConfig: { "autopilot:clientSecret": CLIENT_SECRET } }));
        assertOneTokenPerCommand(2, "client_secret");
        // MSAL read the tenant's metadata once per host, from the emulator (instance discovery is off for a custom authority).
        const signIn = [`GET /${TENANT_ID}/v2.0/.well-known/openid-configuration 200`, `POST /${TENANT_ID}/oauth2/v2.0/token 200`];
        assert.deepStrictEqual(
            w.emu.authority!.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
            [...signIn, ...signIn],
        );
    });

    it("certificate: ClientCertificateCredential signs a client assertion the authority verifies", async () => {
        await upAndRefresh(await w.stack(devices(), { config: { ...w.baseConfig(), "autopilot:clientCertificatePath": w.certificateFile } }));
        assertOneTokenPerCommand(2, "certificate");
    });

    it("federated token file (useOidc + AZURE_FEDERATED_TOKEN_FILE): WorkloadIdentityCredential", async () => {
        await upAndRefresh(
            await w.stack(devices(), { config: { ...w.baseConfig(), "autopilot:useOidc": "true" }, env: { AZURE_FEDERATED_TOKEN_FILE: w.tokenFile } }),
        );
        assertOneTokenPerCommand(2, "federated", WORKLOAD_SUBJECT);
    });

    it("GitHub Actions: examples/github-actions with its workflow's environment; the ID token becomes the client assertion", async () => {
        const authority = w.emu.authority!.url;
        // The stack config holds only the devices, as Pulumi.production.yaml does: no credential.
        const stack = await w.folderStack(EXAMPLE_DIR, {
            config: { "autopilot-github-actions:devices": EXAMPLE_DEVICES },
            // What .github/workflows/pulumi-up.yml sets, plus what GitHub sets for `id-token: write`,
            // plus the emulator's endpoints (a real run uses the cloud's).
            env: {
                AUTOPILOT_USE_OIDC: "true",
                AZURE_TENANT_ID: TENANT_ID,
                AZURE_CLIENT_ID: CLIENT_ID,
                ACTIONS_ID_TOKEN_REQUEST_URL: `${authority}/_github/idtoken?api-version=2.0`,
                ACTIONS_ID_TOKEN_REQUEST_TOKEN: GITHUB_REQUEST_TOKEN,
                AUTOPILOT_GRAPH_ENDPOINT: w.emu.url,
                AZURE_AUTHORITY_HOST: authority,
            },
        });
        const { steps } = await stack.up();
        assert.deepStrictEqual(steps.map((s) => `${s.op} ${s.name} ${s.error ?? ""}`.trim()).sort(), ["create device-1ZXY8K3", "create device-5CG1234ABC"]);
        assert.strictEqual(w.emu.tenant.devices.get("1cb374d2-6cd6-4ba1-a886-448a9054629d")!.displayName, "FIN-001");
        for (const s of (await stack.refresh()).steps) assert.strictEqual(s.op, "same", s.error);
        const graph = graphRequests(w);
        assert.ok(graph.length >= 4);
        assert.ok(
            graph.every((r) => r.status === 200 || r.status === 204),
            "every call signed in (updateDeviceProperties answers 204)",
        );
        const tokens = w.emu.authority!.tokenRequests;
        assert.deepStrictEqual(
            tokens.map((t) => ({ clientId: t.clientId, credential: t.credential, subject: t.subject, status: t.status })),
            [1, 2].map(() => ({ clientId: CLIENT_ID, credential: "federated", subject: GITHUB_SUBJECT, status: 200 })),
            "one token per command (up, refresh)",
        );
        assertIdTokenRequests("github", 2);
    });

    it("Azure Pipelines (useOidc + SYSTEM_OIDCREQUESTURI): AzurePipelinesCredential", async () => {
        const authority = w.emu.authority!.url;
        const stack = await w.stack(devices(), {
            config: { ...w.baseConfig(), "autopilot:useOidc": "true" },
            env: {
                SYSTEM_OIDCREQUESTURI: `${authority}/_ado/oidctoken`,
                SYSTEM_ACCESSTOKEN: ADO_SYSTEM_TOKEN,
                AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: ADO_SERVICE_CONNECTION,
            },
        });
        await upAndRefresh(stack);
        assertOneTokenPerCommand(2, "federated", ADO_SUBJECT);
        assertIdTokenRequests("azureDevOps", 2);
    });

    it("refreshes ahead of expiry mid-run: a 4 s token is replaced after 2 s, Graph never sees an expired one", async () => {
        w.emu.authority!.setTokenLifetime(4);
        // The inline program runs in this process while the engine runs its steps: it waits for the
        // first batch, then past the token's refresh point (half its lifetime) and before it expires.
        const stack = await w.stack(
            async () => {
                const early = DEVICE_IDS.slice(0, 3).map((deviceId, i) => new WindowsAutopilotDeviceIdentity(`early-${i}`, { deviceId }));
                await Promise.all(early.map((d) => new Promise((r) => d.deviceId.apply(r))));
                await new Promise((r) => setTimeout(r, 2400));
                DEVICE_IDS.slice(3).forEach((deviceId, i) => new WindowsAutopilotDeviceIdentity(`late-${i}`, { deviceId }));
            },
            { config: w.baseConfig(), secretConfig: { "autopilot:clientSecret": CLIENT_SECRET } },
        );
        const { steps } = await stack.up();
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
        const config = { config: w.baseConfig(), secretConfig: { "autopilot:clientSecret": CLIENT_SECRET } };
        // A host signs in once per command: the tenant expires every token while this one runs (the
        // provider's cache still thinks its token valid), between the first device and the others.
        const stack = await w.stack(async () => {
            const first = new WindowsAutopilotDeviceIdentity("dev-0", { deviceId: DEVICE_IDS[0] });
            await new Promise((r) => first.deviceId.apply(r));
            w.emu.authority!.expireTokens();
            DEVICE_IDS.slice(1).forEach((deviceId, i) => new WindowsAutopilotDeviceIdentity(`dev-${i + 1}`, { deviceId }));
        }, config);
        const { steps } = await stack.up();
        for (const s of steps) assert.strictEqual(s.op, "create", `${s.name}: ${s.error}`);
        const tokens = w.emu.authority!.tokenRequests;
        assert.strictEqual(tokens.length, 2, "the first token, then one new token for all refused requests");
        // Whether the reads went one by one or in a $batch: what was sent on the wire.
        const wire = graphRequests(w).filter((r) => !r.viaBatch);
        const refused = wire.filter((r) => r.status === 401);
        assert.ok(refused.length >= 1, "Graph refused the expired token");
        assert.ok(
            refused.every((r) => r.time >= tokens[0].time && r.time <= tokens[1].time),
            "refused between the two tokens",
        );
        const after = wire.filter((r) => r.time >= tokens[1].time);
        // Each refused request is sent once more, with its client-request-id, and answered. A request
        // first sent after the new token (a $batch gathered meanwhile) is not a resend.
        const sent = JSON.stringify(wire.map((r) => `${r.method} ${r.path} ${r.status} ${r.headers["client-request-id"]}`));
        for (const r of refused) {
            const again = after.filter((a) => a.headers["client-request-id"] === r.headers["client-request-id"]);
            assert.strictEqual(again.length, 1, `${r.method} ${r.path} refused, then sent once more: ${sent}`);
        }
        assert.deepStrictEqual([...new Set(after.map((r) => r.status))], [200]);

        // Tokens refused whatever their age: one new token, one resend, then the 401 is the answer.
        w.emu.clearRequests();
        w.emu.authority!.clear();
        w.emu.authority!.refuseTokens(true);
        try {
            const one = await w.stack(devices(DEVICE_IDS.slice(0, 1)), config);
            const error = await failing(one.up());
            const step = stepOf(error.result.steps, "dev-0");
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /401 InvalidAuthenticationToken: Access token validation failure\. \(request-id [0-9a-f-]{36}/);
            const shown = `${error.message}\n${error.result.stdout}\n${error.result.stderr}`;
            for (const t of w.emu.authority!.issuedTokens) assert.ok(!shown.includes(t), "no token in the message or the CLI's output");
            assert.deepStrictEqual(
                graphRequests(w)
                    .filter((r) => !r.viaBatch)
                    .map((r) => r.status),
                [401, 401],
            );
            assert.strictEqual(w.emu.authority!.tokenRequests.length, 2, "the host's token, one more new token, then no more");
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
            const stack = await w.stack(() => new WindowsAutopilotDeviceIdentity("dev", { serialNumber: "PAGE" }), {
                config: { ...w.baseConfig(), "autopilot:graphEndpoint": w.emu.authority!.url },
                secretConfig: { "autopilot:clientSecret": CLIENT_SECRET },
            });
            const step = stepOf((await failing(stack.up())).result.steps, "dev");
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
        const token = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln";
        const stack = await w.stack(devices(DEVICE_IDS.slice(0, 1)), {
            config: { "autopilot:graphEndpoint": "http://graph.example.com" },
            secretConfig: { "autopilot:accessToken": token },
        });
        const error = await failing(stack.up());
        const step = stepOf(error.result.steps, "dev-0");
        assert.strictEqual(step.op, "failed");
        assert.match(
            step.error!,
            /autopilot:graphEndpoint \(or AUTOPILOT_GRAPH_ENDPOINT\) must be an https URL, or http on loopback only .*got "http:\/\/graph\.example\.com": http is only allowed on loopback/,
        );
        assert.ok(!`${error.message}\n${error.result.stdout}\n${error.result.stderr}`.includes("eyJ0eXAi"));
        assert.strictEqual(w.emu.requests.length, 0);
        assert.strictEqual(w.emu.authority!.requests.length, 0);
    });
});
