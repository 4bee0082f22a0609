import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Emulator, startEmulator } from "../emulator";
import { Engine } from "../runner/engine";
import { Host, REPO_ROOT } from "../runner/host";
import { programFrom, projectName } from "../runner/program";

/** Stack config each example needs to run against the emulator's seeded tenant. */
const EXAMPLES: Record<string, { config: Record<string, string>; secretKeys?: string[]; lookups?: boolean }> = {
    ".": { config: {} },
    "examples/hardware-hash-import": {
        config: {
            "autopilot-hardware-hash-import:serialNumber": "8CG7777EX1",
            "autopilot-hardware-hash-import:hardwareHash": crypto.randomBytes(3000).toString("base64"),
            "autopilot-hardware-hash-import:profileGroupId": "4feb833d-fd1e-48eb-ad7e-9e4843bc2207",
        },
        secretKeys: ["autopilot-hardware-hash-import:hardwareHash"],
    },
    "examples/upload": {
        config: {
            "autopilot-upload:uploadId": "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe",
            "autopilot-upload:identityId": "5c092ae9-0a43-47c0-b864-431d1af4200b",
        },
    },
    "examples/fleet-from-csv": {
        config: {
            "autopilot-fleet-from-csv:skipBadRows": "true",
            "autopilot-fleet-from-csv:profileGroupId": "4feb833d-fd1e-48eb-ad7e-9e4843bc2207",
        },
    },
    "examples/adopt-by-group-tag": {
        config: { "autopilot-adopt-by-group-tag:groupTag": "Engineering", "autopilot-adopt-by-group-tag:namePrefix": "ENG" },
        // The program itself lists devices (getAutopilotDevices) on every run, preview included.
        lookups: true,
    },
    "examples/github-actions": {
        config: {
            "autopilot-github-actions:devices": JSON.stringify([
                { serialNumber: "5CG1234ABC", groupTag: "Sales", displayName: "SALES-001" },
                { serialNumber: "1ZXY8K3", groupTag: "Finance", displayName: "FIN-001" },
            ]),
        },
    },
    "examples/profile-assignment": {
        config: {
            "autopilot-profile-assignment:serialNumbers": JSON.stringify(["5CG2345BCD", "7HQ2BN3"]),
            "autopilot-profile-assignment:profileGroupId": "4feb833d-fd1e-48eb-ad7e-9e4843bc2207",
        },
    },
};

describe("every example runs through the real host against the emulator", function () {
    let emu: Emulator;
    let stateDir: string;
    before(async () => {
        emu = await startEmulator({ profile: "live", importPendingReads: 1 });
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-examples-"));
    });
    after(async () => {
        await emu.close();
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("has a test entry for each folder under examples/", () => {
        const folders = fs.readdirSync(path.join(REPO_ROOT, "examples")).map((d) => `examples/${d}`);
        assert.deepStrictEqual(folders.filter((f) => !(f in EXAMPLES)), []);
    });

    for (const [folder, { config, secretKeys = [], lookups = false }] of Object.entries(EXAMPLES)) {
        it(`${folder}: applies, then plans no change with no request`, async () => {
            const dir = path.join(REPO_ROOT, folder);
            const project = projectName(dir);
            const host = await Host.start({ cwd: dir, project, env: { AUTOPILOT_IMPORT_POLL_MS: "50" } });
            try {
                const engine = new Engine({
                    host,
                    project,
                    stack: "ci",
                    config: { "autopilot:graphEndpoint": emu.url, "autopilot:accessToken": "emulator-token", ...config },
                    secretConfigKeys: ["autopilot:accessToken", ...secretKeys],
                    stateFile: path.join(stateDir, `${project}.json`),
                    program: programFrom(dir),
                });
                const applied = await engine.up(false);
                assert.deepStrictEqual(applied.filter((s) => s.op === "failed"), []);
                assert.ok(applied.length > 0);
                emu.clearRequests();
                const again = await engine.up(true);
                assert.deepStrictEqual(again.filter((s) => s.op !== "same"), []);
                const providerRequests = emu.requests.filter((r) => !(lookups && r.method === "GET" && r.path.endsWith("/windowsAutopilotDeviceIdentities")));
                assert.deepStrictEqual(providerRequests, []);
            } finally {
                await host.close();
            }
        });
    }
});
