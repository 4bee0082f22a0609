/** Shared set-up for tests through the real dynamic-provider host against the emulator. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Emulator, EmulatorOptions, startEmulator } from "../emulator";
import { Engine, Step } from "../runner/engine";
import { Host, REPO_ROOT } from "../runner/host";

export const TOKEN = "emulator-token";

export interface HostHarness {
    emu: Emulator;
    host: Host;
    /** A fresh engine (fresh state) for a program. */
    engine(program: () => unknown, extraConfig?: Record<string, string>): Engine;
    /**
     * A new host process, as the next `pulumi up` starts its own: what the provider learned in
     * this process (e.g. a recent listing of import records) is gone.
     */
    newRun(): Promise<void>;
    close(): Promise<void>;
}

/** Starts an emulator and a host whose working directory is the repository (the root project). */
export async function startHarness(options: EmulatorOptions = {}, hostCwd = REPO_ROOT, hostEnv: Record<string, string> = {}): Promise<HostHarness> {
    const emu = await startEmulator(options);
    // Import polling starts at 50 ms here: the host is another process, so its clock is real.
    const startHost = () => Host.start({ cwd: hostCwd, project: "autopilot-test", env: { AUTOPILOT_IMPORT_POLL_MS: "50", ...hostEnv } });
    let host = await startHost();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-state-"));
    let n = 0;
    return {
        emu,
        get host() {
            return host;
        },
        async newRun() {
            await host.close();
            host = await startHost();
        },
        engine(program, extraConfig = {}) {
            return new Engine({
                host,
                project: "autopilot-test",
                stack: "test",
                config: { "autopilot:graphEndpoint": emu.url, "autopilot:accessToken": TOKEN, "autopilot:maxRetries": "3", ...extraConfig },
                secretConfigKeys: ["autopilot:accessToken"],
                stateFile: path.join(dir, `state-${++n}.json`),
                program,
            });
        },
        async close() {
            await host.close();
            await emu.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** Requests the emulator saw, as "METHOD /path" lines (version prefix kept). */
export function requestLines(emu: Emulator): string[] {
    return emu.requests.map((r) => `${r.method} ${r.path}`);
}

/** The one step for a resource name. */
export function stepOf(steps: Step[], name: string): Step {
    const found = steps.filter((s) => s.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one step for ${name}, got ${JSON.stringify(steps)}`);
    }
    return found[0];
}
