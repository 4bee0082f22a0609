// One device from a hardware hash to a ready-to-deploy Autopilot device:
// 1. import the hash and wait until Autopilot has registered the device,
// 2. give the new device identity its name (group tag and user come with the import),
// 3. assign a deployment profile to the group the device's group tag puts it in (the assignment
//    belongs to the profile: every device in the group gets it).
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeploymentProfileAssignment, WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();
const serialNumber = config.require("serialNumber");

const imported = new ImportedWindowsAutopilotDeviceIdentity(`import-${serialNumber}`, {
    serialNumber,
    hardwareIdentifier: config.requireSecret("hardwareHash"),
    groupTag: config.get("groupTag") ?? "Sales",
    // waitForImport defaults to true: the step ends when the import is complete (or fails).
    importTimeoutSeconds: 1800,
});

const device = new WindowsAutopilotDeviceIdentity(`device-${serialNumber}`, {
    // Known once the import is complete: Autopilot's id of the registered device.
    deviceId: imported.autopilotDeviceId.apply((id) => id ?? ""),
    displayName: config.get("deviceName") ?? "SALES-NEW-01",
});

const assignment = new WindowsAutopilotDeploymentProfileAssignment("profile-assignment", {
    profileId: config.require("profileId"),
    target: { kind: "group", groupId: config.require("profileGroupId") },
});

export const importStatus = imported.importStatus;
export const autopilotDeviceId = device.deviceId;
export const assignmentId = assignment.assignmentId;
