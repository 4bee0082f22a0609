/** Values as they cross the engine <-> provider boundary (secrets, unknowns, protobuf Structs). */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Bag = Record<string, unknown>;

function isSecretEnvelope(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Bag)[SECRET_SIG_KEY] === SECRET_SIG;
}

/**
 * Strips Pulumi's secret envelopes the way the engine does before calling a provider that does
 * not accept secrets, and says which top-level keys were secret.
 */
export function stripSecrets(bag: Bag): { plain: Bag; secretKeys: string[] } {
    const secretKeys: string[] = [];
    const unwrap = (v: unknown): [unknown, boolean] => {
        if (isSecretEnvelope(v)) {
            return [unwrap(v.value)[0], true];
        }
        if (Array.isArray(v)) {
            let any = false;
            const out = v.map((e) => {
                const [u, s] = unwrap(e);
                any ||= s;
                return u;
            });
            return [out, any];
        }
        if (v !== null && typeof v === "object") {
            let any = false;
            const out: Bag = {};
            for (const [k, e] of Object.entries(v as Bag)) {
                const [u, s] = unwrap(e);
                any ||= s;
                out[k] = u;
            }
            return [out, any];
        }
        return [v, false];
    };
    const plain: Bag = {};
    for (const [k, v] of Object.entries(bag)) {
        const [u, s] = unwrap(v);
        plain[k] = u;
        if (s) secretKeys.push(k);
    }
    return { plain, secretKeys };
}

/** Replaces Pulumi's in-process unknown marker with the wire sentinel the host receives. */
export function unknownsToWire(value: unknown): unknown {
    const { unknown } = require("@pulumi/pulumi/output");
    if (value === unknown) return UNKNOWN;
    if (Array.isArray(value)) return value.map(unknownsToWire);
    if (value !== null && typeof value === "object") {
        const out: Bag = {};
        for (const [k, v] of Object.entries(value as Bag)) {
            if (v !== undefined) out[k] = unknownsToWire(v);
        }
        return out;
    }
    return value;
}

/** The value without `undefined` members (which a Struct cannot hold); shares what needs no change. */
function withoutUndefined(value: unknown): unknown {
    if (Array.isArray(value)) {
        let copy: unknown[] | undefined;
        value.forEach((v, i) => {
            const c = withoutUndefined(v);
            if (c !== v || v === undefined) (copy ??= value.slice())[i] = c === undefined ? null : c;
        });
        return copy ?? value;
    }
    if (value !== null && typeof value === "object") {
        let copy: Bag | undefined;
        for (const [k, v] of Object.entries(value as Bag)) {
            const c = withoutUndefined(v);
            if (c === v && v !== undefined) continue;
            copy ??= { ...(value as Bag) };
            if (v === undefined) delete copy[k];
            else copy[k] = c;
        }
        return copy ?? value;
    }
    return value;
}

export function toStruct(bag: Bag): Struct {
    // Not a JSON round trip: at fleet scale each call carries ~16 KB (hash, __provider), and a
    // copy per call costs CPU the test does not need.
    return Struct.fromJavaScript(withoutUndefined(bag) as Parameters<typeof Struct.fromJavaScript>[0]);
}

export function fromStruct(s: Struct | undefined): Bag {
    return s ? (s.toJavaScript() as Bag) : {};
}
