import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../pulumi/cli";
import { auditState, KnownSecrets } from "./stateAudit";

const HASH = "A".repeat(40) + "bm90IGEgcmVhbCBoYXNoIGJ1dCBsb25nIGVub3VnaCB0byBiZSBzZWFyY2hlZA==";
const SECRETS: KnownSecrets = { hardwareHashes: [HASH], productKeys: ["XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"], accessToken: "token-123" };
const SEALED = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc:def" };

function exportWith(importInputs: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    return JSON.stringify({
        deployment: {
            resources: [
                { type: "pulumi:pulumi:Stack" },
                { type: "pulumi-nodejs:dynamic/autopilot:ImportedWindowsAutopilotDeviceIdentity", inputs: importInputs, outputs: extra },
            ],
        },
    });
}

describe("the demo's state audit", () => {
    it("counts a sealed hardware hash and finds no secret when the state holds ciphertext only", () => {
        const report = auditState(exportWith({ hardwareIdentifier: SEALED }), SECRETS);
        assert.deepStrictEqual(
            { ...report, bytes: 0 },
            {
                bytes: 0,
                resources: 2,
                autopilotResources: 1,
                otherTypes: ["pulumi:pulumi:Stack"],
                hashesSealed: 1,
                hashesInPlainText: 0,
                productKeysInPlainText: 0,
                tokenInPlainText: false,
            },
        );
    });

    it("finds a hash in plain text, whole or cut short, a product key and the token anywhere in the state", () => {
        assert.strictEqual(auditState(exportWith({ hardwareIdentifier: HASH }), SECRETS).hashesSealed, 0);
        assert.strictEqual(auditState(exportWith({ hardwareIdentifier: HASH }), SECRETS).hashesInPlainText, 1);
        assert.strictEqual(auditState(exportWith({ hardwareIdentifier: SEALED }, { note: `x${HASH.slice(0, 70)}` }), SECRETS).hashesInPlainText, 1);
        assert.strictEqual(auditState(exportWith({ hardwareIdentifier: SEALED }, { productKey: SECRETS.productKeys[0] }), SECRETS).productKeysInPlainText, 1);
        assert.strictEqual(auditState(exportWith({ hardwareIdentifier: SEALED }, { header: `Bearer ${SECRETS.accessToken}` }), SECRETS).tokenInPlainText, true);
    });

    it("reads a backend state file, whose resources sit under checkpoint.latest", () => {
        const stored = JSON.stringify({ checkpoint: { latest: { resources: JSON.parse(exportWith({ hardwareIdentifier: SEALED })).deployment.resources } } });
        assert.strictEqual(auditState(stored, SECRETS).hashesSealed, 1);
    });
});

describe("npm run demo: the fleet story through the real Pulumi CLI, end to end", function () {
    // About 40 s alone on 2 cores (five pulumi commands, each compiling the program with ts-node).
    this.timeout(240_000);

    it("reports the bad rows, plans 47 resources, applies them, changes nothing the second time and keeps secrets out of the state; exit code 0", async () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-demo-home-"));
        const stackFilesBefore = fs.readdirSync(path.join(REPO_ROOT, "examples", "fleet-from-csv")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        try {
            // A HOME of its own: the demo must not write a ~/.pulumi (it has a PULUMI_HOME of its own).
            const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "test", "demo", "demo.ts")], {
                cwd: REPO_ROOT,
                env: { ...process.env, HOME: home },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let out = "";
            child.stdout.on("data", (c) => (out += c));
            child.stderr.on("data", (c) => (out += c));
            const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
            assert.strictEqual(code, 0, out);

            const expected: (string | RegExp)[] = [
                /^\$ pulumi stack init demo$/m,
                /^\$ pulumi preview$/m,
                "error: the hardware-hash CSV has 2 problem(s); nothing was created",
                "devices.csv:8: Hardware Hash: is not base64",
                "devices.csv:20: Device Serial Number: duplicates the serial number of line 4",
                "# ok: nothing was created: 0 Graph request(s)",
                /^\$ pulumi config set skipBadRows true$/m,
                "+ 49 to create",
                "# ok: the plan creates 47 Autopilot resources",
                /^\$ pulumi up --yes --skip-preview$/m,
                /^# Graph now: imports: \d+ pending; /m,
                "+ 49 created",
                /^# ok: imports went from pending \(up to \d+ at once\) to complete: 23 of 23$/m,
                "# ok: 23 of 23 devices have the group tag, name and user",
                /^8CG51001ZK +complete +[0-9a-f-]{36} +Sales +S-8CG51001ZK +alex\.wilber@contoso\.com +Sales \(Entra join\)$/m,
                /^8CG51005ZK +complete +[0-9a-f-]{36} +Sales-Kiosk +S-8CG51005ZK +adele\.vance@contoso\.com$/m,
                /^\$ pulumi up --yes --expect-no-changes$/m,
                '# ok: pulumi up changed nothing: its preview and its update each report "49 unchanged", "49 unchanged"',
                /^\$ pulumi stack export --file state\.json$/m,
                "hardware hashes: 23 in the state, each as ciphertext; 0 of the CSV's 25 in plain text",
                "access token: not present",
                /^# Demo finished in \d+ s: every step went as described\.$/m,
            ];
            let from = 0;
            for (const want of expected) {
                const rest = out.slice(from);
                const m =
                    typeof want === "string"
                        ? { index: rest.indexOf(want), length: want.length }
                        : ((r) => (r ? { index: r.index, length: r[0].length } : { index: -1, length: 0 }))(want.exec(rest));
                assert.ok(m.index >= 0, `expected, in this order, ${want} after:\n${out.slice(Math.max(0, from - 400), from)}\n---\n${out}`);
                from += m.index + m.length;
            }
            assert.doesNotMatch(out, /unhandled exception|FAILED/);

            // Cleaned up: the sandbox, the project copy; no stack file in the example, no ~/.pulumi.
            const sandbox = /a PULUMI_HOME of its own in (\S+),/.exec(out)?.[1];
            const copy = /a copy of examples\/fleet-from-csv in (\S+) /.exec(out)?.[1];
            assert.ok(sandbox && copy, out);
            assert.strictEqual(fs.existsSync(sandbox), false, sandbox);
            assert.strictEqual(fs.existsSync(path.join(REPO_ROOT, copy)), false, copy);
            const stackFilesAfter = fs.readdirSync(path.join(REPO_ROOT, "examples", "fleet-from-csv")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
            assert.deepStrictEqual(stackFilesAfter, stackFilesBefore);
            assert.deepStrictEqual(fs.readdirSync(home), []);
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });
});
