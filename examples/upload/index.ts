// An Autopilot upload (what the portal's CSV import makes) and one identity inside it:
// the upload's status is PATCHed on the upload route; the identity's group tag, import id and
// user go through the beta route for identities of an upload.
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity, ImportedWindowsAutopilotDeviceIdentityUpload } from "pulumi-autopilot";

const config = new pulumi.Config();

const upload = new ImportedWindowsAutopilotDeviceIdentityUpload("upload", {
    uploadId: config.require("uploadId"),
    status: "complete",
});

const identity = new ImportedWindowsAutopilotDeviceIdentity("upload-identity", {
    uploadId: upload.uploadId,
    importedDeviceId: config.require("identityId"),
    groupTag: "Warehouse",
    importId: "batch-2024-11",
    // The identity already exists: nothing to wait for.
    waitForImport: false,
});

export const uploadStatus = upload.status;
export const identityGroupTag = identity.groupTag;
