/** The bench's tables and its targets, from a {@link BenchResult}. */
import type { BenchResult, Scenario, ScenarioResult, SideResult } from "./bench";
import { SCENARIOS } from "./bench";
import type { StateSummary } from "./stateFile";

export interface TargetCheck {
    target: string;
    reached: string;
    met: boolean | null;
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const fmtRatio = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? "-" : `${x.toFixed(2)}x`);
const fmtMB = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0);

function routes(r: ScenarioResult): string {
    return Object.entries(r.byRoute)
        .sort((a, b) => b[1] - a[1])
        .map(([route, count]) => `${count} ${route.replace(/\/deviceManagement\//, "/dM/")}`)
        .join("; ");
}

/** The column of a side run with Pulumi's default (per-step checkpoints), else its first. */
export function columnOf(result: BenchResult, side: string, checkout?: string): SideResult | undefined {
    const of = result.sides.filter((s) => s.side === side && s.checkout === checkout);
    return of.find((s) => s.checkpoints === "per-step") ?? of[0];
}

/**
 * One table per scenario: a row per figure, a column per side and checkpoint mode, and (a)/(b), or
 * (a)/(a of the compared checkout) when the bench compared two checkouts without (b).
 */
export function formatTable(result: BenchResult): string {
    const out: string[] = [];
    const { options, machine } = result;
    out.push(
        `Fleet bench through the real Pulumi CLI ${machine.pulumiCli}: ${options.devices} devices, latency ${options.latencyMs} ms, budgets ${options.limits.writes} writes and ` +
            `${options.limits.requests} requests per ${options.limits.windowMs / 1000} s (Intune's per 20 s, scale ${options.budgetScale}), ` +
            `emulator profile ${options.profile}, --parallel ${options.parallel || "unbounded"}, host heap ${options.hostHeapMb ? `${options.hostHeapMb} MB` : "Node's default"}, ` +
            `checkpoints ${options.checkpoints.join(" and ")}`,
    );
    out.push(
        `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, @pulumi/pulumi ${machine.pulumiSdk}, load at start ${machine.load.join(" ")}`,
    );
    const a = columnOf(result, "a");
    const compared = result.sides.find((s) => s.checkout !== undefined)?.checkout;
    const b = columnOf(result, "b") ?? (compared !== undefined ? columnOf(result, "a", compared) : undefined);
    for (const scenario of SCENARIOS) {
        const cols = result.sides.filter((s) => s.scenarios[scenario]);
        if (cols.length === 0) continue;
        const ra = a?.scenarios[scenario];
        const rb = b?.scenarios[scenario];
        const header = ["", ...cols.map((s) => s.column), ...(ra && rb ? [`(${a!.column})/(${b!.column})`] : [])];
        const rows: string[][] = [];
        const row = (name: string, get: (r: ScenarioResult) => string, ratio?: (x: ScenarioResult, y: ScenarioResult) => string) => {
            rows.push([name, ...cols.map((s) => get(s.scenarios[scenario]!)), ...(ra && rb ? [ratio ? ratio(ra, rb) : ""] : [])]);
        };
        const div = (x: number, y: number) => (y === 0 ? (x === 0 ? "-" : "inf") : fmtRatio(x / y));
        row(
            "wall time",
            (r) => fmtS(r.wallMs),
            (x, y) => div(x.wallMs, y.wallMs),
        );
        row("throttling floor", (r) => (r.floorMs > 0 ? fmtS(r.floorMs) : "0"));
        row(
            "wall / floor",
            (r) => fmtRatio(r.floorRatio),
            (x, y) => div(x.floorRatio ?? 0, y.floorRatio ?? 0),
        );
        row("time to first request", (r) => (r.firstRequestMs >= 0 ? fmtS(r.firstRequestMs) : "-"));
        row("wall / floor after it", (r) => fmtRatio(r.floorRatioFromFirstRequest));
        row("resources ok", (r) => String(r.okResources));
        row("failed resources", (r) => String(r.failedResources));
        row(
            "throughput (res/s)",
            (r) => r.throughput.toFixed(1),
            (x, y) => div(x.throughput, y.throughput),
        );
        row(
            "HTTP round trips",
            (r) => String(r.roundTrips),
            (x, y) => div(x.roundTrips, y.roundTrips),
        );
        row(
            "requests (batch items each)",
            (r) => String(r.requests),
            (x, y) => div(x.requests, y.requests),
        );
        row("$batch round trips", (r) => String(r.batches));
        row("429s", (r) => String(r.throttled));
        row("token requests", (r) => String(r.tokenRequests));
        row(
            "sockets opened",
            (r) => String(r.sockets),
            (x, y) => div(x.sockets, y.sockets),
        );
        row(
            "__provider bytes",
            (r) => String(r.providerBytes),
            (x, y) => div(x.providerBytes, y.providerBytes),
        );
        row(
            "state file MB",
            (r) => fmtMB(r.stateBytes),
            (x, y) => div(x.stateBytes, y.stateBytes),
        );
        row(
            "state bytes / device",
            (r) => String(r.stateBytesPerDevice),
            (x, y) => div(x.stateBytesPerDevice, y.stateBytesPerDevice),
        );
        row(
            "state writes",
            (r) => String(r.stateWrites.writes),
            (x, y) => div(x.stateWrites.writes, y.stateWrites.writes),
        );
        row(
            "state MB written",
            (r) => fmtMB(r.stateWrites.bytesWritten),
            (x, y) => div(x.stateWrites.bytesWritten, y.stateWrites.bytesWritten),
        );
        row("CPU s: CLI / lang host / program / provider host / Graph", (r) => {
            const p = r.processes;
            return [p.cli.cpuS, p.languageHost.cpuS, p.program.cpuS, p.providerHost.cpuS, r.graph.cpuS].map((x) => x.toFixed(1)).join(" / ");
        });
        row("peak RSS MB: CLI / program / provider host / Graph", (r) => {
            const p = r.processes;
            return [p.cli.peakRssMB, p.program.peakRssMB, p.providerHost.peakRssMB, r.graph.peakRssMB].map((x) => (x ? x.toFixed(0) : "-")).join(" / ");
        });
        if (cols.some((s) => s.scenarios[scenario]!.cliProfile)) {
            row("CLI CPU profile: sampled / saving checkpoints (s)", (r) =>
                r.cliProfile ? `${r.cliProfile.sampledS.toFixed(1)} / ${r.cliProfile.saveSnapshotS.toFixed(1)}` : "-",
            );
        }
        out.push("", `-- ${scenario} --`, ...grid(header, rows));
        for (const s of cols) {
            const r = s.scenarios[scenario]!;
            if (r.requests > 0) out.push(`   requests by route, ${s.column}: ${routes(r)}`);
            if (r.sampleErrors.length > 0) out.push(`   first error, ${s.column}: ${r.sampleErrors[0].slice(0, 300)}`);
        }
        for (const skip of cols.filter((s) => s.checkpoints === "skip")) {
            const perStep = cols.find((s) => s.side === skip.side && s.checkpoints === "per-step");
            if (!perStep) continue;
            const x = perStep.scenarios[scenario]!;
            const y = skip.scenarios[scenario]!;
            const cost = x.wallMs - y.wallMs;
            out.push(
                `   per-step checkpoints, ${skip.side}: ${fmtS(cost)} more than skipped (${x.wallMs > 0 ? Math.round((100 * cost) / x.wallMs) : 0} % of the wall time), ` +
                    `${x.stateWrites.writes} writes against ${y.stateWrites.writes}; CLI CPU ${x.processes.cli.cpuS.toFixed(1)} s against ${y.processes.cli.cpuS.toFixed(1)} s`,
            );
        }
    }
    for (const s of result.sides) {
        if (s.stateAfterApply) out.push("", `-- state after the apply, ${s.column} --`, ...formatState(s.stateAfterApply, result.options.devices));
    }
    const targets = checkTargets(result);
    if (targets.length > 0) {
        out.push("", `-- targets (side ${a?.column ?? "a"}) --`);
        for (const t of targets) out.push(`${t.met === null ? "  ?" : t.met ? " ok" : "NOT"}  ${t.target}: ${t.reached}`);
    }
    return out.join("\n");
}

/** Where a state's bytes go: per type, its count and mean size, then the largest members, inputs and outputs. */
export function formatState(state: StateSummary, devices: number): string[] {
    const lines = [`${fmtMB(state.bytes)} MB, ${state.resources} resources, ${Math.round(state.bytes / Math.max(1, devices))} bytes per device`];
    const top = (bag: Record<string, number>, k = 6) =>
        Object.entries(bag)
            .slice(0, k)
            .map(([name, bytes]) => `${name} ${bytes}`)
            .join(", ");
    for (const t of state.byType.filter((x) => x.count > 1)) {
        lines.push(`   ${t.type.replace(/^pulumi-nodejs:dynamic\//, "")}: ${t.count} x ${t.meanBytes} B`);
        lines.push(`      members: ${top(t.members, 8)}`);
        lines.push(`      inputs: ${top(t.inputs)}`);
        lines.push(`      outputs: ${top(t.outputs)}`);
    }
    return lines;
}

function grid(header: string[], rows: string[][]): string[] {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    return [line(header), ...rows.map(line)];
}

function get(side: SideResult | undefined, s: Scenario): ScenarioResult | undefined {
    return side?.scenarios[s];
}

/** The fleet's performance targets, as far as this run measured them (side a with per-step checkpoints when it ran). */
export function checkTargets(result: BenchResult): TargetCheck[] {
    const a = columnOf(result, "a");
    const b = columnOf(result, "b");
    const n = result.options.devices;
    const checks: TargetCheck[] = [];
    if (!a) return checks;
    const plan = get(a, "plan");
    if (plan) {
        checks.push({
            target: "no-change plan: 0 requests, < 30 s",
            reached: `${plan.requests} requests in ${fmtS(plan.wallMs)} (CPU: program ${plan.processes.program.cpuS.toFixed(1)} s, CLI ${plan.processes.cli.cpuS.toFixed(1)} s, host ${plan.processes.providerHost.cpuS.toFixed(1)} s)`,
            met: plan.requests === 0 && plan.wallMs < 30_000,
        });
    }
    const apply = get(a, "apply");
    if (apply) {
        checks.push({
            target: "apply within 1.10x of the throttling floor",
            reached:
                `${fmtS(apply.wallMs)} for a floor of ${fmtS(apply.floorMs)} (${fmtRatio(apply.floorRatio)}); ` +
                `${fmtS(apply.firstRequestMs)} of it before the first Graph request (CLI start, the program registering, check through the host), ` +
                `${fmtRatio(apply.floorRatioFromFirstRequest)} of the floor from then on`,
            met: (apply.floorRatio ?? Infinity) <= 1.1,
        });
    }
    const refresh = get(a, "refresh");
    if (refresh) {
        const objects = refresh.okResources;
        checks.push({
            target: `refresh in <= N/20 = ${Math.ceil(n / 20)} round trips`,
            reached:
                `${refresh.roundTrips} round trips for ${objects} objects (${refresh.requests} reads with the retries of ${refresh.throttled} throttled ones; ` +
                `${(refresh.requests / Math.max(1, refresh.roundTrips)).toFixed(1)} per round trip); one read per object in batches of 20 would be ${Math.ceil(objects / 20)}`,
            met: refresh.roundTrips <= Math.ceil(n / 20),
        });
    }
    if (b) {
        const total = (side: SideResult) =>
            Object.values(side.scenarios).reduce(
                (acc, r) => ({ ok: acc.ok + r!.okResources, ms: acc.ms + r!.wallMs, failed: acc.failed + r!.failedResources }),
                { ok: 0, ms: 0, failed: 0 },
            );
        const ta = total(a);
        const tb = total(b);
        const thA = ta.ok / (ta.ms / 1000);
        const thB = tb.ok / (tb.ms / 1000);
        const applyB = get(b, "apply");
        checks.push({
            target: ">= 3x the baseline's throughput, 0 failed resources",
            reached:
                `all scenarios: ${thA.toFixed(1)} vs ${thB.toFixed(1)} resources/s (${fmtRatio(thA / thB)}), failed ${ta.failed} vs ${tb.failed}` +
                (apply && applyB
                    ? `; apply: ${apply.throughput.toFixed(1)} vs ${applyB.throughput.toFixed(1)} (${fmtRatio(apply.throughput / applyB.throughput)})`
                    : ""),
            met: thA >= 3 * thB && ta.failed === 0,
        });
    }
    const scenarios = Object.values(a.scenarios) as ScenarioResult[];
    const rss = Math.max(...scenarios.map((r) => r.processes.providerHost.peakRssMB));
    const heap = result.options.hostHeapMb ? `, NODE_OPTIONS heap limit ${result.options.hostHeapMb} MB` : ", Node's default heap limit";
    const parallel = result.options.parallel ? `--parallel ${result.options.parallel}` : "--parallel unbounded";
    checks.push({ target: "host peak RSS < 300 MB", reached: `${rss.toFixed(0)} MB (largest over the scenarios; ${parallel}${heap})`, met: rss < 300 });
    const provider = Math.max(...scenarios.map((r) => r.providerBytes));
    checks.push({ target: "__provider <= 2 KB", reached: `${provider} bytes`, met: provider <= 2048 });
    return checks;
}
