import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Emulator, startEmulator } from "../emulator";
import { PulumiSandbox, REPO_ROOT } from "../pulumi/cli";
import { ConfigValue, Step, TestStack } from "../pulumi/stack";

const PROFILE_GROUP = "4feb833d-fd1e-48eb-ad7e-9e4843bc2207";

/** Stack config each example needs to run against the emulator's seeded tenant. */
const EXAMPLES: Record<string, { config: Record<string, ConfigValue>; secretConfig?: Record<string, string>; lookups?: boolean; inPlace?: boolean }> = {
    // The quick start, where it is: the repository root is also the package.
    ".": { config: {}, inPlace: true },
    "examples/hardware-hash-import": {
        config: { "autopilot-hardware-hash-import:serialNumber": "8CG7777EX1", "autopilot-hardware-hash-import:profileGroupId": PROFILE_GROUP },
        secretConfig: { "autopilot-hardware-hash-import:hardwareHash": crypto.randomBytes(3000).toString("base64") },
    },
    "examples/upload": {
        config: { "autopilot-upload:uploadId": "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe", "autopilot-upload:identityId": "5c092ae9-0a43-47c0-b864-431d1af4200b" },
    },
    "examples/fleet-from-csv": {
        config: { "autopilot-fleet-from-csv:skipBadRows": "true", "autopilot-fleet-from-csv:profileGroupId": PROFILE_GROUP },
    },
    "examples/adopt-by-group-tag": {
        config: { "autopilot-adopt-by-group-tag:groupTag": "Engineering", "autopilot-adopt-by-group-tag:namePrefix": "ENG" },
        // The program itself lists devices (getAutopilotDevices) on every run, preview included.
        lookups: true,
    },
    "examples/github-actions": {
        config: {
            "autopilot-github-actions:devices": [
                { serialNumber: "5CG1234ABC", groupTag: "Sales", displayName: "SALES-001" },
                { serialNumber: "1ZXY8K3", groupTag: "Finance", displayName: "FIN-001" },
            ],
        },
    },
    "examples/profile-assignment": {
        config: { "autopilot-profile-assignment:serialNumbers": ["5CG2345BCD", "7HQ2BN3"], "autopilot-profile-assignment:profileGroupId": PROFILE_GROUP },
    },
};

function notSame(steps: Step[]): Step[] {
    return steps.filter((s) => s.op !== "same");
}

describe("every example through the real Pulumi CLI against the emulator: preview, up, refresh, up again, destroy", function () {
    this.timeout(180_000);
    let emu: Emulator;
    let sandbox: PulumiSandbox;
    before(async () => {
        emu = await startEmulator({ profile: "live", importPendingReads: 1 });
        sandbox = new PulumiSandbox();
    });
    after(async () => {
        sandbox?.dispose();
        await emu?.close();
    });

    it("has a test entry for each folder under examples/", () => {
        const folders = fs.readdirSync(path.join(REPO_ROOT, "examples")).map((d) => `examples/${d}`);
        assert.deepStrictEqual(folders.filter((f) => !(f in EXAMPLES)), []);
    });

    for (const [folder, { config, secretConfig = {}, lookups = false, inPlace }] of Object.entries(EXAMPLES)) {
        it(`${folder}`, async () => {
            const stack = await TestStack.folder({
                sandbox,
                dir: path.join(REPO_ROOT, folder),
                inPlace,
                config: { "autopilot:graphEndpoint": emu.url, "autopilot:maxRetries": "3", ...config },
                secretConfig: { "autopilot:accessToken": "emulator-token", ...secretConfig },
                env: { AUTOPILOT_IMPORT_POLL_MS: "50" },
            });
            const providerRequests = () => emu.requests.filter((r) => !(lookups && r.method === "GET" && r.path.endsWith("/windowsAutopilotDeviceIdentities")));
            try {
                emu.clearRequests();
                const preview = await stack.preview();
                assert.ok(preview.steps.length > 0 && preview.steps.every((s) => s.op === "create"), JSON.stringify(preview.steps));
                assert.deepStrictEqual(providerRequests(), [], "a preview of new resources sends no request");

                const applied = await stack.up();
                assert.deepStrictEqual(applied.steps.filter((s) => s.op !== "create"), []);
                assert.deepStrictEqual(
                    applied.steps.map((s) => s.name).sort(),
                    preview.steps.map((s) => s.name).sort(),
                );

                const refreshed = await stack.refresh();
                assert.deepStrictEqual(notSame(refreshed.steps), [], "nothing drifted");

                emu.clearRequests();
                const again = await stack.up();
                assert.deepStrictEqual(notSame(again.steps), []);
                assert.deepStrictEqual(providerRequests(), [], "a second up sends no request");

                const destroyed = await stack.destroy();
                assert.ok(destroyed.steps.every((s) => s.op === "delete"), JSON.stringify(destroyed.steps));
                const left = (await stack.resources()).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
                assert.deepStrictEqual(left, []);
            } finally {
                stack.dispose();
            }
        });
    }
});
