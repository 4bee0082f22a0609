// A new serial number or hardware hash is a new capture: the import is replaced (the old record
// deleted first, as the class asks), not PATCHed, which the live service refuses.
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();

const imported = new ImportedWindowsAutopilotDeviceIdentity(
    "laptop",
    { serialNumber: config.require("serialNumber"), hardwareIdentifier: config.requireSecret("hardwareHash"), waitForImport: false },
    { replaceOnChanges: ["serialNumber", "hardwareIdentifier"] },
);

export const importedDeviceId = imported.importedDeviceId;
