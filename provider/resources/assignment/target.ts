import type { Props } from "../../lifecycle/values";

/** The target kinds a program names, and Graph's `@odata.type` for each. */
export const TARGET_TYPES: Record<string, string> = {
    group: "#microsoft.graph.groupAssignmentTarget",
    exclusionGroup: "#microsoft.graph.exclusionGroupAssignmentTarget",
    allDevices: "#microsoft.graph.allDevicesAssignmentTarget",
    allLicensedUsers: "#microsoft.graph.allLicensedUsersAssignmentTarget",
    configurationManagerCollection: "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
};

const KIND_BY_TYPE = Object.fromEntries(Object.entries(TARGET_TYPES).map(([k, t]) => [t, k]));

/** Program shape -> Graph shape: `kind` becomes `@odata.type`; members carried over. */
export function targetToGraph(value: unknown): unknown {
    const { kind, ...members } = value as Props;
    return { "@odata.type": TARGET_TYPES[String(kind)], ...Object.fromEntries(Object.entries(members).filter(([, v]) => v !== undefined)) };
}

/** Graph shape -> program shape; null stays null. */
export function targetFromGraph(value: unknown): unknown {
    if (value === null || value === undefined || typeof value !== "object") return value ?? null;
    const { "@odata.type": odataType, ...members } = value as Props;
    return {
        kind: KIND_BY_TYPE[String(odataType)] ?? String(odataType),
        ...Object.fromEntries(Object.entries(members).filter(([, v]) => v !== null && v !== undefined)),
    };
}
