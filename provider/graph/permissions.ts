import type { HttpMethod, RequiredPermissions } from "./types";

const SERVICE_CONFIG: RequiredPermissions = {
    readWrite: "DeviceManagementServiceConfig.ReadWrite.All",
    read: "DeviceManagementServiceConfig.Read.All",
};

/**
 * Graph application permissions per route prefix (path without the version). Every
 * Autopilot object lives under Intune's "service config" permission; the pages of
 * DESIGN section 1 name it for both the v1.0 and the beta routes.
 */
export const ROUTE_PERMISSIONS: ReadonlyArray<readonly [prefix: string, permissions: RequiredPermissions]> = [
    ["/deviceManagement/windowsAutopilotDeviceIdentities", SERVICE_CONFIG],
    ["/deviceManagement/importedWindowsAutopilotDeviceIdentities", SERVICE_CONFIG],
    ["/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads", SERVICE_CONFIG],
    ["/deviceManagement/windowsAutopilotDeploymentProfiles", SERVICE_CONFIG],
    ["/deviceManagement/windowsAutopilotSettings", SERVICE_CONFIG],
    // The upload-scoped route as one of the update pages spells it (without deviceManagement).
    ["/importedWindowsAutopilotDeviceIdentityUpload", SERVICE_CONFIG],
];

/** The permissions for a path like `/deviceManagement/windowsAutopilotDeviceIdentities/abc`. */
export function permissionsForPath(path: string): RequiredPermissions | undefined {
    // Tolerate a version segment (paths of @odata.nextLink URLs carry one).
    const lower = path.replace(/^\/(?:beta|v1\.0)(?=\/)/, "").toLowerCase();
    for (const [prefix, permissions] of ROUTE_PERMISSIONS) {
        const p = prefix.toLowerCase();
        // Graph route segments are case-insensitive; match whole segments only.
        if (lower === p || lower.startsWith(p + "/") || lower.startsWith(p + "(") || lower.startsWith(p + "?")) {
            return permissions;
        }
    }
    return undefined;
}

/** The sentence a 403 message ends with. */
export function permissionHint(method: HttpMethod, permissions: RequiredPermissions | undefined): string {
    if (!permissions) {
        return "The app lacks a Microsoft Graph permission this call needs (check the API permissions of the app registration and that admin consent was granted).";
    }
    const reads = method === "GET" && permissions.read ? `; for reads ${permissions.read} is enough` : "";
    return `The app needs the Microsoft Graph application permission ${permissions.readWrite} (admin consent granted)${reads}.`;
}
