import * as pulumi from "@pulumi/pulumi";
import { AutopilotResource, AutopilotResourceOptions } from "../../lifecycle/resource";
import type { OutputsOf } from "../../lifecycle/define";
import { uploadFields, uploadSpec } from "./spec";

/** Inputs of {@link ImportedWindowsAutopilotDeviceIdentityUpload}. */
export interface ImportedWindowsAutopilotDeviceIdentityUploadArgs {
    /** Graph id of the upload to adopt (required). */
    uploadId: pulumi.Input<string>;
    /** noUpload, pending, complete or error; PATCHed. */
    status?: pulumi.Input<"noUpload" | "pending" | "complete" | "error">;
    /** ISO 8601 date-time; PATCHed. */
    createdDateTimeUtc?: pulumi.Input<string>;
}

/** The outputs of {@link ImportedWindowsAutopilotDeviceIdentityUpload}, described and typed by its spec. */
export interface ImportedWindowsAutopilotDeviceIdentityUpload extends OutputsOf<typeof uploadFields, "uploadId"> {}

/**
 * An import upload (Graph importedWindowsAutopilotDeviceIdentityUpload), adopted by id. Delete
 * releases it (no request).
 *
 * Graph's current metadata (beta and v1.0) no longer has `importedWindowsAutopilotDeviceIdentityUploads`,
 * though the documentation still describes it: where Graph answers that the segment does not
 * exist, create and refresh fail with `AUTOPILOT_UPLOADS_NOT_IN_GRAPH`. Import hardware hashes
 * with {@link ImportedWindowsAutopilotDeviceIdentity} (without `uploadId`) instead.
 */
export class ImportedWindowsAutopilotDeviceIdentityUpload extends AutopilotResource {
    /** The spec the runtime looks the type up by. */
    static readonly spec = uploadSpec;

    constructor(name: string, args: ImportedWindowsAutopilotDeviceIdentityUploadArgs, opts?: AutopilotResourceOptions) {
        super(uploadSpec, name, args as unknown as Record<string, unknown>, opts);
    }
}
