// What `pulumi refresh` finds when someone changed the tenant in the Intune portal: a group tag
// set to something else, an import record deleted. The next `pulumi up` puts both back.
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();

new WindowsAutopilotDeviceIdentity("device", { deviceId: config.require("deviceId"), groupTag: config.require("groupTag") });
new ImportedWindowsAutopilotDeviceIdentity("import", {
    serialNumber: config.require("serialNumber"),
    hardwareIdentifier: config.requireSecret("hardwareHash"),
    waitForImport: false,
});
