import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Emulator, startEmulator } from "../emulator";
import { PulumiSandbox, REPO_ROOT } from "../pulumi/cli";
import { ConfigValue, Step, TestStack } from "../pulumi/stack";

// Seed ids (test/emulator/seed/tenant.json): the Sales profile, a group nobody's group tag puts a
// device in (examples assign profiles to it and remove the assignment again on destroy), and the
// dynamic group of group tag Retail.
const SALES_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const PROFILE_GROUP = "6b0f7c2e-1d3a-4e5f-8a9b-7c6d5e4f3a21";
const RETAIL_GROUP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";

/** Stack config each example needs to run against the emulator's seeded tenant. */
const EXAMPLES: Record<
    string,
    {
        config: Record<string, ConfigValue>;
        secretConfig?: Record<string, string>;
        lookups?: boolean;
        inPlace?: boolean;
        /** What the example is for, checked after its first up. */
        afterUp?: (emu: Emulator, stack: TestStack) => Promise<void>;
    }
> = {
    // The quick start, where it is: the repository root is also the package.
    ".": { config: {}, inPlace: true },
    "examples/hardware-hash-import": {
        config: {
            "autopilot-hardware-hash-import:serialNumber": "8CG7777EX1",
            "autopilot-hardware-hash-import:profileGroupId": PROFILE_GROUP,
            "autopilot-hardware-hash-import:profileId": SALES_PROFILE,
        },
        secretConfig: { "autopilot-hardware-hash-import:hardwareHash": crypto.randomBytes(3000).toString("base64") },
    },
    "examples/upload": {
        config: { "autopilot-upload:uploadId": "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe", "autopilot-upload:identityId": "5c092ae9-0a43-47c0-b864-431d1af4200b" },
    },
    "examples/fleet-from-csv": {
        config: {
            "autopilot-fleet-from-csv:skipBadRows": "true",
            "autopilot-fleet-from-csv:profileGroupId": PROFILE_GROUP,
            "autopilot-fleet-from-csv:profileId": SALES_PROFILE,
        },
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
        // Devices with different profiles (Sales, Finance): an assignment reached through a device is its profile's.
        config: { "autopilot-profile-assignment:serialNumbers": ["5CG2345BCD", "1ZXY8K3"], "autopilot-profile-assignment:profileGroupId": PROFILE_GROUP },
    },
    "examples/profile-for-group-tag": {
        config: { "autopilot-profile-for-group-tag:groupId": RETAIL_GROUP, "autopilot-profile-for-group-tag:groupTag": "Retail" },
        // The story: the fleet's group tag puts its devices in the group, so they get the profile.
        afterUp: async (emu, stack) => {
            const { profileId, deviceIds } = (await stack.outputs()) as { profileId: string; deviceIds: Record<string, string> };
            const res = await fetch(`${emu.url}/beta/deviceManagement/windowsAutopilotDeploymentProfiles/${profileId}/assignedDevices`, {
                headers: { authorization: "Bearer emulator-token" },
            });
            const assigned = ((await res.json()) as { value: Array<{ id: string }> }).value.map((d) => d.id).sort();
            assert.deepStrictEqual(assigned, Object.values(deviceIds).sort());
            assert.strictEqual(assigned.length, 3);
        },
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
        assert.deepStrictEqual(
            folders.filter((f) => !(f in EXAMPLES)),
            [],
        );
    });

    for (const [folder, { config, secretConfig = {}, lookups = false, inPlace, afterUp }] of Object.entries(EXAMPLES)) {
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
                assert.deepStrictEqual(
                    applied.steps.filter((s) => s.op !== "create"),
                    [],
                );
                assert.deepStrictEqual(applied.steps.map((s) => s.name).sort(), preview.steps.map((s) => s.name).sort());
                await afterUp?.(emu, stack);

                const refreshed = await stack.refresh();
                assert.deepStrictEqual(notSame(refreshed.steps), [], "nothing drifted");

                emu.clearRequests();
                const again = await stack.up();
                assert.deepStrictEqual(notSame(again.steps), []);
                assert.deepStrictEqual(providerRequests(), [], "a second up sends no request");

                const destroyed = await stack.destroy();
                assert.ok(
                    destroyed.steps.every((s) => s.op === "delete"),
                    JSON.stringify(destroyed.steps),
                );
                const left = (await stack.resources()).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
                assert.deepStrictEqual(left, []);
            } finally {
                stack.dispose();
            }
        });
    }
});
