/**
 * A program folder for one side of the bench, as a user has one: Pulumi.yaml, index.js, the
 * hardware-hash CSV, and for the baseline its own modules. It lives under the repository's
 * .test-work/ (workFolder), so `pulumi-autopilot` and `@pulumi/pulumi` resolve from the
 * repository's node_modules, for the program and for the provider host alike (the engine starts
 * the host in this folder).
 */
import * as fs from "fs";
import * as path from "path";
import { workFolder } from "../pulumi/cli";
import { BenchDevice, baselineProgramSource, fleetCsv, fleetProgramSource, updatedSerials } from "./program";

export const BENCH_PROJECT = "autopilot-bench";

export interface ProjectOptions {
    kind: "autopilot" | "sdk";
    devices: BenchDevice[];
    importRecord: "keep" | "remove";
    /** Folder name prefix under .test-work/. */
    name: string;
}

/** Writes the folder and returns its path. */
export function writeProject(o: ProjectOptions): string {
    const dir = workFolder(o.name);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${BENCH_PROJECT}\nruntime: nodejs\nmain: index.js\ndescription: pulumi-autopilot bench (${o.kind})\n`);
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
