/** The string Pulumi's engine sends for a value not known yet (preview, from another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A property bag as the dynamic-provider host passes it (plain JSON). */
export type Props = Record<string, unknown>;

/** True when the engine has not resolved this value yet (or any value inside it). */
export function isUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(isUnknown);
    if (value !== null && typeof value === "object") return Object.values(value as Props).some(isUnknown);
    return false;
}

/** Absent, null and "" all mean "no value" to Graph's nullable strings. */
export function isEmpty(value: unknown): boolean {
    return value === undefined || value === null || value === "";
}

/** Copies a bag without its undefined values: the host fails on them after the side effect. */
export function withoutUndefined<T extends Props>(bag: T): T {
    const out: Props = {};
    for (const [k, v] of Object.entries(bag)) {
        if (v === undefined) continue;
        out[k] = v !== null && typeof v === "object" && !Array.isArray(v) ? withoutUndefined(v as Props) : v;
    }
    return out as T;
}
