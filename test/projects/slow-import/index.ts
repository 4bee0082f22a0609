// An import whose step waits for Autopilot. When the wait is cut short (autopilot:stepTimeoutSeconds)
// the record already exists: Pulumi keeps it in the state, and the next `pulumi up` waits again.
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();

const imported = new ImportedWindowsAutopilotDeviceIdentity("laptop", {
    serialNumber: config.require("serialNumber"),
    hardwareIdentifier: config.requireSecret("hardwareHash"),
});

export const importStatus = imported.importStatus;
export const autopilotDeviceId = imported.autopilotDeviceId;
