/**
 * The chaos run: a fleet (imports, tags, assignments) applied by the real Pulumi CLI (`pulumi up`
 * on the fleet project, test/projects/fleet) against the emulator while it injects Graph's
 * failures (random 429/5xx with every Retry-After form, connection resets before and after
 * processing, answers slower than the client's timeout, Intune's budgets, late visibility of
 * writes, punishment of early retries); then `pulumi refresh` and `pulumi preview`. The report
 * says whether the tenant matches the state: objects expected / present / duplicated / orphaned /
 * failed, retries, early retries.
 *
 * Pulumi's engine retries nothing itself; a user whose `pulumi up` failed runs it again. The run
 * does the same, up to `maxUps` times, and reports how many it took (the goal is one).
 */
import * as fs from "fs";
import * as path from "path";
import { Emulator, FaultModes, INTUNE_BUDGETS, startEmulator } from "../emulator";
import { PulumiSandbox } from "../pulumi/cli";
import { shortType, Step, TestStack } from "../pulumi/stack";
import { PROJECTS_DIR, stepsOf } from "../integration/harness";
import { auditFleet, FleetAudit, snapshotTenant } from "./audit";
import { fleetCsv } from "./fleetCsv";

/** The fleet's assignment target (an Entra group). */
export const CHAOS_GROUP = "3b2b1a4e-0c53-4d2e-9a39-4b0a3f7c9d11";
/** The seeded "Sales (Entra join)" profile: the fleet assigns it to CHAOS_GROUP, once. */
export const CHAOS_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const TOKEN = "emulator-token";

export interface ChaosOptions {
    /** Devices in the fleet (each: an import, a device identity, a profile assignment). */
    devices: number;
    /** Probability that one request meets an injected fault (random error, reset or slow answer). */
    faultRate: number;
    /** Seed of the emulator's fault draws. Default: random (printed, to replay a run). */
    seed?: number;
    /** `pulumi up`s allowed before the run counts as failed. Default 3. */
    maxUps?: number;
    /** `--parallel` of every command. Default: the engine's (4 x GOMAXPROCS). */
    parallel?: number;
    /** Multiplies Intune's budgets (200 writes/20 s per tenant, 100 per app, 2,000 requests/20 s). Default 10. */
    budgetScale?: number;
    /** `autopilot:maxRetries`. Default 25: at a 50 % fault rate, 8 retries fail about one request in 500. */
    maxRetries?: number;
    /** `autopilot:timeoutSeconds` (one request). Default 2. */
    timeoutSeconds?: number;
    /** How late a slow answer comes, ms (longer than the timeout). Default 2500. */
    slowMs?: number;
    /** The live profile's write visibility delay, ms. Default 500. */
    writeDelayMs?: number;
    /** `autopilot:consistencyTimeoutSeconds`. Default 4 (eight times the visibility delay). */
    consistencyTimeoutSeconds?: number;
    /** Seconds a random 429 asks for. Default 2. */
    retryAfterSeconds?: number;
    /** Extra environment of the provider host (e.g. AUTOPILOT_ADAPTIVE=0 to measure without adaptive concurrency). */
    hostEnv?: Record<string, string>;
    /** Progress lines. */
    log?: (line: string) => void;
}

/** What the run found. */
export interface ChaosReport {
    devices: number;
    faultRate: number;
    seed: number;
    expected: number;
    present: number;
    duplicated: number;
    orphaned: number;
    failed: number;
    /** `up`s it took until nothing failed (or maxUps). */
    ups: number;
    /** Resources that failed in each up. */
    failedPerUp: number[];
    /** Changes the preview after the refresh still shows (must be 0). */
    secondPlanChanges: number;
    /** Resources the refresh dropped or changed (must be 0). */
    refreshDrift: number;
    /** HTTP requests the emulator saw, logical requests (distinct client-request-id), retries (the rest). */
    requests: number;
    logicalRequests: number;
    retries: number;
    earlyRetries: number;
    /** Faults the emulator injected, by kind. */
    faults: Record<string, number>;
    /** Seconds each command took: `up 1`, `up 2`..., `refresh`, `preview`. */
    commandSeconds: Record<string, number>;
    wallSeconds: number;
    /** Problems found, one line each (empty when converged). */
    problems: string[];
    converged: boolean;
}

/** Emulator fault modes for a total fault rate `f`: resets 15 % of it, slow answers 2 %, the rest random Graph errors. */
export function chaosFaults(o: Required<Pick<ChaosOptions, "faultRate" | "budgetScale" | "slowMs" | "retryAfterSeconds">> & { seed?: number }): FaultModes {
    const f = o.faultRate;
    const resets = 0.15 * f;
    const slow = 0.02 * f;
    // 1 - (1 - resets)(1 - slow)(1 - random) = f
    const random = f >= 1 ? 1 : Math.max(0, 1 - (1 - f) / ((1 - resets) * (1 - slow)));
    return {
        random: { rate: random, retryAfter: ["seconds", "fractional", "date", "missing"], retryAfterSeconds: o.retryAfterSeconds, processedRate: 0.5 },
        resets: { rate: resets, when: "either" },
        slow: { rate: slow, delayMs: o.slowMs, when: "either" },
        budgets: { ...INTUNE_BUDGETS, scale: o.budgetScale },
        earlyRetry: "request",
        seed: o.seed,
    };
}
/** Retries as the emulator saw them: requests beyond the first per client-request-id. */
export function countRetries(emu: Emulator): { requests: number; logical: number; retries: number } {
    const ids = new Map<string, number>();
    let requests = 0;
    for (const r of emu.requests) {
        requests++;
        const id = r.headers["client-request-id"];
        if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    let retries = 0;
    for (const n of ids.values()) retries += n - 1;
    return { requests, logical: ids.size, retries };
}

/** For each early retry: the attempts of that request as the emulator saw them (ms after the first). */
export function earlyRetryHistories(emu: Emulator): string[] {
    const out: string[] = [];
    for (const r of emu.requests.filter((x) => x.fault === "early retry")) {
        const id = r.headers["client-request-id"];
        const attempts = emu.requests.filter((x) => x.headers["client-request-id"] === id);
        const t0 = attempts[0]?.time ?? r.time;
        out.push(
            `early retry of ${r.method} ${r.path} (client-request-id ${id}): ` +
                attempts.map((a) => `+${a.time - t0}ms ${a.status}${a.fault ? ` [${a.fault}]` : ""}`).join(" -> "),
        );
    }
    return out;
}

function seconds(since: number): number {
    return Math.round((Date.now() - since) / 100) / 10;
}

/** Runs the fleet under faults and reports. Never throws for a mismatch: the report says it. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
    const o = {
        maxUps: 3,
        budgetScale: 10,
        maxRetries: 25,
        timeoutSeconds: 2,
        slowMs: 2500,
        writeDelayMs: 500,
        consistencyTimeoutSeconds: 4,
        retryAfterSeconds: 2,
        log: (_line: string) => undefined,
        ...options,
    };
    const started = Date.now();
    const emu = await startEmulator({ profile: "live", writeVisibilityDelayMs: o.writeDelayMs, importPendingReads: 2, faults: chaosFaults(o) });
    const seed = snapshotTenant(emu);
    const sandbox = new PulumiSandbox();
    const { csv, serials } = fleetCsv(o.devices);
    const env: Record<string, string> = { AUTOPILOT_IMPORT_POLL_MS: "500", ...o.hostEnv };
    if (process.env.AUTOPILOT_LOG) env.AUTOPILOT_LOG = process.env.AUTOPILOT_LOG;
    const run = { parallel: o.parallel };
    const failedPerUp: number[] = [];
    const problems: string[] = [];
    const commandSeconds: Record<string, number> = {};
    let refreshDrift: number;
    let secondPlanChanges: number;
    let audited: FleetAudit;
    let stack: TestStack | undefined;
    try {
        stack = await TestStack.folder({
            sandbox,
            dir: path.join(PROJECTS_DIR, "fleet"),
            stackName: "chaos",
            config: {
                "autopilot:graphEndpoint": emu.url,
                "autopilot:maxRetries": String(o.maxRetries),
                "autopilot:timeoutSeconds": String(o.timeoutSeconds),
                "autopilot:consistencyTimeoutSeconds": String(o.consistencyTimeoutSeconds),
                "autopilot-fleet:csvFile": "devices.csv",
                "autopilot-fleet:groupTag": "Chaos",
                "autopilot-fleet:displayName": "C-%SERIAL%",
                "autopilot-fleet:profileId": CHAOS_PROFILE,
                "autopilot-fleet:profileGroupId": CHAOS_GROUP,
            },
            secretConfig: { "autopilot:accessToken": TOKEN },
            env,
        });
        fs.writeFileSync(path.join(stack.workDir, "devices.csv"), csv);
        for (let up = 1; up <= o.maxUps; up++) {
            const t0 = Date.now();
            const steps = await stepsOf(stack.up(run));
            commandSeconds[`up ${up}`] = seconds(t0);
            const failed = steps.filter((s) => s.op === "failed");
            // Resources that never registered (their import failed) or are unfinished (initErrors) count as failed too.
            const done = (await stack.resources()).filter((r) => r.custom && r.id && shortType(r.type).startsWith("autopilot:") && !r.initErrors?.length);
            // An import and a device per serial, and the fleet's one profile assignment.
            const missing = o.devices * 2 + 1 - done.length;
            failedPerUp.push(Math.max(failed.length, missing));
            o.log(`up ${up}: ${summarize(steps)} in ${commandSeconds[`up ${up}`]} s; ${failed.length} failed${missing > 0 ? `, ${missing} not created` : ""}`);
            for (const f of failed.slice(0, 5)) o.log(`  failed: ${f.type} ${f.name}: ${f.error}`);
            if (failed.length === 0 && missing <= 0) break;
        }
        let t0 = Date.now();
        const refreshed = await stepsOf(stack.refresh(run));
        commandSeconds.refresh = seconds(t0);
        const drifted = refreshed.filter((s) => s.op !== "same");
        refreshDrift = drifted.length;
        o.log(`refresh: ${summarize(refreshed)}${refreshDrift ? `; ${refreshDrift} drifted` : ""} in ${commandSeconds.refresh} s`);
        for (const s of drifted.slice(0, 5)) problems.push(`refresh: ${s.type} ${s.name}: ${s.op} ${s.changed.join(", ")} ${s.error ?? ""}`.trim());
        t0 = Date.now();
        const plan = await stepsOf(stack.preview(run));
        commandSeconds.preview = seconds(t0);
        const changes = plan.filter((s) => s.op !== "same");
        secondPlanChanges = changes.length;
        o.log(`preview: ${summarize(plan)} in ${commandSeconds.preview} s`);
        for (const s of changes.slice(0, 5)) problems.push(`preview: ${s.op} ${s.type} ${s.name} (${s.changed.join(", ")})`);
        audited = auditFleet(emu, await stack.resources(), serials, seed);
    } finally {
        stack?.dispose();
        sandbox.dispose();
    }
    problems.push(...audited.problems.slice(0, 20));
    const stats = emu.faultStats();
    const retries = countRetries(emu);
    problems.push(...earlyRetryHistories(emu).slice(0, 5));
    await emu.close();
    const report: ChaosReport = {
        devices: o.devices,
        faultRate: o.faultRate,
        seed: stats.seed,
        expected: audited.expected,
        present: audited.present,
        duplicated: audited.duplicated,
        orphaned: audited.orphaned,
        failed: failedPerUp[failedPerUp.length - 1] ?? o.devices * 2 + 1,
        ups: failedPerUp.length,
        failedPerUp,
        secondPlanChanges,
        refreshDrift,
        requests: retries.requests,
        logicalRequests: retries.logical,
        retries: retries.retries,
        earlyRetries: stats.earlyRetries,
        faults: stats.injected,
        commandSeconds,
        wallSeconds: seconds(started),
        problems,
        converged: false,
    };
    report.converged =
        report.present === report.expected &&
        report.duplicated === 0 &&
        report.orphaned === 0 &&
        report.failed === 0 &&
        report.earlyRetries === 0 &&
        report.secondPlanChanges === 0 &&
        report.refreshDrift === 0;
    return report;
}

function summarize(steps: Step[]): string {
    const by = new Map<string, number>();
    for (const s of steps) by.set(s.op, (by.get(s.op) ?? 0) + 1);
    return [...by].map(([op, n]) => `${n} ${op}`).join(", ") || "nothing";
}

/** The report as a person reads it. */
export function formatReport(r: ChaosReport): string {
    const faults = Object.entries(r.faults)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
    const lines = [
        `chaos run: ${r.devices} devices, fault rate ${r.faultRate}, seed ${r.seed}`,
        `  objects expected   ${r.expected}`,
        `  present            ${r.present}`,
        `  duplicated         ${r.duplicated}`,
        `  orphaned           ${r.orphaned}`,
        `  failed             ${r.failed}   (failed per up: ${r.failedPerUp.join(", ")}; ups: ${r.ups})`,
        `  refresh drift      ${r.refreshDrift}`,
        `  second plan        ${r.secondPlanChanges} change(s) (pulumi preview after the refresh)`,
        `  requests           ${r.requests} (${r.logicalRequests} logical)`,
        `  retries            ${r.retries}`,
        `  early retries      ${r.earlyRetries}`,
        `  faults injected    ${faults || "none"}`,
        `  wall time          ${r.wallSeconds} s (${Object.entries(r.commandSeconds)
            .map(([k, v]) => `${k} ${v} s`)
            .join(", ")})`,
        r.converged ? "  CONVERGED: the tenant matches the state" : "  NOT CONVERGED",
        ...r.problems.map((p) => `  ! ${p}`),
    ];
    return lines.join("\n");
}
