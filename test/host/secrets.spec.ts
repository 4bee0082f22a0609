import * as assert from "assert";
import * as crypto from "crypto";
import {
  ImportedWindowsAutopilotDeviceIdentity,
  ImportedWindowsAutopilotDeviceIdentityUpload,
  WindowsAutopilotDeploymentProfileAssignment,
  WindowsAutopilotDeviceIdentity,
} from "../../provider";
import type { Step } from "../runner/engine";
import type { Host } from "../runner/host";
import { AuthWorld, CLIENT_SECRET, startAuthWorld } from "./authKit";
import { stepOf } from "./harness";

const FINANCE_1 = "1cb374d2-6cd6-4ba1-a886-448a9054629d";
const SALES_2 = "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff";
const UPLOAD_ID = "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe";
const GROUP = "0b8d3c1e-2f4a-4d5b-9c6e-7f8a9b0c1d2e";

/** A product key in Windows' 5x5 form, random so no other text can contain it. */
function productKey(): string {
  const alphabet = "BCDFGHJKMPQRTVWXY2346789";
  return Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => alphabet[crypto.randomInt(alphabet.length)]).join("")).join("-");
}
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

const PRODUCT_KEY_DEVICE = productKey();
const PRODUCT_KEY_IMPORT = productKey();
const HASH_OK = crypto.randomBytes(4000).toString("base64");
const HASH_808 = crypto.randomBytes(4000).toString("base64");
const WRONG_SECRET = "Wr8Q~Ng7vN2pLk4Wd9tYc3Hs6Fj1Mb5Ge0Ua~Xq";
/** An access token as a user would paste it: a JWT. The emulator accepts it as a static token. */
const ACCESS_TOKEN = `${b64url({ typ: "JWT", alg: "RS256", kid: "k1" })}.${b64url({ aud: "graph", exp: 4102444800, appid: "ci", roles: ["DeviceManagementServiceConfig.ReadWrite.All"] })}.${crypto.randomBytes(64).toString("base64url")}`;

/**
 * Every form a secret could leak in: as is, URL-encoded, and for long ones (hashes, tokens) each
 * 24-character piece, so a cut-off fragment of 47 characters or more is found too.
 */
function needles(secrets: string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s);
    out.add(encodeURIComponent(s));
    if (s.length > 40) {
      for (let i = 0; i + 24 <= s.length; i += 24) out.add(s.slice(i, i + 24));
    }
  }
  return [...out];
}

/** Which needles occur in which haystacks; [] is clean. */
function leaks(haystacks: Record<string, string[]>, secrets: string[]): string[] {
  const found: string[] = [];
  for (const [where, texts] of Object.entries(haystacks)) {
    for (const needle of needles(secrets)) {
      if (texts.some((t) => t.includes(needle))) found.push(`${where}: ${needle.slice(0, 8)}...`);
    }
  }
  return found;
}

interface Capture {
  host: Host;
  log: string[];
}

describe("secret hygiene through the real host: no secret in __provider, plain state, logs or error messages", function () {
  let w: AuthWorld;
  const hosts: Record<"secret" | "token" | "wrong", Capture> = {} as never;

  before(async () => {
    w = await startAuthWorld({ profile: "live", tokens: [ACCESS_TOKEN], importPendingReads: 1 });
    // Every log line: the provider's (AUTOPILOT_LOG) and @azure/identity's (AZURE_LOG_LEVEL).
    const start = async (): Promise<Capture> => {
      const log: string[] = [];
      const host = await w.startHost({ AUTOPILOT_LOG: "1", AZURE_LOG_LEVEL: "verbose", AUTOPILOT_IMPORT_POLL_MS: "20" }, (l) => log.push(l));
      return { host, log };
    };
    [hosts.secret, hosts.token, hosts.wrong] = await Promise.all([start(), start(), start()]);
  });
  after(async () => w.close());

  it("finds a planted secret (the scan itself works)", () => {
    assert.deepStrictEqual(leaks({ log: [`x ${encodeURIComponent(CLIENT_SECRET)} y`] }, [CLIENT_SECRET]), [`log: ${encodeURIComponent(CLIENT_SECRET).slice(0, 8)}...`]);
    assert.strictEqual(leaks({ log: [`cut: ${HASH_OK.slice(1000, 1047)}…`] }, [HASH_OK]).length, 1, "a fragment of a hash");
    assert.deepStrictEqual(leaks({ log: ["clean"] }, [CLIENT_SECRET, HASH_OK]), []);
  });

  it("client secret, every resource class with product keys and hardware hashes, failures included", async () => {
    const { host, log } = hosts.secret;
    w.emu.setProfile("live");
    w.emu.clearRequests();
    const engine = w.engine(
      host,
      () => {
        new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1, productKey: PRODUCT_KEY_DEVICE });
        new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG5550AA1", hardwareIdentifier: HASH_OK, productKey: PRODUCT_KEY_IMPORT, groupTag: "Sales" });
        new ImportedWindowsAutopilotDeviceIdentity("imp808", { serialNumber: "PF9ZZZZZ", hardwareIdentifier: HASH_808 });
        new ImportedWindowsAutopilotDeviceIdentityUpload("upload", { uploadId: UPLOAD_ID });
        new WindowsAutopilotDeploymentProfileAssignment("asg", { deviceId: SALES_2, target: { kind: "group", groupId: GROUP } });
      },
      { ...w.baseConfig(), "autopilot:clientSecret": CLIENT_SECRET },
    );
    const steps: Step[] = await engine.up(false);
    steps.push(...(await engine.refresh()));

    // The secrets really went to Graph (so the scan below looks for something that was there).
    const bodies = JSON.stringify(w.emu.requests.map((r) => r.body));
    assert.ok(bodies.includes(PRODUCT_KEY_DEVICE) && bodies.includes(HASH_OK) && bodies.includes(HASH_808) && bodies.includes(PRODUCT_KEY_IMPORT));
    assert.strictEqual(stepOf(steps.filter((s) => s.op !== "refresh"), "imp").op, "create");
    assert.strictEqual(stepOf(steps.filter((s) => s.op !== "refresh"), "upload").op, "create");
    assert.strictEqual(stepOf(steps.filter((s) => s.op !== "refresh"), "asg").op, "create");
    // The failures: Graph's code and request id, no body.
    const devError = stepOf(steps.filter((s) => s.op !== "refresh"), "dev").error ?? "";
    assert.match(devError, /No method match route template/);
    assert.match(devError, /request-id [0-9a-f-]{36}/);
    assert.match(stepOf(steps.filter((s) => s.op !== "refresh"), "imp808").error ?? "", /808 ZtdDeviceAssignedToOtherTenant/);
    assert.ok(log.some((l) => /auth: got a token from ClientSecretCredential/.test(l)), "the provider logged");
    assert.ok(log.some((l) => /azure:identity/.test(l)), "@azure/identity logged");

    const state = engine.entries();
    const providers = state.flatMap((e) => [e.inputs.__provider, e.outputs.__provider]).filter((p): p is string => typeof p === "string");
    assert.strictEqual(providers.length, 2 * state.length);
    const errors = steps.map((s) => s.error ?? "").filter(Boolean);
    assert.ok(errors.length >= 2);
    assert.deepStrictEqual(
      leaks(
        { "__provider": providers, "state (plain outputs and inputs)": [JSON.stringify(state)], log, errors },
        [CLIENT_SECRET, PRODUCT_KEY_DEVICE, PRODUCT_KEY_IMPORT, HASH_OK, HASH_808, ...w.emu.authority!.issuedTokens],
      ),
      [],
    );
  });

  it("access token: through successful writes and failed lookups", async () => {
    const { host, log } = hosts.token;
    w.emu.setProfile("documented");
    const engine = w.engine(
      host,
      () => {
        new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1, productKey: PRODUCT_KEY_DEVICE, orderIdentifier: "PO-1" });
        new WindowsAutopilotDeviceIdentity("missing", { serialNumber: "NOSUCHSERIAL9" });
      },
      { "autopilot:graphEndpoint": w.emu.url, "autopilot:accessToken": ACCESS_TOKEN, "autopilot:maxRetries": "1" },
    );
    const steps = await engine.up(false);
    assert.strictEqual(stepOf(steps, "dev").op, "create", stepOf(steps, "dev").error);
    assert.strictEqual(stepOf(steps, "missing").op, "failed");
    assert.strictEqual(w.emu.tenant.devices.get(FINANCE_1)!.productKey, PRODUCT_KEY_DEVICE, "the PATCH carried the key");
    const state = engine.entries();
    assert.deepStrictEqual(
      leaks({ "__provider": state.map((e) => String(e.outputs.__provider)), state: [JSON.stringify(state)], log, errors: steps.map((s) => s.error ?? "") }, [ACCESS_TOKEN, PRODUCT_KEY_DEVICE]),
      [],
    );
  });

  it("a wrong client secret: the sign-in error names the credential and Entra's code, not the secret", async () => {
    const { host, log } = hosts.wrong;
    w.emu.authority!.clear();
    const engine = w.engine(host, () => new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1 }), { ...w.baseConfig(), "autopilot:clientSecret": WRONG_SECRET });
    const step = stepOf(await engine.up(false), "dev");
    assert.strictEqual(step.op, "failed");
    assert.match(step.error!, /Could not get a Microsoft Graph token from ClientSecretCredential \(tenant [0-9a-f-]{36}, client [0-9a-f-]{36}\) for scope http:\/\/127\.0\.0\.1:\d+\/\.default: .*AADSTS7000215: Invalid client secret provided/);
    assert.deepStrictEqual(w.emu.authority!.tokenRequests.map((t) => [t.credential, t.status, t.error]), [["client_secret", 401, "AADSTS7000215"]]);
    assert.deepStrictEqual(leaks({ log, errors: [step.error!] }, [WRONG_SECRET, CLIENT_SECRET]), []);
  });
});
