/**
 * WindowsAutopilotDeploymentProfileAssignment (beta): a group assignment of a deployment profile.
 *
 * `assignments` is a navigation of the profile (Graph's metadata), so an assignment belongs to the
 * profile, not to a device. A declaration names the profile (`profileId`), or reaches it through a
 * device (`deviceId`, the documented update page's route
 * `/windowsAutopilotDeviceIdentities/{id}/deploymentProfile/assignments`), which goes to the
 * profile that device has now, shared by every device with that profile. So:
 * - on the profile: create POSTs, or adopts the profile's assignment with the same target (a run
 *   that was interrupted, an earlier version's fleet); update PATCHes; delete DELETEs;
 * - through a device: create POSTs, and refuses when the device's profile already has an
 *   assignment with that target, naming the profile (two declarations would own one object);
 *   delete DELETEs what it made. A device without a profile is a clear error. A state written
 *   before assignments belonged to profiles (one per device, several sharing one assignment)
 *   records no profile: deleting it releases the assignment (no request), so removing one of
 *   those declarations never removes an assignment another one still needs.
 */
import { GraphError } from "../../graph";
import { readToAdopt } from "../../lifecycle/adopt";
import { ArgsOf, KindInput, resourceClass } from "../../lifecycle/define";
import { AutopilotError } from "../../lifecycle/errors";
import type { CheckFailure, FieldSpec } from "../../lifecycle/fields";
import type { LifecycleContext, ResourceSpec } from "../../lifecycle/spec";
import { isUnknown, Props } from "../../lifecycle/values";
import { createOrAdoptAssignment } from "./adopt";
import { TARGET_TYPES, targetFromGraph, targetToGraph } from "./target";

const DEVICES = "/deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES = "/deviceManagement/windowsAutopilotDeploymentProfiles";
const ODATA_TYPE = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

const given = (v: unknown): v is string => typeof v === "string" && v !== "";

/** The collection the declaration's routes go to: the profile's, or the one through its device. */
function collection(props: Props): { path: string; route: string } {
    if (given(props.profileId)) {
        return { path: `${PROFILES}/${encodeURIComponent(props.profileId)}/assignments`, route: `${PROFILES}/{profileId}/assignments` };
    }
    return {
        path: `${DEVICES}/${encodeURIComponent(String(props.deviceId))}/deploymentProfile/assignments`,
        route: `${DEVICES}/{deviceId}/deploymentProfile/assignments`,
    };
}

/** The assignment's path, and the route template `method` goes to. */
const item = (method: string, id: string, props: Props) => {
    const c = collection(props);
    return { path: `${c.path}/${encodeURIComponent(id)}`, route: `${method} ${c.route}/{assignmentId}` };
};

/** Fields of WindowsAutopilotDeploymentProfileAssignment, and (TSDoc) what each is. */
export const assignmentFields = {
    /** Graph id of the deployment profile the assignment belongs to. A change replaces the resource. */
    profileId: { kind: { type: "guid" }, write: "key" },
    /** Instead of `profileId`: reach the profile through this Autopilot device (the profile it has now). A change replaces the resource. */
    deviceId: { kind: { type: "guid" }, write: "key" },
    /** Graph id of an existing assignment to adopt. A change replaces the resource. */
    assignmentId: { kind: { type: "guid" }, write: "key" },
    /** Who the assignment targets; `kind` picks Graph's target type. Written with PATCH (whole). */
    target: {
        kind: {
            type: "object",
            fields: {
                /** Target kind: group, exclusionGroup, allDevices, allLicensedUsers or configurationManagerCollection. */
                kind: {
                    kind: { type: "choice", values: ["group", "exclusionGroup", "allDevices", "allLicensedUsers", "configurationManagerCollection"] },
                    write: "patch",
                },
                /** Entra group id (kind group or exclusionGroup). */
                groupId: { kind: { type: "guid" }, write: "patch" },
                /** Configuration Manager collection id (kind configurationManagerCollection). */
                collectionId: { kind: { type: "string" }, write: "patch" },
                /** Assignment filter id (beta). */
                deviceAndAppManagementAssignmentFilterId: { kind: { type: "guid" }, write: "patch" },
                /** Assignment filter type: none, include or exclude (beta). */
                deviceAndAppManagementAssignmentFilterType: {
                    kind: { type: "enum", api: "beta", name: "deviceAndAppManagementAssignmentFilterType" },
                    write: "patch",
                },
            },
        },
        write: "patch",
        toGraph: targetToGraph,
        fromGraph: targetFromGraph,
    },
    /** Where the assignment comes from: direct or policySets; written with PATCH. */
    source: { kind: { type: "enum", api: "beta", name: "deviceAndAppManagementAssignmentSource" }, write: "patch" },
    /** Id of the policy set the assignment comes from; written with PATCH. */
    sourceId: { kind: { type: "string" }, write: "patch" },
} as const satisfies Record<string, FieldSpec>;

/** Who a deployment-profile assignment targets; `kind` picks Graph's target type. */
export type AssignmentTarget = KindInput<(typeof assignmentFields)["target"]["kind"]>;

function checkTarget(target: unknown): CheckFailure[] {
    if (target === undefined || target === null || isUnknown(target)) return [];
    const t = target as Props;
    const failures: CheckFailure[] = [];
    const kind = t.kind;
    if (kind === undefined) {
        failures.push({ property: "target.kind", reason: `target.kind is required; allowed: ${Object.keys(TARGET_TYPES).join(", ")}` });
    }
    if ((kind === "group" || kind === "exclusionGroup") && t.groupId === undefined) {
        failures.push({ property: "target.groupId", reason: `target.groupId (a GUID) is required when target.kind is ${kind}` });
    }
    if (kind === "configurationManagerCollection" && (t.collectionId === undefined || t.collectionId === "")) {
        failures.push({ property: "target.collectionId", reason: "target.collectionId is required when target.kind is configurationManagerCollection" });
    }
    if (kind !== undefined && kind !== "group" && kind !== "exclusionGroup" && t.groupId !== undefined) {
        failures.push({ property: "target.groupId", reason: `target.groupId applies only to kind group or exclusionGroup, not ${kind}` });
    }
    if (kind !== undefined && kind !== "configurationManagerCollection" && t.collectionId !== undefined) {
        failures.push({ property: "target.collectionId", reason: `target.collectionId applies only to kind configurationManagerCollection, not ${kind}` });
    }
    const filterType = t.deviceAndAppManagementAssignmentFilterType;
    if ((filterType === "include" || filterType === "exclude") && !t.deviceAndAppManagementAssignmentFilterId) {
        failures.push({
            property: "target.deviceAndAppManagementAssignmentFilterId",
            reason: `target.deviceAndAppManagementAssignmentFilterId is required when the filter type is ${filterType}`,
        });
    }
    return failures;
}

/** The profile a device has now, or a clear error when it has none. */
async function profileOfDevice(ctx: LifecycleContext, deviceId: string): Promise<Props> {
    try {
        const res = await ctx.graph.send<Props>({
            method: "GET",
            apiVersion: "beta",
            path: `${DEVICES}/${encodeURIComponent(deviceId)}/deploymentProfile`,
            route: `GET ${DEVICES}/{deviceId}/deploymentProfile`,
        });
        return res.body;
    } catch (e) {
        if (GraphError.isGraphError(e) && e.status === 404) {
            throw new AutopilotError(
                "AUTOPILOT_DEVICE_HAS_NO_PROFILE",
                `deviceId: Autopilot device ${deviceId} has no deployment profile yet (Graph answered 404, request-id ${e.requestId ?? "none"}), so there are no assignments to reach through it. ` +
                    `An assignment belongs to the profile: declare it with profileId (the WindowsAutopilotDeploymentProfile's profileId); the device gets the profile once it is in a group the profile is assigned to.`,
            );
        }
        throw e;
    }
}

const describeTarget = (a: Props): string => {
    const t = targetFromGraph(a.target) as Props | null;
    return t ? `${t.kind}${t.groupId ? ` ${t.groupId}` : ""}${t.collectionId ? ` ${t.collectionId}` : ""}` : "no target";
};

/** WindowsAutopilotDeploymentProfileAssignment: a profile's group assignment, created or adopted. */
export const assignmentSpec = {
    typeName: "WindowsAutopilotDeploymentProfileAssignment",
    graphType: "microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
    apiVersion: "beta",
    idOutput: "assignmentId",
    fields: assignmentFields,
    permission: "DeviceManagementServiceConfig.ReadWrite.All",

    item: (id, props) => item("GET", id, props),

    patchTarget: (id, props) => ({ method: "PATCH", ...item("PATCH", id, props), bodyExtras: { "@odata.type": ODATA_TYPE } }),

    validate(inputs) {
        const failures: CheckFailure[] = [];
        if ((inputs.profileId === undefined) === (inputs.deviceId === undefined)) {
            failures.push({
                property: "profileId",
                reason: "give exactly one of profileId (the deployment profile the assignment belongs to) or deviceId (reach the profile a device has through the device)",
            });
        }
        if (inputs.assignmentId === undefined && inputs.target === undefined) {
            failures.push({ property: "target", reason: "target is required to create an assignment (or give assignmentId to adopt one)" });
        }
        return [...failures, ...checkTarget(inputs.target)];
    },

    async create(ctx, inputs) {
        const throughDevice = inputs.profileId === undefined;
        // Through a device, the profile it has now: kept in the outputs (the declaration owns
        // what it makes there; see delete).
        const profile = throughDevice ? await profileOfDevice(ctx, String(inputs.deviceId)) : undefined;
        const profileId = profile ? String(profile.id) : String(inputs.profileId);
        const learned = profile ? { profileId } : undefined;
        if (inputs.assignmentId !== undefined) {
            const id = String(inputs.assignmentId);
            const graph = await readToAdopt(ctx, id, {
                apiVersion: "beta",
                ...item("GET", id, inputs),
                input: "assignmentId",
                what: `assignment on ${throughDevice ? `the deployment profile of device ${inputs.deviceId}` : `deployment profile ${profileId}`}`,
                code: "AUTOPILOT_ASSIGNMENT_NOT_FOUND",
            });
            return { id, graph, written: [], learned };
        }
        const sourceFields = ["source", "sourceId"].filter((name) => inputs[name] !== undefined);
        const body: Props = { "@odata.type": ODATA_TYPE, target: targetToGraph(inputs.target), ...Object.fromEntries(sourceFields.map((n) => [n, inputs[n]])) };
        const written = ["target", ...sourceFields];
        const c = collection(inputs);
        const post = async (): Promise<Props> =>
            (await ctx.graph.send<Props>({ method: "POST", apiVersion: "beta", path: c.path, route: `POST ${c.route}`, body })).body;
        const made = await createOrAdoptAssignment(ctx, inputs, profileId, post, {
            where: throughDevice ? `device ${inputs.deviceId}` : `profile ${profileId}`,
            // Through a device, an existing assignment with the target is another declaration's
            // (or the portal's): owning it too would let either one delete it for both.
            refuseExisting: throughDevice
                ? (existing) =>
                      new AutopilotError(
                          "AUTOPILOT_ASSIGNMENT_SHARED",
                          `deviceId: device ${inputs.deviceId} has deployment profile ${profileId} (${JSON.stringify(profile?.displayName ?? null)}), which already has an assignment to ${describeTarget(existing)} (assignment ${existing.id}). ` +
                              `An assignment belongs to the profile and serves every device that has it: declare it once with profileId: "${profileId}", or adopt this one with assignmentId: "${existing.id}".`,
                      )
                : undefined,
        });
        return { id: String(made.graph.id), graph: made.graph, written: made.how === "adopted" ? [] : written, fresh: made.how !== "adopted", learned };
    },

    async delete(ctx, id, props) {
        if (!given(props.profileId)) {
            ctx.log(
                `WindowsAutopilotDeploymentProfileAssignment ${id}: released, not deleted: this state was written when a fleet declared one assignment per device, ` +
                    `several sharing this one; it belongs to the profile (declare it with profileId to manage it)`,
            );
            return;
        }
        try {
            await ctx.graph.send({ method: "DELETE", apiVersion: "beta", ...item("DELETE", id, props) });
        } catch (e) {
            if (GraphError.isGraphError(e) && e.status === 404) return;
            throw e;
        }
    },
} as const satisfies ResourceSpec;

/**
 * A deployment profile's group assignment (Graph windowsAutopilotDeploymentProfileAssignment,
 * beta): on the profile (`profileId`) or reached through a device (`deviceId`); created with POST
 * or adopted by `assignmentId`; PATCHed; deleted.
 */
export const WindowsAutopilotDeploymentProfileAssignment = resourceClass(assignmentSpec);
export type WindowsAutopilotDeploymentProfileAssignment = InstanceType<typeof WindowsAutopilotDeploymentProfileAssignment>;
/** Inputs of {@link WindowsAutopilotDeploymentProfileAssignment}. */
export type WindowsAutopilotDeploymentProfileAssignmentArgs = ArgsOf<typeof assignmentFields>;
