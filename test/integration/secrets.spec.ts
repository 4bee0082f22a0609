import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    ImportedWindowsAutopilotDeviceIdentity,
    ImportedWindowsAutopilotDeviceIdentityUpload,
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeviceIdentity,
} from "../../provider";
import { RunResult, StateResource, Step, TestStack } from "../pulumi/stack";
import { AuthWorld, CLIENT_SECRET, startAuthWorld } from "./authKit";
import { failing, stepOf } from "./harness";

const FINANCE_1 = "1cb374d2-6cd6-4ba1-a886-448a9054629d";
const SALES_2 = "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff";
const UPLOAD_ID = "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe";
const GROUP = "0b8d3c1e-2f4a-4d5b-9c6e-7f8a9b0c1d2e";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

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

/** What a user sees of a command: the CLI's output (the provider's log among it) and the engine's errors. */
function shown(result: RunResult): string {
    return [result.stdout, result.stderr, ...result.errors, ...result.steps.map((s) => s.error ?? "")].join("\n");
}

/** Runs a command that may fail, keeping what the user saw either way. */
async function run(command: Promise<RunResult>): Promise<RunResult & { failure?: string }> {
    try {
        return await command;
    } catch (e) {
        const error = await failing(Promise.reject(e));
        return { ...error.result, failure: error.message };
    }
}

/**
 * Everything the stack left where a user or a pipeline can read it: the backend's state file,
 * `pulumi stack export` (without --show-secrets), the stack's config file, every `__provider`.
 */
async function kept(stack: TestStack): Promise<{ haystacks: Record<string, string[]>; exported: StateResource[] }> {
    const exported = await stack.exportedState();
    const providers = (await stack.resources()).flatMap((r) => [r.inputs?.__provider, r.outputs?.__provider]).filter((p): p is string => typeof p === "string");
    const configFile = path.join(stack.workDir, `Pulumi.${stack.stack.name}.yaml`);
    return {
        haystacks: {
            __provider: providers,
            "backend state file": [stack.storedState()],
            "pulumi stack export": [exported.text],
            "stack config file": [fs.readFileSync(configFile, "utf8")],
        },
        exported: exported.resources,
    };
}

/**
 * The secret fields of each resource, in its inputs and outputs as exported: each one that holds a
 * value is a ciphertext envelope. Returns how many there were (a scan that saw none proves nothing).
 */
function assertSecretFieldsSealed(resources: StateResource[], fields = ["productKey", "hardwareIdentifier"]): string[] {
    const sealed: string[] = [];
    for (const r of resources.filter((r) => r.type.includes("autopilot:"))) {
        for (const bag of ["inputs", "outputs"] as const) {
            for (const field of fields) {
                const value = r[bag]?.[field];
                if (value === undefined) continue;
                assert.ok(value !== null && typeof value === "object", `${r.urn} ${bag}.${field} is not sealed: ${JSON.stringify(value).slice(0, 20)}`);
                const envelope = value as Record<string, unknown>;
                assert.strictEqual(envelope[SECRET_SIG_KEY], "1b47061264138c4ac30d75fd1eb44270", `${r.urn} ${bag}.${field}`);
                assert.strictEqual(typeof envelope.ciphertext, "string", `${r.urn} ${bag}.${field} holds no ciphertext`);
                sealed.push(`${r.urn.split("::").pop()} ${bag}.${field}`);
            }
        }
    }
    return sealed.sort();
}

describe("secret hygiene through the real Pulumi CLI: no secret in __provider, the backend, the export, the CLI's output, the provider's log or error messages", function () {
    this.timeout(180_000);
    let w: AuthWorld;
    // Every log line goes to the host's stderr, which the CLI shows: the provider's (AUTOPILOT_LOG)
    // and @azure/identity's (AZURE_LOG_LEVEL).
    const LOGGING = { AUTOPILOT_LOG: "1", AZURE_LOG_LEVEL: "verbose", AUTOPILOT_IMPORT_POLL_MS: "20" };

    before(async () => {
        w = await startAuthWorld({ profile: "live", tokens: [ACCESS_TOKEN], importPendingReads: 1 });
    });
    after(async () => w?.close());

    it("finds a planted secret (the scan itself works)", () => {
        assert.deepStrictEqual(leaks({ log: [`x ${encodeURIComponent(CLIENT_SECRET)} y`] }, [CLIENT_SECRET]), [
            `log: ${encodeURIComponent(CLIENT_SECRET).slice(0, 8)}...`,
        ]);
        assert.strictEqual(leaks({ log: [`cut: ${HASH_OK.slice(1000, 1047)}…`] }, [HASH_OK]).length, 1, "a fragment of a hash");
        assert.deepStrictEqual(leaks({ log: ["clean"] }, [CLIENT_SECRET, HASH_OK]), []);
    });

    it("client secret, every resource class with product keys and hardware hashes, failures included", async () => {
        w.emu.setProfile("live");
        w.emu.clearRequests();
        const stack = await w.stack(
            () => {
                new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1, productKey: PRODUCT_KEY_DEVICE });
                new ImportedWindowsAutopilotDeviceIdentity("imp", {
                    serialNumber: "8CG5550AA1",
                    hardwareIdentifier: HASH_OK,
                    productKey: PRODUCT_KEY_IMPORT,
                    groupTag: "Sales",
                });
                new ImportedWindowsAutopilotDeviceIdentity("imp808", { serialNumber: "PF9ZZZZZ", hardwareIdentifier: HASH_808 });
                new ImportedWindowsAutopilotDeviceIdentityUpload("upload", { uploadId: UPLOAD_ID });
                new WindowsAutopilotDeploymentProfileAssignment("asg", { deviceId: SALES_2, target: { kind: "group", groupId: GROUP } });
            },
            { config: w.baseConfig(), secretConfig: { "autopilot:clientSecret": CLIENT_SECRET }, env: LOGGING },
        );
        // The resources do not depend on each other: every step runs, whichever fails first.
        const applied = await run(stack.up({ continueOnError: true }));
        const refreshed = await run(stack.refresh());
        const preview = await run(stack.preview());
        const steps: Step[] = applied.steps;

        // The secrets really went to Graph (so the scan below looks for something that was there).
        const bodies = JSON.stringify(w.emu.requests.map((r) => r.body));
        assert.ok(bodies.includes(PRODUCT_KEY_DEVICE) && bodies.includes(HASH_OK) && bodies.includes(HASH_808) && bodies.includes(PRODUCT_KEY_IMPORT));
        assert.deepStrictEqual(
            ["imp", "upload", "asg"].map((n) => stepOf(steps, n).op),
            ["create", "create", "create"],
        );
        // The failures: Graph's code and request id, no body.
        const devError = stepOf(steps, "dev").error ?? "";
        assert.match(devError, /No method match route template/);
        assert.match(devError, /request-id [0-9a-f-]{36}/);
        assert.match(stepOf(steps, "imp808").error ?? "", /808 ZtdDeviceAssignedToOtherTenant/);
        const output = [applied, refreshed, preview].map(shown);
        assert.ok(
            output.some((o) => /auth: got a token from ClientSecretCredential/.test(o)),
            "the provider's log reached the CLI's output",
        );
        assert.ok(
            output.some((o) => /azure:identity/.test(o)),
            "@azure/identity's log reached the CLI's output",
        );

        const { haystacks, exported } = await kept(stack);
        // dev (its product key, in and out), imp (key and hash, in and out), imp808 (hash, in and out).
        assert.deepStrictEqual(
            assertSecretFieldsSealed(exported),
            [
                // dev's write was refused: Graph holds no product key, so its outputs have none (not a sealed null).
                "dev inputs.productKey",
                "imp inputs.hardwareIdentifier",
                "imp inputs.productKey",
                "imp outputs.hardwareIdentifier",
                "imp outputs.productKey",
                "imp808 inputs.hardwareIdentifier",
                "imp808 outputs.hardwareIdentifier",
            ],
            "the secret inputs and outputs are ciphertext in the export",
        );
        assert.match(haystacks["stack config file"][0], /autopilot:clientSecret:\s+secure: \S+/, "the stack config holds the client secret sealed");
        assert.deepStrictEqual(
            leaks(
                { ...haystacks, "CLI output (up, refresh, preview)": output, errors: [applied.failure ?? "", refreshed.failure ?? "", preview.failure ?? ""] },
                [CLIENT_SECRET, PRODUCT_KEY_DEVICE, PRODUCT_KEY_IMPORT, HASH_OK, HASH_808, ...w.emu.authority!.issuedTokens],
            ),
            [],
        );
    });

    it("access token: through successful writes and failed lookups", async () => {
        w.emu.setProfile("documented");
        const stack = await w.stack(
            () => {
                new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1, productKey: PRODUCT_KEY_DEVICE, orderIdentifier: "PO-1" });
                new WindowsAutopilotDeviceIdentity("missing", { serialNumber: "NOSUCHSERIAL9" });
            },
            {
                config: { "autopilot:graphEndpoint": w.emu.url, "autopilot:maxRetries": "1" },
                secretConfig: { "autopilot:accessToken": ACCESS_TOKEN },
                env: LOGGING,
            },
        );
        const applied = await run(stack.up({ continueOnError: true }));
        assert.strictEqual(stepOf(applied.steps, "dev").op, "create", stepOf(applied.steps, "dev").error);
        assert.strictEqual(stepOf(applied.steps, "missing").op, "failed");
        assert.strictEqual(w.emu.tenant.devices.get(FINANCE_1)!.productKey, PRODUCT_KEY_DEVICE, "the PATCH carried the key");
        assert.match(shown(applied), /auth: /, "the provider's log reached the CLI's output");
        const { haystacks, exported } = await kept(stack);
        assert.strictEqual(assertSecretFieldsSealed(exported).length, 2, "the product key, in and out");
        assert.deepStrictEqual(
            leaks({ ...haystacks, "CLI output": [shown(applied)], errors: [applied.failure ?? ""] }, [ACCESS_TOKEN, PRODUCT_KEY_DEVICE]),
            [],
        );
    });

    it("a wrong client secret: the sign-in error names the credential and Entra's code, not the secret", async () => {
        w.emu.authority!.clear();
        const stack = await w.stack(() => new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1 }), {
            config: w.baseConfig(),
            secretConfig: { "autopilot:clientSecret": WRONG_SECRET },
            env: LOGGING,
        });
        const error = await failing(stack.up());
        const step = stepOf(error.result.steps, "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(
            step.error!,
            /Could not get a Microsoft Graph token from ClientSecretCredential \(tenant [0-9a-f-]{36}, client [0-9a-f-]{36}\) for scope http:\/\/127\.0\.0\.1:\d+\/\.default: .*AADSTS7000215: Invalid client secret provided/,
        );
        assert.deepStrictEqual(
            w.emu.authority!.tokenRequests.map((t) => [t.credential, t.status, t.error]),
            [["client_secret", 401, "AADSTS7000215"]],
        );
        const { haystacks } = await kept(stack);
        assert.deepStrictEqual(leaks({ ...haystacks, "CLI output": [shown(error.result)], errors: [error.message] }, [WRONG_SECRET, CLIENT_SECRET]), []);
    });

    it("a product key or a hash that fails check: the preview's message and output name the field, not the value", async () => {
        const badKey = `${productKey()}-${"K".repeat(60)}`;
        const badHash = HASH_OK.slice(0, -1);
        let args: { productKey?: string; hardwareIdentifier: string } = { productKey: badKey, hardwareIdentifier: HASH_OK };
        const stack = await w.stack(() => new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG5550CK1", ...args }), {
            config: { "autopilot:graphEndpoint": w.emu.url },
            secretConfig: { "autopilot:accessToken": ACCESS_TOKEN },
            env: LOGGING,
        });
        const key = await failing(stack.preview());
        assert.match(key.message, /resource 'imp' has a problem: productKey /);
        args = { hardwareIdentifier: badHash };
        const hash = await failing(stack.preview());
        assert.match(hash.message, /resource 'imp' has a problem: hardwareIdentifier is not base64/);
        assert.deepStrictEqual(
            leaks({ "CLI output": [shown(key.result), shown(hash.result)], errors: [key.message, hash.message] }, [badKey, badHash, ACCESS_TOKEN]),
            [],
        );
    });
});
