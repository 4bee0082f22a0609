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
 * The resource's outputs: every field that has a value, as Graph holds it (settings as the program
 * gave them; a `stateDigest` field as its digest), the Graph id, the spec's computed extras that
 * have a value, and the names of the program's inputs when known. A field with no value (null) is
 * left out rather than kept as null: the engine rewrites every resource's outputs into the state
 * file after each step, and a secret field's null is still sealed (about 150 bytes of ciphertext).
 * A program reading such an output gets undefined. Never an undefined value.
 */
export function toOutputs(spec: ResourceSpec, id: string, graph: Props, inputs: Props, names: string[] | undefined): Props {
    const out: Props = {};
    for (const [name, field] of Object.entries(spec.fields)) {
        if (name === spec.idOutput) continue;
        // Not a Graph property (or Graph left it out): the output is what the program said.
        const fromProgram = field.write === "setting" || !graphHas(name, field, graph);
        out[name] = storedValue(field, fromProgram ? (inputs[name] ?? field.default) : graphValue(name, field, graph));
    }
    Object.assign(out, spec.extraOutputs?.(graph));
    out[spec.idOutput] = id;
    if (names) out[INPUT_NAMES] = names;
    return withoutEmpty(out);
}

/** The bag without its undefined and null members (nested objects keep their nulls: Graph's shape). */
function withoutEmpty(bag: Props): Props {
    return withoutUndefined(Object.fromEntries(Object.entries(bag).filter(([, v]) => v !== null)));
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
    if (!names || names.some((n) => spec.fields[n]?.secret)) return undefined;
    return Object.fromEntries(names.filter((n) => outputs[n] !== null && outputs[n] !== undefined).map((n) => [n, outputs[n]]));
}
