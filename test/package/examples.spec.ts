// Each example stands on its own outside the repository: its package.json names everything its
// program imports (the SDK as a caret range, TypeScript and @types/node for the language host's
// type check), and examples/github-actions, copied to an empty folder outside the repository with
// pulumi-autopilot pointed at the packed tarball, installs from its lockfile as its workflow does
// and previews and applies with the real Pulumi CLI against the emulator.
import * as assert from "assert";
import { execFileSync } from "child_process";
import { builtinModules } from "module";
import * as fs from "fs";
import * as path from "path";
import { Emulator, startEmulator } from "../emulator";
import { PulumiSandbox, REPO_ROOT } from "../pulumi/cli";
import { TestStack } from "../pulumi/stack";
import { FLOOR, installedSdkVersion, npm } from "../pulumi/toolchain";
import { editPackageJson, installedCopies, npmLsCopies, outsideFolder, packPackage } from "./outsideRepo";

const EXAMPLES = path.join(REPO_ROOT, "examples");

/** The packages a program imports or requires by name (not relative paths, not Node's own). */
function importedPackages(source: string): string[] {
    // `require(` only as the function, not a method such as `config.require("key")`.
    const names = [...source.matchAll(/(?:\bfrom\s+|(?<![.\w])require\()\s*"([^"]+)"/g)].map((m) => m[1]);
    return [
        ...new Set(
            names
                .filter((n) => !n.startsWith(".") && !n.startsWith("node:") && !builtinModules.includes(n))
                .map((n) => (n.startsWith("@") ? n.split("/").slice(0, 2).join("/") : n.split("/")[0])),
        ),
    ].sort();
}

/** [major, minor, patch] of "3.216.0". */
function versionOf(text: string): number[] {
    return text.split(".").map(Number);
}

describe("examples stand alone outside the repository", function () {
    this.timeout(600_000);

    for (const example of fs.readdirSync(EXAMPLES)) {
        it(`examples/${example}: package.json names what the program imports, the SDK as a caret range from the floor, TypeScript and @types/node`, () => {
            const dir = path.join(EXAMPLES, example);
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            const deps = { ...pkg.dependencies, ...pkg.devDependencies };
            const program = fs.readFileSync(path.join(dir, pkg.main ?? "index.ts"), "utf8");
            for (const name of importedPackages(program)) assert.ok(name in deps, `${name} is imported but not in package.json`);
            const sdk = /^\^(\d+\.\d+\.\d+)$/.exec(pkg.dependencies["@pulumi/pulumi"] ?? "");
            assert.ok(sdk, `@pulumi/pulumi is a caret range, got ${pkg.dependencies["@pulumi/pulumi"]}`);
            const [major, minor] = versionOf(sdk[1]);
            const floor = versionOf(FLOOR.pulumi);
            assert.ok(major === floor[0] && minor >= floor[1], `@pulumi/pulumi ${sdk[0]} starts at or above the floor ${FLOOR.pulumi}`);
            assert.strictEqual(
                pkg.dependencies["pulumi-autopilot"],
                "file:../..",
                "the package from this repository (a copy points it at the tarball or a git dependency)",
            );
            assert.ok(
                pkg.devDependencies?.typescript && pkg.devDependencies?.["@types/node"],
                "TypeScript and @types/node: the language host type-checks index.ts with the project's TypeScript",
            );
            assert.ok(fs.existsSync(path.join(dir, "tsconfig.json")));
        });
    }

    it("examples/github-actions: its workflow installs from the lockfile on a supported Node.js and creates or selects its stack", () => {
        const workflow = fs.readFileSync(path.join(EXAMPLES, "github-actions", ".github", "workflows", "pulumi-up.yml"), "utf8");
        assert.match(workflow, /^\s*- run: npm ci$/m);
        assert.doesNotMatch(workflow, /^\s*- run: npm (install|i)\b/m, "no step resolves dependencies anew");
        assert.match(workflow, /node-version: (22|24)$/m);
        assert.match(workflow, /^\s*upsert: true$/m);
        assert.match(workflow, /stack-name: .*\/production$/m);
        assert.ok(fs.existsSync(path.join(EXAMPLES, "github-actions", "Pulumi.production.yaml")), "the stack's config comes with the project");
    });

    describe("examples/github-actions copied to an empty folder outside the repository", function () {
        let work: string;
        let emu: Emulator;
        let sandbox: PulumiSandbox;
        let stack: TestStack | undefined;
        before(async () => {
            work = outsideFolder("example");
            emu = await startEmulator({ profile: "live" });
            sandbox = new PulumiSandbox();
        });
        after(async () => {
            stack?.dispose();
            sandbox?.dispose();
            await emu?.close();
            fs.rmSync(work, { recursive: true, force: true });
        });

        it("installs from the tarball, then from its lockfile as the workflow does, with one @pulumi/pulumi, and previews and applies with the real CLI", async () => {
            const { tarball } = await packPackage(work);
            const project = path.join(work, "autopilot-fleet");
            fs.cpSync(path.join(EXAMPLES, "github-actions"), project, { recursive: true });
            fs.mkdirSync(path.join(project, "vendor"));
            fs.copyFileSync(tarball, path.join(project, "vendor", path.basename(tarball)));
            // The SDK of this run's row: its Node.js and CLI are the ones this test runs with.
            const sdk = installedSdkVersion();
            const node = path.dirname(process.execPath);
            // What the README tells a user: install the tarball once (this writes the lockfile) ...
            await npm(project, node, ["install", "--prefer-offline", `./vendor/${path.basename(tarball)}`, `@pulumi/pulumi@${sdk}`]);
            editPackageJson(project, (p) => assert.strictEqual(p.dependencies["pulumi-autopilot"], `file:vendor/${path.basename(tarball)}`));
            // ... and the workflow installs exactly that, from scratch.
            fs.rmSync(path.join(project, "node_modules"), { recursive: true });
            await npm(project, node, ["ci", "--prefer-offline"]);
            assert.deepStrictEqual(await npmLsCopies(project, node, "@pulumi/pulumi"), [
                `${installedCopies(project, "@pulumi/pulumi")[0].version} ${path.join(project, "node_modules", "@pulumi", "pulumi")}`,
            ]);
            assert.strictEqual(installedCopies(project, "@pulumi/pulumi").length, 1, "one copy on disk");
            assert.ok(
                !fs.lstatSync(path.join(project, "node_modules", "pulumi-autopilot")).isSymbolicLink(),
                "the package itself, not a link into the repository",
            );

            // The stack the workflow's first run creates, with the config that comes with the project.
            stack = await TestStack.folder({
                sandbox,
                dir: project,
                inPlace: true,
                stackName: "production",
                config: { "autopilot:graphEndpoint": emu.url, "autopilot:maxRetries": "3" },
                secretConfig: { "autopilot:accessToken": "emulator-token" },
            });
            emu.clearRequests();
            const preview = await stack.preview();
            assert.deepStrictEqual(preview.steps.map((s) => [s.name, s.op]).sort(), [
                ["device-1ZXY8K3", "create"],
                ["device-5CG1234ABC", "create"],
            ]);
            assert.deepStrictEqual(emu.requests, [], "a preview of new resources sends no request");

            const applied = await stack.up();
            assert.deepStrictEqual(applied.steps.map((s) => [s.name, s.op, s.error]).sort(), [
                ["device-1ZXY8K3", "create", undefined],
                ["device-5CG1234ABC", "create", undefined],
            ]);
            const deviceIds = (await stack.outputs()).deviceIds as Record<string, string>;
            assert.deepStrictEqual(Object.keys(deviceIds).sort(), ["1ZXY8K3", "5CG1234ABC"]);
            assert.strictEqual(emu.tenant.devices.get(deviceIds["5CG1234ABC"])?.displayName, "SALES-001");
            // What the program and the provider's host (its __provider requires the package by name) loaded.
            // Resolved by a Node started in the project: in this process, Node resolves the package's
            // own name to this repository (a package may require itself) whatever `paths` says.
            const resolved = execFileSync(process.execPath, ["-p", 'require.resolve("pulumi-autopilot/runtime")'], { cwd: project, encoding: "utf8" }).trim();
            assert.strictEqual(resolved, path.join(project, "node_modules", "pulumi-autopilot", "dist", "provider", "runtime.js"));
        });
    });
});
