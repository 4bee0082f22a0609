import { GraphError } from "../graph";
import { routeOf } from "./fields";
import type { LifecycleContext, ResourceSpec, WriteTarget } from "./spec";
import type { Props } from "./values";

/** One request that writes a group of changed fields. */
export interface PlannedWrite {
    target: WriteTarget;
    fields: string[];
    body: Props;
}

/**
 * Groups changed fields by the route that writes them: one PATCH for all PATCH fields, one call
 * per action for the action's parameters. Keys, create-only fields and settings are not written.
 */
export function planWrites(spec: ResourceSpec, id: string, inputs: Props, fields: string[]): PlannedWrite[] {
    const groups = new Map<string, PlannedWrite>();
    const item = spec.item(id, inputs);
    for (const name of fields) {
        const field = spec.fields[name];
        const route = routeOf(field, inputs);
        let key: string;
        let target: WriteTarget;
        if (route === "patch" || (typeof route === "object" && "patch" in route)) {
            const routeName = route === "patch" ? "default" : route.patch;
            if (!spec.patchTarget) throw new Error(`${spec.typeName}.${name} is routed to PATCH but the spec has no PATCH route`);
            key = `patch:${routeName}`;
            target = spec.patchTarget(id, inputs, routeName);
        } else if (typeof route === "object") {
            key = `action:${route.action}`;
            target = { method: "POST", path: `${item.path}/${route.action}`, route: `POST ${item.route.replace(/^\w+ /, "")}/${route.action}` };
        } else {
            continue;
        }
        let group = groups.get(key);
        if (!group) {
            group = { target, fields: [], body: { ...(target.bodyExtras ?? {}) } };
            groups.set(key, group);
        }
        const value = inputs[name];
        group.fields.push(name);
        group.body[field.graphName ?? name] = value !== null && field.toGraph ? field.toGraph(value) : value;
    }
    return [...groups.values()];
}

/** Sends the planned writes in order; a Graph refusal names the fields it was writing. */
export async function sendWrites(ctx: LifecycleContext, spec: ResourceSpec, id: string, writes: PlannedWrite[]): Promise<void> {
    for (const write of writes) {
        try {
            await ctx.graph.send({
                method: write.target.method,
                apiVersion: write.target.apiVersion ?? spec.apiVersion,
                path: write.target.path,
                route: write.target.route,
                body: write.body,
                // Bound actions and PATCH set values: sending them twice is harmless.
                idempotent: true,
            });
        } catch (e) {
            if (GraphError.isGraphError(e)) e.message = `${spec.typeName} ${id}: writing ${write.fields.join(", ")} failed. ${e.message}`;
            throw e;
        }
    }
}
