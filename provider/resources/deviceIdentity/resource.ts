import { AutopilotResource, AutopilotResourceOptions } from "../../lifecycle/resource";
import type { ArgsOf, OutputsOf } from "../../lifecycle/define";
import { deviceIdentityFields, deviceIdentitySpec } from "./spec";

/** Inputs of {@link WindowsAutopilotDeviceIdentity}. Give `deviceId` or `serialNumber`. */
export type WindowsAutopilotDeviceIdentityArgs = ArgsOf<typeof deviceIdentityFields>;

/** The outputs of {@link WindowsAutopilotDeviceIdentity}, described and typed by its spec. */
export interface WindowsAutopilotDeviceIdentity extends OutputsOf<typeof deviceIdentityFields, "deviceId"> {}

/**
 * An Autopilot device identity (Graph windowsAutopilotDeviceIdentity), adopted by id or serial.
 * Group tag, display name and user go through updateDeviceProperties; the documented PATCH fields
 * through PATCH. Graph creates device identities from hardware-hash imports, not directly.
 */
export class WindowsAutopilotDeviceIdentity extends AutopilotResource {
    /** The spec the runtime looks the type up by. */
    static readonly spec = deviceIdentitySpec;

    constructor(name: string, args: WindowsAutopilotDeviceIdentityArgs, opts?: AutopilotResourceOptions) {
        super(deviceIdentitySpec, name, args as Record<string, unknown>, opts);
    }
}
