// Bring every device that already carries a group tag under management: look the devices up
// (same config and credentials as the resources), then adopt each by id and give it a name.
import * as pulumi from "@pulumi/pulumi";
import { getAutopilotDevices, WindowsAutopilotDeviceIdentity } from "pulumi-autopilot";

const config = new pulumi.Config();
const groupTag = config.get("groupTag") ?? "Sales";
const prefix = config.get("namePrefix") ?? "SLS";

export = async () => {
    const devices = await getAutopilotDevices({ groupTag });
    const managed = devices.map(
        (d) =>
            new WindowsAutopilotDeviceIdentity(`device-${d.serialNumber.toUpperCase()}`, {
                deviceId: d.id,
                groupTag,
                displayName: `${prefix}-${d.serialNumber.slice(-6)}`.toUpperCase(),
            }),
    );
    return { adopted: managed.length, serials: devices.map((d) => d.serialNumber) };
};
