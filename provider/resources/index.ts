/**
 * Every resource class of the package, with its Args type. The public exports (provider/index.ts)
 * and the runtime's registry (registry.ts) both come from this list: a new Graph object is its
 * spec file and one line here.
 */
export { WindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentityArgs } from "./deviceIdentity/resource";
export { ImportedWindowsAutopilotDeviceIdentity, ImportedWindowsAutopilotDeviceIdentityArgs, ImportedDeviceIdentityState } from "./importedIdentity/resource";
export { ImportedWindowsAutopilotDeviceIdentityUpload, ImportedWindowsAutopilotDeviceIdentityUploadArgs } from "./upload/resource";
export { WindowsAutopilotDeploymentProfileAssignment, WindowsAutopilotDeploymentProfileAssignmentArgs, AssignmentTarget } from "./assignment/spec";
export { WindowsAutopilotDeploymentProfile, WindowsAutopilotDeploymentProfileArgs } from "./profile/spec";
