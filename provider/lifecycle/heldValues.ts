import { AutopilotError } from "./errors";
import { isStateDigest, storedValue } from "./fields";
import type { ResourceSpec } from "./spec";
import { isUnknown, Props } from "./values";

/**
 * Values of `stateDigest` fields (the hardware hash) that `check` hands the engine as their digest,
 * held in the provider's process until the create or update that sends them to Graph.
 *
 * Whatever `check` returns is what the engine records as the resource's inputs, in every
 * checkpoint it writes. Returning the digest keeps a 4 KB hash (7 KB of ciphertext) out of the
 * state; the engine checks a resource and then creates or updates it in the same provider process,
 * with check's result, within one command, so the value is still here when it is needed. Held per
 * digest with a count, since two resources may give the same value.
 */
export class HeldValues {
    private readonly values = new Map<string, { value: string; holds: number }>();

    /** The number of distinct values held. */
    get size(): number {
        return this.values.size;
    }

    /**
     * `check`'s inputs with every `stateDigest` field's value replaced by its digest, each value held.
     * An unknown (preview) or already-digested value stays as it is.
     */
    digestInputs(spec: ResourceSpec, inputs: Props): Props {
        const out: Props = { ...inputs };
        for (const [name, field] of Object.entries(spec.fields)) {
            const value = inputs[name];
            if (!field.stateDigest || typeof value !== "string" || value === "" || isUnknown(value) || isStateDigest(value)) continue;
            const digest = storedValue(field, value) as string;
            const held = this.values.get(digest);
            if (held) held.holds++;
            else this.values.set(digest, { value, holds: 1 });
            out[name] = digest;
        }
        return out;
    }

    /**
     * The inputs with each digest this process holds replaced by its value, and the names of the
     * `stateDigest` fields it holds no value for (their digest stays).
     */
    resolve(spec: ResourceSpec, inputs: Props): { inputs: Props; missing: string[] } {
        const out: Props = { ...inputs };
        const missing: string[] = [];
        for (const [name, field] of Object.entries(spec.fields)) {
            const value = inputs[name];
            if (!field.stateDigest || !isStateDigest(value)) continue;
            const held = this.values.get(value);
            if (held) out[name] = held.value;
            else missing.push(name);
        }
        return { inputs: out, missing };
    }

    /** Lets go of the values behind the digests in `inputs` (once a create or update is done with them). */
    release(spec: ResourceSpec, inputs: Props): void {
        for (const [name, field] of Object.entries(spec.fields)) {
            if (!field.stateDigest) continue;
            const digest = storedValue(field, inputs[name]);
            const held = typeof digest === "string" ? this.values.get(digest) : undefined;
            if (held && --held.holds <= 0) this.values.delete(digest as string);
        }
    }
}

/** The error of a create or update that must send a value this process holds only the digest of. */
export function notHeldError(spec: ResourceSpec, fields: string[], op: "create" | "update"): AutopilotError {
    return new AutopilotError(
        "AUTOPILOT_VALUE_NOT_HELD",
        `${spec.typeName} ${op}: the state keeps ${fields.join(", ")} as a digest, and this provider process got no value for it from the program ` +
            `(Pulumi checks a resource in the same process before it creates or updates it, and the check hands the engine the digest). ` +
            `Nothing was sent to Graph; run \`pulumi up\` again so the program gives the value.`,
    );
}
