import { GraphError } from "../graph";
import { checkInputs } from "./check";
import { fieldChanges, fieldsDifferingFromGraph, graphHas } from "./diff";
import type { CheckFailure } from "./fields";
import { inputNames, INPUT_NAMES, readInputs, recordedInputNames, toOutputs } from "./outputs";
import type { LifecycleContext, ResourceSpec } from "./spec";
import { ResourceInitError } from "./errors";
import { beginStep, explainFailure, StepScope } from "./bounds";
import { readBack } from "./consistency";
import { HeldValues, notHeldError } from "./heldValues";
import { planWrites, sendWrites, type PlannedWrite } from "./writes";
import { forcedReplacements, REPLACE_ON_CHANGES, replaceOnChangesOf } from "./replaceOnChanges";
import { Props } from "./values";

/** The dynamic-provider methods for one resource spec, as the host calls them. */
export interface ResourceHandler {
    check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }>;
    diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; stables: string[]; deleteBeforeReplace: boolean }>;
    create(inputs: Props): Promise<{ id: string; outs: Props }>;
    read(id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }>;
    update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
    delete(id: string, props: Props): Promise<void>;
}

/** The Graph object a failure last saw (an import's final state), else what the caller had. */
function latestGraph(e: unknown, fallback: Props): Props {
    const seen = (e as { graph?: unknown } | null)?.graph;
    return seen !== null && typeof seen === "object" ? (seen as Props) : fallback;
}

function withoutProvider(props: Props): Props {
    const { __provider: _ignored, ...rest } = props;
    return rest;
}

/** Inputs as the lifecycle sees them: without the host's `__provider`, our record of input names and the replaceOnChanges paths. */
function programInputs(props: Props): Props {
    const { __provider: _p, [INPUT_NAMES]: _n, [REPLACE_ON_CHANGES]: _r, ...rest } = props;
    return rest;
}

/**
 * A failure of a secret field without its property name (the reason names the field). Pulumi's
 * engine prints a failure that names a property as "property X value {<the value>} has a problem",
 * and prints a secret value there in plain text (3.248); without the name it prints the reason only.
 */
function withoutSecretProperty(spec: ResourceSpec, failure: CheckFailure): CheckFailure {
    const top = failure.property.split(/[.[]/)[0];
    return spec.fields[top]?.secret ? { property: "", reason: failure.reason } : failure;
}

/** Key fields the state holds a value for and the program's inputs leave out. */
function keysOnlyTheStateHolds(spec: ResourceSpec, olds: Props, news: Props): Props {
    const kept: Props = {};
    for (const [name, field] of Object.entries(spec.fields)) {
        if (field.write === "key" && news[name] === undefined && olds[name] !== undefined && olds[name] !== null) kept[name] = olds[name];
    }
    return kept;
}

/** GETs the object; undefined when Graph says it is gone. */
async function fetchObject(ctx: LifecycleContext, spec: ResourceSpec, id: string, props: Props): Promise<Props | undefined> {
    const item = spec.item(id, props);
    try {
        return (await ctx.graph.send<Props>({ method: "GET", apiVersion: spec.apiVersion, path: item.path, route: item.route })).body;
    } catch (e) {
        if (GraphError.isGraphError(e) && e.status === 404) return undefined;
        throw e;
    }
}

/** A GET that reads back until Graph shows the object (a POST just made it, or adopted it). */
async function readBackVisible(ctx: LifecycleContext, spec: ResourceSpec, id: string, props: Props, posted: Props): Promise<Props> {
    return readBack(ctx, `${spec.typeName} ${id}`, async () => {
        const graph = await fetchObject(ctx, spec, id, props);
        return graph ? { done: true, value: graph } : { done: false, why: "no such object (404) after it was created", seen: posted };
    });
}

/**
 * Sends the planned writes, then reads back until Graph shows the written fields with the values
 * the program gave; Graph's object as it then is. Secret fields and fields Graph leaves out of its
 * answer are not compared (Graph may mask or omit them).
 */
async function sendAndReadBack(ctx: LifecycleContext, spec: ResourceSpec, id: string, props: Props, writes: PlannedWrite[], before: Props): Promise<Props> {
    await sendWrites(ctx, spec, id, writes);
    const checked = writes.flatMap((w) => w.fields).filter((f) => !spec.fields[f]?.secret);
    return readBack(ctx, `${spec.typeName} ${id}`, async () => {
        const graph = await fetchObject(ctx, spec, id, props);
        if (!graph) return { done: false, why: "no such object (404) right after it was written", seen: before };
        const shown = checked.filter((f) => graphHas(f, spec.fields[f], graph));
        const stale = fieldsDifferingFromGraph(spec, props, graph, () => true).filter((f) => shown.includes(f));
        return stale.length === 0 ? { done: true, value: graph } : { done: false, why: `the old value of ${stale.join(", ")}`, seen: graph };
    });
}

/** What every method of one spec's handler works with. */
interface Lifecycle {
    spec: ResourceSpec;
    /** Called per operation (see {@link makeHandler}). */
    context: () => LifecycleContext;
    /** The hardware hashes check hands the engine as digests, until create or update sends them. */
    held: HeldValues;
}

/** The work of one step, given the step's context (whose requests stop with the step) and its scope. */
type StepBody<T> = (ctx: LifecycleContext, scope: StepScope) => Promise<T>;

/** Runs `body` as one bounded, cancellable step of the spec's object; a failure says which bound it hit. */
async function runStep<T>(lc: Lifecycle, op: string, id: string | undefined, extraSeconds: number, body: StepBody<T>): Promise<T> {
    const scope = beginStep(lc.context(), `${lc.spec.typeName}${id ? " " + id : ""} ${op}`, extraSeconds);
    try {
        return await scope.run(() => body(scope.ctx, scope));
    } catch (thrown) {
        const e = lc.spec.explainError?.(thrown) ?? thrown;
        const message = explainFailure(e, scope, scope.ctx.limits);
        if (ResourceInitError.isResourceInitError(e)) throw message === e.message ? e : new ResourceInitError(message, e.id, e.properties);
        if (e instanceof Error && message !== e.message) e.message = message;
        throw e;
    } finally {
        scope.end();
    }
}

/**
 * The failure of a create or update once Graph holds the object: a ResourceInitError with its id
 * and outputs (from the Graph object the failure last saw) so the engine keeps it in the state.
 * The outputs carry the `__provider` text the call came with. The host adds that text to the
 * outputs of a call that succeeds, not to these; the engine records them as the object's state, and
 * a state without the text fails in the host at the next delete or refresh ("code must be a
 * string"): the failed import could then be neither removed nor refreshed.
 */
function keptObjectFailure(e: unknown, scope: StepScope, id: string, outputs: (graph: Props) => Props, graph: Props, raw: Props): ResourceInitError {
    const message = explainFailure(e, scope, scope.ctx.limits);
    const outs = outputs(latestGraph(e, graph));
    return new ResourceInitError(message, id, raw.__provider === undefined ? outs : { ...outs, __provider: raw.__provider });
}

/** check: what it returns is what the state records as inputs, so a held value goes in as its digest. */
function checkForState({ spec, held }: Lifecycle, news: Props): { inputs: Props; failures: CheckFailure[] } {
    const checked = checkInputs(spec, withoutProvider(news));
    const inputs = checked.failures.length === 0 ? held.digestInputs(spec, checked.inputs) : checked.inputs;
    if (news.__provider !== undefined) inputs.__provider = news.__provider;
    return { inputs, failures: checked.failures.map((f) => withoutSecretProperty(spec, f)) };
}

/** diff: the changed fields, and which of them (by the spec or the program's replaceOnChanges) replace the object. */
function diffForEngine(spec: ResourceSpec, olds: Props, news: Props): Awaited<ReturnType<ResourceHandler["diff"]>> {
    const { changed, replaces } = fieldChanges(spec, olds, news);
    const forced = forcedReplacements(changed, replaceOnChangesOf(news), olds, news);
    return {
        changes: changed.length > 0,
        replaces: [...new Set([...replaces, ...forced])],
        stables: [],
        deleteBeforeReplace: spec.deleteBeforeReplace ?? false,
    };
}

/** create: the values check held are resolved for sending and let go of once the create is done. */
async function createFromProgram(lc: Lifecycle, rawInputs: Props): Promise<{ id: string; outs: Props }> {
    const { spec, held } = lc;
    const { inputs, missing } = held.resolve(spec, programInputs(rawInputs));
    if (missing.length > 0) throw notHeldError(spec, missing, "create");
    try {
        return await createResolved(lc, inputs, rawInputs);
    } finally {
        held.release(spec, inputs);
    }
}

/** Create with the program's inputs as they are to be sent (held values resolved). */
function createResolved(lc: Lifecycle, inputs: Props, rawInputs: Props): Promise<{ id: string; outs: Props }> {
    const { spec } = lc;
    const names = inputNames(inputs);
    return runStep(lc, "create", undefined, spec.settleSeconds?.(inputs) ?? 0, async (ctx, scope) => {
        const created = await spec.create(ctx, inputs);
        // What the create learned beyond Graph's object (the profile a device's assignment
        // belongs to) is kept in the outputs like an input.
        const known = { ...inputs, ...(created.learned ?? {}) };
        const outputs = (graph: Props): Props => toOutputs(spec, created.id, graph, known, names);
        let graph = created.graph;
        try {
            if (created.fresh) {
                graph = (await spec.sharedReadBack?.(ctx, created.id, inputs, graph)) ?? (await readBackVisible(ctx, spec, created.id, inputs, graph));
            }
            graph = await writeWhatCreateLeftOut(ctx, spec, created.id, created.written, inputs, graph);
            if (spec.settle) graph = await spec.settle(ctx, created.id, graph, inputs);
            return { id: created.id, outs: outputs(graph) };
        } catch (e) {
            // The object exists in Graph: hand its id to the engine so it is kept in the state.
            throw keptObjectFailure(e, scope, created.id, outputs, graph, rawInputs);
        }
    });
}

/** Writes the fields the create's own request did not set (those Graph takes by a request of their own); Graph's object after. */
async function writeWhatCreateLeftOut(ctx: LifecycleContext, spec: ResourceSpec, id: string, written: string[], inputs: Props, graph: Props): Promise<Props> {
    const byRequest = fieldsDifferingFromGraph(spec, inputs, graph, (_f, route) => route === "patch" || typeof route === "object");
    const toWrite = byRequest.filter((name) => !written.includes(name));
    const writes = planWrites(spec, id, inputs, toWrite);
    if (writes.length === 0) return graph;
    ctx.log(`${spec.typeName} ${id}: writing ${toWrite.join(", ")}`);
    return sendAndReadBack(ctx, spec, id, inputs, writes, graph);
}

/** update: the values check held are resolved for sending and let go of once the update is done. */
async function updateFromProgram(lc: Lifecycle, id: string, rawOlds: Props, rawNews: Props): Promise<{ outs: Props }> {
    const { spec, held } = lc;
    const { inputs, missing } = held.resolve(spec, programInputs(rawNews));
    try {
        return await updateResolved(lc, id, withoutProvider(rawOlds), inputs, missing, rawNews);
    } finally {
        held.release(spec, inputs);
    }
}

/** Update with the program's inputs as they are to be sent; `notHeld`: digests with no value here. */
async function updateResolved(lc: Lifecycle, id: string, olds: Props, news: Props, notHeld: string[], rawNews: Props): Promise<{ outs: Props }> {
    const { spec } = lc;
    const names = inputNames(news);
    const { changed } = fieldChanges(spec, olds, news);
    // A value the state keeps as a digest can be written only with the value itself.
    const unsendable = changed.filter((f) => notHeld.includes(f));
    if (unsendable.length > 0) throw notHeldError(spec, unsendable, "update");
    const writes = planWrites(spec, id, news, changed);
    const settle = spec.settle && spec.needsSettle?.(olds, news);
    if (writes.length === 0 && !settle) return { outs: withNewSettings(spec, olds, news, names) };
    // What the state knows of the object beyond the program's inputs (a key a create learned,
    // like the profile a device's assignment belongs to) stays known after the update.
    const known = { ...keysOnlyTheStateHolds(spec, olds, news), ...news };
    const outputs = (graph: Props): Props => toOutputs(spec, id, graph, known, names);
    return runStep(lc, "update", id, settle ? (spec.settleSeconds?.(news) ?? 0) : 0, async (ctx, scope) => {
        let graph = writes.length > 0 ? await sendAndReadBack(ctx, spec, id, news, writes, olds) : await readBackVisible(ctx, spec, id, news, olds);
        if (settle) {
            try {
                graph = await spec.settle!(ctx, id, graph, news);
            } catch (e) {
                // Keep what Graph now holds in the state; the next run settles again.
                throw keptObjectFailure(e, scope, id, outputs, graph, rawNews);
            }
        }
        return { outs: outputs(graph) };
    });
}

/** The state after an update of provider settings only: nothing is sent to Graph, the state takes the new settings. */
function withNewSettings(spec: ResourceSpec, olds: Props, news: Props, names: string[]): Props {
    const outs: Props = { ...olds, [INPUT_NAMES]: names };
    for (const [name, field] of Object.entries(spec.fields)) {
        if (field.write === "setting") outs[name] = news[name] ?? field.default ?? null;
    }
    return outs;
}

/** read: Graph's object as outputs, and the program's inputs as Graph now holds them; empty when Graph no longer has it. */
async function readFromGraph(lc: Lifecycle, id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
    const { spec } = lc;
    const state = withoutProvider(props);
    // An object gone by design (nothing in Graph to ask about) stays as the state has it.
    if (spec.goneByDesign?.(state)) return { id, props: state, inputs: readInputs(spec, state) };
    return runStep(lc, "read", id, 0, async (ctx) => {
        // A burst of reads (refresh) is answered from a listing of the collection; else one GET.
        const graph = (await ctx.session.collectionReads.read(ctx, spec, id, state)) ?? (await fetchObject(ctx, spec, id, state));
        if (!graph) return { id: "", props: {} };
        const outs = toOutputs(spec, id, graph, state, recordedInputNames(state));
        return { id, props: outs, inputs: readInputs(spec, outs) };
    });
}

/** delete: the spec's delete as one step; an object gone by design has nothing in Graph to delete. */
async function deleteFromGraph(lc: Lifecycle, id: string, props: Props): Promise<void> {
    const { spec } = lc;
    const state = withoutProvider(props);
    if (spec.goneByDesign?.(state)) return;
    await runStep(lc, "delete", id, 0, (ctx) => spec.delete(ctx, id, state));
}

/**
 * Builds the generic lifecycle for a spec. `context` is called per operation so the Graph client
 * is created lazily, after `configure`. Every operation but check and diff runs as a bounded,
 * cancellable step (bounds.ts); every write is read back until Graph shows it (consistency.ts).
 */
export function makeHandler(spec: ResourceSpec, context: () => LifecycleContext): ResourceHandler {
    const lc: Lifecycle = { spec, context, held: new HeldValues() };
    return {
        check: async (_olds, news) => checkForState(lc, news),
        diff: async (_id, olds, news) => diffForEngine(spec, olds, news),
        create: (rawInputs) => createFromProgram(lc, rawInputs),
        read: (id, props) => readFromGraph(lc, id, props),
        update: (id, rawOlds, rawNews) => updateFromProgram(lc, id, rawOlds, rawNews),
        delete: (id, props) => deleteFromGraph(lc, id, props),
    };
}
