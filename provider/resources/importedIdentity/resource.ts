import * as pulumi from "@pulumi/pulumi";
import { AutopilotResource, AutopilotResourceOptions } from "../../lifecycle/resource";
import { importedIdentitySpec } from "./spec";

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

/**
 * A hardware-hash import (Graph importedWindowsAutopilotDeviceIdentity). Creating it POSTs the
 * import and, by default, waits until Autopilot has registered the device: `autopilotDeviceId`
 * is then the new device's id. Deleting it removes the import record only.
 */
export class ImportedWindowsAutopilotDeviceIdentity extends AutopilotResource {
    /** The spec the runtime looks the type up by. */
    static readonly spec = importedIdentitySpec;
    declare readonly importedDeviceId: pulumi.Output<string>;
    declare readonly uploadId: pulumi.Output<string | null>;
    declare readonly serialNumber: pulumi.Output<string>;
    /**
     * The SHA-256 digest of the hardware hash (`sha256:<base64>`, secret), not the hash: the state
     * keeps the hash once, in the inputs (encrypted), and not again in every output.
     */
    declare readonly hardwareIdentifier: pulumi.Output<string | null>;
    declare readonly productKey: pulumi.Output<string | null>;
    declare readonly orderIdentifier: pulumi.Output<string | null>;
    declare readonly groupTag: pulumi.Output<string | null>;
    declare readonly assignedUserPrincipalName: pulumi.Output<string | null>;
    declare readonly importId: pulumi.Output<string | null>;
    declare readonly state: pulumi.Output<{ deviceImportStatus: string; deviceRegistrationId: string | null; deviceErrorCode: number; deviceErrorName: string | null } | null>;
    /** Id of the Autopilot device the completed import made; null until complete. */
    declare readonly autopilotDeviceId: pulumi.Output<string | null>;
    /** unknown, pending, partial, complete or error. */
    declare readonly importStatus: pulumi.Output<string>;
    /** True once the record was removed (removeRecordWhenComplete). */
    declare readonly recordRemoved: pulumi.Output<boolean>;
    declare readonly removeRecordWhenComplete: pulumi.Output<boolean>;
    declare readonly waitForImport: pulumi.Output<boolean>;
    declare readonly importTimeoutSeconds: pulumi.Output<number>;

    constructor(name: string, args: ImportedWindowsAutopilotDeviceIdentityArgs, opts?: AutopilotResourceOptions) {
        super(importedIdentitySpec, name, args as Record<string, unknown>, opts);
    }
}
