/**
 * Turns stored records into Graph's JSON: every non-navigation property of the type for the
 * requested API version is present, unset ones with Graph's defaults; `@odata.type` first.
 */
import { badRequest } from "./errors";
import { GraphSchema, PropertyDef, shortName, StructuredType } from "./schema";
import type { ApiVersion } from "./types";

/** What Graph answers for a DateTimeOffset that was never set. */
export const MIN_DATE = "0001-01-01T00:00:00Z";

// Non-nullable enums whose service default is not the first member (the rest default to it).
const ENUM_DEFAULTS: Record<string, string> = {
    enrollmentState: "notContacted",
    deploymentProfileAssignmentStatus: "notAssigned",
};

/** Default JSON value of an unset property. */
export function defaultValue(schema: GraphSchema, version: ApiVersion, prop: PropertyDef): unknown {
    if (prop.nullable) return null;
    if (prop.type.startsWith("Collection(")) return [];
    switch (prop.type) {
        case "Edm.String":
            return "";
        case "Edm.Boolean":
            return false;
        case "Edm.Int32":
        case "Edm.Int64":
            return 0;
        case "Edm.DateTimeOffset":
            return MIN_DATE;
    }
    const members = schema.enumMembers(version, prop.type);
    if (members) return ENUM_DEFAULTS[prop.name] ?? members[0];
    return null;
}

/**
 * Graph JSON of a stored record of `type`. Properties of other API versions stay hidden; the
 * documented pages' extras (orderIdentifier) appear once they were stored.
 */
export function toGraphObject(
    schema: GraphSchema,
    version: ApiVersion,
    type: StructuredType,
    record: Record<string, unknown>,
    select?: string[],
): Record<string, unknown> {
    const out: Record<string, unknown> = { "@odata.type": "#" + type.qualifiedName };
    for (const prop of type.properties.values()) {
        if (prop.navigation) continue;
        if (select && prop.name !== "id" && !select.includes(prop.name)) continue;
        if (prop.docPageExtra && !(prop.name in record)) continue;
        const value = record[prop.name];
        out[prop.name] = value === undefined ? defaultValue(schema, version, prop) : toJsonValue(schema, version, prop, value);
    }
    return out;
}

function toJsonValue(schema: GraphSchema, version: ApiVersion, prop: PropertyDef, value: unknown): unknown {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const declared = schema.complex(version, prop.type);
    if (!declared) return value;
    const rec = value as Record<string, unknown>;
    const given = typeof rec["@odata.type"] === "string" ? shortName(rec["@odata.type"] as string) : undefined;
    const concrete = (given && schema.complex(version, given)) || declared;
    const out: Record<string, unknown> = {};
    if (given || declared.abstract) out["@odata.type"] = "#" + concrete.qualifiedName;
    for (const p of concrete.properties.values()) {
        const v = rec[p.name];
        out[p.name] = v === undefined ? defaultValue(schema, version, p) : toJsonValue(schema, version, p, v);
    }
    return out;
}

/** Parses `$select` against a type; unknown names are a 400 as on Graph. */
export function parseSelect(type: StructuredType, raw: string | undefined): string[] | undefined {
    if (raw === undefined) return undefined;
    const names = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    for (const n of names) {
        if (!type.properties.has(n)) {
            throw badRequest(`Could not find a property named '${n}' on type '${type.qualifiedName}'.`);
        }
    }
    return names;
}
