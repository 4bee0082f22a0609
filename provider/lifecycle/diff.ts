import { FieldSpec, routeOf, sameAsStored, WriteRoute } from "./fields";
import type { ResourceSpec } from "./spec";
import { isUnknown, Props } from "./values";

/**
 * The fields a change touches, and which of them force a replacement: the program's inputs compared with the last known state
 * (the outputs, which hold what Graph returned). Only fields the program gives are managed; a field it leaves out is not touched.
 * No request is made.
 */
export function fieldChanges(spec: ResourceSpec, olds: Props, news: Props): { changed: string[]; replaces: string[] } {
    const changed: string[] = [];
    const replaces: string[] = [];
    for (const [name, field] of Object.entries(spec.fields)) {
        const desired = news[name];
        if (desired === undefined || field.write === "computed") continue;
        const route = routeOf(field, news);
        if (!isUnknown(desired) && sameAsStored(field, desired, olds[name])) continue;
        changed.push(name);
        if (route === "key" || route === "create") replaces.push(name);
    }
    return { changed, replaces };
}

/** Fields the program manages whose desired value differs from a Graph object. */
export function fieldsDifferingFromGraph(spec: ResourceSpec, inputs: Props, graph: Props, only: (f: FieldSpec, route: WriteRoute) => boolean): string[] {
    return Object.entries(spec.fields)
        .filter(
            ([name, field]) =>
                inputs[name] !== undefined && only(field, routeOf(field, inputs)) && !sameAsStored(field, inputs[name], graphValue(name, field, graph)),
        )
        .map(([name]) => name);
}

/** Whether a Graph object says anything about the field (it may leave properties out). */
export function graphHas(name: string, field: FieldSpec, graph: Props): boolean {
    return field.readFrom ? field.readFrom(graph) !== undefined : (field.graphName ?? name) in graph;
}

/** The value of a field as the program would write it, read from a Graph object. */
export function graphValue(name: string, field: FieldSpec, graph: Props): unknown {
    if (field.readFrom) return field.readFrom(graph);
    const raw = graph[field.graphName ?? name];
    return field.fromGraph ? field.fromGraph(raw) : raw;
}
