/**
 * A stack run by the real Pulumi CLI, for tests: a program folder (as `pulumi up` runs it in a
 * project, through Pulumi's Node.js language host) or an inline program (the Automation API's
 * in-process language host), with preview / up / refresh / destroy returning what happened to each
 * resource, read from the engine's own events.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap, EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PulumiSandbox, REPO_ROOT, workFolder } from "./cli";

/** What happened (or, in a preview, would happen) to one resource. */
export interface Step {
    op: "create" | "update" | "replace" | "same" | "delete" | "refresh" | "drop" | "read" | "import" | "failed";
    /** `autopilot:<ClassName>` for this package's resources, the full type for others. */
    type: string;
    name: string;
    urn: string;
    id?: string;
    /** The property names the engine reported as changed. */
    changed: string[];
    error?: string;
}

/** One `pulumi` command's outcome. */
export interface RunResult {
    /** Steps of the custom resources (not the stack, providers or components). */
    steps: Step[];
    /** The CLI's own output, as a user sees it. */
    stdout: string;
    stderr: string;
    /** Errors the engine reported that belong to no resource (a program error, for one). */
    errors: string[];
}

/** A command that exited non-zero: the message is what the engine reported, the result has the rest. */
export class PulumiRunError extends Error {
    constructor(
        message: string,
        readonly result: RunResult,
    ) {
        super(message);
        this.name = "PulumiRunError";
    }
}

/** A resource as `pulumi stack export --show-secrets` shows it. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    custom?: boolean;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    additionalSecretOutputs?: string[];
    protect?: boolean;
    retainOnDelete?: boolean;
    initErrors?: string[];
    parent?: string;
    [key: string]: unknown;
}

/** An operation pending in the state (`pending_operations` of `pulumi stack export`). */
export interface PendingOperation {
    /** `creating`, `updating`, `deleting`, `reading`, `importing`. */
    type: string;
    urn: string;
    name: string;
    id?: string;
}

/** A config value: text, or structured (a list or an object of them). */
export type ConfigValue = string | number | boolean | ConfigValue[] | { [key: string]: ConfigValue };

/** `{ "p:list": ["a"] }` -> `{ "p:list[0]": "a" }`: the keys `pulumi config set --path` takes. */
function configPaths(key: string, value: ConfigValue, out: Record<string, string>): void {
    if (Array.isArray(value)) value.forEach((v, i) => configPaths(`${key}[${i}]`, v, out));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) configPaths(`${key}.${k}`, v, out);
    else out[key] = String(value);
}

export interface StackOptions {
    sandbox: PulumiSandbox;
    stackName?: string;
    /**
     * Stack config by namespaced key (`autopilot:graphEndpoint`). A list or an object is set as
     * structured config (`pulumi config set --path`), which config typed `array` or `object` in
     * Pulumi.yaml requires.
     */
    config?: Record<string, ConfigValue>;
    /** Stack config set with `--secret`. */
    secretConfig?: Record<string, string>;
    /** Environment of the CLI and of every process it starts (the provider's host among them). */
    env?: Record<string, string>;
}

export interface InlineStackOptions extends StackOptions {
    project: string;
    program: () => unknown;
}

export interface FolderStackOptions extends StackOptions {
    /** A program folder (Pulumi.yaml, index.ts); it is copied so that stack files stay out of the repository. */
    dir: string;
    /**
     * Run the folder where it is instead of a copy (the repository root, which is also the package:
     * a copy would resolve `pulumi-autopilot` to itself). Its stack file is removed by `dispose()`.
     */
    inPlace?: boolean;
}

export interface RunOptions {
    target?: string[];
    targetDependents?: boolean;
    parallel?: number;
    /** `--continue-on-error` (up and destroy): the engine goes on with the steps that do not depend on a failed one. */
    continueOnError?: boolean;
    /** Called with what the CLI prints, as it prints it. */
    onOutput?: (text: string) => void;
}

const DYNAMIC = "pulumi-nodejs:dynamic/";
const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced", "read-replacement", "import-replacement"]);

/** `pulumi-nodejs:dynamic/autopilot:X` -> `autopilot:X`. */
export function shortType(type: string): string {
    return type.startsWith(DYNAMIC) ? type.slice(DYNAMIC.length) : type;
}

export function nameOf(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

function typeOfUrn(urn: string): string {
    const parts = urn.split("::");
    const qualified = parts[parts.length - 2];
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].filter((k) => !k.startsWith("__") && JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Folds the engine's events into one step per custom resource. */
type RunCommand = (onEvent: (e: EngineEvent) => void, onOutput: (s: string) => void, onError: (s: string) => void) => Promise<unknown>;

/** One run of a command: what it showed, and whether (and with what message) it failed. */
interface RunOutcome {
    result: RunResult;
    failure: unknown;
    message: string;
    sawSummary: boolean;
    sawStack: boolean;
}

class StepCollector {
    private readonly ops = new Map<string, string[]>();
    private readonly ids = new Map<string, string>();
    private readonly changes = new Map<string, Set<string>>();
    private readonly failed = new Set<string>();
    private readonly errorsByUrn = new Map<string, string[]>();
    readonly errors: string[] = [];
    /** Whether the engine's summary arrived: without it, the event stream of the run was lost. */
    sawSummary = false;
    /** Whether a step of the program's stack resource arrived: every program that runs registers it. */
    sawStack = false;

    onEvent = (e: EngineEvent): void => {
        if (e.summaryEvent) this.sawSummary = true;
        const meta = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
        if (meta?.type === "pulumi:pulumi:Stack") this.sawStack = true;
        if (meta) {
            if (!meta.urn.includes(DYNAMIC)) return;
            const ops = this.ops.get(meta.urn) ?? [];
            ops.push(meta.op);
            this.ops.set(meta.urn, ops);
            const id = meta.new?.id || meta.old?.id;
            if (id) this.ids.set(meta.urn, id);
            const changed = this.changes.get(meta.urn) ?? new Set<string>();
            for (const key of meta.diffs ?? []) changed.add(key);
            // The dynamic-provider host reports no detailed diff: what changed is what the engine
            // shows, the inputs (and for a refresh the outputs) of the old and new states.
            const bag = meta.op === "refresh" ? "outputs" : "inputs";
            if (meta.old && meta.new && meta.op !== "create") {
                for (const key of differingKeys(meta.old[bag] ?? {}, meta.new[bag] ?? {})) changed.add(key);
            }
            this.changes.set(meta.urn, changed);
            if (e.resOpFailedEvent) this.failed.add(meta.urn);
            return;
        }
        const diag = e.diagnosticEvent;
        if (diag && diag.severity === "error") {
            const text = diag.message.trim();
            if (diag.urn && diag.urn.includes(DYNAMIC)) {
                this.errorsByUrn.set(diag.urn, [...(this.errorsByUrn.get(diag.urn) ?? []), text]);
            } else {
                this.errors.push(text);
            }
        }
    };

    steps(): Step[] {
        const urns = new Set([...this.ops.keys(), ...this.errorsByUrn.keys()]);
        return [...urns].map((urn) => {
            const ops = this.ops.get(urn) ?? [];
            const error = this.errorsByUrn.get(urn)?.join("\n");
            let op: Step["op"];
            if (this.failed.has(urn) || error) op = "failed";
            else if (ops.some((o) => REPLACE_OPS.has(o))) op = "replace";
            else if (ops.includes("refresh") && ops.includes("delete")) op = "drop";
            else op = (ops[ops.length - 1] ?? "same") as Step["op"];
            return { op, type: shortType(typeOfUrn(urn)), name: nameOf(urn), urn, id: this.ids.get(urn), changed: [...(this.changes.get(urn) ?? [])], error };
        });
    }
}

/** A stack in the sandbox's backend, with its own program folder. */
export class TestStack {
    private constructor(
        readonly stack: Stack,
        readonly project: string,
        readonly workDir: string,
        private readonly sandbox: PulumiSandbox,
        private readonly env: Record<string, string>,
        private readonly inPlace: boolean,
        /** For an inline program: the names of this package's resources its last run declared. */
        private readonly declared?: { names: string[] },
    ) {}

    /** An inline program; its provider host runs in a folder under the repository (so it resolves pulumi-autopilot). */
    static async inline(opts: InlineStackOptions): Promise<TestStack> {
        const workDir = workFolder(opts.project);
        const env = opts.sandbox.env(opts.env);
        const declared = { names: [] as string[] };
        const ws = await LocalWorkspace.create({
            workDir,
            pulumiCommand: await command(opts.sandbox),
            envVars: env,
            program: async () => {
                // What the program declares, to tell a run whose registrations were lost (see run).
                declared.names = [];
                pulumi.runtime.registerStackTransformation((a) => {
                    if (a.type.includes(DYNAMIC)) declared.names.push(a.name);
                    return undefined;
                });
                return (await opts.program()) as Record<string, unknown> | void;
            },
            projectSettings: { name: opts.project, runtime: "nodejs" },
        });
        const stack = await Stack.createOrSelect(opts.stackName ?? "test", ws);
        const created = new TestStack(stack, opts.project, workDir, opts.sandbox, env, false, declared);
        await created.setConfig(opts.config ?? {}, opts.secretConfig ?? {});
        return created;
    }

    /** A program folder run through Pulumi's language host, as `pulumi up` in that folder runs it. */
    static async folder(opts: FolderStackOptions): Promise<TestStack> {
        let workDir = opts.dir;
        if (!opts.inPlace) {
            workDir = workFolder(path.basename(opts.dir) || "project");
            const entries = fs.readdirSync(opts.dir).filter((f) => f !== "node_modules" && !/^Pulumi\..+\.yaml$/.test(f));
            for (const entry of entries) fs.cpSync(path.join(opts.dir, entry), path.join(workDir, entry), { recursive: true });
        }
        const env = opts.sandbox.env(opts.env);
        const ws = await LocalWorkspace.create({ workDir, pulumiCommand: await command(opts.sandbox), envVars: env });
        const settings = await ws.projectSettings();
        const stack = await Stack.createOrSelect(opts.stackName ?? "test", ws);
        const created = new TestStack(stack, settings.name, workDir, opts.sandbox, env, !!opts.inPlace);
        await created.setConfig(opts.config ?? {}, opts.secretConfig ?? {});
        return created;
    }

    async setConfig(values: Record<string, ConfigValue>, secrets: Record<string, string> = {}): Promise<void> {
        const plain: ConfigMap = {};
        const structured: ConfigMap = {};
        for (const [k, v] of Object.entries(values)) {
            if (typeof v === "object") {
                const paths: Record<string, string> = {};
                configPaths(k, v, paths);
                for (const [p, text] of Object.entries(paths)) structured[p] = { value: text, secret: false };
            } else {
                plain[k] = { value: String(v), secret: false };
            }
        }
        for (const [k, v] of Object.entries(secrets)) plain[k] = { value: v, secret: true };
        if (Object.keys(plain).length > 0) await this.stack.setAllConfig(plain);
        if (Object.keys(structured).length > 0) await this.stack.setAllConfig(structured, true);
    }

    preview(opts: RunOptions = {}): Promise<RunResult> {
        return this.run(
            opts,
            (onEvent, onOutput, onError) => this.stack.preview({ onEvent, onOutput, onError, target: opts.target, parallel: opts.parallel, diff: false }),
            "preview",
        );
    }

    up(opts: RunOptions = {}): Promise<RunResult> {
        return this.run(
            opts,
            (onEvent, onOutput, onError) =>
                this.stack.up({
                    onEvent,
                    onOutput,
                    onError,
                    target: opts.target,
                    targetDependents: opts.targetDependents,
                    parallel: opts.parallel,
                    continueOnError: opts.continueOnError,
                }),
            "up",
        );
    }

    refresh(opts: RunOptions = {}): Promise<RunResult> {
        return this.run(opts, (onEvent, onOutput, onError) => this.stack.refresh({ onEvent, onOutput, onError, target: opts.target, parallel: opts.parallel }));
    }

    destroy(opts: RunOptions = {}): Promise<RunResult> {
        return this.run(opts, (onEvent, onOutput, onError) =>
            this.stack.destroy({ onEvent, onOutput, onError, target: opts.target, parallel: opts.parallel, continueOnError: opts.continueOnError }),
        );
    }

    private async run(opts: RunOptions, command: RunCommand, kind: "preview" | "up" | "other" = "other"): Promise<RunResult> {
        const first = await this.runOnce(opts, command);
        // Failures of the Automation API's transport, not of the program or the provider
        // (pulumi/pulumi#6457, #15235): the program's gRPC channel to the engine refused ("14
        // UNAVAILABLE: No connection established") before any resource step; a preview that exited
        // 0 while its event stream never delivered the engine's summary; or a preview or up that
        // exited 0 without a step of the program's stack resource, which every program that runs
        // registers (seen under load with CLI 3.216: the command succeeded, nothing was registered
        // and no request reached Graph). Each is run again once, and said so on stderr so a pattern
        // shows in CI logs.
        const transportFailure =
            first.failure !== undefined && first.result.steps.length === 0 && /14 UNAVAILABLE: No connection established/.test(first.message);
        const lostEvents = first.failure === undefined && kind === "preview" && !first.sawSummary;
        const programLost = first.failure === undefined && kind !== "other" && !first.sawStack;
        // The inline program's language server swallows a gRPC error of the program's registrations
        // (automation/server.js: `if (!isGrpcError(e)) throw e`): the run succeeds, and the engine,
        // which never saw a declared resource, plans to delete it. A declared resource without a step
        // is such a loss.
        const seen = new Set(first.result.steps.filter((s) => s.op !== "delete" && s.op !== "drop").map((s) => s.name));
        const unseen = first.failure === undefined && kind !== "other" && this.declared ? this.declared.names.filter((n) => !seen.has(n)) : [];
        if (transportFailure || lostEvents || programLost || unseen.length > 0) {
            const why = transportFailure
                ? first.message.split("\n")[0]
                : lostEvents
                  ? "preview gave no engine summary"
                  : programLost
                    ? `${kind} succeeded without a step of the program's stack`
                    : `${kind} succeeded without a step of declared resource(s) ${unseen.join(", ")}`;
            process.stderr.write(`[test stack ${this.stack.name}] ${why}: running it again once\n`);
            return this.settle(await this.runOnce(opts, command));
        }
        return this.settle(first);
    }

    private settle(outcome: RunOutcome): RunResult {
        if (outcome.failure !== undefined) throw new PulumiRunError(outcome.message, outcome.result);
        return outcome.result;
    }

    private async runOnce(opts: RunOptions, command: RunCommand): Promise<RunOutcome> {
        const collector = new StepCollector();
        let stdout = "";
        let stderr = "";
        let failure: unknown;
        try {
            await command(
                collector.onEvent,
                (s) => {
                    stdout += s;
                    opts.onOutput?.(s);
                },
                (s) => (stderr += s),
            );
        } catch (e) {
            failure = e ?? new Error("command failed");
        }
        const result: RunResult = { steps: collector.steps(), stdout, stderr, errors: collector.errors };
        const reported = [...result.steps.filter((s) => s.error).map((s) => `${s.type} ${s.name}: ${s.error}`), ...result.errors];
        const message = failure === undefined ? "" : reported.length > 0 ? reported.join("\n") : String((failure as Error).message ?? failure);
        return { result, failure, message, sawSummary: collector.sawSummary, sawStack: collector.sawStack };
    }

    /** The state with secrets in plain text (`pulumi stack export --show-secrets`): for assertions on values. */
    async resources(): Promise<StateResource[]> {
        const deployment = await this.stack.exportStack();
        return (deployment.deployment?.resources ?? []) as StateResource[];
    }

    /**
     * Operations the engine began and never saw end (a killed run): `creating` ones have no id,
     * and `pulumi up` keeps them until a refresh clears them.
     */
    async pendingOperations(): Promise<PendingOperation[]> {
        const deployment = await this.stack.exportStack();
        const ops = (deployment.deployment?.pending_operations ?? []) as { type: string; resource: StateResource }[];
        return ops.map((o) => ({ type: o.type, urn: o.resource.urn, name: nameOf(o.resource.urn), id: o.resource.id || undefined }));
    }

    /** This package's resources in the state, by `autopilot:<Class>` type and name. */
    async resource(type: string, name: string): Promise<StateResource | undefined> {
        return (await this.resources()).find((r) => shortType(r.type) === type && nameOf(r.urn) === name);
    }

    /**
     * The state as `pulumi stack export` prints it without `--show-secrets`, as a user (or a
     * pipeline's log) sees it: secret values are ciphertext.
     */
    async exportedState(): Promise<{ text: string; resources: StateResource[] }> {
        const { stdout } = await promisify(execFile)(path.join(this.sandbox.cli.binDir, "pulumi"), ["stack", "export", "--stack", this.stack.name], {
            cwd: this.workDir,
            env: this.commandEnv(),
            maxBuffer: 256 * 1024 * 1024,
        });
        return { text: stdout, resources: (JSON.parse(stdout).deployment?.resources ?? []) as StateResource[] };
    }

    /** Replaces the stack's state (`pulumi stack import`), e.g. with one an earlier version of the package wrote. */
    async importState(deployment: { version: number; deployment: unknown }): Promise<void> {
        await this.stack.importStack(deployment);
    }

    /** The state with secrets in plain text, whole (`pulumi stack export --show-secrets`), for editing and importing. */
    async exportedDeployment(): Promise<{ version: number; deployment: { resources?: StateResource[]; [key: string]: unknown } }> {
        return (await this.stack.exportStack()) as never;
    }

    /** The state file as the backend stores it: secrets are ciphertext here. */
    storedState(): string {
        return fs.readFileSync(this.sandbox.stateFile(this.project, this.stack.name), "utf8");
    }

    async outputs(): Promise<Record<string, unknown>> {
        const out = await this.stack.outputs();
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
    }

    /** The environment its commands run with (for running `pulumi` directly in `workDir`). */
    commandEnv(): Record<string, string> {
        return { ...process.env, ...this.env } as Record<string, string>;
    }

    dispose(): void {
        if (this.inPlace) fs.rmSync(path.join(this.workDir, `Pulumi.${this.stack.name}.yaml`), { force: true });
        else fs.rmSync(this.workDir, { recursive: true, force: true });
    }
}

async function command(sandbox: PulumiSandbox): Promise<PulumiCommand> {
    return PulumiCommand.get({ root: path.dirname(sandbox.cli.binDir), skipVersionCheck: true });
}

export { REPO_ROOT };
