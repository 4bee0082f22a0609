/**
 * The package as a user gets it: packed by `npm pack` (what `npm publish` would upload) and
 * installed into a project outside this repository, where nothing resolves from the repository's
 * node_modules.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../pulumi/cli";
import { npm } from "../pulumi/toolchain";

/** What `npm pack` made. */
export interface PackedPackage {
    tarball: string;
    /** The paths inside the tarball, as npm lists them (`dist/provider/index.js`, `LICENSE`, ...). */
    files: string[];
}

/**
 * `npm pack` of the repository into `dest`, of the dist/ that `npm test` (and each matrix row)
 * compiled before the tests: `prepare` (which `npm publish` runs first) would compile it again
 * under the feet of the tests running; the git dependency test runs `prepare` in a clean clone.
 */
export async function packPackage(dest: string): Promise<PackedPackage> {
    const out = await npm(REPO_ROOT, path.dirname(process.execPath), ["pack", "--json", "--ignore-scripts", "--pack-destination", dest]);
    const report = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    return { tarball: path.join(dest, report[0].filename), files: report[0].files.map((f) => f.path).sort() };
}

/** An empty folder outside the repository, with no node_modules in any folder above it. */
export function outsideFolder(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autopilot-outside-${prefix}-`));
    for (let up = path.dirname(dir); ; up = path.dirname(up)) {
        if (fs.existsSync(path.join(up, "node_modules"))) {
            throw new Error(`${up} has a node_modules folder: a project in ${dir} would resolve packages from it`);
        }
        if (path.dirname(up) === up) break;
    }
    if (path.relative(REPO_ROOT, dir).split(path.sep)[0] !== "..") {
        throw new Error(`${dir} is inside the repository`);
    }
    return dir;
}

/** One installed copy of a package: where, and which version. */
export interface InstalledCopy {
    dir: string;
    version: string;
}

/** Every copy of `name` under a project's node_modules, found on disk (nested copies included). */
export function installedCopies(projectDir: string, name: string): InstalledCopy[] {
    const found: InstalledCopy[] = [];
    const visit = (nodeModules: string): void => {
        if (!fs.existsSync(nodeModules)) return;
        for (const entry of fs.readdirSync(nodeModules)) {
            if (entry.startsWith(".")) continue;
            const packages = entry.startsWith("@") ? fs.readdirSync(path.join(nodeModules, entry)).map((p) => `${entry}/${p}`) : [entry];
            for (const pkg of packages) {
                const dir = path.join(nodeModules, pkg);
                if (pkg === name) {
                    found.push({ dir, version: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version });
                }
                visit(path.join(dir, "node_modules"));
            }
        }
    };
    visit(path.join(projectDir, "node_modules"));
    return found;
}

/** The copies of `name` that `npm ls --all` reports, as `<version> <path>` lines (one per distinct copy). */
export async function npmLsCopies(projectDir: string, nodeDir: string, name: string): Promise<string[]> {
    const out = await npm(projectDir, nodeDir, ["ls", name, "--all", "--parseable", "--long"]);
    // `--parseable --long` prints `<path>:<name>@<version>` for each copy, the project itself first.
    return [...new Set(out.split("\n").filter((l) => l.includes(`:${name}@`)))].map((l) => {
        const at = l.lastIndexOf(":");
        return `${l.slice(at + 1 + name.length + 1)} ${l.slice(0, at)}`;
    });
}

/** A new, empty npm project in `dir` (created), as `npm init` leaves one. */
export function newProject(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "autopilot-user-project", version: "1.0.0", private: true }, null, 2) + "\n");
}

/** The project's package.json, changed by `edit`. */
export function editPackageJson(projectDir: string, edit: (pkg: Record<string, any>) => void): void {
    const file = path.join(projectDir, "package.json");
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    edit(pkg);
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
}
