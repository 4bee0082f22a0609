import * as pulumi from "@pulumi/pulumi";
import { AutopilotResource, AutopilotResourceOptions } from "../../lifecycle/resource";
import type { OutputsOf } from "../../lifecycle/define";
import { importedIdentityFields, importedIdentitySpec } from "./spec";

type In<T> = pulumi.Input<T>;

/** The writable import state (documented PATCH page). */
export interface ImportedDeviceIdentityState {
    deviceImportStatus?: In<"unknown" | "pending" | "partial" | "complete" | "error">;
    deviceRegistrationId?: In<string>;
    deviceErrorCode?: In<number>;
    deviceErrorName?: In<string>;
}

/** Inputs of {@link ImportedWindowsAutopilotDeviceIdentity}. */
export interface ImportedWindowsAutopilotDeviceIdentityArgs {
    /** Adopt an existing import record by its Graph id instead of creating one. */
    importedDeviceId?: In<string>;
    /** The upload the identity belongs to: its routes are the upload-scoped ones. */
    uploadId?: In<string>;
    /** Serial number (required to import). */
    serialNumber?: In<string>;
    /** Hardware hash, base64 (required to import; secret). */
    hardwareIdentifier?: In<string>;
    /** Windows product key (secret). */
    productKey?: In<string>;
    orderIdentifier?: In<string>;
    /** Group tag the device gets when the import completes. */
    groupTag?: In<string>;
    /** UPN of the user the device is assigned to. */
    assignedUserPrincipalName?: In<string>;
    importId?: In<string>;
    state?: In<ImportedDeviceIdentityState>;
    /** Remove the import record once the device is registered (default false: keep it). */
    removeRecordWhenComplete?: In<boolean>;
    /** Wait until the import completes or fails (default true). */
    waitForImport?: In<boolean>;
    /** How long to wait, in seconds (default 1800). */
    importTimeoutSeconds?: In<number>;
}

/** The outputs of {@link ImportedWindowsAutopilotDeviceIdentity}, described and typed by its spec. */
export interface ImportedWindowsAutopilotDeviceIdentity extends OutputsOf<typeof importedIdentityFields, "importedDeviceId"> {}

/**
 * A hardware-hash import (Graph importedWindowsAutopilotDeviceIdentity). Creating it POSTs the
 * import and, by default, waits until Autopilot has registered the device: `autopilotDeviceId`
 * is then the new device's id. Deleting it removes the import record only.
 */
export class ImportedWindowsAutopilotDeviceIdentity extends AutopilotResource {
    /** The spec the runtime looks the type up by. */
    static readonly spec = importedIdentitySpec;

    constructor(name: string, args: ImportedWindowsAutopilotDeviceIdentityArgs, opts?: AutopilotResourceOptions) {
        super(importedIdentitySpec, name, args as Record<string, unknown>, opts);
    }
}
