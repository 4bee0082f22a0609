/**
 * The in-memory tenant: loading a seed (file or object) into maps, checked against the schema so
 * a typo in a seed fails loudly instead of producing odd answers.
 */
import * as fs from "fs";
import * as path from "path";
import { GraphSchema } from "./schema";
import { validateEntityBody } from "./validate";
import { PROFILE_TYPES } from "./profileModel";
import type { ImportedDeviceIdentity, ProfileAssignment, Tenant, TenantSeed, Upload } from "./types";

/** Default seed file. */
export const DEFAULT_SEED_PATH = path.resolve(__dirname, "seed/tenant.json");

/** An empty tenant. */
export function emptyTenant(): Tenant {
    return {
        devices: new Map(),
        importedIdentities: new Map(),
        uploads: new Map(),
        profiles: new Map(),
        assignments: new Map(),
        groups: new Map(),
        otherTenantSerials: new Set(),
        deletedIds: new Set(),
        pendingImports: new Map(),
        deregistering: new Map(),
    };
}

/** Reads a seed from a path or takes the object; the default seed when undefined. */
export function readSeed(seed: string | TenantSeed | undefined): TenantSeed {
    if (seed === undefined) seed = DEFAULT_SEED_PATH;
    if (typeof seed === "string") return JSON.parse(fs.readFileSync(seed, "utf8")) as TenantSeed;
    // Copy so the emulator never mutates the caller's object.
    return structuredClone(seed);
}

/** Builds a tenant from a seed, validating every record with the beta tables (a superset of v1.0). */
export function loadTenant(schema: GraphSchema, seedInput: string | TenantSeed | undefined): Tenant {
    const seed = readSeed(seedInput);
    const tenant = emptyTenant();
    const check = (typeName: string, rec: unknown, where: string): void => {
        const type = schema.entity("beta", typeName, true)!;
        const all = new Set(type.properties.keys());
        try {
            validateEntityBody(schema, "beta", type, rec, all);
        } catch (e) {
            throw new Error(`emulator seed: ${where}: ${(e as Error).message}`, { cause: e });
        }
        const id = (rec as { id?: unknown }).id;
        if (typeof id !== "string" || id === "") throw new Error(`emulator seed: ${where}: missing id`);
    };

    for (const [i, d] of (seed.devices ?? []).entries()) {
        check("windowsAutopilotDeviceIdentity", d, `devices[${i}]`);
        tenant.devices.set(d.id, { ...d });
    }
    for (const [i, r] of (seed.importedIdentities ?? []).entries()) {
        check("importedWindowsAutopilotDeviceIdentity", r, `importedIdentities[${i}]`);
        tenant.importedIdentities.set(r.id, { ...r });
        const status = r.state?.deviceImportStatus;
        if (status === undefined || status === "pending" || status === "unknown") tenant.pendingImports.set(r.id, 0);
    }
    for (const [i, u] of (seed.uploads ?? []).entries()) {
        const { deviceIdentities = [], ...fields } = u;
        check("importedWindowsAutopilotDeviceIdentityUpload", fields, `uploads[${i}]`);
        const identities = new Map<string, ImportedDeviceIdentity>();
        for (const [j, r] of deviceIdentities.entries()) {
            check("importedWindowsAutopilotDeviceIdentity", r, `uploads[${i}].deviceIdentities[${j}]`);
            identities.set(r.id, { ...r });
        }
        const upload: Upload = { ...fields, deviceIdentities: identities };
        tenant.uploads.set(upload.id, upload);
    }
    for (const [i, g] of (seed.groups ?? []).entries()) {
        if (typeof g.id !== "string" || g.id === "") throw new Error(`emulator seed: groups[${i}]: missing id`);
        tenant.groups.set(g.id, { ...g });
    }
    for (const [i, p] of (seed.profiles ?? []).entries()) {
        const { assignments = [], ...fields } = p;
        const concrete = String(fields["@odata.type"] ?? "").replace(/^#microsoft\.graph\./, "");
        if (!PROFILE_TYPES.includes(concrete)) {
            throw new Error(`emulator seed: profiles[${i}]: @odata.type must name one of ${PROFILE_TYPES.join(", ")}`);
        }
        const { "@odata.type": _type, ...properties } = fields;
        check(concrete, properties, `profiles[${i}]`);
        tenant.profiles.set(p.id, { ...fields });
        const byId = new Map<string, ProfileAssignment>();
        for (const [j, a] of assignments.entries()) {
            check("windowsAutopilotDeploymentProfileAssignment", a, `profiles[${i}].assignments[${j}]`);
            byId.set(a.id, { ...a });
        }
        tenant.assignments.set(p.id, byId);
    }
    for (const s of seed.otherTenantSerials ?? []) tenant.otherTenantSerials.add(s);
    return tenant;
}

/** Looks an id up exactly, then case-insensitively (GUIDs are case-insensitive in Graph). */
export function lookup<T>(map: Map<string, T>, id: string): [string, T] | undefined {
    const exact = map.get(id);
    if (exact !== undefined) return [id, exact];
    const lower = id.toLowerCase();
    for (const [k, v] of map) if (k.toLowerCase() === lower) return [k, v];
    return undefined;
}
