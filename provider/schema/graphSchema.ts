import * as fs from "fs";
import * as path from "path";

/** An API version segment of Microsoft Graph. */
export type ApiVersion = "beta" | "v1.0";

/** Graph's enum tables per API version: what the provider reads of schema/autopilot-schema.json. */
type GraphSchema = Record<ApiVersion, { enums: Record<string, Array<{ name: string }>> }>;

let cached: GraphSchema | undefined;

// The file ships in the package (schema/) beside dist/; walking up from this module finds it
// both from the compiled dist/provider/schema and from the TypeScript sources under ts-node.
function findSchemaFile(): string {
    let dir = __dirname;
    for (let i = 0; i < 6; i++) {
        const candidate = path.join(dir, "schema", "autopilot-schema.json");
        if (fs.existsSync(candidate) && fs.existsSync(path.join(dir, "package.json"))) return candidate;
        dir = path.dirname(dir);
    }
    throw new Error("pulumi-autopilot: schema/autopilot-schema.json not found beside the package");
}

/** Graph's tables, read once per process. */
function graphSchema(): GraphSchema {
    return (cached ??= JSON.parse(fs.readFileSync(findSchemaFile(), "utf8")) as GraphSchema);
}

/** The member names of a Graph enum, as Graph spells them on the wire. */
export function enumValues(api: ApiVersion, enumName: string): string[] {
    const members = graphSchema()[api].enums[enumName];
    if (!members) throw new Error(`pulumi-autopilot: enum ${enumName} is not in Graph's ${api} tables`);
    return members.map((m) => m.name);
}
