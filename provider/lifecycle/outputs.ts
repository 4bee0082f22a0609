import { graphValue } from "./diff";
import { routeOf, storedValue } from "./fields";
import type { ResourceSpec } from "./spec";
import { Props, withoutUndefined } from "./values";

/**
 * The resource's outputs: every field as Graph holds it (settings as the program gave them; a
 * `stateDigest` field as its digest), the Graph id, and the spec's computed extras. Never an
 * undefined value.
 */
export function toOutputs(spec: ResourceSpec, id: string, graph: Props, inputs: Props): Props {
    const out: Props = {};
    for (const [name, field] of Object.entries(spec.fields)) {
        if (name === spec.idOutput) {
            continue;
        }
        if (field.write === "setting" || !((field.graphName ?? name) in graph)) {
            // Not a Graph property (or Graph left it out): the output is what the program said.
            out[name] = storedValue(field, inputs[name] ?? field.default ?? null);
            continue;
        }
        out[name] = storedValue(field, graphValue(name, field, graph) ?? null);
    }
    Object.assign(out, spec.extraOutputs ? spec.extraOutputs(graph) : {});
    out[spec.idOutput] = id;
    return withoutUndefined(out);
}

/**
 * Inputs that `read` reports, so `pulumi refresh` and `import` see the program's view of the
 * object: the id, the settings, and every writable field Graph holds a value for. Secrets are
 * left out: read inputs are not marked secret by the engine.
 */
export function readInputs(spec: ResourceSpec, outputs: Props): Props {
    const inputs: Props = {};
    for (const [name, field] of Object.entries(spec.fields)) {
        const value = outputs[name];
        if (field.secret || field.write === "computed" || value === null || value === undefined || value === "") {
            continue;
        }
        const route = routeOf(field, outputs);
        if (name === spec.idOutput || route === "setting" || route === "patch" || typeof route === "object") {
            inputs[name] = value;
        }
    }
    return inputs;
}
