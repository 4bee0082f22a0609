/**
 * Shared set-up for tests through the real Pulumi CLI against the emulator: one emulator and one
 * offline Pulumi sandbox per suite, and a new stack (fresh state) per program.
 */
import { Emulator, EmulatorOptions, startEmulator } from "../emulator";
import { PulumiSandbox } from "../pulumi/cli";
import { ConfigValue, Step, TestStack } from "../pulumi/stack";

export const TOKEN = "emulator-token";
export const PROJECT = "autopilot-test";

export interface CliHarness {
    emu: Emulator;
    sandbox: PulumiSandbox;
    /**
     * A new stack for an inline program, configured for the emulator (its Graph endpoint, a token,
     * 3 retries) plus `extraConfig`. The provider's host gets `env` (and polls imports every 50 ms).
     */
    stack(program: () => unknown, extraConfig?: Record<string, ConfigValue>, env?: Record<string, string>): Promise<TestStack>;
    /** Disposes every stack made here, the sandbox and the emulator. */
    close(): Promise<void>;
}

/** Starts an emulator and a Pulumi sandbox for a suite. */
export async function startCliHarness(options: EmulatorOptions = {}, hostEnv: Record<string, string> = {}): Promise<CliHarness> {
    const emu = await startEmulator(options);
    const sandbox = new PulumiSandbox();
    const stacks: TestStack[] = [];
    let n = 0;
    return {
        emu,
        sandbox,
        async stack(program, extraConfig = {}, env = {}) {
            const stack = await TestStack.inline({
                sandbox,
                project: PROJECT,
                stackName: `test${++n}`,
                program,
                config: { "autopilot:graphEndpoint": emu.url, "autopilot:maxRetries": "3", ...extraConfig },
                secretConfig: { "autopilot:accessToken": TOKEN },
                // Import polling starts at 50 ms here: the host is another process, so its clock is real.
                env: { AUTOPILOT_IMPORT_POLL_MS: "50", ...hostEnv, ...env },
            });
            stacks.push(stack);
            return stack;
        },
        async close() {
            stacks.forEach((s) => s.dispose());
            sandbox.dispose();
            await emu.close();
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
