/**
 * Shared set-up for tests through the real Pulumi CLI against the emulator: one emulator and one
 * offline Pulumi sandbox per suite, and a new stack (fresh state) per program.
 */
import * as fs from "fs";
import * as path from "path";
import { Emulator, EmulatorOptions, startEmulator } from "../emulator";
import { PulumiSandbox, REPO_ROOT } from "../pulumi/cli";
import { ConfigValue, PulumiRunError, RunResult, shortType, StateResource, Step, TestStack } from "../pulumi/stack";

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
    /**
     * A new stack for a program folder under test/projects/ (run by `pulumi` through the Node.js
     * language host, as a user's project is), configured for the emulator like {@link stack};
     * `config` and `secretConfig` keys without a namespace get the project's.
     */
    project(name: string, config?: Record<string, ConfigValue>, secretConfig?: Record<string, string>, env?: Record<string, string>): Promise<TestStack>;
    /** Disposes every stack made here, the sandbox and the emulator. */
    close(): Promise<void>;
}

/** The small program folders, one per engine-level behaviour. */
export const PROJECTS_DIR = path.join(REPO_ROOT, "test", "projects");

/** The `name:` line of a folder's Pulumi.yaml. */
function projectName(dir: string): string {
    const match = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    if (!match) throw new Error(`${dir}/Pulumi.yaml has no name`);
    return match[1];
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
        async project(name, config = {}, secretConfig = {}, env = {}) {
            const dir = path.join(PROJECTS_DIR, name);
            const namespaced = <T>(values: Record<string, T>, project: string) =>
                Object.fromEntries(Object.entries(values).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]));
            const project = projectName(dir);
            const stack = await TestStack.folder({
                sandbox,
                dir,
                stackName: `test${++n}`,
                config: { "autopilot:graphEndpoint": emu.url, "autopilot:maxRetries": "3", ...namespaced(config, project) },
                secretConfig: { "autopilot:accessToken": TOKEN, ...namespaced(secretConfig, project) },
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

/** This package's resources in the state (not the stack, components or providers). */
export async function autopilotResources(stack: TestStack): Promise<StateResource[]> {
    return (await stack.resources()).filter((r) => shortType(r.type).startsWith("autopilot:"));
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** `--show-secrets` exports a secret as `{<sig>: ..., plaintext: "<JSON>"}`: the value inside, at any depth. */
export function openSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(openSecrets);
    if (value !== null && typeof value === "object") {
        const bag = value as Record<string, unknown>;
        if (SECRET_SIG_KEY in bag && typeof bag.plaintext === "string") return openSecrets(JSON.parse(bag.plaintext));
        return Object.fromEntries(Object.entries(bag).map(([k, v]) => [k, openSecrets(v)]));
    }
    return value;
}

/** A resource's outputs as the state holds them, secrets opened (what the program reads after `pulumi up`). */
export async function outputsOf(stack: TestStack, type: string, name: string): Promise<Record<string, unknown>> {
    const found = await stack.resource(type, name);
    if (!found) {
        throw new Error(`no ${type} ${name} in the state`);
    }
    return openSecrets(found.outputs ?? {}) as Record<string, unknown>;
}

/** Runs a command that must fail; its error says what the engine reported, and `.result` has the steps and output. */
export async function failing(run: Promise<RunResult>): Promise<PulumiRunError> {
    try {
        const result = await run;
        throw new Error(`the command succeeded, expected a failure: ${JSON.stringify(result.steps)}`);
    } catch (e) {
        if (e instanceof PulumiRunError) return e;
        throw e;
    }
}

/** A command's steps, whether it succeeded or failed (a failed step carries its error). */
export async function stepsOf(command: Promise<RunResult>): Promise<Step[]> {
    try {
        return (await command).steps;
    } catch (e) {
        if (e instanceof PulumiRunError) return e.result.steps;
        throw e;
    }
}

/** Keeps every import record made after now pending (Autopilot never finishes them) until the returned function is called. */
export function holdImportsPending(h: CliHarness): () => void {
    const before = new Set(h.emu.tenant.importedIdentities.keys());
    const timer = setInterval(() => {
        for (const k of h.emu.tenant.importedIdentities.keys()) if (!before.has(k)) h.emu.tenant.pendingImports.set(k, 0);
    }, 5);
    return () => clearInterval(timer);
}
