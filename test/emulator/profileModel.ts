/**
 * Which devices a deployment profile reaches, from its group assignments and the tenant's groups.
 *
 * Graph documents the shape (a device's `deploymentProfile` is one profile; a profile's
 * `assignedDevices` and `assignments` are its own collections) but not how Intune resolves them.
 * The emulator assumes what Intune's portal shows: a profile reaches the devices in the groups
 * its `groupAssignmentTarget`s name (every device for `allDevicesAssignmentTarget`) less those in
 * its `exclusionGroupAssignmentTarget` groups, and a device reached by several profiles gets the
 * one created first. It resolves at once; the live service takes minutes and moves the device's
 * `deploymentProfileAssignmentStatus` through pending states, which the emulator does not model.
 */
import type { DeploymentProfile, DeviceIdentity, EntraGroup, Tenant } from "./types";

/** The two concrete profile types Graph has (the base type is abstract). */
export const PROFILE_TYPES: readonly string[] = ["azureADWindowsAutopilotDeploymentProfile", "activeDirectoryWindowsAutopilotDeploymentProfile"];

const short = (odataType: unknown): string => String(odataType ?? "").replace(/^#?microsoft\.graph\./, "");

function isMember(group: EntraGroup | undefined, device: DeviceIdentity): boolean {
    if (!group) return false;
    if (group.deviceIds?.some((id) => id.toLowerCase() === device.id.toLowerCase())) return true;
    const tag = typeof device.groupTag === "string" ? device.groupTag : "";
    return group.groupTag !== undefined && tag !== "" && tag.toLowerCase() === group.groupTag.toLowerCase();
}

// Group ids are GUIDs: compared ignoring case, as Graph does.
function groupById(tenant: Tenant, id: unknown): EntraGroup | undefined {
    if (typeof id !== "string") return undefined;
    return tenant.groups.get(id) ?? [...tenant.groups.values()].find((g) => g.id.toLowerCase() === id.toLowerCase());
}

/** Whether the profile's assignments reach the device. */
export function reaches(tenant: Tenant, profileId: string, device: DeviceIdentity): boolean {
    const assignments = [...(tenant.assignments.get(profileId)?.values() ?? [])];
    let included = false;
    for (const a of assignments) {
        const target = a.target ?? {};
        const kind = short(target["@odata.type"]);
        const group = groupById(tenant, target.groupId);
        if (kind === "exclusionGroupAssignmentTarget" && isMember(group, device)) return false;
        if (kind === "allDevicesAssignmentTarget" || (kind === "groupAssignmentTarget" && isMember(group, device))) included = true;
    }
    return included;
}

/** The profile a device has (its `deploymentProfile`), or undefined. */
export function profileOfDevice(tenant: Tenant, device: DeviceIdentity): [string, DeploymentProfile] | undefined {
    const candidates = [...tenant.profiles.entries()].filter(([id]) => reaches(tenant, id, device));
    candidates.sort(([, a], [, b]) => String(a.createdDateTime ?? "").localeCompare(String(b.createdDateTime ?? "")));
    return candidates[0];
}

/** The devices that have this profile (its `assignedDevices`). */
export function devicesOfProfile(tenant: Tenant, profileId: string): DeviceIdentity[] {
    return [...tenant.devices.values()].filter((d) => profileOfDevice(tenant, d)?.[0] === profileId);
}

/** The concrete type name of a stored profile. */
export function profileTypeName(profile: DeploymentProfile): string {
    return short(profile["@odata.type"]);
}
