/**
 * Fleet-scale bench through the real Pulumi CLI: a fleet of N devices, as a user's program folder
 * (project.ts) with a CSV of N hardware hashes, run by `pulumi` with a file backend in an offline
 * sandbox against the Graph emulator behind a front with latency and Intune's budgets, for
 *   (a) this package, and variants of it with one speed feature switched off, and
 *   (b) a baseline provider written with the official Graph JS SDK,
 * over five scenarios, each one `pulumi` command: cold apply (`up`), no-change plan (`preview`),
 * `refresh`, an update of 10 % of the devices (`up` with the program's BENCH_UPDATED), `destroy`.
 * Each side runs with per-step checkpoints (Pulumi's default), with `PULUMI_SKIP_CHECKPOINTS=true`,
 * or both (a column each), on a fresh emulator and budget and a stack of its own.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createTestPki, type TestPki } from "../emulator/pki";
import type { EmulatorProfile } from "../emulator";
import { PulumiSandbox, REPO_ROOT } from "../pulumi/cli";
import { BudgetLimits, INTUNE_LIMITS, scaledLimits, throttlingFloorMs } from "./budget";
import type { FrontCounters } from "./front";
import { startGraphService } from "./graphService";
import { peakRssKB, resetPeakRss, TreeUsage } from "./processTree";
import { makeDevices, UPDATED_ENV } from "./program";
import { BENCH_APP, BENCH_PROJECT, openBenchStack, writeProject } from "./project";
import { runPulumiCommand } from "./pulumiCommand";
import { StateSummary, summarizeState } from "./stateFile";
import type { StateWriteCounts } from "./stateWrites";

export const SCENARIOS = ["apply", "plan", "refresh", "update", "destroy"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Side (a)'s fleet-scale switches, all on; each a-no-* side switches one off to measure what it saves. */
const SWITCHES_ON = { AUTOPILOT_BATCH: "1", AUTOPILOT_BULK_IMPORT: "1", AUTOPILOT_ADAPTIVE: "1", AUTOPILOT_LIST_READS: "1" };
const without = (variable: keyof typeof SWITCHES_ON) => ({ label: `(a) ${variable}=0`, kind: "autopilot" as const, env: { ...SWITCHES_ON, [variable]: "0" } });

export const SIDES = {
    a: { label: "pulumi-autopilot", kind: "autopilot" as const, env: SWITCHES_ON },
    b: { label: "Graph JS SDK baseline", kind: "sdk" as const, env: {} },
    "a-no-batch": without("AUTOPILOT_BATCH"),
    "a-no-bulk": without("AUTOPILOT_BULK_IMPORT"),
    "a-no-adaptive": without("AUTOPILOT_ADAPTIVE"),
    "a-no-list": without("AUTOPILOT_LIST_READS"),
};
export type SideName = keyof typeof SIDES;

/** How the engine writes the state: after every step (Pulumi's default) or once at the end. */
export const CHECKPOINT_MODES = ["per-step", "skip"] as const;
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];

/** `--parallel` for "no bound": Pulumi treats MaxInt32 as unbounded. */
const UNBOUNDED_PARALLEL = 2147483647;

export interface BenchOptions {
    devices: number;
    /** Added to every Graph answer; default 20 ms. */
    latencyMs?: number;
    /** The budgets' window is 20 s / scale; default 10. */
    budgetScale?: number;
    profile?: EmulatorProfile;
    sides?: SideName[];
    /** Which checkpoint modes each side runs in (a column each); default per-step only. */
    checkpoints?: CheckpointMode[];
    /** Instead of every side in every mode: these columns, in this order. */
    columns?: Array<{ side: SideName; checkpoints: CheckpointMode }>;
    /** Records per bulk import call the floor assumes (the provider's default chunk). */
    importChunk?: number;
    log?: (line: string) => void;
    /** `pulumi up --parallel`; 0 (default) = unbounded. */
    parallel?: number;
    /** The fleet's `importRecord` (side a): keep (default) or remove once the device exists. */
    importRecord?: "keep" | "remove";
    /**
     * V8's old-space limit in MB for the node processes `pulumi` starts (`NODE_OPTIONS=--max-old-space-size=M`,
     * as a user sets it): the provider host and the program alike, since Pulumi's Node language host
     * passes the same environment to both. 0 (default) = Node's own limit.
     */
    hostHeapMb?: number;
    /** Scenarios to run (default all, in order). */
    scenarios?: Scenario[];
    /** A Go CPU profile of the CLI (`pulumi --profiling`) in this scenario: slows it down; for attribution only. */
    cliProfile?: Scenario;
    /** Keep the program folders, event logs and state files (printed at the end). */
    keepWork?: boolean;
    /**
     * Another checkout of this repository, built (`npm ci`), e.g. a worktree of the commit before a
     * change: each column of side (a) runs again with that checkout's package, right after this
     * one's, against the same Graph service and CLI. A change's before and after in one run.
     */
    compare?: { root: string; label: string };
}

export interface ScenarioResult {
    scenario: Scenario;
    /** The `pulumi` command line (without the event log). */
    command: string;
    exitCode: number | null;
    wallMs: number;
    /** The least Graph work this scenario needs, and the time Intune's budgets allow for it. */
    work: { writes: number; requests: number };
    floorMs: number;
    /** wall / floor (null when the floor is 0). */
    floorRatio: number | null;
    /** Time before the first Graph request (CLI start, program, check/diff), and wall / floor from it on. */
    firstRequestMs: number;
    floorRatioFromFirstRequest: number | null;
    okResources: number;
    failedResources: number;
    /** What the engine reported per resource, by op. */
    done: Record<string, number>;
    /** Resources done per second. */
    throughput: number;
    roundTrips: number;
    requests: number;
    byRoute: Record<string, number>;
    batches: number;
    batchItems: number;
    throttled: number;
    errors: number;
    tokenRequests: number;
    sockets: number;
    providerBytes: number;
    stateBytes: number;
    stateBytesPerDevice: number;
    stateResources: number;
    pendingOperations: number;
    /** The state file's writes during the command. */
    stateWrites: StateWriteCounts;
    /** CPU seconds and peak RSS of each process the command started, by role. */
    processes: TreeUsage;
    /** The Graph service (emulator and front): CPU seconds and peak RSS during the command. */
    graph: { cpuS: number; peakRssMB: number };
    /** The CLI's CPU profile, when asked for: seconds sampled in all and under saving checkpoints. */
    cliProfile?: CliProfile;
    sampleErrors: string[];
    /** Per second: [reads, writes, refused] as the front admitted them. */
    timeline: number[][];
    /** What the emulated tenant holds afterwards. */
    tenant: { importRecords: number; devices: number; distinctImportSerials: number };
}

export interface CliProfile {
    file: string;
    sampledS: number;
    saveSnapshotS: number;
    /** Cumulative seconds of the functions that matter for the state (from `go tool pprof -top -cum`). */
    functions: Record<string, number>;
}

export interface SideResult {
    /** `a`, `b`, ... with `/skip` when the checkpoints were skipped; `a@<label>` for the compared checkout's (a). */
    column: string;
    side: SideName;
    /** The compared checkout's label, when this column ran its package (BenchOptions.compare). */
    checkout?: string;
    checkpoints: CheckpointMode;
    label: string;
    scenarios: Partial<Record<Scenario, ScenarioResult>>;
    /** Where the state's bytes go, after the apply. */
    stateAfterApply?: StateSummary;
}

export interface BenchResult {
    startedAt: string;
    machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; pulumiSdk: string; pulumiCli: string; os: string; load: number[] };
    options: {
        devices: number;
        latencyMs: number;
        budgetScale: number;
        limits: BudgetLimits;
        profile: EmulatorProfile;
        importChunk: number;
        parallel: number;
        importRecord: "keep" | "remove";
        hostHeapMb: number;
        checkpoints: CheckpointMode[];
    };
    sides: SideResult[];
}

/** The least work of each scenario (what any client must send), for its throttling floor. */
export function scenarioWork(
    scenario: Scenario,
    n: number,
    importChunk: number,
    importRecord: "keep" | "remove" = "keep",
): { writes: number; requests: number } {
    const updated = Math.ceil(n / 10);
    const removed = importRecord === "remove";
    switch (scenario) {
        case "apply": {
            // One bulk import call per chunk and one updateDeviceProperties per device (and a DELETE
            // of each import record when they are removed); at least one read of each import
            // record (its outcome) and of each device.
            const writes = Math.ceil(n / importChunk) + n + (removed ? n : 0);
            return { writes, requests: writes + 2 * n };
        }
        case "plan":
            return { writes: 0, requests: 0 };
        case "refresh":
            // Every object read once (removed import records are not read).
            return { writes: 0, requests: removed ? n : 2 * n };
        case "update":
            return { writes: updated, requests: updated };
        case "destroy":
            // The import records are deleted (unless already removed); the devices are released (no request).
            return removed ? { writes: 0, requests: 0 } : { writes: n, requests: n };
    }
}

function machine(cliVersion: string): BenchResult["machine"] {
    const cpus = os.cpus();
    return {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? "unknown",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        pulumiSdk: require("@pulumi/pulumi/package.json").version,
        pulumiCli: cliVersion,
        os: `${os.type()} ${os.release()}`,
        load: os.loadavg().map((x) => Math.round(x * 100) / 100),
    };
}

/** Functions of the CLI whose cumulative CPU the profile summary keeps. */
const PROFILED_FUNCTIONS: Record<string, RegExp> = {
    saveSnapshot: /backend\.\(\*SnapshotManager\)\.saveSnapshot$/,
    "snapshot serialization": /backend\.\(\*SnapshotManager\)\.Deployment$/,
    "backend write": /diy\.\(\*diyBackend\)\.saveStack$/,
    "JSON encoding": /encoding\/json\.\(\*Encoder\)\.Encode$/,
    "MD5 of the file": /crypto\/md5\.\(\*digest\)\.Write$/,
    "backup copy": /diy\.backupTarget$/,
    "integrity check": /snapshot\.VerifyIntegrity$/,
    "garbage collection": /runtime\.gcBgMarkWorker$/,
};

/** Seconds sampled in the CLI's CPU profile, in all and per function that matters (needs `go`). */
function readCliProfile(bin: string, file: string): CliProfile {
    const out: CliProfile = { file, sampledS: 0, saveSnapshotS: 0, functions: {} };
    let text: string;
    try {
        text = execFileSync("go", ["tool", "pprof", "-top", "-cum", "-nodecount=400", bin, file], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            maxBuffer: 1 << 26,
        });
    } catch {
        return out;
    }
    // pprof prints durations as 0, 120ms, 4.5s, 2.1mins or 1.2hrs.
    const seconds = (v: string): number => {
        const m = /^([\d.]+)(ms|s|mins|hrs)?$/.exec(v);
        if (!m) return 0;
        const scale = { ms: 0.001, s: 1, mins: 60, hrs: 3600 }[m[2] ?? "s"] ?? 1;
        return Math.round(Number(m[1]) * scale * 100) / 100;
    };
    const total = /Total samples = (\S+)/.exec(text);
    if (total) out.sampledS = seconds(total[1]);
    for (const line of text.split("\n")) {
        const m = /^\s*\S+\s+[\d.]+%\s+[\d.]+%\s+(\S+)\s+[\d.]+%\s+(\S+)/.exec(line);
        if (!m) continue;
        for (const [name, re] of Object.entries(PROFILED_FUNCTIONS)) {
            if (re.test(m[2]) && out.functions[name] === undefined) out.functions[name] = seconds(m[1]);
        }
    }
    out.saveSnapshotS = out.functions.saveSnapshot ?? 0;
    return out;
}

/** The `pulumi` arguments of a scenario. */
function commandOf(scenario: Scenario, stack: string, parallel: number): string[] {
    const p = ["--parallel", String(parallel > 0 ? parallel : UNBOUNDED_PARALLEL)];
    const common = ["--stack", stack, "--non-interactive"];
    switch (scenario) {
        case "plan":
            return ["preview", ...common, ...p];
        case "apply":
        case "update":
            return ["up", "--yes", "--skip-preview", ...common, ...p];
        case "refresh":
            return ["refresh", "--yes", "--skip-preview", ...common, ...p];
        case "destroy":
            return ["destroy", "--yes", "--skip-preview", ...common, ...p];
    }
}

const isDynamic = (type: string): boolean => type.startsWith("pulumi-nodejs:dynamic/");

/** Where the CLI's CPU profiles go (kept: the figures name them). */
const PROFILE_DIR = path.join(REPO_ROOT, "bench-results", "profiles");

export async function runBench(options: BenchOptions): Promise<BenchResult> {
    const n = options.devices;
    const sandbox = new PulumiSandbox();
    const result: BenchResult = {
        startedAt: new Date().toISOString(),
        machine: machine(sandbox.cli.version),
        options: {
            devices: n,
            latencyMs: options.latencyMs ?? 20,
            budgetScale: options.budgetScale ?? 10,
            limits: scaledLimits(options.budgetScale ?? 10, INTUNE_LIMITS),
            profile: options.profile ?? "documented",
            importChunk: options.importChunk ?? 100,
            parallel: options.parallel ?? 0,
            importRecord: options.importRecord ?? "keep",
            hostHeapMb: options.hostHeapMb ?? 0,
            checkpoints: options.columns ? [...new Set(options.columns.map((c) => c.checkpoints))] : (options.checkpoints ?? ["per-step"]),
        },
        sides: [],
    };
    const log = options.log ?? (() => undefined);
    const devices = makeDevices(n);
    const pki = createTestPki();
    try {
        const columns: Array<{ side: SideName; checkpoints: CheckpointMode; checkout?: BenchOptions["compare"] }> =
            options.columns ?? (options.sides ?? ["a", "b"]).flatMap((side) => result.options.checkpoints.map((mode) => ({ side, checkpoints: mode })));
        const withCompared = columns.flatMap((c) => (options.compare && c.side === "a" ? [c, { ...c, checkout: options.compare }] : [c]));
        for (const { side, checkpoints: mode, checkout } of withCompared) {
            const name = checkout ? `${side}@${checkout.label}` : side;
            const column = mode === "skip" ? `${name}/skip` : name;
            const label = checkout ? `${SIDES[side].label} of ${checkout.label} (${checkout.root})` : SIDES[side].label;
            log(`\n== ${column}: ${label}, ${mode === "skip" ? "PULUMI_SKIP_CHECKPOINTS=true" : "per-step checkpoints"} (${n} devices) ==`);
            result.sides.push(await runColumn({ side, mode, column, label, checkout, devices, sandbox, pki, result, log, options }));
        }
    } finally {
        pki.dispose();
        if (options.keepWork) log(`\nstate backend kept in ${sandbox.backendDir}`);
        else sandbox.dispose();
    }
    return result;
}

interface ColumnContext {
    side: SideName;
    mode: CheckpointMode;
    column: string;
    label: string;
    checkout?: BenchOptions["compare"];
    devices: ReturnType<typeof makeDevices>;
    sandbox: PulumiSandbox;
    pki: TestPki;
    result: BenchResult;
    log: (line: string) => void;
    options: BenchOptions;
}

async function runColumn(c: ColumnContext): Promise<SideResult> {
    const def = SIDES[c.side];
    const o = c.result.options;
    const n = o.devices;
    const graph = await startGraphService({
        profile: o.profile,
        latencyMs: o.latencyMs,
        limits: o.limits,
        tls: { cert: c.pki.server.certPem, key: c.pki.server.keyPem },
        ...BENCH_APP,
    });
    const stackName = c.column.replace(/[^A-Za-z0-9_.-]/g, "-");
    const dir = writeProject({ kind: def.kind, devices: c.devices, importRecord: o.importRecord, name: `bench-${stackName}`, root: c.checkout?.root });
    const stack = await openBenchStack(c.sandbox, dir, stackName, graph);
    const env: Record<string, string> = {
        ...stack.commandEnv(),
        ...def.env,
        NODE_EXTRA_CA_CERTS: c.pki.caFile,
        ...(c.mode === "skip" ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
        ...(o.hostHeapMb > 0 ? { NODE_OPTIONS: `--max-old-space-size=${o.hostHeapMb}` } : {}),
        ...(process.env.BENCH_HOST_LOG ? { AUTOPILOT_LOG: "1" } : {}),
    };
    const stateFile = c.sandbox.stateFile(BENCH_PROJECT, stackName);
    const out: SideResult = {
        column: c.column,
        side: c.side,
        ...(c.checkout ? { checkout: c.checkout.label } : {}),
        checkpoints: c.mode,
        label: c.label,
        scenarios: {},
    };
    try {
        for (const scenario of c.options.scenarios ?? SCENARIOS) {
            const before = summarizeState(stateFile);
            const resourcesBefore = before.byType.filter((t) => isDynamic(t.type)).reduce((s, t) => s + t.count, 0);
            await graph.reset();
            resetPeakRss(graph.pid);
            const args = commandOf(scenario, stackName, o.parallel);
            const profilePrefix = c.options.cliProfile === scenario ? path.join(PROFILE_DIR, `cli-${n}-${stackName}-${scenario}-${Date.now()}`) : undefined;
            if (profilePrefix) fs.mkdirSync(PROFILE_DIR, { recursive: true });
            const eventLog = path.join(c.sandbox.dir, `events-${stackName}-${scenario}.jsonl`);
            const run = await runPulumiCommand({
                bin: path.join(c.sandbox.cli.binDir, "pulumi"),
                args: profilePrefix ? [...args, "--profiling", profilePrefix] : args,
                cwd: dir,
                env: scenario === "update" ? { ...env, [UPDATED_ENV]: "1" } : env,
                stateFile,
                eventLog,
                keepEventLog: c.options.keepWork,
                onOutput: process.env.BENCH_CLI_OUTPUT ? (text) => process.stdout.write(text) : undefined,
            });
            const report = await graph.reset();
            const counters: FrontCounters = report.counters;
            const after = summarizeState(stateFile);
            if (scenario === "apply") out.stateAfterApply = after;

            const done = run.events.done;
            const count = (...ops: string[]) => ops.reduce((s, op) => s + (done[op] ?? 0), 0);
            let expected: number;
            let ok: number;
            switch (scenario) {
                case "apply":
                    expected = 2 * n;
                    ok = count("create");
                    break;
                case "plan":
                    expected = resourcesBefore;
                    ok = count("same");
                    break;
                case "refresh":
                    expected = resourcesBefore;
                    ok = count("refresh", "same", "update");
                    break;
                case "update":
                    expected = 2 * n;
                    ok = count("update", "same");
                    break;
                case "destroy":
                    expected = resourcesBefore;
                    ok = count("delete");
                    break;
            }
            const failed = Math.max(run.events.failed, expected - ok);
            const work = scenarioWork(scenario, n, o.importChunk, def.kind === "autopilot" ? o.importRecord : "keep");
            const floorMs = throttlingFloorMs(work, o.limits, o.latencyMs);
            const wallMs = run.wallMs;
            const stateBytes = after.bytes;
            const r: ScenarioResult = {
                scenario,
                command: `pulumi ${args.join(" ")}`,
                exitCode: run.exitCode,
                wallMs: Math.round(wallMs),
                work,
                floorMs: Math.round(floorMs),
                floorRatio: floorMs > 0 ? Math.round((wallMs / floorMs) * 1000) / 1000 : null,
                firstRequestMs: counters.firstRequestMs,
                floorRatioFromFirstRequest:
                    floorMs > 0 && counters.firstRequestMs >= 0 ? Math.round(((wallMs - counters.firstRequestMs) / floorMs) * 1000) / 1000 : null,
                okResources: ok,
                failedResources: failed,
                done,
                throughput: Math.round((ok / (wallMs / 1000)) * 10) / 10,
                roundTrips: counters.roundTrips,
                requests: counters.requests,
                byRoute: counters.byRoute,
                batches: counters.batches,
                batchItems: counters.batchItems,
                throttled: counters.throttled,
                errors: counters.errors,
                tokenRequests: report.tokenRequests,
                sockets: counters.sockets,
                providerBytes: Math.max(after.providerBytes, before.providerBytes),
                stateBytes,
                stateBytesPerDevice: Math.round(stateBytes / n),
                stateResources: after.resources,
                pendingOperations: after.pendingOperations,
                stateWrites: run.stateWrites,
                processes: run.usage,
                graph: { cpuS: report.cpuS, peakRssMB: Math.round(peakRssKB(graph.pid) / 102.4) / 10 },
                cliProfile: profilePrefix ? profileOf(c.sandbox, profilePrefix) : undefined,
                sampleErrors:
                    run.exitCode === 0
                        ? run.events.errors
                        : [...run.events.errors, `exit ${run.exitCode}${run.signal ? ` (${run.signal})` : ""}: ${run.outputTail.slice(-600)}`],
                timeline: counters.timeline,
                tenant: report.tenant,
            };
            if (process.env.BENCH_TIMELINE) c.log(`         429s by budget: ${JSON.stringify(counters.throttledBy)}`);
            if (process.env.BENCH_TIMELINE) c.log(`         per second [reads,writes,429]: ${JSON.stringify(counters.timeline)}`);
            out.scenarios[scenario] = r;
            c.log(scenarioLine(r));
        }
    } finally {
        stack.dispose();
        if (!c.options.keepWork) fs.rmSync(dir, { recursive: true, force: true });
        else c.log(`program folder kept in ${dir}`);
        await graph.close();
    }
    return out;
}

/** The CPU profile `pulumi --profiling <prefix>` wrote, read; its execution trace (large, unread) is removed. */
function profileOf(sandbox: PulumiSandbox, prefix: string): CliProfile | undefined {
    const files = fs.readdirSync(path.dirname(prefix)).filter((f) => f.startsWith(path.basename(prefix)));
    for (const f of files.filter((x) => x.endsWith(".trace"))) fs.rmSync(path.join(path.dirname(prefix), f), { force: true });
    const cpu = files.find((f) => f.endsWith(".cpu"));
    return cpu ? readCliProfile(path.join(sandbox.cli.binDir, "pulumi"), path.join(path.dirname(prefix), cpu)) : undefined;
}

/** One line per scenario for the log. */
export function scenarioLine(r: ScenarioResult): string {
    const p = r.processes;
    const w = r.stateWrites;
    return (
        `${r.scenario.padEnd(8)} ${(r.wallMs / 1000).toFixed(1).padStart(7)} s  floor ${(r.floorMs / 1000).toFixed(1)} s  ok ${r.okResources} failed ${r.failedResources}  ` +
        `round trips ${r.roundTrips} requests ${r.requests} 429s ${r.throttled} sockets ${r.sockets} tokens ${r.tokenRequests}  ` +
        `state ${(r.stateBytes / 1e6).toFixed(2)} MB (${r.stateBytesPerDevice} B/device), ${w.writes} writes of ${(w.bytesWritten / 1e6).toFixed(0)} MB  ` +
        `cpu s cli ${p.cli.cpuS} lang ${p.languageHost.cpuS} program ${p.program.cpuS} host ${p.providerHost.cpuS} graph ${r.graph.cpuS}  ` +
        `rss MB cli ${p.cli.peakRssMB} program ${p.program.peakRssMB} host ${p.providerHost.peakRssMB}` +
        (r.cliProfile
            ? `\n         CLI profile: ${r.cliProfile.sampledS} s sampled, ${r.cliProfile.saveSnapshotS} s saving checkpoints (${r.cliProfile.file})`
            : "") +
        (r.sampleErrors.length > 0 ? `\n         first error: ${r.sampleErrors[0]}` : "")
    );
}
