/**
 * Graph type tables, read from `schema/autopilot-schema.json` when the emulator starts.
 * Nothing here is a hand-copied table: properties, enum members, complex types and action
 * parameters all come from the file; the only additions are `id` (from microsoft.graph.entity,
 * which the file names as base type without describing) and the old documentation pages' extra
 * properties, which the file lists under `diffVsOlderDocPages`.
 */
import * as fs from "fs";
import * as path from "path";
import type { ApiVersion } from "./types";

/** Default location of the schema file (the repository's verbatim copy). */
export const DEFAULT_SCHEMA_PATH = path.resolve(__dirname, "../../schema/autopilot-schema.json");

const NS = "microsoft.graph.";

/** One property of a structured type. */
export interface PropertyDef {
    name: string;
    /** Edm type or `microsoft.graph.x`, possibly `Collection(...)`. */
    type: string;
    nullable: boolean;
    /** Navigation properties are never part of a JSON body. */
    navigation: boolean;
    /** Actions that set this property on the live service. */
    settableVia?: string[];
    /** Documented as read-only: no request body may set it. */
    readOnly?: boolean;
    /** A deprecated twin: the property to write instead (Graph still lists and returns both). */
    deprecatedFor?: string;
    /** True for the documented pages' properties missing from current metadata (orderIdentifier). */
    docPageExtra?: boolean;
}

/** An entity or complex type with its base-type chain flattened. */
export interface StructuredType {
    name: string;
    /** `microsoft.graph.<name>`. */
    qualifiedName: string;
    abstract: boolean;
    /** Own and inherited properties, base types first. */
    properties: Map<string, PropertyDef>;
}

interface RawProperty {
    type: string;
    nullable?: boolean;
    navigation?: boolean;
    settableVia?: string[];
    readOnly?: boolean;
    deprecatedFor?: string;
}
interface RawStructured {
    baseType?: string;
    abstract?: boolean;
    properties: Record<string, RawProperty>;
}
interface RawVersion {
    entities: Record<string, RawStructured>;
    complexTypes: Record<string, RawStructured>;
    enums: Record<string, Array<{ name: string }>>;
    // v1.0 lists action params as {name: type}, beta as [name]: both shapes are handled.
    actions: Record<string, { params?: string[] | Record<string, string> }>;
}
interface RawSchema {
    "v1.0": RawVersion;
    beta: RawVersion;
    diffVsOlderDocPages?: Record<string, { inOlderPageNotInCurrent?: string[] }>;
}

/** Strips the `microsoft.graph.` namespace. */
export function shortName(typeName: string): string {
    const t = typeName.startsWith("#") ? typeName.slice(1) : typeName;
    return t.startsWith(NS) ? t.slice(NS.length) : t;
}

/** Query interface over the schema file. */
export class GraphSchema {
    private readonly raw: RawSchema;

    constructor(raw: unknown) {
        this.raw = raw as RawSchema;
        for (const v of ["beta", "v1.0"] as const) {
            if (!this.raw[v] || !this.raw[v].entities || !this.raw[v].enums) {
                throw new Error(`autopilot schema: section '${v}' is missing entities/enums`);
            }
        }
    }

    /** Reads and parses the schema file. */
    static load(file: string = DEFAULT_SCHEMA_PATH): GraphSchema {
        return new GraphSchema(JSON.parse(fs.readFileSync(file, "utf8")));
    }

    /** An entity type (with `id`, and the documented pages' extras when asked), or undefined. */
    entity(version: ApiVersion, name: string, withDocPageExtras = false): StructuredType | undefined {
        const t = this.structured(version, shortName(name), "entities");
        if (t && withDocPageExtras) {
            for (const extra of this.raw.diffVsOlderDocPages?.[t.name]?.inOlderPageNotInCurrent ?? []) {
                if (!t.properties.has(extra)) {
                    // The old pages show these as plain strings (orderIdentifier); metadata no longer has them.
                    t.properties.set(extra, { name: extra, type: "Edm.String", nullable: true, navigation: false, docPageExtra: true });
                }
            }
        }
        return t;
    }

    /** A complex type, or undefined. */
    complex(version: ApiVersion, name: string): StructuredType | undefined {
        return this.structured(version, shortName(name), "complexTypes");
    }

    /** Enum member names for `microsoft.graph.<enum>`, or undefined when the type is not an enum. */
    enumMembers(version: ApiVersion, typeName: string): string[] | undefined {
        return this.raw[version].enums[shortName(typeName)]?.map((m) => m.name);
    }

    /** Non-abstract complex types whose base chain includes `baseName` (the base itself if concrete). */
    concreteSubtypes(version: ApiVersion, baseName: string): string[] {
        const base = shortName(baseName);
        const out: string[] = [];
        for (const [name, t] of Object.entries(this.raw[version].complexTypes)) {
            if (t.abstract) continue;
            if (this.baseChain(version, name).includes(base)) out.push(name);
        }
        return out;
    }

    /** Parameters of a bound action as name -> Edm type; undefined when the action is unknown. */
    actionParams(version: ApiVersion, action: string, boundEntity: string): Map<string, string> | undefined {
        const a = this.raw[version].actions?.[action];
        if (!a) return undefined;
        const out = new Map<string, string>();
        const params = a.params ?? [];
        if (Array.isArray(params)) {
            // Beta gives names only: the same-named entity property carries the type.
            const props = this.entity(version, boundEntity)?.properties;
            for (const p of params) out.set(p, props?.get(p)?.type ?? "Edm.String");
        } else {
            for (const [p, type] of Object.entries(params)) out.set(p, type);
        }
        return out;
    }

    /** Names of the type and its bases, most derived first (without microsoft.graph.entity). */
    private baseChain(version: ApiVersion, name: string): string[] {
        const chain: string[] = [];
        let cur: string | undefined = name;
        const v = this.raw[version];
        while (cur && !chain.includes(cur)) {
            const t: RawStructured | undefined = v.complexTypes[cur] ?? v.entities[cur];
            if (!t) break;
            chain.push(cur);
            cur = t.baseType ? shortName(t.baseType) : undefined;
        }
        return chain;
    }

    private structured(version: ApiVersion, name: string, kind: "entities" | "complexTypes"): StructuredType | undefined {
        const v = this.raw[version];
        const own = v[kind][name];
        if (!own) return undefined;
        const properties = new Map<string, PropertyDef>();
        if (kind === "entities") {
            // microsoft.graph.entity contributes the key.
            properties.set("id", { name: "id", type: "Edm.String", nullable: false, navigation: false });
        }
        const chain = this.baseChain(version, name).reverse();
        for (const typeName of chain) {
            const t = v.complexTypes[typeName] ?? v.entities[typeName];
            for (const [pname, p] of Object.entries(t.properties ?? {})) {
                properties.set(pname, {
                    name: pname,
                    type: p.type,
                    nullable: p.nullable !== false,
                    navigation: p.navigation === true,
                    settableVia: p.settableVia,
                    readOnly: p.readOnly === true,
                    deprecatedFor: p.deprecatedFor,
                });
            }
        }
        return { name, qualifiedName: NS + name, abstract: own.abstract === true, properties };
    }
}
