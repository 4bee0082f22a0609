// The mistakes users make, one per run: each must reach them as a message that names the
// resource, the field and what is wrong, with no stack trace and no secret.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    AutopilotFleet,
    ImportedWindowsAutopilotDeviceIdentity,
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeviceIdentity,
} from "pulumi-autopilot";

const config = new pulumi.Config();
const value = config.get("value") ?? "";

switch (config.require("mistake")) {
    case "csv":
        // value: a CSV file (relative to this folder) with bad rows: nothing is registered.
        new AutopilotFleet("fleet", { csvFile: path.resolve(__dirname, value) });
        break;
    case "serial":
        // hardwareHash: set with `pulumi config set --secret`.
        new ImportedWindowsAutopilotDeviceIdentity("laptop", { serialNumber: value, hardwareIdentifier: config.requireSecret("hardwareHash") });
        break;
    case "enum":
        // The kind comes from config, as a pipeline's variable would: TypeScript cannot check it.
        new WindowsAutopilotDeploymentProfileAssignment("profile", {
            deviceId: config.require("deviceId"),
            target: { kind: value as "group", groupId: "4feb833d-fd1e-48eb-ad7e-9e4843bc2207" },
        });
        break;
    case "refused":
        // The live service routes no PATCH for device identities: orderIdentifier cannot be written.
        new WindowsAutopilotDeviceIdentity("device", { deviceId: config.require("deviceId"), orderIdentifier: value });
        break;
    default:
        throw new pulumi.RunError(`autopilot-mistakes: unknown mistake ${config.require("mistake")}`);
}
