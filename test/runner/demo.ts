/**
 * `npm run demo`: the example programs planned and applied against the bundled Graph emulator,
 * through Pulumi's real dynamic-provider host, the way `pulumi up` drives them. Real deployments
 * run `pulumi up` against a real tenant; this shows the same provider code at work locally.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Emulator, startEmulator } from "../emulator";
import { Engine, Step } from "./engine";
import { Host, REPO_ROOT } from "./host";
import { programFrom, projectName } from "./program";
import { requestsByRoute, stepLine, summary, table } from "./present";

const TOKEN = "emulator-token";
const out = (line = "") => process.stdout.write(line + "\n");

interface Act {
    title: string;
    dir: string;
    config: Record<string, string>;
    secretKeys: string[];
    result(engine: Engine): string[];
}

async function runAct(emu: Emulator, act: Act, stateDir: string): Promise<boolean> {
    const project = projectName(act.dir);
    const host = await Host.start({
        cwd: act.dir,
        project,
        env: { AUTOPILOT_LOG: "1" },
        onStderrLine: (line) => {
            const m = /^\[pulumi-autopilot\] (.*)$/.exec(line);
            if (m) out(`      ... ${m[1]}`);
        },
    });
    let ok = true;
    try {
        const engine = new Engine({
            host,
            project,
            stack: "demo",
            config: { "autopilot:graphEndpoint": emu.url, "autopilot:accessToken": TOKEN, ...act.config },
            secretConfigKeys: ["autopilot:accessToken", ...act.secretKeys],
            stateFile: path.join(stateDir, `${project}.json`),
            program: programFrom(act.dir),
            onStep: (s) => out(stepLine(s)),
        });
        const phase = async (title: string, run: () => Promise<Step[]>, preview: boolean) => {
            out(`\n${title}`);
            emu.clearRequests();
            const started = Date.now();
            const steps = await run();
            const failed = steps.filter((s) => s.op === "failed");
            out(`  => ${summary(steps, preview)}; ${emu.requests.length} Graph request(s); ${((Date.now() - started) / 1000).toFixed(1)} s`);
            if (emu.requests.length > 0) {
                out("  Graph requests by route:");
                requestsByRoute(emu.requests).forEach((l) => out(l));
            }
            if (failed.length > 0) ok = false;
            return steps;
        };

        out(`\n=== ${act.title}`);
        out(`    program: ${path.relative(REPO_ROOT, path.join(act.dir, "index.ts")) || "index.ts"} (project ${project})`);
        await phase("Plan (pulumi preview):", () => engine.up(true), true);
        await phase("Apply (pulumi up):", () => engine.up(false), false);
        out("\nResult:");
        act.result(engine).forEach((l) => out(l));
        const again = await phase("Second plan (nothing changed, so nothing to do and no request):", () => engine.up(true), true);
        if (again.some((s) => s.op !== "same") || emu.requests.length > 0) {
            out("  !! the second plan was not empty");
            ok = false;
        }
    } finally {
        await host.close();
    }
    return ok;
}

function outputsTable(engine: Engine, type: string, columns: [string, string][]): string[] {
    const rows = engine
        .entries()
        .filter((e) => e.type.endsWith(`:${type}`))
        .map((e) => {
            const outs = engine.box.open(e.outputs);
            return columns.map(([, key]) => (outs[key] === null || outs[key] === undefined ? "" : typeof outs[key] === "object" ? JSON.stringify(outs[key]) : String(outs[key])));
        });
    return table(columns.map(([h]) => h), rows);
}

async function main(): Promise<number> {
    const emu = await startEmulator({ profile: "live", importPendingReads: 2 });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-demo-"));
    out("pulumi-autopilot demo");
    out(`Graph emulator (live profile: PATCH on device identities refused, imports pending for a few reads) at ${emu.url}`);
    out("Each program runs through Pulumi's real dynamic-provider host over gRPC, as `pulumi up` drives it.");
    out("(Local stand-in for the Pulumi CLI; real deployments run `pulumi up` against a real tenant.)");

    const hash = crypto.createHash("sha512");
    const hardwareHash = Buffer.concat(Array.from({ length: 48 }, (_, i) => hash.copy().update(String(i)).digest())).toString("base64");
    const acts: Act[] = [
        {
            title: "Quick start: group tags and names for existing devices",
            dir: REPO_ROOT,
            config: {},
            secretKeys: [],
            result: (engine) =>
                outputsTable(engine, "WindowsAutopilotDeviceIdentity", [
                    ["serial", "serialNumber"],
                    ["device id", "deviceId"],
                    ["group tag", "groupTag"],
                    ["name", "displayName"],
                    ["enrollment", "enrollmentState"],
                ]),
        },
        {
            title: "Hardware-hash import that waits, then a name and a deployment-profile assignment",
            dir: path.join(REPO_ROOT, "examples", "hardware-hash-import"),
            config: {
                "autopilot-hardware-hash-import:serialNumber": "8CG4321XYZ",
                "autopilot-hardware-hash-import:hardwareHash": hardwareHash,
                "autopilot-hardware-hash-import:profileGroupId": "4feb833d-fd1e-48eb-ad7e-9e4843bc2207",
            },
            secretKeys: ["autopilot-hardware-hash-import:hardwareHash"],
            result: (engine) => [
                ...outputsTable(engine, "ImportedWindowsAutopilotDeviceIdentity", [
                    ["serial", "serialNumber"],
                    ["import record", "importedDeviceId"],
                    ["status", "importStatus"],
                    ["autopilot device", "autopilotDeviceId"],
                ]),
                "",
                ...outputsTable(engine, "WindowsAutopilotDeploymentProfileAssignment", [
                    ["device", "deviceId"],
                    ["assignment", "assignmentId"],
                    ["target", "target"],
                ]),
            ],
        },
    ];
    let ok = true;
    try {
        for (const act of acts) {
            ok = (await runAct(emu, act, stateDir)) && ok;
        }
    } finally {
        await emu.close();
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
    out(ok ? "\nDemo finished: every step succeeded." : "\nDemo finished with failures (see above).");
    return ok ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
