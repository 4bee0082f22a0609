import { resourceClass, type ArgsOf } from "../../lifecycle/define";
import { deviceIdentityFields, deviceIdentitySpec } from "./spec";

/** Inputs of {@link WindowsAutopilotDeviceIdentity}. Give `deviceId` or `serialNumber`. */
export type WindowsAutopilotDeviceIdentityArgs = ArgsOf<typeof deviceIdentityFields>;

/**
 * An Autopilot device identity (Graph windowsAutopilotDeviceIdentity), adopted by id or serial.
 * Group tag, display name and user go through updateDeviceProperties; the documented PATCH fields
 * through PATCH. Graph creates device identities from hardware-hash imports, not directly.
 */
export const WindowsAutopilotDeviceIdentity = resourceClass(deviceIdentitySpec);
export type WindowsAutopilotDeviceIdentity = InstanceType<typeof WindowsAutopilotDeviceIdentity>;
