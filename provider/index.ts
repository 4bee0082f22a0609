/**
 * pulumi-autopilot: Windows Autopilot objects in Microsoft Intune as Pulumi resources.
 * Public exports only.
 */
export { WindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentityArgs } from "./resources/deviceIdentity/resource";
export {
    ImportedWindowsAutopilotDeviceIdentity,
    ImportedWindowsAutopilotDeviceIdentityArgs,
    ImportedDeviceIdentityState,
} from "./resources/importedIdentity/resource";
export { ImportedWindowsAutopilotDeviceIdentityUpload, ImportedWindowsAutopilotDeviceIdentityUploadArgs } from "./resources/upload/resource";
export {
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeploymentProfileAssignmentArgs,
    AssignmentTarget,
} from "./resources/assignment/resource";
export { GraphError } from "./graph";
