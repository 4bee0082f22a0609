/**
 * importedWindowsAutopilotDeviceIdentity routes and the import state machine:
 * a record is created `pending`, and resolves on a later read (the first one on the documented
 * profile, after `importPendingReads` reads on the live profile) to `complete` (a new device
 * identity exists, `state.deviceRegistrationId` is its id) or `error` with Intune's codes.
 */
import { randomUUID } from "crypto";
import { badRequest, noMethodMatch, notFound } from "./errors";
import { createDevice } from "./devices";
import { emptyOk, filterRecords, listReply, objectReply, TYPES, typeFor } from "./respond";
import type { Reply, RouteContext, RouteDef } from "./router";
import type { StructuredType } from "./schema";
import { toGraphObject } from "./shape";
import type { EmulatorState } from "./state";
import { lookup } from "./tenant";
import type { ImportedDeviceIdentity, ImportState } from "./types";
import { isBase64, requireObject, validateEntityBody } from "./validate";

/** Per-device import errors (support article "Windows Autopilot device CSV import errors"). */
export const IMPORT_ERRORS = {
    invalidHash: { code: 802, name: "InvalidZtdHardwareHash" },
    alreadyAssigned: { code: 806, name: "ZtdDeviceAlreadyAssigned" },
    otherTenant: { code: 808, name: "ZtdDeviceAssignedToOtherTenant" },
} as const;

/** A hardware hash shorter than this (decoded) is rejected; real hashes are kilobytes. */
export const MIN_HASH_BYTES = 32;

const FILTERABLE = ["serialNumber"];

/** Consistency key of an import record. */
const importKey = (id: string): string => `imported/${id}`;

/** The state of a fresh import record. */
export function pendingState(): ImportState {
    return { deviceImportStatus: "pending", deviceRegistrationId: "", deviceErrorCode: 0, deviceErrorName: "" };
}

/** Properties writable on imported identities: every non-navigation one but `id` (extras included). */
export function importWritable(type: StructuredType): Set<string> {
    return new Set([...type.properties.values()].filter((p) => !p.navigation && p.name !== "id").map((p) => p.name));
}

const sameSerial = (a: unknown, b: string): boolean => typeof a === "string" && a.toLowerCase() === b.toLowerCase();

/** Decides the outcome of an import against the tenant as it is now, and applies it. */
export function resolveImport(state: EmulatorState, rec: ImportedDeviceIdentity): void {
    const fail = (e: { code: number; name: string }): void => {
        rec.state = { deviceImportStatus: "error", deviceRegistrationId: "", deviceErrorCode: e.code, deviceErrorName: e.name };
    };
    state.tenant.pendingImports.delete(rec.id);
    const hash = rec.hardwareIdentifier;
    const serial = typeof rec.serialNumber === "string" ? rec.serialNumber : "";
    if (typeof hash !== "string" || !isBase64(hash) || Buffer.from(hash, "base64").length < MIN_HASH_BYTES) {
        return fail(IMPORT_ERRORS.invalidHash);
    }
    if (serial && [...state.tenant.devices.values()].some((d) => sameSerial(d.serialNumber, serial))) {
        return fail(IMPORT_ERRORS.alreadyAssigned);
    }
    if (serial && [...state.tenant.otherTenantSerials].some((s) => sameSerial(s, serial))) {
        return fail(IMPORT_ERRORS.otherTenant);
    }
    const device = createDevice(state, {
        serialNumber: serial || null,
        productKey: rec.productKey ?? null,
        groupTag: rec.groupTag ?? null,
        userPrincipalName: rec.assignedUserPrincipalName ?? null,
        purchaseOrderIdentifier: typeof rec.orderIdentifier === "string" ? rec.orderIdentifier : null,
        manufacturer: null,
        model: null,
        enrollmentState: "notContacted",
    });
    rec.state = { deviceImportStatus: "complete", deviceRegistrationId: device.id, deviceErrorCode: 0, deviceErrorName: "" };
}

// Every answer that shows a pending record counts as one read of it.
function observe(state: EmulatorState, rec: ImportedDeviceIdentity): void {
    const seen = state.tenant.pendingImports.get(rec.id);
    if (seen === undefined) return;
    const threshold = state.profile === "live" ? state.importPendingReads : 0;
    if (seen >= threshold) resolveImport(state, rec);
    else state.tenant.pendingImports.set(rec.id, seen + 1);
}

function createRecord(state: EmulatorState, fields: Record<string, unknown>): ImportedDeviceIdentity {
    // The service owns `state`: a new record is pending whatever the body said.
    const rec: ImportedDeviceIdentity = { id: randomUUID(), ...fields, state: pendingState() };
    state.consistency.beforeWrite(importKey(rec.id), undefined);
    state.tenant.importedIdentities.set(rec.id, rec);
    state.tenant.pendingImports.set(rec.id, 0);
    return rec;
}

function list(ctx: RouteContext): Reply {
    const { state } = ctx;
    const all = state.consistency.visibleList("imported/", state.tenant.importedIdentities);
    const matching = filterRecords(ctx, all, FILTERABLE);
    for (const r of matching) if (state.tenant.importedIdentities.get(r.id) === r) observe(state, r);
    return listReply(ctx, typeFor(ctx, TYPES.imported), matching);
}

function get(ctx: RouteContext): Reply {
    const { state } = ctx;
    const found = lookup(state.tenant.importedIdentities, ctx.params.id);
    const visible = state.consistency.visible(importKey(found ? found[0] : ctx.params.id), found?.[1]);
    if (!visible) throw notFound(TYPES.imported, ctx.params.id);
    if (visible === found?.[1]) observe(state, visible);
    return objectReply(ctx, typeFor(ctx, TYPES.imported), visible);
}

function create(ctx: RouteContext): Reply {
    const type = typeFor(ctx, TYPES.imported);
    const fields = validateEntityBody(ctx.state.schema, ctx.version, type, ctx.body(), importWritable(type));
    return objectReply(ctx, type, createRecord(ctx.state, fields), 201);
}

function bulkImport(ctx: RouteContext): Reply {
    const { state } = ctx;
    const type = typeFor(ctx, TYPES.imported);
    const param = "importedWindowsAutopilotDeviceIdentities";
    const body = requireObject(ctx.body(), "action payload");
    for (const key of Object.keys(body)) {
        if (key !== param && !key.includes("@")) {
            throw badRequest(`The parameter '${key}' in the request payload is not a valid parameter for the operation 'import'.`);
        }
    }
    const items = body[param];
    if (!Array.isArray(items)) throw badRequest(`The parameter '${param}' of the operation 'import' must be an array.`);
    // Validate all before creating any: a bad item rejects the whole call.
    const all = items.map((item) => validateEntityBody(state.schema, ctx.version, type, item, importWritable(type)));
    const created = all.map((fields) => createRecord(state, fields));
    return {
        status: 200,
        body: {
            "@odata.context": `${state.baseUrl}/${ctx.version}/$metadata#Collection(microsoft.graph.${TYPES.imported})`,
            value: created.map((r) => toGraphObject(state.schema, ctx.version, type, r)),
        },
    };
}

function patch(ctx: RouteContext): Reply {
    const { state } = ctx;
    if (state.profile === "live") throw noMethodMatch(ctx.template, ctx.method, ctx.odataPath);
    const found = lookup(state.tenant.importedIdentities, ctx.params.id);
    if (!found) throw notFound(TYPES.imported, ctx.params.id);
    const [key, rec] = found;
    const type = typeFor(ctx, TYPES.imported);
    const fields = validateEntityBody(state.schema, ctx.version, type, ctx.body(), importWritable(type));
    state.consistency.beforeWrite(importKey(key), rec);
    Object.assign(rec, fields);
    // A state written by the client replaces the service's processing.
    if ("state" in fields) state.tenant.pendingImports.delete(key);
    return objectReply(ctx, type, rec);
}

function remove(ctx: RouteContext): Reply {
    const { state } = ctx;
    const found = lookup(state.tenant.importedIdentities, ctx.params.id);
    if (!found) throw notFound(TYPES.imported, ctx.params.id);
    const [key, rec] = found;
    state.consistency.beforeWrite(importKey(key), rec);
    // Only the import record goes; a device it registered stays.
    state.tenant.importedIdentities.delete(key);
    state.tenant.pendingImports.delete(key);
    state.tenant.deletedIds.add(key);
    return emptyOk();
}

const BOTH = ["beta", "v1.0"] as const;
const IMPORTS = "deviceManagement/importedWindowsAutopilotDeviceIdentities";

/** Routes of this module. */
export const importRoutes: RouteDef[] = [
    { pattern: IMPORTS, versions: BOTH, methods: { GET: list, POST: create } },
    { pattern: `${IMPORTS}/import`, versions: BOTH, action: true, methods: { POST: bulkImport } },
    { pattern: `${IMPORTS}/{id}`, versions: BOTH, methods: { GET: get, PATCH: patch, DELETE: remove } },
];
