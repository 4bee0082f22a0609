/**
 * Where the Pulumi CLI the tests run lives (made by `scripts/pulumi-cli.js`), and an environment
 * in which it works offline and non-interactively: a file backend and a PULUMI_HOME of its own in
 * a temporary folder, so nothing leaves the machine and the user's `~/.pulumi` is never touched.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "../..");

/** The CLI `scripts/pulumi-cli.js` chose: built from Go modules, or a suitable one on PATH. */
export interface PulumiCli {
    /** The folder holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`. */
    binDir: string;
    /** Its version, like `3.248.0`. */
    version: string;
    source: "built" | "path";
}

/** The CLI recorded in `.pulumi-cli/current.json`; a clear error when it was never made. */
export function pulumiCli(): PulumiCli {
    const record = path.join(REPO_ROOT, ".pulumi-cli", "current.json");
    if (!fs.existsSync(record)) {
        throw new Error(`no Pulumi CLI recorded in ${record}: run \`npm run pulumi-cli\` (npm test and npm run demo do it first)`);
    }
    const cli = JSON.parse(fs.readFileSync(record, "utf8")) as PulumiCli;
    if (!fs.existsSync(path.join(cli.binDir, "pulumi"))) {
        throw new Error(`${record} names ${cli.binDir}, which has no pulumi: run \`npm run pulumi-cli\` again`);
    }
    return cli;
}

/**
 * A CLI built by `scripts/pulumi-cli.js --version <version>` (`.pulumi-cli/v<version>/bin`), for a
 * test that runs another version than the recorded one beside it; a clear error when it was never built.
 */
export function pulumiCliAt(version: string): PulumiCli {
    const binDir = path.join(REPO_ROOT, ".pulumi-cli", `v${version}`, "bin");
    if (!fs.existsSync(path.join(binDir, "pulumi"))) {
        throw new Error(
            `no Pulumi CLI ${version} in ${binDir}: run \`node scripts/pulumi-cli.js --version ${version} --build --no-record\` (npm run test:matrix does it for the rows that need it)`,
        );
    }
    return { binDir, version, source: "built" };
}

/** Folders the tests' programs and their copies of examples run in: under the repository, so they resolve its node_modules. */
export function workFolder(prefix: string): string {
    const base = path.join(REPO_ROOT, ".test-work");
    fs.mkdirSync(base, { recursive: true });
    return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

/**
 * One offline Pulumi installation for a test suite, the demo or the bench: its own PULUMI_HOME and
 * file backend in a temporary folder, removed by `dispose()`.
 */
export class PulumiSandbox {
    readonly cli: PulumiCli;
    readonly dir: string;
    readonly backendDir: string;
    readonly home: string;
    private readonly owner: boolean;

    /**
     * `cli`: another CLI than the recorded one. `sharing`: use that sandbox's backend and
     * PULUMI_HOME (its stacks) with this sandbox's CLI; that sandbox's `dispose()` removes them.
     */
    constructor(
        readonly passphrase = "autopilot-test-passphrase",
        options: { cli?: PulumiCli; sharing?: PulumiSandbox } = {},
    ) {
        this.cli = options.cli ?? pulumiCli();
        this.owner = !options.sharing;
        this.dir = options.sharing?.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-pulumi-"));
        this.backendDir = path.join(this.dir, "backend");
        this.home = path.join(this.dir, "home");
        if (this.owner) {
            fs.mkdirSync(this.backendDir);
            fs.mkdirSync(this.home);
        }
    }

    /** What every `pulumi` command and every process it starts (language host, provider host) gets. */
    env(extra: Record<string, string> = {}): Record<string, string> {
        return {
            PATH: `${this.cli.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.backendDir}`,
            PULUMI_CONFIG_PASSPHRASE: this.passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            // Colour codes would only get in the way of the text the tests read.
            NO_COLOR: "1",
            ...extra,
        };
    }

    /** The file the backend keeps a stack's state in (what a user's DIY backend holds, secrets sealed). */
    stateFile(project: string, stack: string): string {
        return path.join(this.backendDir, ".pulumi", "stacks", project, `${stack}.json`);
    }

    dispose(): void {
        if (this.owner) fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
