// A state written by the fleet as it was before assignments belonged to profiles (one assignment
// resource per device, all sharing the profile's one Graph assignment) upgrades without deleting
// that assignment: the earlier code is built from git history and runs the program first, through
// the real Pulumi CLI, then the current code runs the upgraded program on the same stack.
import * as assert from "assert";
import { execFileSync, execSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Emulator, startEmulator } from "../emulator";
import { PulumiSandbox, REPO_ROOT, workFolder } from "../pulumi/cli";
import { TestStack } from "../pulumi/stack";

// The last commit whose AutopilotFleet declared one WindowsAutopilotDeploymentProfileAssignment per device.
const BEFORE = "993b25b";
const SALES_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const SALES_GROUP = "4feb833d-fd1e-48eb-ad7e-9e4843bc2207"; // dynamic group of group tag Sales
const SHARED_ASSIGNMENT = "a979a3cd-8d8c-4be2-8cca-9193cb7ba682"; // the Sales profile's assignment to it
const ASSIGNMENT_TYPE = "autopilot:WindowsAutopilotDeploymentProfileAssignment";

/** The package as it was at `commit`, built: a folder with package.json, dist/ and schema/. */
function buildPackageAt(commit: string): string {
    const dir = workFolder("package-" + commit);
    execSync(`git -C "${REPO_ROOT}" archive ${commit} provider schema package.json tsconfig.json | tar -x -C "${dir}"`);
    execFileSync(process.execPath, [path.join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(dir, "tsconfig.json")]);
    return dir;
}

/** Points the program's `pulumi-autopilot` at a package folder (the program and the provider's host both resolve it there). */
function usePackage(program: string, pkg: string): void {
    const link = path.join(program, "node_modules", "pulumi-autopilot");
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true, recursive: true });
    fs.symlinkSync(pkg, link, "dir");
}

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
// Written for both versions of the package: profileId is given only to the current one.
const { AutopilotFleet } = require("pulumi-autopilot");
const config = new pulumi.Config();
const profileId = config.get("profileId");
const fleet = new AutopilotFleet("sales", {
    csvFile: "devices.csv",
    defaults: { groupTag: "Sales" },
    profileAssignment: { ...(profileId ? { profileId } : {}), target: { kind: "group", groupId: config.require("groupId") } },
});
export const deviceIds = fleet.deviceIds;
`;

describe("upgrading a fleet state written with one assignment per device (real Pulumi CLI, the earlier code from git)", function () {
    this.timeout(600_000);
    let emu: Emulator;
    let sandbox: PulumiSandbox;
    let stack: TestStack | undefined;
    const folders: string[] = [];
    before(async () => {
        emu = await startEmulator({ profile: "live", importPendingReads: 1 });
        sandbox = new PulumiSandbox();
    });
    after(async () => {
        stack?.dispose();
        for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
        sandbox?.dispose();
        await emu?.close();
    });

    it("keeps the shared assignment: the fleet's one assignment adopts it and the per-device ones are released", async () => {
        const before = buildPackageAt(BEFORE);
        const program = workFolder("fleet-upgrade");
        folders.push(before, program);
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: fleet-upgrade\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
        fs.copyFileSync(path.join(REPO_ROOT, "examples/fleet-from-csv/tsconfig.json"), path.join(program, "tsconfig.json"));
        fs.writeFileSync(path.join(program, "index.ts"), PROGRAM);
        // Its own package.json: else the language host takes the repository's, whose main is the package.
        fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "fleet-upgrade", private: true, main: "index.ts" }));
        const serials = ["UPG0001", "UPG0002", "UPG0003"];
        fs.writeFileSync(
            path.join(program, "devices.csv"),
            "Device Serial Number,Windows Product ID,Hardware Hash\n" +
                serials.map((s) => `${s},,${crypto.randomBytes(3000).toString("base64")}`).join("\n") +
                "\n",
        );
        usePackage(program, before);
        stack = await TestStack.folder({
            sandbox,
            dir: program,
            inPlace: true,
            config: { "autopilot:graphEndpoint": emu.url, "autopilot:maxRetries": "3", "fleet-upgrade:groupId": SALES_GROUP },
            secretConfig: { "autopilot:accessToken": "emulator-token" },
            env: { AUTOPILOT_IMPORT_POLL_MS: "50" },
        });

        // The earlier code: one assignment resource per device, every one adopting the Sales profile's assignment.
        await stack.up();
        const perDevice = (await stack.resources()).filter((r) => r.type.endsWith(ASSIGNMENT_TYPE.split(":")[1]));
        assert.deepStrictEqual(
            perDevice.map((r) => r.urn.split("::").pop()).sort(),
            serials.map((s) => `sales-profile-${s}`),
        );
        assert.ok(
            perDevice.every((r) => r.id === SHARED_ASSIGNMENT),
            "the state this upgrade starts from: three resources owning one assignment",
        );

        // The current code, with the program saying which profile the group is assigned to.
        usePackage(program, REPO_ROOT);
        await stack.setConfig({ "fleet-upgrade:profileId": SALES_PROFILE });
        emu.clearRequests();
        const upgraded = await stack.up();
        assert.deepStrictEqual(
            upgraded.steps
                .filter((s) => s.type === ASSIGNMENT_TYPE)
                .map((s) => [s.name, s.op])
                .sort(),
            [["sales-profile-assignment", "create"], ...serials.map((s) => [`sales-profile-${s}`, "delete"])].sort(),
        );
        assert.deepStrictEqual(
            emu.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
            [],
            "no assignment was deleted or made",
        );
        assert.ok(emu.tenant.assignments.get(SALES_PROFILE)?.has(SHARED_ASSIGNMENT), "the Sales profile keeps its assignment");
        const left = (await stack.resources()).filter((r) => r.type.endsWith(ASSIGNMENT_TYPE.split(":")[1]));
        assert.deepStrictEqual(
            left.map((r) => [r.urn.split("::").pop(), r.id, r.outputs?.profileId]),
            [["sales-profile-assignment", SHARED_ASSIGNMENT, SALES_PROFILE]],
        );

        // Clean from here on: refresh finds nothing, another up sends nothing.
        const refreshed = await stack.refresh();
        assert.deepStrictEqual(
            refreshed.steps.filter((s) => s.op !== "same"),
            [],
        );
        emu.clearRequests();
        const again = await stack.up();
        assert.deepStrictEqual(
            again.steps.filter((s) => s.op !== "same"),
            [],
        );
        assert.deepStrictEqual(emu.requests, []);
    });
});
