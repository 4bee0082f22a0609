/**
 * importedWindowsAutopilotDeviceIdentityUpload routes, its upload-scoped `deviceIdentities`, and
 * the beta seed page's odd route `PATCH /importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities`
 * (no /deviceManagement, no keys: the identity's `id` travels in the body).
 * Upload-scoped identities are records of an upload; they do not go through import processing.
 */
import { randomUUID } from "crypto";
import { badRequest, notFound } from "./errors";
import { importWritable } from "./imports";
import { emptyOk, filterRecords, listReply, objectReply, TYPES, typeFor } from "./respond";
import type { Reply, RouteContext, RouteDef } from "./router";
import type { EmulatorState } from "./state";
import { lookup } from "./tenant";
import type { ImportedDeviceIdentity, ImportState, Upload } from "./types";
import { requireObject, validateEntityBody } from "./validate";

/**
 * The segments Graph's current metadata (beta and v1.0) no longer has: the upload collection, and
 * the beta page's odd route. With `uploadsRemoved` every path through them answers as Graph does.
 */
export const REMOVED_UPLOAD_SEGMENTS: readonly string[] = ["importedWindowsAutopilotDeviceIdentityUploads", "importedWindowsAutopilotDeviceIdentityUpload"];

const uploadKey = (id: string): string => `upload/${id}`;
const identityPrefix = (uploadId: string): string => `uploadIdentity/${uploadId}/`;

function uploadWritable(ctx: RouteContext): Set<string> {
    const type = typeFor(ctx, TYPES.upload);
    return new Set([...type.properties.values()].filter((p) => !p.navigation && p.name !== "id").map((p) => p.name));
}

function requireUpload(ctx: RouteContext): [string, Upload] {
    const found = lookup(ctx.state.tenant.uploads, ctx.params.uploadId);
    if (!found) throw notFound(TYPES.upload, ctx.params.uploadId);
    return found;
}

function requireIdentity(ctx: RouteContext, upload: Upload): [string, ImportedDeviceIdentity] {
    const found = lookup(upload.deviceIdentities, ctx.params.id);
    if (!found) throw notFound(TYPES.imported, ctx.params.id);
    return found;
}

// ---- uploads

function listUploads(ctx: RouteContext): Reply {
    const all = ctx.state.consistency.visibleList("upload/", ctx.state.tenant.uploads);
    return listReply(ctx, typeFor(ctx, TYPES.upload), filterRecords(ctx, all, []));
}

function getUpload(ctx: RouteContext): Reply {
    const found = lookup(ctx.state.tenant.uploads, ctx.params.uploadId);
    const visible = ctx.state.consistency.visible(uploadKey(found ? found[0] : ctx.params.uploadId), found?.[1]);
    if (!visible) throw notFound(TYPES.upload, ctx.params.uploadId);
    return objectReply(ctx, typeFor(ctx, TYPES.upload), visible);
}

function createUpload(ctx: RouteContext): Reply {
    const { state } = ctx;
    const fields = validateEntityBody(state.schema, ctx.version, typeFor(ctx, TYPES.upload), ctx.body(), uploadWritable(ctx));
    const upload: Upload = {
        id: randomUUID(),
        createdDateTimeUtc: new Date().toISOString(),
        status: "noUpload",
        ...fields,
        deviceIdentities: new Map(),
    };
    state.consistency.beforeWrite(uploadKey(upload.id), undefined);
    state.tenant.uploads.set(upload.id, upload);
    return objectReply(ctx, typeFor(ctx, TYPES.upload), upload, 201);
}

function patchUpload(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, upload] = requireUpload(ctx);
    const fields = validateEntityBody(state.schema, ctx.version, typeFor(ctx, TYPES.upload), ctx.body(), uploadWritable(ctx));
    state.consistency.beforeWrite(uploadKey(key), upload);
    Object.assign(upload, fields);
    return objectReply(ctx, typeFor(ctx, TYPES.upload), upload);
}

function deleteUpload(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, upload] = requireUpload(ctx);
    state.consistency.beforeWrite(uploadKey(key), upload);
    state.tenant.uploads.delete(key);
    state.tenant.deletedIds.add(key);
    return emptyOk();
}

// ---- upload-scoped identities

/** State of an upload-scoped identity created without one. */
function initialState(): ImportState {
    return { deviceImportStatus: "unknown", deviceRegistrationId: "", deviceErrorCode: 0, deviceErrorName: "" };
}

function listIdentities(ctx: RouteContext): Reply {
    const [key, upload] = requireUpload(ctx);
    const all = ctx.state.consistency.visibleList(identityPrefix(key), upload.deviceIdentities);
    return listReply(ctx, typeFor(ctx, TYPES.imported), filterRecords(ctx, all, ["serialNumber"]));
}

function getIdentity(ctx: RouteContext): Reply {
    const [key, upload] = requireUpload(ctx);
    const found = lookup(upload.deviceIdentities, ctx.params.id);
    const visible = ctx.state.consistency.visible(identityPrefix(key) + (found ? found[0] : ctx.params.id), found?.[1]);
    if (!visible) throw notFound(TYPES.imported, ctx.params.id);
    return objectReply(ctx, typeFor(ctx, TYPES.imported), visible);
}

function createIdentity(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, upload] = requireUpload(ctx);
    const type = typeFor(ctx, TYPES.imported);
    const fields = validateEntityBody(state.schema, ctx.version, type, ctx.body(), importWritable(type));
    const rec: ImportedDeviceIdentity = { id: randomUUID(), importId: key, state: initialState(), ...fields };
    state.consistency.beforeWrite(identityPrefix(key) + rec.id, undefined);
    upload.deviceIdentities.set(rec.id, rec);
    return objectReply(ctx, type, rec, 201);
}

function applyIdentityPatch(state: EmulatorState, consistencyKey: string, rec: ImportedDeviceIdentity, fields: Record<string, unknown>): void {
    state.consistency.beforeWrite(consistencyKey, rec);
    Object.assign(rec, fields);
}

function patchIdentity(ctx: RouteContext): Reply {
    const [key, upload] = requireUpload(ctx);
    const [id, rec] = requireIdentity(ctx, upload);
    const type = typeFor(ctx, TYPES.imported);
    const fields = validateEntityBody(ctx.state.schema, ctx.version, type, ctx.body(), importWritable(type));
    applyIdentityPatch(ctx.state, identityPrefix(key) + id, rec, fields);
    return objectReply(ctx, type, rec);
}

function deleteIdentity(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, upload] = requireUpload(ctx);
    const [id, rec] = requireIdentity(ctx, upload);
    state.consistency.beforeWrite(identityPrefix(key) + id, rec);
    upload.deviceIdentities.delete(id);
    state.tenant.deletedIds.add(id);
    return emptyOk();
}

/**
 * `PATCH /beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities`: the body names the
 * identity by `id`; the page's fields are the metadata's (no orderIdentifier).
 */
function patchByBodyId(ctx: RouteContext): Reply {
    const { state } = ctx;
    const type = typeFor(ctx, TYPES.imported);
    const body = requireObject(ctx.body());
    if (typeof body.id !== "string" || body.id === "") {
        throw badRequest("The request body must carry the 'id' of the upload-scoped device identity to update.");
    }
    const writable = new Set([...type.properties.values()].filter((p) => !p.navigation && !p.docPageExtra).map((p) => p.name));
    const { id: _id, ...fields } = validateEntityBody(state.schema, ctx.version, type, body, writable);
    for (const [uploadId, upload] of state.tenant.uploads) {
        const found = lookup(upload.deviceIdentities, body.id);
        if (found) {
            applyIdentityPatch(state, identityPrefix(uploadId) + found[0], found[1], fields);
            return objectReply(ctx, type, found[1]);
        }
    }
    throw notFound(TYPES.imported, body.id);
}

const BOTH = ["beta", "v1.0"] as const;
const UPLOADS = "deviceManagement/importedWindowsAutopilotDeviceIdentityUploads";

/** Routes of this module. */
export const uploadRoutes: RouteDef[] = [
    { pattern: UPLOADS, versions: BOTH, methods: { GET: listUploads, POST: createUpload } },
    { pattern: `${UPLOADS}/{uploadId}`, versions: BOTH, methods: { GET: getUpload, PATCH: patchUpload, DELETE: deleteUpload } },
    { pattern: `${UPLOADS}/{uploadId}/deviceIdentities`, versions: BOTH, methods: { GET: listIdentities, POST: createIdentity } },
    {
        pattern: `${UPLOADS}/{uploadId}/deviceIdentities/{id}`,
        versions: BOTH,
        methods: { GET: getIdentity, PATCH: patchIdentity, DELETE: deleteIdentity },
    },
    { pattern: "importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", versions: ["beta"], methods: { PATCH: patchByBodyId } },
];
