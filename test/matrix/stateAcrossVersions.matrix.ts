// A stack made on the oldest supported toolchain (row a: its Node.js, @pulumi/pulumi and CLI) is
// carried on by the current one (row b) after the user upgrades the project in place: the state the
// earlier SDK's host and engine wrote refreshes with no change, previews with no request, updates
// and destroys. The project is examples/hardware-hash-import (an import with a secret hash, the
// device it registers, a profile's group assignment) copied outside the repository and installed
// from the packed package, as a user's project is. Runs in row b (scripts/test-matrix.js), which
// builds row a's CLI first.
import * as assert from "assert";
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { Emulator, startEmulator } from "../emulator";
import { openSecrets } from "../integration/harness";
import { editPackageJson, installedCopies, outsideFolder, packPackage } from "../package/outsideRepo";
import { PulumiSandbox, pulumiCliAt, REPO_ROOT } from "../pulumi/cli";
import { shortType, StateResource, TestStack } from "../pulumi/stack";
import { CURRENT, FLOOR, nodeBinDir, npm, pathWith } from "../pulumi/toolchain";

const PROJECT = "autopilot-hardware-hash-import";
const SERIAL = "8CGUPGRADE1";
// Seed ids (test/emulator/seed/tenant.json): the Sales profile and a group no group tag fills.
const SALES_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const PROFILE_GROUP = "6b0f7c2e-1d3a-4e5f-8a9b-7c6d5e4f3a21";

/** The requests that changed something in Graph, as [method, last path segment, body]. */
function writes(emu: Emulator): unknown[] {
    return emu.requests.filter((r) => r.method !== "GET").map((r) => [r.method, r.path.split("/").pop(), r.body]);
}

describe(`a stack made with Node.js ${FLOOR.node}, @pulumi/pulumi and CLI ${FLOOR.pulumi}, carried on with Node.js ${CURRENT.node}, @pulumi/pulumi and CLI ${CURRENT.pulumi}`, function () {
    this.timeout(900_000);
    let work: string;
    let emu: Emulator;
    let before: PulumiSandbox;
    let after: PulumiSandbox;
    let stack: TestStack | undefined;
    const hash = crypto.randomBytes(3000).toString("base64");

    beforeEach(async () => {
        work = outsideFolder("upgrade");
        emu = await startEmulator({ profile: "live", importPendingReads: 1 });
        before = new PulumiSandbox(undefined, { cli: pulumiCliAt(FLOOR.pulumi) });
        after = new PulumiSandbox(undefined, { cli: pulumiCliAt(CURRENT.pulumi), sharing: before });
    });
    afterEach(async () => {
        stack?.dispose();
        after?.dispose();
        before?.dispose();
        await emu?.close();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("refreshes with no change, previews with no request, updates and destroys; the hash stays a sealed digest", async () => {
        const { tarball } = await packPackage(work);
        const project = path.join(work, "project");
        fs.cpSync(path.join(REPO_ROOT, "examples", "hardware-hash-import"), project, { recursive: true });
        const sealed = (file: string) => assert.ok(!fs.readFileSync(file, "utf8").includes(hash.slice(0, 64)), "the hash is ciphertext in the backend");
        const stateFile = before.stateFile(PROJECT, "prod");

        // Row a: the project on the floor SDK, `pulumi up` with the floor CLI on Node.js 20.
        const oldNode = nodeBinDir(FLOOR.node);
        editPackageJson(project, (p) => {
            p.dependencies["pulumi-autopilot"] = `file:${tarball}`;
            p.dependencies["@pulumi/pulumi"] = FLOOR.pulumi;
        });
        await npm(project, oldNode, ["install", "--prefer-offline"]);
        assert.deepStrictEqual(
            installedCopies(project, "@pulumi/pulumi").map((c) => c.version),
            [FLOOR.pulumi],
        );
        const oldEnv = before.env({ PATH: pathWith(before.cli.binDir, oldNode), AUTOPILOT_IMPORT_POLL_MS: "50" });
        const pulumi = (args: string[]) =>
            promisify(execFile)(path.join(before.cli.binDir, "pulumi"), [...args, "--non-interactive"], {
                cwd: project,
                env: { ...process.env, ...oldEnv },
                maxBuffer: 64 * 1024 * 1024,
            }).catch((e) => {
                throw new Error(`pulumi ${args.join(" ")} (CLI ${FLOOR.pulumi}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
            });
        await pulumi(["stack", "init", "prod"]);
        await pulumi([
            "config",
            "set-all",
            "--plaintext",
            `autopilot:graphEndpoint=${emu.url}`,
            "--plaintext",
            "autopilot:maxRetries=3",
            "--secret",
            "autopilot:accessToken=emulator-token",
            "--plaintext",
            `${PROJECT}:serialNumber=${SERIAL}`,
            "--secret",
            `${PROJECT}:hardwareHash=${hash}`,
            "--plaintext",
            `${PROJECT}:profileGroupId=${PROFILE_GROUP}`,
            "--plaintext",
            `${PROJECT}:profileId=${SALES_PROFILE}`,
        ]);
        const { stdout: version } = await pulumi(["version"]);
        assert.strictEqual(version.trim(), `v${FLOOR.pulumi}`);
        await pulumi(["up", "--yes", "--skip-preview"]);
        sealed(stateFile);
        const made = JSON.parse(fs.readFileSync(stateFile, "utf8")).checkpoint.latest.resources as StateResource[];
        const names = made
            .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
            .map((r) => `${shortType(r.type)} ${r.urn.split("::").pop()}`)
            .sort();
        assert.deepStrictEqual(names, [
            `autopilot:ImportedWindowsAutopilotDeviceIdentity import-${SERIAL}`,
            "autopilot:WindowsAutopilotDeploymentProfileAssignment profile-assignment",
            `autopilot:WindowsAutopilotDeviceIdentity device-${SERIAL}`,
        ]);
        const deviceId = made.find((r) => r.urn.endsWith(`::device-${SERIAL}`))!.id!;
        assert.strictEqual(emu.tenant.devices.get(deviceId)?.displayName, "SALES-NEW-01");

        // The user upgrades: the current SDK in the same project, Node.js 22, the current CLI.
        const newNode = nodeBinDir(CURRENT.node);
        await npm(project, newNode, ["install", "--prefer-offline", `@pulumi/pulumi@${CURRENT.pulumi}`]);
        assert.deepStrictEqual(
            installedCopies(project, "@pulumi/pulumi").map((c) => c.version),
            [CURRENT.pulumi],
            "one copy, upgraded",
        );
        stack = await TestStack.folder({
            sandbox: after,
            dir: project,
            inPlace: true,
            stackName: "prod",
            env: { PATH: pathWith(after.cli.binDir, newNode), AUTOPILOT_IMPORT_POLL_MS: "50" },
        });

        const refreshed = await stack.refresh();
        assert.deepStrictEqual(
            refreshed.steps.filter((s) => s.op !== "same"),
            [],
            "nothing drifted: the earlier state reads back as it was",
        );
        sealed(stateFile);

        emu.clearRequests();
        const preview = await stack.preview();
        assert.deepStrictEqual(
            preview.steps.filter((s) => s.op !== "same"),
            [],
        );
        assert.deepStrictEqual(emu.requests, [], "a no-change preview sends no request");

        await stack.setConfig({ [`${PROJECT}:deviceName`]: "SALES-NEW-02" });
        emu.clearRequests();
        const updated = await stack.up();
        assert.deepStrictEqual(
            updated.steps.filter((s) => s.op !== "same").map((s) => [s.name, s.op, s.changed]),
            [[`device-${SERIAL}`, "update", ["displayName"]]],
        );
        assert.deepStrictEqual(writes(emu), [["POST", "updateDeviceProperties", { displayName: "SALES-NEW-02" }]]);
        assert.strictEqual(emu.tenant.devices.get(deviceId)?.displayName, "SALES-NEW-02");
        const imported = (await stack.resources()).find((r) => r.urn.endsWith(`::import-${SERIAL}`))!;
        // The state keeps the hash's digest, as the earlier version wrote it, still a secret.
        const digest = `sha256:${crypto.createHash("sha256").update(hash).digest("base64")}`;
        assert.strictEqual((openSecrets(imported.outputs) as Record<string, unknown>).hardwareIdentifier, digest, "the hash's digest, unchanged");
        // Pulumi's secret signature key: the value is a secret envelope, not plain text.
        assert.ok("4dabf18193072939515e22adb298388d" in (imported.outputs!.hardwareIdentifier as object), "the digest is still marked secret");
        sealed(stateFile);

        const importId = imported.id!;
        const destroyed = await stack.destroy();
        assert.deepStrictEqual(
            destroyed.steps.map((s) => s.op),
            ["delete", "delete", "delete"],
        );
        assert.ok(!emu.tenant.importedIdentities.has(importId), "the import record is deleted");
        assert.ok(emu.tenant.devices.has(deviceId), "the device is released, not deregistered");
    });
});
