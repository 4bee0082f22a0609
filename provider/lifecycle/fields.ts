import { createHash } from "crypto";
import { ApiVersion, enumValues } from "../schema/graphSchema";
import { isEmpty, Props } from "./values";
import { describeCharacter, visible } from "./visible";

/**
 * How a field reaches Graph.
 * - `patch`: in the body of the resource's PATCH route, only when it changed.
 * - `{ patch: name }`: in the body of another PATCH route the spec names (e.g. the beta upload route).
 * - `{ action }`: as a parameter of a bound action (POST .../{id}/<action>), only when it changed.
 * - `create`: sent once when the object is created; a change replaces the object.
 * - `key`: identifies the Graph object to adopt; a change replaces the resource.
 * - `setting`: provider behaviour (no request); a change updates the state only.
 * - `computed`: read from Graph, never written.
 */
export type WriteRoute = "patch" | { patch: string } | { action: string } | "create" | "key" | "setting" | "computed";

/** The kinds of value a field holds, each with its own validation and comparison. */
export type FieldKind =
    | { type: "string"; maxLength?: number; caseInsensitive?: boolean }
    | { type: "serial" }
    | { type: "enum"; api: ApiVersion; name: string }
    | { type: "choice"; values: readonly string[] }
    | { type: "guid" }
    | { type: "datetime" }
    | { type: "base64"; minBytes: number; maxBytes: number }
    | { type: "upn" }
    | { type: "boolean" }
    | { type: "integer"; min?: number; max?: number }
    | { type: "stringList"; maxItems?: number }
    | { type: "object"; fields: Record<string, FieldSpec> };

/**
 * One input/output property of a resource and how it maps to Graph. Its description is the TSDoc
 * on its key in the spec's field table: the resource class's input and output properties carry it.
 */
export interface FieldSpec {
    kind: FieldKind;
    /** Where a desired value is written; a function when it depends on other inputs. */
    write: WriteRoute | ((inputs: Props) => WriteRoute);
    /** Name of the property on the Graph object, when it differs. */
    graphName?: string;
    /** Secret: wrapped with pulumi.secret and listed in additionalSecretOutputs. */
    secret?: boolean;
    /**
     * The outputs (and so the state) keep a digest of the value, `sha256:<base64>`, not the value:
     * for a large secret the program holds anyway (the hardware hash, about 4 KB), whose copy in
     * the outputs only made the state and every message between engine, host and program bigger.
     * Diff compares digests; an output that holds the value itself (a state written by an older
     * version) is digested before it is compared.
     */
    stateDigest?: boolean;
    /** Value a `setting` takes when the program does not give one. */
    default?: unknown;
    /**
     * The provider writes a value for this field into every output, never null (a computed
     * output like an import's status): its output type is then `Output<T>`, not `T | null | undefined`.
     */
    alwaysSet?: true;
    /** Converts the program's value to Graph's shape (e.g. an assignment target's `@odata.type`). */
    toGraph?(value: unknown): unknown;
    /** Converts Graph's value to the output's shape; the inverse of toGraph. */
    fromGraph?(value: unknown): unknown;
    /**
     * Reads the field from a whole Graph object, for a value Graph may hold under more than one
     * name (a deprecated twin) or outside the properties (`@odata.type`); undefined when absent.
     * Wins over `graphName` and `fromGraph` for reads; writes still use `graphName`.
     */
    readFrom?(graph: Props): unknown;
}

/** A CheckFailure as the host expects it. */
export interface CheckFailure {
    property: string;
    reason: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A UPN is user@domain with a dotted domain; Entra allows letters, digits and . _ - ' + before the @.
const UPN = /^[A-Za-z0-9._'+\-!#$%&*/=?^`{|}~]{1,113}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Autopilot accepts serials of ASCII letters, digits and a few separators; OEM serials are at most 256 long.
const SERIAL = /^[A-Za-z0-9][A-Za-z0-9 ._\-/]*$/;
const SERIAL_CHAR = /[A-Za-z0-9 ._\-/]/;

// Character classes of base64 text, by char code: 1 = alphabet (A-Z a-z 0-9 + /).
const BASE64_ALPHABET = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BASE64_ALPHABET[c.charCodeAt(0)] = 1;

/**
 * The decoded size of canonical base64 (no whitespace, padded, `=` only at the end), or undefined
 * for anything else. One pass over the characters: a 4 KB hardware hash is checked on every
 * check and compared on every diff, and the regex, whitespace strip and decode it replaces were
 * most of the provider's own CPU per resource in a no-change plan.
 */
export function canonicalBase64Bytes(text: string): number | undefined {
    const n = text.length;
    if (n === 0 || n % 4 !== 0) return undefined;
    const pad = text.charCodeAt(n - 1) !== 61 ? 0 : text.charCodeAt(n - 2) !== 61 ? 1 : 2; // 61 is "="
    for (let i = 0; i < n - pad; i++) {
        const c = text.charCodeAt(i);
        if (c >= 128 || BASE64_ALPHABET[c] === 0) return undefined;
    }
    return (n / 4) * 3 - pad;
}

/** The route a field takes for these inputs. */
export function routeOf(field: FieldSpec, inputs: Props): WriteRoute {
    return typeof field.write === "function" ? field.write(inputs) : field.write;
}

/** The allowed values of an enum-like field. */
export function allowedValues(kind: FieldKind): readonly string[] | undefined {
    return kind.type === "enum" ? enumValues(kind.api, kind.name) : kind.type === "choice" ? kind.values : undefined;
}

function describeType(value: unknown): string {
    return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : typeof value;
}

/**
 * Validates one value against its kind. Returns the reason it is wrong, or undefined.
 * Never echoes a secret value: reasons describe the problem, not the content.
 */
export function validateValue(kind: FieldKind, value: unknown, secret = false): string | undefined {
    if (value === null) return undefined; // null clears a nullable Graph field
    const shown = (v: unknown) => (secret ? "the value" : typeof v === "string" ? `"${visible(v)}"` : JSON.stringify(v));
    switch (kind.type) {
        case "string":
            if (typeof value !== "string") return `must be a string, got ${describeType(value)}`;
            if (kind.maxLength !== undefined && value.length > kind.maxLength) return `must be at most ${kind.maxLength} characters, got ${value.length}`;
            return undefined;
        case "serial":
            if (typeof value !== "string") return `must be a string, got ${describeType(value)}`;
            if (value.trim() === "") return "must not be empty";
            if (value.length > 256) return `must be at most 256 characters, got ${value.length}`;
            if (!SERIAL.test(value)) {
                const chars = [...value];
                const at = /[A-Za-z0-9]/.test(chars[0]) ? chars.findIndex((c) => !SERIAL_CHAR.test(c)) : 0;
                return `${shown(value)} is not a serial number: ${describeCharacter(chars[at])} at position ${at + 1} is not allowed; a serial starts with A-Z, a-z or 0-9 and holds only those, and . _ - / or space`;
            }
            return undefined;
        case "enum":
        case "choice": {
            const allowed = allowedValues(kind)!;
            return typeof value === "string" && allowed.includes(value) ? undefined : `${shown(value)} is not allowed; allowed values: ${allowed.join(", ")}`;
        }
        case "guid":
            return typeof value === "string" && GUID.test(value) ? undefined : `${shown(value)} is not a GUID (like 00000000-0000-0000-0000-000000000000)`;
        case "datetime":
            if (typeof value !== "string" || !ISO_DATETIME.test(value) || Number.isNaN(Date.parse(value)))
                return `${shown(value)} is not an ISO 8601 date-time with a zone (like 2024-05-01T08:00:00Z)`;
            return undefined;
        case "upn":
            if (typeof value !== "string") return `must be a string, got ${describeType(value)}`;
            if (value === "") return undefined; // "" clears the assigned user
            return UPN.test(value) ? undefined : `${shown(value)} is not a user principal name (like user@contoso.com)`;
        case "base64": {
            if (typeof value !== "string") return `must be a base64 string, got ${describeType(value)}`;
            if (value.length === 0) return "must not be empty";
            // The usual case (canonical text) in one pass; anything else takes the slow path for its reason.
            const canonical = canonicalBase64Bytes(value);
            if (canonical !== undefined && canonical >= kind.minBytes && canonical <= kind.maxBytes) return undefined;
            const compact = value.replace(/\s+/g, "");
            if (compact.length % 4 !== 0) return "is not base64: its length is not a multiple of 4 (missing = padding?)";
            if (!BASE64.test(compact)) return "is not base64: it holds characters outside A-Z a-z 0-9 + / and = padding";
            const bytes = Buffer.from(compact, "base64").length;
            if (bytes < kind.minBytes || bytes > kind.maxBytes)
                return `decodes to ${bytes} bytes; a hardware hash is ${kind.minBytes} to ${kind.maxBytes} bytes`;
            return undefined;
        }
        case "boolean":
            return typeof value === "boolean" ? undefined : `must be true or false, got ${describeType(value)}`;
        case "integer":
            if (typeof value !== "number" || !Number.isInteger(value)) return `must be a whole number, got ${shown(value)}`;
            if (kind.min !== undefined && value < kind.min) return `must be at least ${kind.min}, got ${value}`;
            if (kind.max !== undefined && value > kind.max) return `must be at most ${kind.max}, got ${value}`;
            return undefined;
        case "stringList":
            if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return `must be a list of strings, got ${describeType(value)}`;
            if (kind.maxItems !== undefined && value.length > kind.maxItems) return `must have at most ${kind.maxItems} items, got ${value.length}`;
            return undefined;
        case "object":
            if (typeof value !== "object" || Array.isArray(value)) return `must be an object, got ${describeType(value)}`;
            return undefined; // members are validated one by one by the caller
    }
}

/** True when Graph holding `actual` already satisfies the desired value. */
export function sameValue(kind: FieldKind, desired: unknown, actual: unknown): boolean {
    if (isEmpty(desired) || isEmpty(actual)) return isEmpty(desired) && isEmpty(actual);
    switch (kind.type) {
        case "datetime":
            return Date.parse(String(desired)) === Date.parse(String(actual));
        case "upn":
        case "serial":
        case "guid":
            return desired === actual || String(desired).toLowerCase() === String(actual).toLowerCase();
        case "string":
            return kind.caseInsensitive ? String(desired).toLowerCase() === String(actual).toLowerCase() : desired === actual;
        case "base64":
            // Equal text is the usual case: skip the two whitespace-stripped copies of a 4 KB hash.
            return desired === actual || String(desired).replace(/\s+/g, "") === String(actual).replace(/\s+/g, "");
        case "stringList": {
            // Graph keeps role scope tags as a set: the order it answers in is not the program's.
            if (!Array.isArray(desired) || !Array.isArray(actual)) return false;
            const a = [...desired].map(String).sort();
            const b = [...actual].map(String).sort();
            return a.length === b.length && a.every((v, i) => v === b[i]);
        }
        case "object": {
            if (typeof actual !== "object") return false;
            const d = desired as Props;
            const a = actual as Props;
            // Only the members the program gives are managed; Graph may add others.
            return Object.entries(kind.fields).every(([name, f]) => (d[name] === undefined ? true : sameValue(f.kind, d[name], a[name])));
        }
        default:
            return desired === actual;
    }
}

const DIGEST_PREFIX = "sha256:";

/** True for a value {@link storedValue} made from a `stateDigest` field. */
export function isStateDigest(value: unknown): value is string {
    return typeof value === "string" && value.startsWith(DIGEST_PREFIX);
}

/**
 * What the outputs keep of a field's value: the value, or for a `stateDigest` field the SHA-256
 * of its text without whitespace (`sha256:<base64>`). A digest stays as it is; so do null and "".
 */
export function storedValue(field: FieldSpec, value: unknown): unknown {
    if (!field.stateDigest || value === null || value === undefined || value === "" || isStateDigest(value)) return value;
    return DIGEST_PREFIX + createHash("sha256").update(String(value).replace(/\s+/g, "")).digest("base64");
}

/**
 * Whether a desired value equals what the outputs keep. For a `stateDigest` field either side may
 * be a digest (the inputs `check` returns and the outputs keep one; an older state the value):
 * then the digests are compared.
 */
export function sameAsStored(field: FieldSpec, desired: unknown, stored: unknown): boolean {
    if (field.stateDigest && (isStateDigest(stored) || isStateDigest(desired))) return storedValue(field, desired) === storedValue(field, stored);
    return sameValue(field.kind, desired, stored);
}
