/**
 * pulumi-autopilot: Windows Autopilot objects in Microsoft Intune as Pulumi resources.
 * Public exports only.
 */
export * from "./resources";
export { AutopilotResourceOptions } from "./lifecycle/resource";
export { AutopilotFleet, AutopilotFleetArgs, FleetDeviceSettings, FleetDeviceOverride, FleetCsvError, planFleetDevices } from "./fleet/fleet";
export { FleetNaming, FleetChild, defaultNaming } from "./fleet/naming";
export { parseHardwareHashCsv, readHardwareHashCsv, formatProblems, HardwareHashRow, CsvProblem, ParseResult } from "./fleet/csv";
export {
    getAutopilotDevices,
    getAutopilotDevicesOutput,
    GetAutopilotDevicesArgs,
    GetAutopilotDevicesOutputArgs,
    GetAutopilotDevicesOutputOptions,
    AutopilotDeviceSummary,
} from "./lookups/getAutopilotDevices";
export { GraphError } from "./graph";
