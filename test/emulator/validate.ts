/**
 * Request-body validation driven by the schema tables: unknown properties, properties a route
 * cannot write, bad enum members, nulls in non-nullable properties, malformed Edm values and
 * polymorphic complex values (`@odata.type`). Messages follow OData/Graph wording and always name
 * the offending property or value.
 */
import { badRequest } from "./errors";
import { GraphSchema, PropertyDef, shortName, StructuredType } from "./schema";
import type { ApiVersion } from "./types";

// ISO-8601 date-time with a zone, as Edm.DateTimeOffset requires (fraction up to 7 digits like .NET).
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/i;
// Standard (not URL-safe) base64 with padding, as Edm.Binary uses in JSON.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True when `s` is valid Edm.DateTimeOffset text. */
export function isDateTimeOffset(s: string): boolean {
    return DATE_TIME_OFFSET.test(s) && !Number.isNaN(Date.parse(s));
}

/** True when `s` is valid standard base64. */
export function isBase64(s: string): boolean {
    return BASE64.test(s);
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function literal(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

/** Requires a JSON object body. */
export function requireObject(body: unknown, what = "request body"): Record<string, unknown> {
    if (!isObject(body)) throw badRequest(`The ${what} must be a JSON object.`);
    return body;
}

/**
 * Validates a body for an entity type and returns the accepted properties (annotations removed).
 * `writable` lists what this route may set; a property of the type outside it is read-only here.
 */
export function validateEntityBody(
    schema: GraphSchema,
    version: ApiVersion,
    type: StructuredType,
    body: unknown,
    writable: ReadonlySet<string>,
): Record<string, unknown> {
    const obj = requireObject(body);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
        if (key === "@odata.type") {
            if (typeof value !== "string" || shortName(value) !== type.name) {
                throw badRequest(`The '@odata.type' value '${literal(value)}' is not compatible with the expected type '${type.qualifiedName}'.`);
            }
            continue;
        }
        // Other instance and property annotations (@odata.context, x@odata.type) carry no data.
        if (key.includes("@")) continue;
        const prop = type.properties.get(key);
        if (!prop) throw unknownProperty(key, type.qualifiedName);
        if (prop.navigation || !writable.has(key)) throw readOnly(prop, type.qualifiedName);
        out[key] = checkValue(schema, version, prop, value, type.qualifiedName);
    }
    return out;
}

/** Validates the parameters of a bound action; returns them. */
export function validateActionParams(schema: GraphSchema, version: ApiVersion, action: string, boundEntity: string, body: unknown): Record<string, unknown> {
    const params = schema.actionParams(version, action, boundEntity);
    if (!params) throw badRequest(`The operation '${action}' is not defined in ${version}.`);
    const obj = body === undefined ? {} : requireObject(body, "action payload");
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
        if (key.includes("@")) continue;
        const type = params.get(key);
        if (!type) {
            throw badRequest(`The parameter '${key}' in the request payload is not a valid parameter for the operation '${action}'.`);
        }
        out[key] = checkValue(schema, version, { name: key, type, nullable: true, navigation: false }, value, action);
    }
    return out;
}

function unknownProperty(key: string, qualifiedType: string): Error {
    return badRequest(
        `The property '${key}' does not exist on type '${qualifiedType}'. ` + `Make sure to only use property names that are defined by the type.`,
    );
}

function readOnly(prop: PropertyDef, qualifiedType: string): Error {
    if (prop.deprecatedFor) {
        return badRequest(`The property '${prop.name}' on type '${qualifiedType}' is deprecated and read-only; set '${prop.deprecatedFor}' instead.`);
    }
    const via = prop.settableVia?.length ? ` It is set through the action '${prop.settableVia[0]}'.` : "";
    return badRequest(`The property '${prop.name}' on type '${qualifiedType}' is read-only and cannot be set by this request.${via}`);
}

/** Checks one value against its property definition; returns the value to store. */
export function checkValue(schema: GraphSchema, version: ApiVersion, prop: PropertyDef, value: unknown, owner: string): unknown {
    if (value === null) {
        if (prop.nullable) return null;
        throw badRequest(
            `A null value was found for the property named '${prop.name}', which has the expected type ` +
                `'${prop.type}[Nullable=False]'. The expected type '${prop.type}[Nullable=False]' does not allow null values.`,
        );
    }
    const collection = /^Collection\((.+)\)$/.exec(prop.type);
    if (collection) {
        if (!Array.isArray(value)) throw mismatch(prop, value, owner);
        const item: PropertyDef = { ...prop, type: collection[1], nullable: false };
        return value.map((v) => checkValue(schema, version, item, v, owner));
    }
    switch (prop.type) {
        case "Edm.String":
            if (typeof value !== "string") throw mismatch(prop, value, owner);
            return value;
        case "Edm.Boolean":
            if (typeof value !== "boolean") throw mismatch(prop, value, owner);
            return value;
        case "Edm.Int32":
            if (typeof value !== "number" || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
                throw mismatch(prop, value, owner);
            }
            return value;
        case "Edm.Int64":
            if (typeof value !== "number" || !Number.isInteger(value)) throw mismatch(prop, value, owner);
            return value;
        case "Edm.DateTimeOffset":
            if (typeof value !== "string" || !isDateTimeOffset(value)) throw mismatch(prop, value, owner);
            return value;
        case "Edm.Binary":
            if (typeof value !== "string" || !isBase64(value)) throw mismatch(prop, value, owner);
            return value;
    }
    const members = schema.enumMembers(version, prop.type);
    if (members) {
        // Graph accepts enum members by name only in JSON; "a,b" flags are not used by these enums.
        if (typeof value !== "string" || !members.includes(value)) {
            throw badRequest(
                `Cannot convert the literal '${literal(value)}' to the expected type '${prop.type}' ` +
                    `(property '${prop.name}' of '${owner}'; allowed: ${members.join(", ")}).`,
            );
        }
        return value;
    }
    if (schema.complex(version, prop.type)) return checkComplex(schema, version, prop, value);
    // Entity-typed (navigation) or a type the file does not describe: not writable inline.
    throw badRequest(`The property '${prop.name}' of type '${prop.type}' cannot be written inline.`);
}

function mismatch(prop: PropertyDef, value: unknown, owner: string): Error {
    return badRequest(`Cannot convert the literal '${literal(value)}' to the expected type '${prop.type}' ` + `(property '${prop.name}' of '${owner}').`);
}

/** Validates a complex value, resolving `@odata.type` against the declared type's subtypes. */
function checkComplex(schema: GraphSchema, version: ApiVersion, prop: PropertyDef, value: unknown): Record<string, unknown> {
    if (!isObject(value)) throw mismatch(prop, value, "");
    const declared = schema.complex(version, prop.type)!;
    const allowed = schema.concreteSubtypes(version, declared.name);
    const given = value["@odata.type"];
    let concrete: StructuredType;
    if (given === undefined) {
        if (declared.abstract) {
            throw badRequest(
                `The property '${prop.name}' has the abstract type '${declared.qualifiedName}': its value needs an ` +
                    `'@odata.type' naming one of ${allowed.map((t) => "#microsoft.graph." + t).join(", ")}.`,
            );
        }
        concrete = declared;
    } else {
        const name = typeof given === "string" ? shortName(given) : "";
        const resolved = name ? schema.complex(version, name) : undefined;
        if (!resolved) {
            throw badRequest(
                `A type named '${literal(given)}' could not be resolved by the model (property '${prop.name}'). ` +
                    `When a model is available, each type name must resolve to a valid type.`,
            );
        }
        if (!allowed.includes(resolved.name)) {
            throw badRequest(`The type '${resolved.qualifiedName}' of property '${prop.name}' is not compatible with ` + `'${declared.qualifiedName}'.`);
        }
        concrete = resolved;
    }
    const out: Record<string, unknown> = {};
    if (given !== undefined || allowed.length > 1) out["@odata.type"] = "#" + concrete.qualifiedName;
    for (const [key, v] of Object.entries(value)) {
        if (key.includes("@")) continue;
        const p = concrete.properties.get(key);
        if (!p) throw unknownProperty(key, concrete.qualifiedName);
        out[key] = checkValue(schema, version, p, v, concrete.qualifiedName);
    }
    return out;
}
