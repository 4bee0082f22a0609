import { readToAdopt } from "../../lifecycle/adopt";
import type { FieldSpec } from "../../lifecycle/fields";
import type { ResourceSpec } from "../../lifecycle/spec";
import { UPLOADS, uploadsAbsent } from "./uploadsAbsent";

const ITEM_ROUTE = `${UPLOADS}/{id}`;

/** Fields of ImportedWindowsAutopilotDeviceIdentityUpload, and (TSDoc) what each is. */
export const uploadFields = {
    /** Graph id of the upload to adopt. A change replaces the resource. */
    uploadId: { kind: { type: "guid" }, write: "key" },
    /** Upload status: noUpload, pending, complete or error; written with PATCH. */
    status: { kind: { type: "enum", api: "v1.0", name: "importedWindowsAutopilotDeviceIdentityUploadStatus" }, write: "patch" },
    /** When the upload was created (ISO 8601 date-time); written with PATCH. */
    createdDateTimeUtc: { kind: { type: "datetime" }, write: "patch" },
} as const satisfies Record<string, FieldSpec>;

/**
 * ImportedWindowsAutopilotDeviceIdentityUpload: an upload adopted by id; status and date PATCHed.
 * Graph's current metadata no longer has uploads: on such a service every step fails with
 * AUTOPILOT_UPLOADS_NOT_IN_GRAPH (uploadsAbsent.ts) rather than a misleading "no upload with id".
 */
export const uploadSpec: ResourceSpec = {
    typeName: "ImportedWindowsAutopilotDeviceIdentityUpload",
    graphType: "microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload",
    apiVersion: "v1.0",
    idOutput: "uploadId",
    fields: uploadFields,
    permission: "DeviceManagementServiceConfig.ReadWrite.All",

    item: (id) => ({ path: `${UPLOADS}/${encodeURIComponent(id)}`, route: `GET ${ITEM_ROUTE}` }),

    patchTarget: (id) => ({
        method: "PATCH",
        path: `${UPLOADS}/${encodeURIComponent(id)}`,
        route: `PATCH ${ITEM_ROUTE}`,
        bodyExtras: { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload" },
    }),

    validate(inputs) {
        if (inputs.uploadId !== undefined && inputs.uploadId !== null) return [];
        return [
            {
                property: "uploadId",
                reason: "uploadId is required: the Graph id of the upload to adopt (uploads are made by the Intune portal's CSV import)",
            },
        ];
    },

    async create(ctx, inputs) {
        const id = String(inputs.uploadId);
        const graph = await readToAdopt(ctx, id, {
            apiVersion: "v1.0",
            ...uploadSpec.item(id, inputs),
            input: "uploadId",
            what: "upload",
            code: "AUTOPILOT_UPLOAD_NOT_FOUND",
        });
        return { id, graph, written: [] };
    },

    explainError: uploadsAbsent,

    async delete(ctx, id) {
        // Releasing an upload forgets it; the upload and its identities stay in Intune.
        ctx.log(`ImportedWindowsAutopilotDeviceIdentityUpload ${id}: released (no request)`);
    },
};
