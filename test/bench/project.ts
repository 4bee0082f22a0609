/**
 * A program folder for one side of the bench, as a user has one: Pulumi.yaml, index.js, the
 * hardware-hash CSV, and for the baseline its own modules. It lives under the repository's
 * .test-work/ (workFolder), or another checkout's when the bench compares two, so
 * `pulumi-autopilot` and `@pulumi/pulumi` resolve from that checkout's node_modules, for the
 * program and for the provider host alike (the engine starts the host in this folder).
 */
import * as fs from "fs";
import * as path from "path";
import { PulumiSandbox, workFolder } from "../pulumi/cli";
import { TestStack } from "../pulumi/stack";
import { BenchDevice, baselineProgramSource, fleetCsv, fleetProgramSource, updatedSerials } from "./program";

export const BENCH_PROJECT = "autopilot-bench";

export interface ProjectOptions {
    kind: "autopilot" | "sdk";
    devices: BenchDevice[];
    importRecord: "keep" | "remove";
    /** Folder name prefix under .test-work/. */
    name: string;
    /** The checkout whose package the program uses (default: this one). */
    root?: string;
}

/** Writes the folder and returns its path. */
export function writeProject(o: ProjectOptions): string {
    const dir = o.root ? checkoutWorkFolder(o.root, o.name) : workFolder(o.name);
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${BENCH_PROJECT}\nruntime: nodejs\nmain: index.js\ndescription: pulumi-autopilot bench (${o.kind})\n`,
    );
    fs.writeFileSync(path.join(dir, "devices.csv"), fleetCsv(o.devices));
    fs.writeFileSync(path.join(dir, "updated.json"), JSON.stringify(updatedSerials(o.devices)));
    if (o.kind === "autopilot") {
        fs.writeFileSync(path.join(dir, "index.js"), fleetProgramSource(o.importRecord));
    } else {
        fs.writeFileSync(path.join(dir, "index.js"), baselineProgramSource());
        fs.mkdirSync(path.join(dir, "baseline"));
        for (const file of ["resources.js", "sdkProvider.js"]) fs.copyFileSync(path.join(__dirname, "baseline", file), path.join(dir, "baseline", file));
    }
    return dir;
}

/** A new folder under another checkout's .test-work/ (git-ignored there too). */
function checkoutWorkFolder(root: string, prefix: string): string {
    if (!fs.existsSync(path.join(root, "node_modules", "pulumi-autopilot", "package.json"))) {
        throw new Error(`--compare ${root}: no built pulumi-autopilot there (node_modules/pulumi-autopilot); run npm ci in that checkout first`);
    }
    const base = path.join(root, ".test-work");
    fs.mkdirSync(base, { recursive: true });
    return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

/** The app registration the bench's Graph service knows: its tenant, client and secret. */
export const BENCH_APP = {
    tenantId: "7a1f5c1e-0b4e-4b8a-9d62-3c0f2e4b9a11",
    clientId: "b3c1a2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    clientSecret: "bench~Secret~4f9a1c7e2b8d",
};

/** A stack of the program folder `dir`, signed in as {@link BENCH_APP} to the bench's Graph service. */
export function openBenchStack(sandbox: PulumiSandbox, dir: string, stackName: string, graph: { url: string; authorityUrl: string }): Promise<TestStack> {
    return TestStack.folder({
        sandbox,
        dir,
        inPlace: true,
        stackName,
        config: {
            "autopilot:graphEndpoint": graph.url,
            "autopilot:authorityHost": graph.authorityUrl,
            "autopilot:tenantId": BENCH_APP.tenantId,
            "autopilot:clientId": BENCH_APP.clientId,
        },
        secretConfig: { "autopilot:clientSecret": BENCH_APP.clientSecret },
    });
}
