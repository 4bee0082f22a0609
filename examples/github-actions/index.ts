// Keeps the group tag (which drives the dynamic groups, and so the deployment profile) and the
// name of the listed Autopilot devices, from a pipeline: `.github/workflows/pulumi-up.yml` runs
// `pulumi up` on every push to main, signed in with workload identity federation (OIDC).
import * as pulumi from "@pulumi/pulumi";
import { WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

interface Device {
    serialNumber: string;
    groupTag: string;
    displayName?: string;
}

const config = new pulumi.Config();
const devices = config.requireObject<Device[]>("devices");

const managed = devices.map(
    (d) =>
        new WindowsAutopilotDeviceIdentity(`device-${d.serialNumber}`, {
            serialNumber: d.serialNumber,
            groupTag: d.groupTag,
            ...(d.displayName ? { displayName: d.displayName } : {}),
        }),
);

/** Serial number -> Autopilot device id. */
export const deviceIds = pulumi.all(managed.map((m) => pulumi.all([m.serialNumber, m.deviceId]))).apply((pairs) => Object.fromEntries(pairs));
