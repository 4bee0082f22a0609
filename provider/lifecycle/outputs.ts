import { graphHas, graphValue } from "./diff";
import { storedValue } from "./fields";
import type { ResourceSpec } from "./spec";
import { Props, withoutUndefined } from "./values";

/**
 * The state output that lists the input names the program gave (`["deviceId", "groupTag"]`), so
 * that `read` can report the program's inputs as Graph now holds them. Pulumi's dynamic-provider
 * host hands `read` the outputs alone, and the engine keeps the inputs `read` reports: reporting
 * every field Graph holds made the first refresh list them all as added inputs, and every later
 * preview list them as removed. The `__` prefix keeps it out of the CLI's display.
 */
export const INPUT_NAMES = "__inputs";

/** The input names the program gave: what {@link INPUT_NAMES} records for a resource's inputs. */
export function inputNames(inputs: Props): string[] {
    return Object.keys(inputs).filter((k) => k !== "__provider" && k !== INPUT_NAMES && inputs[k] !== undefined);
}

/** The input names a state's outputs recorded; undefined for a state written before they were. */
export function recordedInputNames(outputs: Props): string[] | undefined {
    const names = outputs[INPUT_NAMES];
    return Array.isArray(names) && names.every((n) => typeof n === "string") ? names : undefined;
}

/**
 * The resource's outputs: every field as Graph holds it (settings as the program gave them; a
 * `stateDigest` field as its digest), the Graph id, the spec's computed extras, and the names of
 * the program's inputs when known. Never an undefined value.
 */
export function toOutputs(spec: ResourceSpec, id: string, graph: Props, inputs: Props, names: string[] | undefined): Props {
    const out: Props = {};
    for (const [name, field] of Object.entries(spec.fields)) {
        if (name === spec.idOutput) {
            continue;
        }
        if (field.write === "setting" || !graphHas(name, field, graph)) {
            // Not a Graph property (or Graph left it out): the output is what the program said.
            out[name] = storedValue(field, inputs[name] ?? field.default ?? null);
            continue;
        }
        out[name] = storedValue(field, graphValue(name, field, graph) ?? null);
    }
    Object.assign(out, spec.extraOutputs ? spec.extraOutputs(graph) : {});
    out[spec.idOutput] = id;
    if (names) out[INPUT_NAMES] = names;
    return withoutUndefined(out);
}

/**
 * Inputs that `read` reports: the program's inputs (by the names the state recorded) as Graph now
 * holds them, so a refresh shows what drifted as a change of that input, and the next preview
 * shows putting it back. Undefined, so the engine keeps the inputs it has, for a state that
 * recorded no names and for inputs with a secret among them: read inputs are not marked secret
 * by the engine, and an import's output holds its hash's digest, not the hash.
 */
export function readInputs(spec: ResourceSpec, outputs: Props): Props | undefined {
    const names = recordedInputNames(outputs);
    if (!names || names.some((n) => spec.fields[n]?.secret)) {
        return undefined;
    }
    const inputs: Props = {};
    for (const name of names) {
        const value = outputs[name];
        if (value !== null && value !== undefined) inputs[name] = value;
    }
    return inputs;
}
