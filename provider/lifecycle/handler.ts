import { GraphError } from "../graph";
import { checkInputs } from "./check";
import { fieldChanges, fieldsDifferingFromGraph } from "./diff";
import type { CheckFailure, WriteRoute } from "./fields";
import { readInputs, toOutputs } from "./outputs";
import type { LifecycleContext, ResourceSpec } from "./spec";
import { ResourceInitError } from "./errors";
import { planWrites, sendWrites } from "./writes";
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

function messageOf(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/** The Graph object a failure last saw (an import's final state), else what the caller had. */
function latestGraph(e: unknown, fallback: Props): Props {
    const seen = (e as { graph?: unknown } | null)?.graph;
    return seen !== null && typeof seen === "object" ? (seen as Props) : fallback;
}

function isWrittenByRequest(route: WriteRoute): boolean {
    return route === "patch" || typeof route === "object";
}

function withoutProvider(props: Props): Props {
    const { __provider: _ignored, ...rest } = props;
    return rest;
}

/** GETs the object; undefined when Graph says it is gone. */
async function fetchObject(ctx: LifecycleContext, spec: ResourceSpec, id: string, props: Props): Promise<Props | undefined> {
    const item = spec.item(id, props);
    try {
        const res = await ctx.graph.send<Props>({ method: "GET", apiVersion: spec.apiVersion, path: item.path, route: item.route });
        return res.body;
    } catch (e) {
        if (GraphError.isGraphError(e) && e.status === 404) {
            return undefined;
        }
        throw e;
    }
}

async function mustFetch(ctx: LifecycleContext, spec: ResourceSpec, id: string, props: Props): Promise<Props> {
    const graph = await fetchObject(ctx, spec, id, props);
    if (!graph) {
        throw new Error(`${spec.typeName} ${id} is gone from Graph (404) right after it was written`);
    }
    return graph;
}

/**
 * Builds the generic lifecycle for a spec. `context` is called per operation so the Graph client
 * is created lazily, after `configure`.
 */
export function makeHandler(spec: ResourceSpec, context: () => LifecycleContext): ResourceHandler {
    return {
        async check(_olds, news) {
            const { inputs, failures } = checkInputs(spec, withoutProvider(news));
            if (news.__provider !== undefined) {
                inputs.__provider = news.__provider;
            }
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const { changed, replaces } = fieldChanges(spec, olds, news);
            return {
                changes: changed.length > 0,
                replaces,
                stables: [],
                deleteBeforeReplace: spec.deleteBeforeReplace ?? false,
            };
        },

        async create(rawInputs) {
            const ctx = context();
            const inputs = withoutProvider(rawInputs);
            const created = await spec.create(ctx, inputs);
            let graph = created.graph;
            try {
                const toWrite = fieldsDifferingFromGraph(spec, inputs, graph, (_f, route) => isWrittenByRequest(route))
                    .filter((name) => !created.written.includes(name));
                const writes = planWrites(spec, created.id, inputs, toWrite);
                if (writes.length > 0) {
                    ctx.log(`${spec.typeName} ${created.id}: writing ${toWrite.join(", ")}`);
                    await sendWrites(ctx, spec, created.id, writes);
                    graph = await mustFetch(ctx, spec, created.id, inputs);
                }
                if (spec.settle) {
                    graph = await spec.settle(ctx, created.id, graph, inputs);
                }
                return { id: created.id, outs: toOutputs(spec, created.id, graph, inputs) };
            } catch (e) {
                // The object exists in Graph: hand its id to the engine so it is kept in the state.
                throw new ResourceInitError(messageOf(e), created.id, toOutputs(spec, created.id, latestGraph(e, graph), inputs));
            }
        },

        async read(id, props) {
            const ctx = context();
            const state = withoutProvider(props);
            const graph = await fetchObject(ctx, spec, id, state);
            if (!graph) {
                return { id: "", props: {} };
            }
            const outs = toOutputs(spec, id, graph, state);
            return { id, props: outs, inputs: readInputs(spec, outs) };
        },

        async update(id, rawOlds, rawNews) {
            const olds = withoutProvider(rawOlds);
            const news = withoutProvider(rawNews);
            const { changed } = fieldChanges(spec, olds, news);
            const writes = planWrites(spec, id, news, changed);
            const settle = spec.settle && spec.needsSettle?.(olds, news);
            if (writes.length === 0 && !settle) {
                // Only provider settings changed: nothing to send, the state takes the new settings.
                const outs: Props = { ...olds };
                for (const [name, field] of Object.entries(spec.fields)) {
                    if (field.write === "setting") outs[name] = news[name] ?? field.default ?? null;
                }
                return { outs };
            }
            const ctx = context();
            await sendWrites(ctx, spec, id, writes);
            let graph = await mustFetch(ctx, spec, id, news);
            if (settle) {
                try {
                    graph = await spec.settle!(ctx, id, graph, news);
                } catch (e) {
                    // Keep what Graph now holds in the state; the next run settles again.
                    throw new ResourceInitError(messageOf(e), id, toOutputs(spec, id, latestGraph(e, graph), news));
                }
            }
            return { outs: toOutputs(spec, id, graph, news) };
        },

        async delete(id, props) {
            await spec.delete(context(), id, withoutProvider(props));
        },
    };
}
