/**
 * The Node.js versions and Pulumi SDK/CLI versions of the test matrix (`scripts/test-matrix.js`),
 * for tests that use more than the one the current run has: the package installed on the floor
 * and on the current SDK, a stack carried from one row's toolchain to another's.
 */
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { REPO_ROOT } from "./cli";

/** One row of the matrix. */
export interface MatrixRow {
    name: string;
    title: string;
    /** The Node.js major. */
    node: string;
    /** The exact @pulumi/pulumi, and the Pulumi CLI of the same version. */
    pulumi: string;
    specs: string[];
}

// The rows are defined once, in the script CI runs.
const rows = require(path.join(REPO_ROOT, "scripts", "test-matrix.js")).ROWS as Record<"a" | "b" | "c", MatrixRow>;

/** Row a: the oldest Node.js and @pulumi/pulumi the package supports. */
export const FLOOR: MatrixRow = rows.a;
/** Row b: the current @pulumi/pulumi and CLI, on Node.js 22. */
export const CURRENT: MatrixRow = rows.b;

/** The folder holding `node` of this major: this process's, one on PATH, or the pinned one from tools/node (installed on first use). */
export function nodeBinDir(major: string): string {
    return (require(path.join(REPO_ROOT, "scripts", "with-node.js")) as { nodeBinDir(major: string): string }).nodeBinDir(major);
}

/** PATH with these folders first (a CLI's bin folder, a Node.js), as a user's shell would have it. */
export function pathWith(...dirs: string[]): string {
    return [...dirs, process.env.PATH ?? ""].join(path.delimiter);
}

/** The @pulumi/pulumi installed in the repository (the SDK of the current run's row). */
export function installedSdkVersion(): string {
    return require(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] })).version;
}

/** Runs npm in a folder with this Node.js first on PATH; the error carries npm's output. */
export async function npm(cwd: string, nodeDir: string, args: string[]): Promise<string> {
    try {
        const { stdout } = await promisify(execFile)("npm", args, {
            cwd,
            env: { ...process.env, PATH: pathWith(nodeDir), npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
            maxBuffer: 64 * 1024 * 1024,
        });
        return stdout;
    } catch (e) {
        const err = e as Error & { stdout?: string; stderr?: string };
        throw new Error(`npm ${args.join(" ")} in ${cwd} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`, { cause: e });
    }
}
