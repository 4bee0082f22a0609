// Deployment-profile assignments reached through devices that are already in Autopilot: each
// device is adopted by serial number, and the profile it has gets an assignment to an Entra group
// (the assignment is the profile's, shared by every device with that profile).
import * as pulumi from "@pulumi/pulumi";
import { WindowsAutopilotDeploymentProfileAssignment, WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();
const serials = config.requireObject<string[]>("serialNumbers");
const groupId = config.require("profileGroupId");

export const assignments = serials.map((serialNumber) => {
    const device = new WindowsAutopilotDeviceIdentity(`device-${serialNumber}`, { serialNumber });
    const assignment = new WindowsAutopilotDeploymentProfileAssignment(`profile-${serialNumber}`, {
        deviceId: device.deviceId,
        target: { kind: "group", groupId },
        source: "direct",
    });
    return { serialNumber, assignmentId: assignment.assignmentId };
});
