// Quick start: bring a handful of existing Autopilot devices under management, each with a
// group tag (which drives dynamic groups and so the deployment profile) and a device name.
// Edit the serial numbers to match devices registered in your tenant, then `pulumi up`.
import * as pulumi from "@pulumi/pulumi";
import { WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const devices = [
    { serial: "5CG1234ABC", groupTag: "Sales", displayName: "SALES-001" },
    { serial: "5CG2345BCD", groupTag: "Sales", displayName: "SALES-002" },
    { serial: "1ZXY8K3", groupTag: "Finance", displayName: "FIN-001" },
    { serial: "PF3ABCDE", groupTag: "Engineering", displayName: "ENG-001" },
    { serial: "012345678957", groupTag: "Kiosk", displayName: "KIOSK-001" },
];

const managed = devices.map(
    (d) =>
        new WindowsAutopilotDeviceIdentity(`device-${d.serial}`, {
            serialNumber: d.serial,
            groupTag: d.groupTag,
            displayName: d.displayName,
        }),
);

/** Serial number -> Autopilot device id. */
export const deviceIds = pulumi.all(managed.map((m) => pulumi.all([m.serialNumber, m.deviceId]))).apply((pairs) => Object.fromEntries(pairs));
