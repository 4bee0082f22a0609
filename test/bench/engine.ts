/**
 * The bench's stand-in for `pulumi up` / `preview` / `refresh` / `destroy` at fleet scale. Like
 * test/runner/engine.ts, each resource is checked, diffed, created, updated, read or deleted by
 * Pulumi's real dynamic-provider host over gRPC, secrets stripped and sealed as the engine does;
 * unlike it, the program runs in a process of its own and registers over gRPC with this engine's
 * resource monitor (monitor.ts), as under `pulumi up`, so the SDK's work and the engine's use both
 * cores. Built for 20,000 resources: every operation runs as soon as its inputs are known
 * (unbounded parallelism unless `parallel` says otherwise), the state is written once per run, and
 * destroy deletes dependents first but everything else in parallel.
 */
import { fork } from "child_process";
import * as fs from "fs";
import { Host, HostCallError } from "../runner/host";
import type { StateEntry } from "../runner/engine";
import { SecretBox } from "../runner/secrets";
import { Bag, SECRET_SIG, SECRET_SIG_KEY, stripSecrets, unknownsToWire } from "../runner/wire";
import { Monitor, startMonitor } from "./monitor";
import type { ProgramJob, ProgramReport } from "./programChild";

/** A state entry as the runner keeps it, plus what the bench needs to order deletes. */
export interface BenchEntry extends Omit<StateEntry, "initFailed"> {
    /** Names of the resources this one depends on. */
    deps: string[];
}

export interface RunSummary {
    created: number;
    updated: number;
    same: number;
    deleted: number;
    refreshed: number;
    failed: number;
    /** The first few failure messages. */
    errors: string[];
    /** `__provider` size in bytes, by resource type. */
    providerBytes: Record<string, number>;
    /** CPU seconds of the program's process (0 when the run had no program). */
    programCpuS: number;
    /** Peak RSS of the program's process, MB (0 when the run had no program). */
    programPeakRssMB: number;
}

export interface BenchEngineOptions {
    /**
     * Resource operations (create, update, read, delete) at once, as `pulumi up --parallel`;
     * 0 = unbounded. (Pulumi's default is 4 x CPUs since 3.100; a fleet this size needs more.)
     */
    parallel?: number;
    /**
     * Check and diff calls at once (default 64). Pulumi's engine generates steps one registration
     * at a time unless asked for parallel diffs; unbounded, 40,000 calls would sit in the host at once.
     */
    planParallel?: number;
    host: Host;
    project: string;
    stack: string;
    config: Record<string, string>;
    secretConfigKeys?: string[];
    /** The program `up` runs, in a process of its own. */
    program: ProgramJob;
}

interface Slots {
    free: number;
    queue: Array<() => void>;
}

/** Runs `op` once a slot is free (FIFO). */
async function within<T>(slots: Slots, op: () => Promise<T>): Promise<T> {
    if (slots.free > 0) slots.free--;
    else await new Promise<void>((resolve) => slots.queue.push(resolve));
    try {
        return await op();
    } finally {
        const next = slots.queue.shift();
        if (next) next();
        else slots.free++;
    }
}

function emptySummary(): RunSummary {
    return { created: 0, updated: 0, same: 0, deleted: 0, refreshed: 0, failed: 0, errors: [], providerBytes: {}, programCpuS: 0, programPeakRssMB: 0 };
}

function isDynamic(type: string): boolean {
    return type.startsWith("pulumi-nodejs:dynamic/");
}

const shortType = (type: string): string => type.replace(/^pulumi-nodejs:dynamic\//, "");

function looseEqual(a: unknown, b: unknown): boolean {
    const norm = (v: unknown) => (v === undefined || v === "" ? null : v);
    return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The program's process environment: the settings Pulumi's language host gives a program. */
function programEnv(job: ProgramJob, project: string, stack: string, extra: Record<string, string>): NodeJS.ProcessEnv {
    return { ...process.env, PULUMI_NODEJS_PROJECT: project, PULUMI_NODEJS_STACK: stack, BENCH_PROGRAM: JSON.stringify(job), ...extra };
}

/**
 * Runs the program in a process of its own (programChild.ts, under ts-node as Pulumi runs a
 * TypeScript program) and resolves with its report once it has exited.
 */
function runProgram(env: NodeJS.ProcessEnv): Promise<ProgramReport> {
    return new Promise((resolve, reject) => {
        const child = fork(require.resolve("./programChild"), [], {
            // The SDK's objects for 20,000 resources outgrow Node's default heap limit.
            execArgv: [
                "-r",
                "ts-node/register/transpile-only",
                "--max-old-space-size=8192",
                ...(process.env.BENCH_PROGRAM_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROGRAM_CPU_PROFILE}`] : []),
            ],
            env,
            stdio: ["ignore", "ignore", "pipe", "ipc"],
        });
        let report: ProgramReport | undefined;
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        child.on("message", (m) => (report = m as ProgramReport));
        child.on("error", reject);
        // A program some of whose resources failed exits 1 (the SDK finds their dependents' promises
        // left pending): once it has reported, the engine has counted those failures itself.
        child.on("exit", (code) => (report ? resolve(report) : reject(new Error(`the program's process exited with ${code}: ${stderr.trim() || "no output"}`))));
    });
}

/**
 * The program registering its resources under Pulumi's SDK with nothing behind it: the SDK's mock
 * monitor answers each registration at once (inputs back as outputs). What a plan cannot go below
 * on this machine, whatever the engine, host and provider do.
 */
export async function registrationOnly(job: ProgramJob, project: string, stack: string): Promise<{ wallMs: number; cpuS: number; resources: number }> {
    const report = await runProgram(programEnv({ ...job, mocks: true }, project, stack, {}));
    return { wallMs: report.wallMs, cpuS: report.cpuS, resources: report.resources };
}

export class BenchEngine {
    readonly box = new SecretBox();
    state = new Map<string, BenchEntry>();
    /** The state's inputs and outputs with secrets open, kept so each step need not decrypt them. */
    private readonly plain = new Map<string, { inputs: Bag; outputs: Bag }>();
    private host: Host;
    private configuredHost?: Host;

    private program: ProgramJob;
    private monitor?: Monitor;
    private readonly slots: Slots;
    private readonly planSlots: Slots;
    /** One copy of each distinct `__provider` text (20,000 resources share two or three). */
    private readonly providerTexts = new Map<string, string>();

    constructor(private readonly opts: BenchEngineOptions) {
        this.host = opts.host;
        this.program = opts.program;
        this.slots = { free: opts.parallel && opts.parallel > 0 ? opts.parallel : Infinity, queue: [] };
        this.planSlots = { free: opts.planParallel && opts.planParallel > 0 ? opts.planParallel : 64, queue: [] };
    }

    /** Runs one resource operation within the parallelism limit (FIFO, as the engine's step executor). */
    private step<T>(op: () => Promise<T>): Promise<T> {
        return within(this.slots, op);
    }

    /** Runs one check or diff within the plan's limit. */
    private planStep<T>(op: () => Promise<T>): Promise<T> {
        return within(this.planSlots, op);
    }

    /** The bag with its `__provider` text shared with every other bag holding the same text. */
    private interned(bag: Bag): Bag {
        const text = bag.__provider;
        if (typeof text !== "string") return bag;
        const shared = this.providerTexts.get(text);
        if (shared === undefined) this.providerTexts.set(text, text);
        else bag.__provider = shared;
        return bag;
    }

    /** The program the next `up` runs. */
    setProgram(program: ProgramJob): void {
        this.program = program;
    }

    /** Each command runs in a host of its own, as each `pulumi` command starts its own. */
    useHost(host: Host): void {
        this.host = host;
    }

    private async configure(): Promise<void> {
        if (this.configuredHost !== this.host) {
            await this.host.configure(this.opts.config);
            this.configuredHost = this.host;
        }
    }

    private fail(summary: RunSummary, what: string, e: unknown): void {
        summary.failed++;
        if (summary.errors.length < 5) summary.errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }

    private noteProvider(summary: RunSummary, type: string, text: unknown): void {
        if (typeof text === "string") summary.providerBytes[shortType(type)] = Buffer.byteLength(text);
    }

    /** `pulumi up` (or `preview` when `preview`): runs the program and applies (or plans) each step. */
    async up(preview: boolean): Promise<RunSummary> {
        const summary = emptySummary();
        await this.configure();
        const seen = new Set<string>();
        const pending: Promise<unknown>[] = [];
        this.monitor ??= await startMonitor(this.opts.project, this.opts.stack);
        this.monitor.onRegister(async (reg) => {
            if (!isDynamic(reg.type)) return { id: undefined, state: reg.inputs };
            seen.add(reg.name);
            const p = this.register(reg.type, reg.name, reg.inputs, { secrets: reg.additionalSecretOutputs, deps: reg.deps }, preview, summary);
            pending.push(p.catch(() => undefined));
            return p;
        });
        const report = await runProgram(
            programEnv(this.program, this.opts.project, this.opts.stack, {
                PULUMI_NODEJS_MONITOR: this.monitor.address,
                PULUMI_NODEJS_DRY_RUN: String(preview),
                PULUMI_CONFIG: JSON.stringify(this.opts.config),
                PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(this.opts.secretConfigKeys ?? []),
            }),
        );
        await Promise.all(pending);
        for (const message of report.errors) this.fail(summary, "program", new Error(message));
        summary.programCpuS = report.cpuS;
        summary.programPeakRssMB = report.peakRssMB;

        // Whatever the state has that the program no longer declares is deleted.
        const gone = [...this.state.keys()].filter((k) => !seen.has(k));
        if (gone.length > 0) {
            if (preview) summary.deleted += gone.length;
            else await this.deleteInOrder(gone, summary);
        }
        return summary;
    }

    private async register(type: string, name: string, rawInputs: Bag, reg: { secrets: string[]; deps: string[] }, preview: boolean, summary: RunSummary): Promise<{ id: string | undefined; state: Bag }> {
        const urn = `urn:pulumi:${this.opts.stack}::${this.opts.project}::${type}::${name}`;
        const { plain: news, secretKeys } = stripSecrets(unknownsToWire(rawInputs) as Bag);
        const secretOutputs = [...new Set([...secretKeys, ...reg.secrets])];
        this.noteProvider(summary, type, news.__provider);
        const old = this.state.get(name);
        const wrap = (outs: Bag): Bag => {
            const st: Bag = { ...outs };
            for (const k of secretOutputs) if (st[k] !== undefined) st[k] = { [SECRET_SIG_KEY]: SECRET_SIG, value: st[k] };
            return st;
        };
        const failWith = (e: unknown): never => {
            this.fail(summary, `${shortType(type)} ${name}`, e);
            throw e;
        };
        const oldInputs = old ? this.opened(old).inputs : {};
        const oldOutputs = old ? this.opened(old).outputs : {};
        const checked = await this.planStep(() => this.host.check(urn, oldInputs, news)).catch(failWith);
        if (checked.failures.length > 0) failWith(new Error(checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")));
        const inputs = this.interned(checked.inputs);
        const store = (id: string, outputs: Bag): void => {
            this.interned(outputs);
            this.state.set(name, {
                type,
                name,
                urn,
                id,
                inputs: this.box.seal(inputs, secretKeys),
                outputs: this.box.seal(outputs, secretOutputs),
                secretOutputs,
                deps: reg.deps,
            });
            this.plain.set(name, { inputs, outputs });
        };
        const create = async (): Promise<{ id: string; state: Bag }> => {
            try {
                const res = await this.step(() => this.host.create(urn, inputs));
                store(res.id, res.properties);
                summary.created++;
                return { id: res.id, state: wrap(res.properties) };
            } catch (e) {
                if (e instanceof HostCallError && e.initFailed) store(e.initFailed.id, { ...e.initFailed.properties, __provider: inputs.__provider });
                return failWith(e);
            }
        };
        if (!old) {
            if (preview) {
                summary.created++;
                return { id: undefined, state: wrap({ ...inputs, __provider: undefined }) };
            }
            return create();
        }
        const diff = await this.planStep(() => this.host.diff(old.id, urn, oldOutputs, inputs)).catch(failWith);
        if (diff.changes === "none") {
            summary.same++;
            return { id: old.id, state: wrap(oldOutputs) };
        }
        if (preview) {
            summary.updated++;
            return { id: old.id, state: wrap({ ...oldOutputs, ...inputs }) };
        }
        if (diff.replaces.length > 0) {
            await this.step(() => this.host.delete(old.id, urn, oldOutputs)).catch(failWith);
            this.state.delete(name);
            this.plain.delete(name);
            return create();
        }
        try {
            const res = await this.step(() => this.host.update(old.id, urn, oldOutputs, inputs));
            store(old.id, res.properties);
            summary.updated++;
            return { id: old.id, state: wrap(res.properties) };
        } catch (e) {
            return failWith(e);
        }
    }

    /** `pulumi refresh`: reads every resource back at once; drops what Graph no longer has. */
    async refresh(): Promise<RunSummary> {
        const summary = emptySummary();
        await this.configure();
        await Promise.all(
            [...this.state.values()].map(async (entry) => {
                try {
                    const { inputs, outputs } = this.opened(entry);
                    this.noteProvider(summary, entry.type, outputs.__provider);
                    const res = await this.step(() => this.host.read(entry.id, entry.urn, outputs));
                    if (!res.id) {
                        this.state.delete(entry.name);
                        this.plain.delete(entry.name);
                        summary.deleted++;
                        return;
                    }
                    const changed = Object.keys(res.properties).some((k) => !looseEqual(res.properties[k], outputs[k]));
                    const newInputs = this.interned({ ...inputs, ...res.inputs });
                    this.interned(res.properties);
                    entry.outputs = this.box.seal(res.properties, entry.secretOutputs);
                    entry.inputs = this.box.seal(newInputs, entry.secretOutputs);
                    this.plain.set(entry.name, { inputs: newInputs, outputs: res.properties });
                    if (changed) summary.updated++;
                    summary.refreshed++;
                } catch (e) {
                    this.fail(summary, `refresh ${entry.name}`, e);
                }
            }),
        );
        return summary;
    }

    /** `pulumi destroy`: deletes everything, dependents before what they depend on. */
    async destroy(): Promise<RunSummary> {
        const summary = emptySummary();
        await this.configure();
        await this.deleteInOrder([...this.state.keys()], summary);
        return summary;
    }

    private async deleteInOrder(names: string[], summary: RunSummary): Promise<void> {
        const doomed = new Set(names);
        // How many doomed resources still depend on each one.
        const dependents = new Map<string, number>();
        for (const name of names) {
            for (const dep of this.state.get(name)!.deps) {
                if (doomed.has(dep)) dependents.set(dep, (dependents.get(dep) ?? 0) + 1);
            }
        }
        await new Promise<void>((resolve) => {
            let left = names.length;
            if (left === 0) resolve();
            const start = (name: string): void => {
                const entry = this.state.get(name)!;
                const { outputs } = this.opened(entry);
                this.noteProvider(summary, entry.type, outputs.__provider);
                this.step(() => this.host.delete(entry.id, entry.urn, outputs))
                    .then(
                        () => {
                            this.state.delete(name);
                            this.plain.delete(name);
                            summary.deleted++;
                        },
                        (e) => this.fail(summary, `delete ${name}`, e),
                    )
                    .finally(() => {
                        // A failed delete still releases what it depends on: the run reports it.
                        for (const dep of entry.deps) {
                            if (!dependents.has(dep)) continue;
                            const n = dependents.get(dep)! - 1;
                            dependents.set(dep, n);
                            if (n === 0) start(dep);
                        }
                        if (--left === 0) resolve();
                    });
            };
            for (const name of names) if (!dependents.get(name)) start(name);
        });
    }

    private opened(entry: BenchEntry): { inputs: Bag; outputs: Bag } {
        let p = this.plain.get(entry.name);
        if (!p) {
            p = { inputs: this.interned(this.box.open(entry.inputs)), outputs: this.interned(this.box.open(entry.outputs)) };
            this.plain.set(entry.name, p);
        }
        return p;
    }

    /** Stops the resource monitor. */
    async close(): Promise<void> {
        await this.monitor?.close();
        this.monitor = undefined;
    }

    /** Writes the state (as the engine keeps it, secrets sealed); returns its size in bytes. */
    saveState(file: string): number {
        const text = JSON.stringify({ resources: Object.fromEntries(this.state) });
        fs.writeFileSync(file, text);
        return Buffer.byteLength(text);
    }
}
