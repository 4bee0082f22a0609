/**
 * `npm run bench:crash -- --devices N [--kill-at 0.5] [--kill-on tags|imports] [--checkpoints skip|per-step]
 *                        [--latency 20] [--budget-scale 10] [--parallel P] [--out bench-results]`
 *
 * What a `pulumi up` killed mid-way leaves, and what the next `pulumi up` makes of it: the bench's
 * fleet (side a) through the real CLI against the bench's Graph service. Once `--kill-at` of the
 * devices carry their group tag (or, `--kill-on imports`, have an import record), the CLI and every process under it get SIGKILL at once (the engine
 * starts plugins in process groups of their own, so the tree is walked), as when the machine or
 * the CI runner is lost. Then:
 *   - what the state file recorded (with PULUMI_SKIP_CHECKPOINTS nothing at all: the engine writes
 *     only at the end; with per-step checkpoints what finished, and pending operations),
 *   - what the tenant holds,
 *   - `pulumi up` again, with what a user must do first when it refuses (`pulumi cancel` for the
 *     lock the killed run left, `pulumi refresh` for pending operations) and after it succeeds
 *     (`pulumi refresh --clear-pending-creates` for the pending creates the engine keeps), and what the tenant and
 *     the state hold then: duplicates (import records of one serial beyond the first) and orphans
 *     (import records and devices in the tenant that no resource in the state names).
 */
import * as fs from "fs";
import * as path from "path";
import { createTestPki } from "../emulator/pki";
import { PulumiSandbox, REPO_ROOT } from "../pulumi/cli";
import { INTUNE_LIMITS, scaledLimits } from "./budget";
import { CheckpointMode } from "./bench";
import { startGraphService, TenantContents } from "./graphService";
import { makeDevices } from "./program";
import { BENCH_APP, BENCH_PROJECT, openBenchStack, writeProject } from "./project";
import { processTree } from "./processTree";
import { PulumiCommandResult, runPulumiCommand } from "./pulumiCommand";

const IMPORT_TYPE = "pulumi-nodejs:dynamic/autopilot:ImportedWindowsAutopilotDeviceIdentity";
const DEVICE_TYPE = "pulumi-nodejs:dynamic/autopilot:WindowsAutopilotDeviceIdentity";

export interface CrashOptions {
    devices: number;
    killAt: number;
    /** What `killAt` counts: devices tagged (the device steps) or import records made (the import steps). */
    killOn: "tags" | "imports";
    checkpoints: CheckpointMode;
    latencyMs: number;
    budgetScale: number;
    parallel: number;
    log: (line: string) => void;
}

/** The tenant against the state: how many of each, duplicates and orphans. */
export interface Reconciliation {
    importRecords: number;
    duplicateImportRecords: number;
    devices: number;
    taggedDevices: number;
    stateImports: number;
    stateDevices: number;
    pendingOperations: number;
    orphanImportRecords: number;
    orphanDevices: number;
}

export interface CommandFigures {
    command: string;
    exitCode: number | null;
    wallMs: number;
    done: Record<string, number>;
    failed: number;
    firstErrors: string[];
    stateWrites: number;
}

export interface CrashResult {
    options: Omit<CrashOptions, "log">;
    killedAfterMs: number;
    afterKill: Reconciliation;
    recovery: Array<{ figures: CommandFigures; after: Reconciliation; importRecordsMade: number }>;
}

function readState(file: string): { imports: string[]; devices: string[]; pending: number } {
    if (!fs.existsSync(file)) return { imports: [], devices: [], pending: 0 };
    const latest = JSON.parse(fs.readFileSync(file, "utf8")).checkpoint?.latest ?? {};
    const resources = (latest.resources ?? []) as Array<{ type: string; id?: string }>;
    return {
        imports: resources.filter((r) => r.type === IMPORT_TYPE && r.id).map((r) => r.id!),
        devices: resources.filter((r) => r.type === DEVICE_TYPE && r.id).map((r) => r.id!),
        pending: (latest.pending_operations ?? []).length,
    };
}

function reconcile(tenant: TenantContents, stateFile: string): Reconciliation {
    const state = readState(stateFile);
    const inState = new Set([...state.imports, ...state.devices]);
    return {
        importRecords: tenant.importIds.length,
        duplicateImportRecords: tenant.importSerials.length - new Set(tenant.importSerials).size,
        devices: tenant.deviceIds.length,
        taggedDevices: tenant.taggedDevices,
        stateImports: state.imports.length,
        stateDevices: state.devices.length,
        pendingOperations: state.pending,
        orphanImportRecords: tenant.importIds.filter((id) => !inState.has(id)).length,
        orphanDevices: tenant.deviceIds.filter((id) => !inState.has(id)).length,
    };
}

function figures(command: string, run: PulumiCommandResult): CommandFigures {
    return {
        command,
        exitCode: run.exitCode,
        wallMs: Math.round(run.wallMs),
        done: run.events.done,
        failed: run.events.failed,
        firstErrors: run.exitCode === 0 ? [] : [...run.events.errors, run.outputTail.slice(-800)],
        stateWrites: run.stateWrites.writes,
    };
}

export async function runCrash(o: CrashOptions): Promise<CrashResult> {
    const sandbox = new PulumiSandbox();
    const pki = createTestPki();
    const graph = await startGraphService({
        profile: "documented",
        latencyMs: o.latencyMs,
        limits: scaledLimits(o.budgetScale, INTUNE_LIMITS),
        tls: { cert: pki.server.certPem, key: pki.server.keyPem },
        ...BENCH_APP,
    });
    const dir = writeProject({ kind: "autopilot", devices: makeDevices(o.devices), importRecord: "keep", name: "bench-crash" });
    const stackName = `crash-${o.checkpoints}`;
    const stack = await openBenchStack(sandbox, dir, stackName, graph);
    const env: Record<string, string> = {
        ...stack.commandEnv(),
        NODE_EXTRA_CA_CERTS: pki.caFile,
        ...(o.checkpoints === "skip" ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
    };
    const stateFile = sandbox.stateFile(BENCH_PROJECT, stackName);
    const bin = path.join(sandbox.cli.binDir, "pulumi");
    const parallel = String(o.parallel > 0 ? o.parallel : 2147483647);
    const command = (name: string): string[] => {
        const common = ["--stack", stackName, "--non-interactive"];
        if (name === "cancel") return ["cancel", "--yes", ...common];
        if (name === "refresh") return ["refresh", "--yes", "--skip-preview", ...common, "--parallel", parallel];
        if (name === "clear") return ["refresh", "--yes", "--skip-preview", "--clear-pending-creates", ...common, "--parallel", parallel];
        return ["up", "--yes", "--skip-preview", ...common, "--parallel", parallel];
    };
    const run = (name: string, extra: Partial<Parameters<typeof runPulumiCommand>[0]> = {}) =>
        runPulumiCommand({
            bin,
            args: command(name),
            cwd: dir,
            env,
            stateFile,
            eventLog: name === "cancel" ? undefined : path.join(sandbox.dir, `events-${name}.jsonl`),
            ...extra,
        });
    try {
        // The run to kill: once enough devices are tagged, SIGKILL to the whole process group.
        const killAfter = Math.ceil(o.killAt * o.devices);
        let killedAfterMs = -1;
        const t0 = Date.now();
        await run("up", {
            onStart: (pid) => {
                const poll = setInterval(
                    () =>
                        void (async () => {
                            const tenant = await graph.peek().catch(() => undefined);
                            const reached = o.killOn === "imports" ? tenant?.importIds.length : tenant?.taggedDevices;
                            if (reached === undefined || reached < killAfter || killedAfterMs >= 0) return;
                            killedAfterMs = Date.now() - t0;
                            clearInterval(poll);
                            for (const p of processTree(pid)) {
                                try {
                                    process.kill(p, "SIGKILL");
                                } catch {
                                    // already gone
                                }
                            }
                        })(),
                    100,
                );
                poll.unref();
            },
        });
        if (killedAfterMs < 0)
            throw new Error(
                `the run ended before ${killAfter} ${o.killOn === "imports" ? "import records were made" : "devices were tagged"}: raise --devices or lower --kill-at`,
            );
        // Let the emulator finish what it had in hand (nothing of the killed processes is left to send).
        await new Promise((r) => setTimeout(r, 1000));
        const afterKill = reconcile(await graph.peek(), stateFile);
        o.log(`killed after ${(killedAfterMs / 1000).toFixed(1)} s: ${JSON.stringify(afterKill)}`);
        const recovery: CrashResult["recovery"] = [];
        // What a user does next: `pulumi up`. A killed run leaves the stack locked: `pulumi cancel`
        // (the CLI's own advice), then `pulumi up`; if that refuses too (pending operations),
        // `pulumi refresh`, then `pulumi up`.
        let name = "up";
        for (let attempt = 0; attempt < 6; attempt++) {
            const before = (await graph.peek()).importIds.length;
            const result = await run(name);
            const after = reconcile(await graph.peek(), stateFile);
            recovery.push({ figures: figures(`pulumi ${command(name).join(" ")}`, result), after, importRecordsMade: after.importRecords - before });
            o.log(
                `${name}: exit ${result.exitCode} in ${(result.wallMs / 1000).toFixed(1)} s, ${JSON.stringify(result.events.done)}, failed ${result.events.failed}: ${JSON.stringify(after)}`,
            );
            if (name === "clear" || (name === "up" && result.exitCode === 0 && after.pendingOperations === 0)) break;
            // Pending creates outlive a successful up (the engine keeps them for the user to settle).
            if (name === "up" && result.exitCode === 0) name = "clear";
            else if (/currently locked/.test(result.outputTail)) name = "cancel";
            else if (name === "up") name = "refresh";
            else name = "up";
        }
        return {
            options: {
                devices: o.devices,
                killAt: o.killAt,
                killOn: o.killOn,
                checkpoints: o.checkpoints,
                latencyMs: o.latencyMs,
                budgetScale: o.budgetScale,
                parallel: o.parallel,
            },
            killedAfterMs,
            afterKill,
            recovery,
        };
    } finally {
        stack.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
        await graph.close();
        pki.dispose();
        sandbox.dispose();
    }
}

function option(argv: string[], name: string, fallback: string): string {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    const number = (name: string, fallback: number, min: number, max: number): number => {
        const v = Number(option(argv, name, String(fallback)));
        if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
        return v;
    };
    const killOn = option(argv, "kill-on", "tags");
    if (killOn !== "tags" && killOn !== "imports") throw new Error("--kill-on must be tags or imports");
    const checkpoints = option(argv, "checkpoints", "skip");
    if (checkpoints !== "skip" && checkpoints !== "per-step") throw new Error("--checkpoints must be skip or per-step");
    const result = await runCrash({
        devices: Math.floor(number("devices", 1000, 10, 10_000)),
        killAt: number("kill-at", 0.5, 0.001, 0.99),
        killOn,
        checkpoints,
        latencyMs: number("latency", 20, 0, 5000),
        budgetScale: number("budget-scale", 10, 0.01, 1000),
        parallel: Math.floor(number("parallel", 0, 0, 2147483647)),
        log: (line) => console.log(line),
    });
    const dir = path.resolve(REPO_ROOT, option(argv, "out", "bench-results"));
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `crash-${result.options.devices}-${checkpoints}-${killOn}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`figures: ${path.relative(process.cwd(), file)}`);
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (e) => {
            console.error(e instanceof Error ? e.stack : e);
            process.exit(1);
        },
    );
}
