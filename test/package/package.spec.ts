// The package as `npm pack` makes it (what `npm publish` would upload), installed the two ways a
// user can today, into new projects outside the repository: the tarball next to the oldest and next
// to the current @pulumi/pulumi (npm shares the program's copy: one copy of the SDK), and a git
// dependency, which npm builds with the package's `prepare` in a clean clone of a commit.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../pulumi/cli";
import { CURRENT, FLOOR, nodeBinDir, npm } from "../pulumi/toolchain";
import { installedCopies, newProject, npmLsCopies, outsideFolder, packPackage, PackedPackage } from "./outsideRepo";

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));

describe("the package outside the repository: what npm pack ships, and one @pulumi/pulumi where it is installed", function () {
    this.timeout(600_000);
    let work: string;
    let packed: PackedPackage;
    before(async () => {
        work = outsideFolder("package");
        packed = await packPackage(work);
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it("ships the compiled library, its Graph schema, README, LICENSE and package.json, and nothing else", () => {
        const outside = packed.files.filter((f) => !/^dist\/provider\/.+\.(js|d\.ts)$/.test(f));
        assert.deepStrictEqual(outside, ["LICENSE", "README.md", "package.json", "schema/autopilot-schema.json"]);
        for (const entry of [
            pkg.main,
            pkg.types,
            ...Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
        ]) {
            const file = path.normalize(entry);
            assert.ok(file === "package.json" || packed.files.includes(file), `${entry} (main, types or exports) is not in the tarball`);
        }
        assert.ok(!packed.files.some((f) => /(^|\/)(test|bench|scripts|tools|examples)\//.test(f)), "no tests, bench notes, scripts or examples");
        assert.match(fs.readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"), /^MIT License/);
        assert.strictEqual(pkg.license, "MIT");
    });

    it("depends on @pulumi/pulumi from the floor the matrix tests up to the next major, so npm can share the program's copy", () => {
        assert.strictEqual(pkg.dependencies["@pulumi/pulumi"], `^${FLOOR.pulumi}`);
        assert.strictEqual(pkg.peerDependencies, undefined, "a dependency, as Pulumi's own packages declare it");
        const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
        assert.strictEqual(lock.packages["node_modules/@pulumi/pulumi"].version, FLOOR.pulumi, "the lockfile pins the floor: `npm test` is row a");
    });

    for (const row of [FLOOR, CURRENT]) {
        it(`installed from the tarball into a new project on @pulumi/pulumi ${row.pulumi} (Node.js ${row.node}): one copy of the SDK`, async () => {
            const project = path.join(work, `on-${row.pulumi}`);
            newProject(project);
            const node = nodeBinDir(row.node);
            await npm(project, node, ["install", "--prefer-offline", `@pulumi/pulumi@${row.pulumi}`, packed.tarball]);

            assert.deepStrictEqual(await npmLsCopies(project, node, "@pulumi/pulumi"), [
                `${row.pulumi} ${path.join(project, "node_modules", "@pulumi", "pulumi")}`,
            ]);
            assert.deepStrictEqual(
                installedCopies(project, "@pulumi/pulumi").map((c) => c.version),
                [row.pulumi],
                "one copy on disk",
            );
            // What the package's code loads there is the program's copy.
            const packageDir = path.join(project, "node_modules", "pulumi-autopilot");
            assert.strictEqual(require.resolve("@pulumi/pulumi", { paths: [packageDir] }), require.resolve("@pulumi/pulumi", { paths: [project] }));
        });
    }

    it("installed as a git dependency: npm builds a clean clone of the commit with `prepare` and installs what `files` names", async () => {
        const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
        const project = path.join(work, "git-dependency");
        newProject(project);
        const node = nodeBinDir(FLOOR.node);
        await npm(project, node, ["install", "--prefer-offline", `@pulumi/pulumi@${FLOOR.pulumi}`, `git+file://${REPO_ROOT}#${head}`]);

        const installed = path.join(project, "node_modules", "pulumi-autopilot");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "a copy, not a link to the repository");
        const files = (dir: string, base = ""): string[] =>
            fs
                .readdirSync(path.join(dir, base), { withFileTypes: true })
                .flatMap((e) => (e.isDirectory() ? files(dir, path.join(base, e.name)) : [path.join(base, e.name)]));
        const built = files(installed)
            .filter((f) => f.startsWith("dist/"))
            .sort();
        // The commit's sources, compiled: a .js and a .d.ts for each provider/**/*.ts.
        const sources = execFileSync("git", ["ls-tree", "-r", "--name-only", head, "provider"], { cwd: REPO_ROOT, encoding: "utf8" })
            .split("\n")
            .filter((f) => f.endsWith(".ts"));
        assert.deepStrictEqual(built, sources.flatMap((f) => [`dist/${f.replace(/\.ts$/, ".d.ts")}`, `dist/${f.replace(/\.ts$/, ".js")}`]).sort());
        assert.deepStrictEqual(
            installedCopies(project, "@pulumi/pulumi").map((c) => c.version),
            [FLOOR.pulumi],
        );
    });
});
