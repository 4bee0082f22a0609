/**
 * A small stand-in for the parts of `pulumi up` / `refresh` / `destroy` this project's tests and
 * demo need: the program runs under `pulumi.runtime.setMocks`, and each resource it registers is
 * checked, diffed, created, updated or deleted by Pulumi's real dynamic-provider host over gRPC,
 * so real outputs flow into dependent resources. State is a JSON file. It is test tooling, not a
 * second Pulumi engine: real deployments use `pulumi up`.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { Host, HostCallError } from "./host";
import { SecretBox } from "./secrets";
import { Bag, SECRET_SIG, SECRET_SIG_KEY, stripSecrets, UNKNOWN, unknownsToWire } from "./wire";

/** What happened (or would happen, in a preview) to one resource. */
export interface Step {
    op: "create" | "update" | "replace" | "same" | "delete" | "refresh" | "drop" | "failed";
    type: string;
    name: string;
    id?: string;
    changed: string[];
    error?: string;
}

export interface StateEntry {
    type: string;
    name: string;
    urn: string;
    id: string;
    inputs: Bag;
    outputs: Bag;
    secretOutputs: string[];
    /** Whether the engine recorded it after a failed initialization (it will be updated next run). */
    initFailed?: boolean;
}

export interface EngineOptions {
    host: Host;
    project: string;
    stack: string;
    /** Stack config, namespaced keys (`autopilot:tenantId`). */
    config: Record<string, string>;
    secretConfigKeys?: string[];
    /** Where the state is kept between runs. */
    stateFile: string;
    /** Loads (runs) the program; called once per run with mocks already set. */
    program: () => unknown;
    onStep?: (step: Step) => void;
}

interface RegistrationOptions {
    additionalSecretOutputs: string[];
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    importId: string;
}

function isDynamic(type: string): boolean {
    return type.startsWith("pulumi-nodejs:dynamic/");
}

function shortType(type: string): string {
    return type.replace(/^pulumi-nodejs:dynamic\//, "");
}

/** Every output name of a dynamic type, each unknown (what a preview knows before create). */
function unknownOutputs(type: string): Bag {
    const { specs } = require("../../provider/resources/registry");
    const spec = specs[shortType(type).split(":").pop()!];
    const out: Bag = {};
    if (spec) {
        for (const name of [...Object.keys(spec.fields), spec.idOutput]) out[name] = UNKNOWN;
    }
    return out;
}

function looseEqual(a: unknown, b: unknown): boolean {
    const norm = (v: unknown) => (v === undefined || v === "" ? null : v);
    return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Fields the program sets that differ from what the state holds (for a readable plan). */
function changedFields(news: Bag, olds: Bag): string[] {
    return Object.keys(news).filter((k) => k !== "__provider" && !looseEqual(news[k], olds[k]));
}

export class Engine {
    readonly box = new SecretBox();
    private state: Record<string, StateEntry> = {};
    private readonly configured = new Set<string>();

    constructor(private readonly opts: EngineOptions) {
        if (fs.existsSync(opts.stateFile)) {
            this.state = JSON.parse(fs.readFileSync(opts.stateFile, "utf8")).resources;
        }
    }

    /** The state as stored (secrets sealed). */
    entries(): StateEntry[] {
        return Object.values(this.state);
    }

    /** One resource's outputs with secrets opened. */
    outputsOf(type: string, name: string): Bag | undefined {
        const e = this.state[`${type}::${name}`] ?? Object.values(this.state).find((s) => shortType(s.type) === type && s.name === name);
        return e ? this.box.open(e.outputs) : undefined;
    }

    private save(): void {
        fs.writeFileSync(this.opts.stateFile, JSON.stringify({ resources: this.state }, null, 2));
    }

    private urn(type: string, name: string): string {
        return `urn:pulumi:${this.opts.stack}::${this.opts.project}::${type}::${name}`;
    }

    private async configureOnce(providerText: unknown): Promise<void> {
        // The engine configures the host before the first call; the host configures each
        // distinct __provider lazily with the config it was given.
        if (this.configured.size === 0) {
            await this.opts.host.configure(this.opts.config);
        }
        this.configured.add(String(providerText));
    }

    private record(step: Step, steps: Step[]): void {
        steps.push(step);
        this.opts.onStep?.(step);
    }

    /** Runs the program: a preview plans, otherwise the plan is applied. Returns every step. */
    async up(preview: boolean): Promise<Step[]> {
        const steps: Step[] = [];
        const seen = new Set<string>();
        const regOptions = new Map<string, RegistrationOptions>();
        let inFlight = 0;
        let lastActivity = Date.now();

        await pulumi.runtime.setMocks(
            {
                call: () => ({}),
                newResource: async (args) => {
                    if (!isDynamic(args.type)) {
                        return { id: undefined, state: args.inputs };
                    }
                    const key = `${args.type}::${args.name}`;
                    seen.add(key);
                    const reg = regOptions.get(key) ?? { additionalSecretOutputs: [], replaceOnChanges: [], deleteBeforeReplace: false, importId: "" };
                    inFlight++;
                    try {
                        return await this.register(key, args.type, args.name, args.inputs, reg, preview, steps);
                    } finally {
                        inFlight--;
                        lastActivity = Date.now();
                    }
                },
            },
            this.opts.project,
            this.opts.stack,
            preview,
        );
        // The mock monitor hands newResource no resource options: read them off the request.
        const monitor: any = pulumi.runtime.getMonitor();
        const original = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, cb: any) => {
            regOptions.set(`${req.getType()}::${req.getName()}`, {
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                replaceOnChanges: req.getReplaceonchangesList(),
                deleteBeforeReplace: req.getDeletebeforereplace(),
                importId: req.getImportid(),
            });
            return original(req, cb);
        };
        pulumi.runtime.setAllConfig(this.opts.config, this.opts.secretConfigKeys ?? []);

        let programError: unknown;
        try {
            await this.opts.program();
        } catch (e) {
            programError = e;
        }
        if (programError) {
            throw programError;
        }
        // Wait for every registration, as the engine does. Resources that depend on a failed one
        // never register (their inputs never resolve), so once a step failed and nothing has moved
        // for a while, the run ends, as `pulumi up` ends with an error.
        let settled = false;
        const done = pulumi.runtime.disconnect().then(() => (settled = true), () => (settled = true));
        while (!settled) {
            await Promise.race([done, new Promise((r) => setTimeout(r, 50))]);
            const failed = steps.some((s) => s.op === "failed");
            if (!settled && failed && inFlight === 0 && Date.now() - lastActivity > 300) break;
        }

        // Whatever the state has that the program no longer declares is deleted, newest first.
        const gone = Object.keys(this.state).filter((k) => !seen.has(k)).reverse();
        for (const key of gone) {
            const entry = this.state[key];
            const step: Step = { op: "delete", type: shortType(entry.type), name: entry.name, id: entry.id, changed: [] };
            if (!preview) {
                try {
                    await this.deleteEntry(entry);
                    delete this.state[key];
                } catch (e) {
                    step.op = "failed";
                    step.error = (e as Error).message;
                }
            }
            this.record(step, steps);
        }
        if (!preview) this.save();
        return steps;
    }

    private async deleteEntry(entry: StateEntry): Promise<void> {
        await this.configureOnce(entry.outputs.__provider);
        await this.opts.host.delete(entry.id, entry.urn, this.box.open(entry.outputs));
    }

    private async register(key: string, type: string, name: string, rawInputs: Bag, reg: RegistrationOptions, preview: boolean, steps: Step[]): Promise<{ id: string | undefined; state: Bag }> {
        const urn = this.urn(type, name);
        const { plain: news, secretKeys } = stripSecrets(unknownsToWire(rawInputs) as Bag);
        const secretOutputs = [...new Set([...secretKeys, ...reg.additionalSecretOutputs])];
        const old = this.state[key];
        const oldInputs = old ? this.box.open(old.inputs) : {};
        const oldOutputs = old ? this.box.open(old.outputs) : {};
        await this.configureOnce(news.__provider);
        const step: Step = { op: "same", type: shortType(type), name, changed: [] };
        const fail = (e: unknown): never => {
            step.op = "failed";
            step.error = e instanceof Error ? e.message : String(e);
            this.record(step, steps);
            throw new Error(`${shortType(type)} ${name}: ${step.error}`);
        };

        const checked = await this.opts.host.check(urn, oldInputs, news).catch(fail);
        if (checked.failures.length > 0) {
            fail(new Error(checked.failures.map((f) => f.reason).join("; ")));
        }
        const inputs = checked.inputs;

        const wrapSecrets = (outs: Bag): Bag => {
            const state: Bag = { ...outs };
            for (const k of secretOutputs) {
                if (state[k] !== undefined) state[k] = { [SECRET_SIG_KEY]: SECRET_SIG, value: state[k] };
            }
            return state;
        };
        const store = (id: string, outputs: Bag, initFailed = false) => {
            this.state[key] = {
                type, name, urn, id,
                inputs: this.box.seal(inputs, secretKeys),
                outputs: this.box.seal(outputs, secretOutputs),
                secretOutputs,
                initFailed,
            };
            this.save();
        };
        const create = async (): Promise<{ id: string; outputs: Bag }> => {
            try {
                const res = await this.opts.host.create(urn, inputs);
                store(res.id, res.properties);
                return { id: res.id, outputs: res.properties };
            } catch (e) {
                if (e instanceof HostCallError && e.initFailed) {
                    // The object exists: keep it, as the engine does with ErrorResourceInitFailed.
                    store(e.initFailed.id, { ...e.initFailed.properties, __provider: inputs.__provider }, true);
                    step.id = e.initFailed.id;
                }
                return fail(e);
            }
        };

        if (!old) {
            step.op = "create";
            step.changed = Object.keys(news).filter((k) => k !== "__provider");
            if (preview) {
                this.record(step, steps);
                // Outputs not known before create are unknown to dependents, as in `pulumi preview`.
                return { id: undefined, state: wrapSecrets({ ...unknownOutputs(type), ...inputs, __provider: undefined }) };
            }
            const { id, outputs } = await create();
            step.id = id;
            this.record(step, steps);
            return { id, state: wrapSecrets(outputs) };
        }

        step.id = old.id;
        const diff = await this.opts.host.diff(old.id, urn, oldOutputs, inputs).catch(fail);
        const inputKeysChanged = changedFields(inputs, oldInputs);
        const forced = reg.replaceOnChanges.includes("*")
            ? inputKeysChanged
            : inputKeysChanged.filter((k) => reg.replaceOnChanges.includes(k));
        const changed = changedFields(inputs, oldOutputs);
        if (diff.changes === "none" && forced.length === 0 && !old.initFailed) {
            this.record(step, steps);
            return { id: old.id, state: wrapSecrets(oldOutputs) };
        }
        step.changed = changed;
        const replace = diff.replaces.length > 0 || forced.length > 0;
        step.op = replace ? "replace" : "update";
        if (preview) {
            this.record(step, steps);
            return { id: replace ? undefined : old.id, state: wrapSecrets({ ...oldOutputs, ...inputs }) };
        }
        if (replace) {
            if (diff.deleteBeforeReplace || reg.deleteBeforeReplace) {
                await this.deleteEntry(old).catch(fail);
                delete this.state[key];
                this.save();
            }
            const created = await create();
            if (!(diff.deleteBeforeReplace || reg.deleteBeforeReplace)) {
                await this.deleteEntry(old).catch(fail);
            }
            step.id = created.id;
            this.record(step, steps);
            return { id: created.id, state: wrapSecrets(created.outputs) };
        }
        try {
            const res = await this.opts.host.update(old.id, urn, oldOutputs, inputs);
            store(old.id, res.properties);
            this.record(step, steps);
            return { id: old.id, state: wrapSecrets(res.properties) };
        } catch (e) {
            if (e instanceof HostCallError && e.initFailed) {
                store(old.id, { ...e.initFailed.properties, __provider: inputs.__provider }, true);
            }
            return fail(e);
        }
    }

    /** `pulumi refresh`: reads every resource back; drops those Graph no longer has. */
    async refresh(): Promise<Step[]> {
        const steps: Step[] = [];
        await Promise.all(
            Object.entries(this.state).map(async ([key, entry]) => {
                await this.configureOnce(entry.outputs.__provider);
                const step: Step = { op: "refresh", type: shortType(entry.type), name: entry.name, id: entry.id, changed: [] };
                try {
                    const outputs = this.box.open(entry.outputs);
                    const res = await this.opts.host.read(entry.id, entry.urn, outputs);
                    if (!res.id) {
                        step.op = "drop";
                        delete this.state[key];
                    } else {
                        step.changed = changedFields(res.properties, outputs);
                        this.state[key] = {
                            ...entry,
                            id: res.id,
                            outputs: this.box.seal(res.properties, entry.secretOutputs),
                            inputs: this.box.seal({ ...this.box.open(entry.inputs), ...res.inputs }, entry.secretOutputs),
                        };
                    }
                } catch (e) {
                    step.op = "failed";
                    step.error = (e as Error).message;
                }
                this.record(step, steps);
            }),
        );
        this.save();
        return steps;
    }

    /** `pulumi destroy`: deletes every resource, newest first. */
    async destroy(): Promise<Step[]> {
        const steps: Step[] = [];
        for (const [key, entry] of Object.entries(this.state).reverse()) {
            const step: Step = { op: "delete", type: shortType(entry.type), name: entry.name, id: entry.id, changed: [] };
            try {
                await this.deleteEntry(entry);
                delete this.state[key];
            } catch (e) {
                step.op = "failed";
                step.error = (e as Error).message;
            }
            this.record(step, steps);
        }
        this.save();
        return steps;
    }
}

export { UNKNOWN };
