/**
 * Fleet-scale bench (issue 7): a fleet of N devices through Pulumi's real dynamic-provider host
 * against the Graph emulator behind a front with latency and Intune's budgets, for
 *   (a) this package, and variants of it with one speed feature switched off, and
 *   (b) a baseline provider written with the official Graph JS SDK,
 * over five scenarios: cold apply, no-change plan, refresh, update of 10% of the devices, destroy.
 * Each side runs on a fresh emulator and budget; each scenario in a fresh host process (as each
 * `pulumi` command starts its own).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { createTestPki, type TestPki } from "../emulator/pki";
import type { EmulatorProfile } from "../emulator";
import { Host, REPO_ROOT } from "../runner/host";
import { BudgetLimits, INTUNE_LIMITS, scaledLimits, throttlingFloorMs } from "./budget";
import { BenchEngine, registrationOnly, RunSummary } from "./engine";
import type { FrontCounters } from "./front";
import { startGraphService } from "./graphService";
import { isUpdated, makeDevices } from "./program";
import type { ProgramJob } from "./programChild";

export const SCENARIOS = ["apply", "plan", "refresh", "update", "destroy"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const SIDES = {
    a: { label: "pulumi-autopilot", kind: "autopilot", env: { AUTOPILOT_BATCH: "1", AUTOPILOT_BULK_IMPORT: "1", AUTOPILOT_ADAPTIVE: "1", AUTOPILOT_LIST_READS: "1" } },
    b: { label: "Graph JS SDK baseline", kind: "sdk", env: {} },
    "a-no-batch": { label: "(a) AUTOPILOT_BATCH=0", kind: "autopilot", env: { AUTOPILOT_BATCH: "0", AUTOPILOT_BULK_IMPORT: "1", AUTOPILOT_ADAPTIVE: "1", AUTOPILOT_LIST_READS: "1" } },
    "a-no-bulk": { label: "(a) AUTOPILOT_BULK_IMPORT=0", kind: "autopilot", env: { AUTOPILOT_BATCH: "1", AUTOPILOT_BULK_IMPORT: "0", AUTOPILOT_ADAPTIVE: "1", AUTOPILOT_LIST_READS: "1" } },
    "a-no-adaptive": { label: "(a) AUTOPILOT_ADAPTIVE=0", kind: "autopilot", env: { AUTOPILOT_BATCH: "1", AUTOPILOT_BULK_IMPORT: "1", AUTOPILOT_ADAPTIVE: "0", AUTOPILOT_LIST_READS: "1" } },
    "a-no-list": { label: "(a) AUTOPILOT_LIST_READS=0", kind: "autopilot", env: { AUTOPILOT_BATCH: "1", AUTOPILOT_BULK_IMPORT: "1", AUTOPILOT_ADAPTIVE: "1", AUTOPILOT_LIST_READS: "0" } },
} as const;
export type SideName = keyof typeof SIDES;

export interface BenchOptions {
    devices: number;
    /** Added to every Graph answer; default 20 ms. */
    latencyMs?: number;
    /** The budgets' window is 20 s / scale; default 10. */
    budgetScale?: number;
    profile?: EmulatorProfile;
    sides?: SideName[];
    /** Records per bulk import call the floor assumes (the provider's default chunk). */
    importChunk?: number;
    log?: (line: string) => void;
    /** Where state files go (a temp folder by default). */
    workDir?: string;
    /** Resource operations at once, as `pulumi up --parallel`; 0 (default) = unbounded. */
    parallel?: number;
    /** The fleet's `importRecord` (side a): keep (default) or remove once the device exists. */
    importRecord?: "keep" | "remove";
    /**
     * V8's old-space limit for the host, MB (`--max-old-space-size`), given as a user gives it under
     * `pulumi up`: in the host's `NODE_OPTIONS`. 0 (default) = Node's own limit.
     */
    hostHeapMb?: number;
}

export interface ScenarioResult {
    scenario: Scenario;
    wallMs: number;
    /** The least Graph work this scenario needs, and the time Intune's budgets allow for it. */
    work: { writes: number; requests: number };
    floorMs: number;
    /** wall / floor (null when the floor is 0). */
    floorRatio: number | null;
    /**
     * Time before the first Graph request (the program registering its resources under Pulumi's
     * SDK, and check/diff through the host), and wall / floor counted from that request on.
     */
    firstRequestMs: number;
    floorRatioFromFirstRequest: number | null;
    okResources: number;
    failedResources: number;
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
    hostPeakRssMB: number;
    /** The program's process's peak RSS, MB (0 for refresh and destroy, which run no program). */
    programPeakRssMB: number;
    /** CPU seconds used by the host process, the program's process, the bench process (the engine), and the Graph service (emulator and front). */
    hostCpuS: number;
    programCpuS: number;
    benchCpuS: number;
    graphCpuS: number;
    sampleErrors: string[];
    /** Per second: [reads, writes, refused] as the front admitted them. */
    timeline: number[][];
    /** What the emulated tenant holds afterwards. */
    tenant: { importRecords: number; devices: number; distinctImportSerials: number };
}

export interface SideResult {
    side: SideName;
    label: string;
    scenarios: Partial<Record<Scenario, ScenarioResult>>;
    /** The program registering its resources under Pulumi's SDK alone (mock monitor, no engine, host or Graph). */
    registrationOnly?: { wallMs: number; cpuS: number; resources: number };
}

export interface BenchResult {
    startedAt: string;
    machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; pulumi: string; os: string };
    options: { devices: number; latencyMs: number; budgetScale: number; limits: BudgetLimits; profile: EmulatorProfile; importChunk: number; parallel: number; importRecord: "keep" | "remove"; hostHeapMb: number };
    sides: SideResult[];
}

/** Peak resident set of a process (VmHWM), MB. */
export function peakRssMB(pid: number | undefined): number {
    if (!pid) return 0;
    try {
        const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Math.round(Number(m[1]) / 102.4) / 10 : 0;
    } catch {
        return 0;
    }
}

/** CPU seconds (user + system) a process used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number | undefined): number {
    if (!pid) return 0;
    try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
        return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
        return 0;
    }
}

/** The least work of each scenario (what any client must send), for its throttling floor. */
export function scenarioWork(scenario: Scenario, n: number, importChunk: number, importRecord: "keep" | "remove" = "keep"): { writes: number; requests: number } {
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

function machine(): BenchResult["machine"] {
    const cpus = os.cpus();
    return {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? "unknown",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        pulumi: require("@pulumi/pulumi/package.json").version,
        os: `${os.type()} ${os.release()}`,
    };
}

/** Starts V8's CPU profiler in this process (BENCH_CPU_PROFILE=<scenario>); `stop` writes the profile and returns its path. */
async function startCpuProfile(): Promise<{ stop: (file: string) => Promise<string> }> {
    const inspector = await import("inspector");
    const session = new inspector.Session();
    session.connect();
    const post = (method: string): Promise<any> => new Promise((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r))));
    await post("Profiler.enable");
    await post("Profiler.start");
    return {
        stop: async (file) => {
            const { profile } = await post("Profiler.stop");
            session.disconnect();
            fs.writeFileSync(file, JSON.stringify(profile));
            return file;
        },
    };
}

/** Hosts running now: killed if the bench is stopped, so none outlives it. */
const liveHosts = new Set<number>();
process.once("exit", () => {
    for (const pid of liveHosts) {
        try {
            process.kill(pid);
        } catch {
            // already gone
        }
    }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => process.exit(130));
}

const TENANT = "7a1f5c1e-0b4e-4b8a-9d62-3c0f2e4b9a11";
const CLIENT = "b3c1a2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const CLIENT_SECRET = "bench~Secret~4f9a1c7e2b8d";

export async function runBench(options: BenchOptions): Promise<BenchResult> {
    const n = options.devices;
    const latencyMs = options.latencyMs ?? 20;
    const budgetScale = options.budgetScale ?? 10;
    const limits = scaledLimits(budgetScale, INTUNE_LIMITS);
    const profile = options.profile ?? "documented";
    const importChunk = options.importChunk ?? 100;
    const log = options.log ?? (() => undefined);
    const sides = options.sides ?? ["a", "b"];
    const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-bench-"));
    const result: BenchResult = {
        startedAt: new Date().toISOString(),
        machine: machine(),
        options: { devices: n, latencyMs, budgetScale, limits, profile, importChunk, parallel: options.parallel ?? 0, importRecord: options.importRecord ?? "keep", hostHeapMb: options.hostHeapMb ?? 0 },
        sides: [],
    };
    const devices = makeDevices(n);
    // The program runs in a process of its own (programChild.ts) and reads its devices from here.
    const devicesFile = path.join(workDir, "devices.json");
    fs.writeFileSync(devicesFile, JSON.stringify(devices));
    const pki = createTestPki();
    try {
        for (const side of sides) {
            log(`\n== ${side}: ${SIDES[side].label} (${n} devices) ==`);
            result.sides.push(await runSide(side, { n, devicesFile, latencyMs, limits, profile, importChunk, log, workDir, pki, parallel: result.options.parallel, importRecord: result.options.importRecord, hostHeapMb: result.options.hostHeapMb }));
        }
    } finally {
        pki.dispose();
        if (!options.workDir) fs.rmSync(workDir, { recursive: true, force: true });
    }
    return result;
}

interface SideContext {
    n: number;
    devicesFile: string;
    latencyMs: number;
    limits: BudgetLimits;
    profile: EmulatorProfile;
    importChunk: number;
    log: (line: string) => void;
    workDir: string;
    pki: TestPki;
    parallel: number;
    importRecord: "keep" | "remove";
    hostHeapMb: number;
}

async function runSide(side: SideName, c: SideContext): Promise<SideResult> {
    const def = SIDES[side];
    const graph = await startGraphService({
        profile: c.profile,
        latencyMs: c.latencyMs,
        limits: c.limits,
        tls: { cert: c.pki.server.certPem, key: c.pki.server.keyPem },
        tenantId: TENANT,
        clientId: CLIENT,
        clientSecret: CLIENT_SECRET,
    });
    const program = (updated: boolean): ProgramJob => ({ devicesFile: c.devicesFile, kind: def.kind, updated, importRecord: c.importRecord });
    const project = "autopilot-bench";
    const engine = new BenchEngine({
        parallel: c.parallel,
        host: undefined as unknown as Host,
        project,
        stack: side,
        config: {
            "autopilot:graphEndpoint": graph.url,
            "autopilot:authorityHost": graph.authorityUrl,
            "autopilot:tenantId": TENANT,
            "autopilot:clientId": CLIENT,
            "autopilot:clientSecret": CLIENT_SECRET,
        },
        secretConfigKeys: ["autopilot:clientSecret"],
        program: program(false),
    });
    const out: SideResult = { side, label: def.label, scenarios: {} };
    // What Pulumi's SDK alone takes to register this program's resources: the plan's lower bound here.
    out.registrationOnly = await registrationOnly(program(false), project, side);
    c.log(`         registration alone (Pulumi SDK, mock monitor): ${(out.registrationOnly.wallMs / 1000).toFixed(1)} s for ${out.registrationOnly.resources} resources`);
    const expected = 2 * c.n;
    try {
        const only = process.env.BENCH_SCENARIOS?.split(",");
        for (const scenario of SCENARIOS) {
            if (only && !only.includes(scenario)) continue;
            const host = await Host.start({
                cwd: REPO_ROOT,
                project,
                env: { ...def.env, NODE_EXTRA_CA_CERTS: c.pki.caFile, ...(process.env.BENCH_HOST_LOG ? { AUTOPILOT_LOG: "1" } : {}) },
                nodeOptions: c.hostHeapMb > 0 ? [`--max-old-space-size=${c.hostHeapMb}`] : [],
                ...(process.env.BENCH_HOST_LOG
                    ? { onStderrLine: (line: string) => fs.appendFileSync(process.env.BENCH_HOST_LOG!, `${new Date().toISOString()} ${side}/${scenario} ${line}\n`) }
                    : {}),
            });
            const hostPid = (host as unknown as { child: { pid?: number } }).child.pid;
            if (hostPid) liveHosts.add(hostPid);
            engine.useHost(host);
            await graph.reset();
            const before = engine.state.size;
            engine.setProgram(program(scenario === "update"));
            const profiling = process.env.BENCH_CPU_PROFILE === scenario ? await startCpuProfile() : undefined;
            const cpu0 = process.cpuUsage();
            const t0 = performance.now();
            let summary: RunSummary;
            if (scenario === "apply") summary = await engine.up(false);
            else if (scenario === "plan") summary = await engine.up(true);
            else if (scenario === "refresh") summary = await engine.refresh();
            else if (scenario === "update") summary = await engine.up(false);
            else summary = await engine.destroy();
            const wallMs = performance.now() - t0;
            if (profiling) c.log(`         CPU profile of the bench process: ${await profiling.stop(path.join(os.tmpdir(), `bench-${side}-${scenario}-${Date.now()}.cpuprofile`))}`);
            const rss = peakRssMB(hostPid);
            const hostCpuS = cpuSeconds(hostPid);
            const cpu = process.cpuUsage(cpu0);
            const report = await graph.reset();
            const counters: FrontCounters = report.counters;
            await host.close();
            if (hostPid) liveHosts.delete(hostPid);
            const stateBytes = engine.saveState(path.join(c.workDir, `${side}-${scenario}.json`));

            let ok: number;
            let failed: number;
            switch (scenario) {
                case "apply":
                    ok = summary.created;
                    failed = expected - summary.created;
                    break;
                case "plan":
                    ok = summary.same;
                    failed = summary.failed + summary.created + summary.updated + summary.deleted;
                    break;
                case "refresh":
                    ok = summary.refreshed;
                    failed = before - summary.refreshed;
                    break;
                case "update":
                    ok = summary.updated + summary.same;
                    failed = Math.max(summary.failed, expected - ok);
                    break;
                default:
                    ok = summary.deleted;
                    failed = before - summary.deleted;
            }
            const work = scenarioWork(scenario, c.n, c.importChunk, def.kind === "autopilot" ? c.importRecord : "keep");
            const floorMs = throttlingFloorMs(work, c.limits, c.latencyMs);
            const r: ScenarioResult = {
                scenario,
                wallMs: Math.round(wallMs),
                work,
                floorMs: Math.round(floorMs),
                floorRatio: floorMs > 0 ? Math.round((wallMs / floorMs) * 1000) / 1000 : null,
                firstRequestMs: counters.firstRequestMs,
                floorRatioFromFirstRequest: floorMs > 0 && counters.firstRequestMs >= 0 ? Math.round(((wallMs - counters.firstRequestMs) / floorMs) * 1000) / 1000 : null,
                okResources: ok,
                failedResources: failed,
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
                providerBytes: Math.max(0, ...Object.values(summary.providerBytes)),
                stateBytes,
                stateBytesPerDevice: Math.round(stateBytes / c.n),
                hostPeakRssMB: rss,
                programPeakRssMB: summary.programPeakRssMB,
                hostCpuS,
                programCpuS: Math.round(summary.programCpuS * 100) / 100,
                benchCpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100,
                graphCpuS: report.cpuS,
                sampleErrors: summary.errors,
                timeline: counters.timeline,
                tenant: report.tenant,
            };
            if (process.env.BENCH_TIMELINE) c.log(`         429s by budget: ${JSON.stringify(counters.throttledBy)}`);
            if (process.env.BENCH_TIMELINE) c.log(`         per second [reads,writes,429]: ${JSON.stringify(counters.timeline)}`);
            out.scenarios[scenario] = r;
            c.log(
                `${scenario.padEnd(8)} ${(wallMs / 1000).toFixed(1).padStart(7)} s  floor ${(floorMs / 1000).toFixed(1)} s  ok ${ok} failed ${failed}  ` +
                    `round trips ${r.roundTrips} requests ${r.requests} 429s ${r.throttled} sockets ${r.sockets} tokens ${r.tokenRequests} rss ${rss} MB (program ${r.programPeakRssMB} MB) cpu host ${hostCpuS} s program ${r.programCpuS} s engine ${r.benchCpuS} s graph ${r.graphCpuS} s` +
                    (summary.errors.length > 0 ? `\n         first error: ${summary.errors[0]}` : ""),
            );
        }
    } finally {
        await engine.close();
        await graph.close();
    }
    return out;
}

/** Whether the update scenario changes device i (re-exported for tests). */
export { isUpdated };
