/**
 * `npm run demo`: the fleet story, against the bundled Graph emulator, through Pulumi's real
 * dynamic-provider host as `pulumi up` drives it. A vendor's CSV of 25 hardware hashes (one damaged
 * hash, one serial listed twice) is previewed (the bad rows reported, nothing created), then
 * applied with skipBadRows (imports pending -> complete, then tags, names, users and profile
 * assignments), then planned again: no change, no request. Real deployments run `pulumi up`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startEmulator } from "../emulator";
import { Engine, Step } from "./engine";
import { Host, REPO_ROOT } from "./host";
import { programFrom, projectName } from "./program";
import { requestsByRoute, stepLine, summary, table } from "./present";

const out = (line = "") => process.stdout.write(line + "\n");
const EXAMPLE = path.join(REPO_ROOT, "examples", "fleet-from-csv");
const PROFILE_GROUP = "4feb833d-fd1e-48eb-ad7e-9e4843bc2207";

/** "sales-device-8CG51001ZK" -> "8CG51001ZK", to print a device's resources together. */
function bySerial(name: string): string {
    return name.split("-").pop() ?? name;
}

async function main(): Promise<number> {
    const emu = await startEmulator({ profile: "live", importPendingReads: 2 });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-demo-"));
    const project = projectName(EXAMPLE);
    const importProgress = new Map<string, string>();
    const host = await Host.start({
        cwd: EXAMPLE,
        project,
        env: { AUTOPILOT_LOG: "1" },
        onStderrLine: (line) => {
            const m = /import \S+ \(serial (\S+)\): (\w+)/.exec(line);
            if (m) importProgress.set(m[1], m[2]);
        },
    });
    let ok = true;
    try {
        out("pulumi-autopilot demo: a fleet from a CSV of hardware hashes");
        out(`Graph emulator at ${emu.url} (live profile: imports stay pending for a few reads, PATCH on devices is refused).`);
        out("The program examples/fleet-from-csv/index.ts runs through Pulumi's real dynamic-provider host over gRPC,");
        out("as `pulumi up` drives it. (A local stand-in for the Pulumi CLI; real deployments run `pulumi up` against a tenant.)");
        out(`CSV: examples/fleet-from-csv/devices.csv, 25 devices as Get-WindowsAutopilotInfo writes them.`);

        const config: Record<string, string> = {
            "autopilot:graphEndpoint": emu.url,
            "autopilot:accessToken": "emulator-token",
            [`${project}:profileGroupId`]: PROFILE_GROUP,
        };
        const engine = (extra: Record<string, string>) =>
            new Engine({
                host,
                project,
                stack: "demo",
                config: { ...config, ...extra },
                secretConfigKeys: ["autopilot:accessToken"],
                stateFile: path.join(stateDir, "state.json"),
                program: programFrom(EXAMPLE),
                onStep: (s) => live.push(s),
            });
        // Steps arrive in completion order; they are printed per device, in serial order.
        let live: Step[] = [];
        const phase = async (title: string, preview: boolean, run: () => Promise<Step[]>): Promise<Step[]> => {
            out(`\n${title}`);
            emu.clearRequests();
            live = [];
            const started = Date.now();
            const steps = await run();
            const shown = steps.filter((s) => s.op !== "same" && (preview || s.op === "failed"));
            shown.sort((a, b) => bySerial(a.name).localeCompare(bySerial(b.name)) || a.name.localeCompare(b.name)).forEach((s) => out(stepLine(s)));
            out(`  => ${summary(steps, preview)}; ${emu.requests.length} Graph request(s); ${((Date.now() - started) / 1000).toFixed(1)} s`);
            if (emu.requests.length > 0) {
                out("  Graph requests by route:");
                requestsByRoute(emu.requests).forEach((l) => out(l));
            }
            if (steps.some((s) => s.op === "failed")) ok = false;
            return steps;
        };

        out("\n1. pulumi preview, with the CSV as delivered:");
        try {
            await engine({}).up(true);
            out("  !! expected the preview to report the bad rows");
            ok = false;
        } catch (e) {
            (e as Error).message.split("\n").forEach((l) => out(`  ${l}`));
            out(`  (${emu.requests.length} Graph requests: the CSV is checked before anything is sent.)`);
        }

        out("\n2. pulumi config set skipBadRows true   # import the 23 good rows; the 2 bad ones are warnings");
        const withSkip = engine({ [`${project}:skipBadRows`]: "true" });
        await phase("   pulumi preview:", true, () => withSkip.up(true));

        const ticker = setInterval(() => {
            const done = (type: string) => live.filter((s) => s.type.endsWith(type) && s.op === "create").length;
            const imported = done(":ImportedWindowsAutopilotDeviceIdentity");
            const pending = [...importProgress.values()].length - imported;
            out(`      ... imports: ${imported} complete, ${Math.max(0, pending)} pending; devices tagged and named: ${done(":WindowsAutopilotDeviceIdentity")}; profiles assigned: ${done(":WindowsAutopilotDeploymentProfileAssignment")}`);
        }, 1500);
        try {
            await phase("\n3. pulumi up:", false, () => withSkip.up(false));
        } finally {
            clearInterval(ticker);
        }

        out("\nResult:");
        const rows = withSkip
            .entries()
            .filter((e) => e.type.endsWith(":ImportedWindowsAutopilotDeviceIdentity"))
            .map((e) => {
                const imp = withSkip.box.open(e.outputs);
                const serial = String(imp.serialNumber);
                const device = withSkip.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", `sales-device-${serial}`) ?? {};
                const profile = withSkip.outputsOf("autopilot:WindowsAutopilotDeploymentProfileAssignment", `sales-profile-${serial}`);
                const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
                return [serial, text(imp.importStatus), text(device.deviceId), text(device.groupTag), text(device.displayName), text(device.userPrincipalName), profile ? "group" : ""];
            })
            .sort((a, b) => a[0].localeCompare(b[0]));
        table(["serial", "import", "Autopilot device id", "group tag", "name", "user", "profile"], rows).forEach((l) => out(l));

        const again = await phase("\n4. pulumi up again, nothing changed:", true, () => withSkip.up(true));
        if (again.some((s) => s.op !== "same") || emu.requests.length > 0) {
            out("  !! the second run was not empty");
            ok = false;
        }
    } finally {
        await host.close();
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
