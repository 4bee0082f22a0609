// retainOnDelete: leaving the stack (destroy, or removed from the program) forgets the import
// record and keeps it in Intune. protect: Pulumi refuses to delete it at all.
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();

new ImportedWindowsAutopilotDeviceIdentity(
    "kept",
    { serialNumber: config.require("keptSerial"), hardwareIdentifier: config.requireSecret("keptHash"), waitForImport: false },
    { retainOnDelete: true },
);

new ImportedWindowsAutopilotDeviceIdentity(
    "guarded",
    { serialNumber: config.require("guardedSerial"), hardwareIdentifier: config.requireSecret("guardedHash"), waitForImport: false },
    { protect: config.getBoolean("protect") ?? true },
);
