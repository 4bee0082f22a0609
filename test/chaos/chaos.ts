/**
 * The chaos run (issue 6): a fleet (imports, tags, assignments) applied through Pulumi's real
 * dynamic-provider host against the emulator while it injects Graph's failures (random
 * 429/5xx with every Retry-After form, connection resets before and after processing, answers
 * slower than the client's timeout, Intune's budgets, late visibility of writes, punishment of
 * early retries); then a refresh and a second plan. The report says whether the tenant matches
 * the state: objects expected / present / duplicated / orphaned / failed, retries, early retries.
 *
 * Pulumi's engine retries nothing itself; a user whose `pulumi up` failed runs it again. The run
 * does the same, up to `maxUps` times, and reports how many it took (the goal is one).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Emulator, FaultModes, INTUNE_BUDGETS, startEmulator } from "../emulator";
import { Engine, Step } from "../runner/engine";
import { Host, REPO_ROOT } from "../runner/host";

/** The fleet's assignment target (an Entra group). */
export const CHAOS_GROUP = "3b2b1a4e-0c53-4d2e-9a39-4b0a3f7c9d11";
/** The seeded Sales profile: the fleet assigns it to CHAOS_GROUP once. */
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
    /** Changes the plan after the refresh still shows (must be 0). */
    secondPlanChanges: number;
    /** Resources the refresh dropped or changed (must be 0). */
    refreshDrift: number;
    /** HTTP requests the emulator saw, logical requests (distinct client-request-id), retries (the rest). */
    requests: number;
    logicalRequests: number;
    retries: number;
    earlyRetries: number;
    /** POSTs that created an object, and POSTs sent again after an ambiguous one that had not been applied. */
    faults: Record<string, number>;
    wallSeconds: number;
    /** Problems found, one line each (empty when converged). */
    problems: string[];
    converged: boolean;
}

/** A Get-WindowsAutopilotInfo CSV of `n` made-up devices (hashes of a real hash's minimum size). */
export function chaosCsv(n: number, seedText = "chaos"): { csv: string; serials: string[] } {
    const lines = ['"Device Serial Number","Windows Product ID","Hardware Hash"'];
    const serials: string[] = [];
    for (let i = 1; i <= n; i++) {
        const serial = `CH${String(i).padStart(6, "0")}`;
        serials.push(serial);
        const hash = Buffer.concat([0, 1, 2, 3, 4].map((k) => crypto.createHash("sha512").update(`${seedText}:${serial}:${k}`).digest())).toString("base64");
        lines.push(`"${serial}","","${hash}"`);
    }
    return { csv: lines.join("\r\n") + "\r\n", serials };
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

const short = (type: string): string => type.replace(/^pulumi-nodejs:dynamic\//, "").split(":").pop()!;

/** Compares the tenant with the state; lines for every mismatch. */
export function audit(emu: Emulator, engine: Engine, serials: string[], seed: { imports: Set<string>; devices: Set<string>; assignments: Set<string> }): Pick<ChaosReport, "expected" | "present" | "duplicated" | "orphaned"> & { problems: string[] } {
    const problems: string[] = [];
    const wanted = new Set(serials.map((s) => s.toUpperCase()));
    const entries = engine.entries();
    const byType = (t: string) => entries.filter((e) => short(e.type) === t);
    const imports = byType("ImportedWindowsAutopilotDeviceIdentity");
    const devices = byType("WindowsAutopilotDeviceIdentity");
    const assignments = byType("WindowsAutopilotDeploymentProfileAssignment");
    // An import and a device per serial, and the fleet's one profile assignment.
    const expected = serials.length * 2 + 1;
    let present = 0;
    for (const e of imports) {
        if (emu.tenant.importedIdentities.has(e.id)) present++;
        else problems.push(`import ${e.name}: record ${e.id} is in the state but not in the tenant`);
    }
    for (const e of devices) {
        if (emu.tenant.devices.has(e.id)) present++;
        else problems.push(`device ${e.name}: ${e.id} is in the state but not in the tenant`);
    }
    for (const e of assignments) {
        const profileId = String(engine.box.open(e.outputs).profileId);
        if (emu.tenant.assignments.get(profileId)?.has(e.id)) present++;
        else problems.push(`assignment ${e.name}: ${e.id} on profile ${profileId} is in the state but not in the tenant`);
    }

    // Duplicates: two objects where the fleet wants one.
    let duplicated = 0;
    const count = <T>(items: T[], key: (t: T) => string): Map<string, number> => {
        const m = new Map<string, number>();
        for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
        return m;
    };
    const runImports = [...emu.tenant.importedIdentities.values()].filter((r) => !seed.imports.has(r.id));
    for (const [serial, n] of count(runImports, (r) => String(r.serialNumber).toUpperCase())) {
        if (n > 1) {
            duplicated += n - 1;
            problems.push(`serial ${serial}: ${n} import records`);
        }
    }
    const runDevices = [...emu.tenant.devices.values()].filter((d) => !seed.devices.has(d.id));
    for (const [serial, n] of count(runDevices, (d) => String(d.serialNumber).toUpperCase())) {
        if (n > 1) {
            duplicated += n - 1;
            problems.push(`serial ${serial}: ${n} Autopilot devices`);
        }
    }
    const runAssignments: { profileId: string; id: string; target: string }[] = [];
    for (const [profileId, map] of emu.tenant.assignments) {
        for (const a of map.values()) if (!seed.assignments.has(a.id)) runAssignments.push({ profileId, id: a.id, target: JSON.stringify(a.target) });
    }
    for (const [key, n] of count(runAssignments, (a) => `${a.profileId} ${a.target}`)) {
        if (n > 1) {
            duplicated += n - 1;
            problems.push(`profile ${key.split(" ")[0]}: ${n} assignments with the same target`);
        }
    }

    // Orphans: objects the run made that the state does not hold.
    let orphaned = 0;
    const stateIds = new Set(entries.map((e) => e.id));
    for (const r of runImports) {
        if (!stateIds.has(r.id)) {
            orphaned++;
            problems.push(`import record ${r.id} (serial ${r.serialNumber}) is in the tenant but not in the state`);
        }
    }
    for (const d of runDevices) {
        if (!stateIds.has(d.id)) {
            orphaned++;
            problems.push(`device ${d.id} (serial ${d.serialNumber}) is in the tenant but not in the state`);
        }
        if (!wanted.has(String(d.serialNumber).toUpperCase())) problems.push(`device ${d.id}: serial ${d.serialNumber} is not in the CSV`);
    }
    for (const a of runAssignments) {
        if (!stateIds.has(a.id)) {
            orphaned++;
            problems.push(`assignment ${a.id} on profile ${a.profileId} is in the tenant but not in the state`);
        }
    }
    return { expected, present, duplicated, orphaned, problems };
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
    const faults = chaosFaults(o);
    const emu = await startEmulator({ profile: "live", writeVisibilityDelayMs: o.writeDelayMs, importPendingReads: 2, faults });
    const seedIds = {
        imports: new Set(emu.tenant.importedIdentities.keys()),
        devices: new Set(emu.tenant.devices.keys()),
        assignments: new Set([...emu.tenant.assignments.values()].flatMap((m) => [...m.keys()])),
    };
    const host = await Host.start({
        cwd: REPO_ROOT,
        project: "autopilot-chaos",
        env: { AUTOPILOT_IMPORT_POLL_MS: "500", AUTOPILOT_LOG: process.env.AUTOPILOT_LOG, ...o.hostEnv },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "autopilot-chaos-"));
    const { csv, serials } = chaosCsv(o.devices);
    const engine = new Engine({
        host,
        project: "autopilot-chaos",
        stack: "chaos",
        config: {
            "autopilot:graphEndpoint": emu.url,
            "autopilot:accessToken": TOKEN,
            "autopilot:maxRetries": String(o.maxRetries),
            "autopilot:timeoutSeconds": String(o.timeoutSeconds),
            "autopilot:consistencyTimeoutSeconds": String(o.consistencyTimeoutSeconds),
        },
        secretConfigKeys: ["autopilot:accessToken"],
        stateFile: path.join(dir, "state.json"),
        program: () => {
            const { AutopilotFleet } = require("../../provider");
            new AutopilotFleet("chaos", {
                csv,
                defaults: { groupTag: "Chaos", displayName: "C-%SERIAL%" },
                profileAssignment: { profileId: CHAOS_PROFILE, target: { kind: "group", groupId: CHAOS_GROUP } },
            });
        },
    });
    const failedPerUp: number[] = [];
    const problems: string[] = [];
    // A failed step also rejects the outputs that depend on it (the fleet's deviceIds, a dependent's
    // inputs): under Pulumi those end the program with the step's error, which the engine has already
    // recorded as a failed step. Here they must not end the process (or fail a mocha test) before the report.
    const savedListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    let dependentFailures = 0;
    process.on("unhandledRejection", () => {
        dependentFailures++;
    });
    let refreshDrift = 0;
    let secondPlanChanges = 0;
    try {
        for (let up = 1; up <= o.maxUps; up++) {
            const t0 = Date.now();
            const steps = await engine.up(false);
            const failed = steps.filter((s) => s.op === "failed");
            // Resources that never registered (their import failed) count as failed too.
            const missing = o.devices * 2 + 1 - engine.entries().filter((e) => !e.initFailed).length;
            failedPerUp.push(Math.max(failed.length, missing));
            o.log(`up ${up}: ${summarize(steps)} in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${failed.length} failed${missing > 0 ? `, ${missing} not created` : ""}`);
            for (const f of failed.slice(0, 5)) o.log(`  failed: ${f.type} ${f.name}: ${f.error}`);
            if (failed.length === 0 && missing <= 0) break;
        }
        let t0 = Date.now();
        const refreshed = await engine.refresh();
        refreshDrift = refreshed.filter((s) => s.op !== "refresh" || s.changed.length > 0).length;
        o.log(`refresh: ${summarize(refreshed)}${refreshDrift ? `; ${refreshDrift} drifted` : ""} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        for (const s of refreshed.filter((x) => x.op !== "refresh" || x.changed.length > 0).slice(0, 5)) {
            problems.push(`refresh: ${s.type} ${s.name}: ${s.op} ${s.changed.join(", ")} ${s.error ?? ""}`.trim());
        }
        t0 = Date.now();
        const plan = await engine.up(true);
        const changes = plan.filter((s) => s.op !== "same");
        secondPlanChanges = changes.length;
        o.log(`second plan: ${summarize(plan)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        for (const s of changes.slice(0, 5)) problems.push(`second plan: ${s.op} ${s.type} ${s.name} (${s.changed.join(", ")})`);
    } finally {
        await host.close();
        process.removeAllListeners("unhandledRejection");
        for (const l of savedListeners) process.on("unhandledRejection", l);
    }
    if (dependentFailures > 0) o.log(`(${dependentFailures} program-level rejection(s) followed failed steps)`);
    const audited = audit(emu, engine, serials, seedIds);
    problems.push(...audited.problems.slice(0, 20));
    const stats = emu.faultStats();
    const retries = countRetries(emu);
    problems.push(...earlyRetryHistories(emu).slice(0, 5));
    await emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const failed = failedPerUp[failedPerUp.length - 1] ?? o.devices * 2 + 1;
    const report: ChaosReport = {
        devices: o.devices,
        faultRate: o.faultRate,
        seed: stats.seed,
        expected: audited.expected,
        present: audited.present,
        duplicated: audited.duplicated,
        orphaned: audited.orphaned,
        failed,
        ups: failedPerUp.length,
        failedPerUp,
        secondPlanChanges,
        refreshDrift,
        requests: retries.requests,
        logicalRequests: retries.logical,
        retries: retries.retries,
        earlyRetries: stats.earlyRetries,
        faults: stats.injected,
        wallSeconds: Math.round((Date.now() - started) / 100) / 10,
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
        `  second plan        ${r.secondPlanChanges} change(s)`,
        `  requests           ${r.requests} (${r.logicalRequests} logical)`,
        `  retries            ${r.retries}`,
        `  early retries      ${r.earlyRetries}`,
        `  faults injected    ${faults || "none"}`,
        `  wall time          ${r.wallSeconds} s`,
        r.converged ? "  CONVERGED: the tenant matches the state" : "  NOT CONVERGED",
        ...r.problems.map((p) => `  ! ${p}`),
    ];
    return lines.join("\n");
}
