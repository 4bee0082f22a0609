import * as pulumi from "@pulumi/pulumi";
import { AutopilotResource, AutopilotResourceOptions } from "../../lifecycle/resource";
import { deviceIdentitySpec } from "./spec";

type In<T> = pulumi.Input<T>;

/** Inputs of {@link WindowsAutopilotDeviceIdentity}. Give `deviceId` or `serialNumber`. */
export interface WindowsAutopilotDeviceIdentityArgs {
    /** Graph id of the Autopilot device to adopt. Changing it replaces the resource. */
    deviceId?: In<string>;
    /** Serial number: without `deviceId` it finds the device (exactly one must match; a change replaces); with `deviceId` it is PATCHed. */
    serialNumber?: In<string>;
    /** Group tag, written with updateDeviceProperties. */
    groupTag?: In<string>;
    /** Device name applied during OOBE (at most 15 characters), written with updateDeviceProperties. */
    displayName?: In<string>;
    /** Assigned user's UPN, written with updateDeviceProperties. */
    userPrincipalName?: In<string>;
    /** Greeting name shown during OOBE, written with updateDeviceProperties. */
    addressableUserName?: In<string>;
    /** PATCH field (documented page): windowsAutopilotProfileAssignmentStatus. */
    deploymentProfileAssignmentStatus?: In<string>;
    /** PATCH field: ISO 8601 date-time. */
    deploymentProfileAssignedDateTime?: In<string>;
    /** PATCH field. */
    orderIdentifier?: In<string>;
    /** PATCH field. */
    purchaseOrderIdentifier?: In<string>;
    /** PATCH field, secret. */
    productKey?: In<string>;
    /** PATCH field. */
    manufacturer?: In<string>;
    /** PATCH field. */
    model?: In<string>;
    /** PATCH field: enrollmentState. */
    enrollmentState?: In<string>;
    /** PATCH field: ISO 8601 date-time. */
    lastContactedDateTime?: In<string>;
    /** Which documented PATCH route to use: `device` (default) or `deploymentProfileAssignedDevices`. */
    patchRoute?: In<"device" | "deploymentProfileAssignedDevices">;
    /** On delete: `release` (default; forget it, no request) or `deregister` (DELETE it from Autopilot). */
    deleteBehavior?: In<"release" | "deregister">;
}

/**
 * An Autopilot device identity (Graph windowsAutopilotDeviceIdentity), adopted by id or serial.
 * Group tag, display name and user go through updateDeviceProperties; the documented PATCH fields
 * through PATCH. Graph creates device identities from hardware-hash imports, not directly.
 */
export class WindowsAutopilotDeviceIdentity extends AutopilotResource {
    /** The spec the runtime looks the type up by. */
    static readonly spec = deviceIdentitySpec;
    declare readonly deviceId: pulumi.Output<string>;
    declare readonly serialNumber: pulumi.Output<string>;
    declare readonly groupTag: pulumi.Output<string | null>;
    declare readonly displayName: pulumi.Output<string | null>;
    declare readonly userPrincipalName: pulumi.Output<string | null>;
    declare readonly addressableUserName: pulumi.Output<string | null>;
    declare readonly deploymentProfileAssignmentStatus: pulumi.Output<string>;
    declare readonly deploymentProfileAssignedDateTime: pulumi.Output<string>;
    declare readonly orderIdentifier: pulumi.Output<string | null>;
    declare readonly purchaseOrderIdentifier: pulumi.Output<string | null>;
    declare readonly productKey: pulumi.Output<string | null>;
    declare readonly manufacturer: pulumi.Output<string | null>;
    declare readonly model: pulumi.Output<string | null>;
    declare readonly enrollmentState: pulumi.Output<string>;
    declare readonly lastContactedDateTime: pulumi.Output<string>;
    declare readonly patchRoute: pulumi.Output<string>;
    declare readonly deleteBehavior: pulumi.Output<string>;
    declare readonly azureActiveDirectoryDeviceId: pulumi.Output<string | null>;
    declare readonly managedDeviceId: pulumi.Output<string | null>;
    declare readonly deploymentProfileAssignmentDetailedStatus: pulumi.Output<string | null>;
    declare readonly skuNumber: pulumi.Output<string | null>;
    declare readonly systemFamily: pulumi.Output<string | null>;

    constructor(name: string, args: WindowsAutopilotDeviceIdentityArgs, opts?: AutopilotResourceOptions) {
        super(deviceIdentitySpec, name, args as Record<string, unknown>, opts);
    }
}
