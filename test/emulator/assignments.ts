/**
 * windowsAutopilotDeploymentProfileAssignment routes (beta only; v1.0 has no deploymentProfile
 * navigation on device identities, so those paths answer "Resource not found for the segment").
 *
 * `assignments` is a navigation of the profile: the collection lives on the profile, and the
 * seed's device-scoped route `windowsAutopilotDeviceIdentities/{id}/deploymentProfile/assignments`
 * follows the device's single-valued `deploymentProfile` to that same collection, so every
 * device that has the profile reaches the same assignments.
 */
import { randomUUID } from "crypto";
import { badRequest, GraphError, notFound } from "./errors";
import { requireDevice } from "./devices";
import { profileOfDevice } from "./profileModel";
import { intuneGenericError, requireProfile } from "./profiles";
import { filterRecords, listReply, noContent, objectReply, TYPES, typeFor } from "./respond";
import type { Reply, RouteContext, RouteDef } from "./router";
import { shortName } from "./schema";
import { lookup } from "./tenant";
import type { ProfileAssignment } from "./types";
import { validateEntityBody } from "./validate";

/**
 * Target kinds the documented assignment page lists (DESIGN §1). The schema knows more subtypes
 * of deviceAndAppManagementAssignmentTarget (androidFota...), which Autopilot does not take.
 */
export const DOCUMENTED_TARGET_TYPES: readonly string[] = [
    "groupAssignmentTarget",
    "exclusionGroupAssignmentTarget",
    "allDevicesAssignmentTarget",
    "allLicensedUsersAssignmentTarget",
    "configurationManagerCollectionAssignmentTarget",
];

const WRITABLE = new Set(["source", "sourceId", "target"]);

const prefix = (profileId: string): string => `assignment/${profileId}/`;

/**
 * The profile whose assignments the route names: `{profileId}`, or the device's profile on the
 * device-scoped route. Assumed: a device no profile reaches answers 404 there (Graph documents
 * nothing for a navigation through an empty `deploymentProfile`).
 */
function assignmentsOf(ctx: RouteContext): [string, Map<string, ProfileAssignment>] {
    let profileId: string;
    if (ctx.params.profileId !== undefined) {
        [profileId] = requireProfile(ctx, ctx.params.profileId);
    } else {
        const [deviceKey, device] = requireDevice(ctx, ctx.params.id);
        const found = profileOfDevice(ctx.state.tenant, device);
        if (!found) throw notFound(TYPES.profile, `deploymentProfile of device ${deviceKey}`);
        profileId = found[0];
    }
    let map = ctx.state.tenant.assignments.get(profileId);
    if (!map) {
        map = new Map();
        ctx.state.tenant.assignments.set(profileId, map);
    }
    return [profileId, map];
}

/**
 * Intune allows one profile per "all devices" target across the tenant: a second answers 400
 * with "Another Profile <id> is already assigned to All Devices." (seen on the live service;
 * undocumented).
 */
function checkAllDevicesFree(ctx: RouteContext, profileId: string, target: Record<string, unknown> | null | undefined): void {
    if (!target || shortName(String(target["@odata.type"])) !== "allDevicesAssignmentTarget") return;
    for (const [otherId, map] of ctx.state.tenant.assignments) {
        if (otherId === profileId) continue;
        for (const a of map.values()) {
            if (a.target && shortName(String(a.target["@odata.type"])) === "allDevicesAssignmentTarget") {
                throw new GraphError(
                    400,
                    "BadRequest",
                    `Another Profile ${otherId} is already assigned to All Devices. ${intuneGenericError(ctx, `deviceManagement/windowsAutopilotDeploymentProfiles('${profileId}')/assignments`)}`,
                );
            }
        }
    }
}

function validate(ctx: RouteContext): Record<string, unknown> {
    const fields = validateEntityBody(ctx.state.schema, ctx.version, typeFor(ctx, TYPES.assignment), ctx.body(), WRITABLE);
    const target = fields.target as Record<string, unknown> | null | undefined;
    if (target) {
        const kind = shortName(String(target["@odata.type"]));
        if (!DOCUMENTED_TARGET_TYPES.includes(kind)) {
            throw badRequest(
                `The target type '#microsoft.graph.${kind}' is not supported for Autopilot deployment profile assignments; ` +
                    `use one of ${DOCUMENTED_TARGET_TYPES.map((t) => "#microsoft.graph." + t).join(", ")}.`,
            );
        }
    }
    return fields;
}

function list(ctx: RouteContext): Reply {
    const [profileId, map] = assignmentsOf(ctx);
    const all = ctx.state.consistency.visibleList(prefix(profileId), map);
    return listReply(ctx, typeFor(ctx, TYPES.assignment), filterRecords(ctx, all, []));
}

function get(ctx: RouteContext): Reply {
    const [profileId, map] = assignmentsOf(ctx);
    const found = lookup(map, ctx.params.assignmentId);
    const visible = ctx.state.consistency.visible(prefix(profileId) + (found ? found[0] : ctx.params.assignmentId), found?.[1]);
    if (!visible) throw notFound(TYPES.assignment, ctx.params.assignmentId);
    return objectReply(ctx, typeFor(ctx, TYPES.assignment), visible);
}

function create(ctx: RouteContext): Reply {
    const [profileId, map] = assignmentsOf(ctx);
    const fields = validate(ctx);
    if (!fields.target) throw badRequest("The property 'target' is required to create a deployment profile assignment.");
    checkAllDevicesFree(ctx, profileId, fields.target as Record<string, unknown>);
    const rec: ProfileAssignment = { id: randomUUID(), source: "direct", ...fields };
    ctx.state.consistency.beforeWrite(prefix(profileId) + rec.id, undefined);
    map.set(rec.id, rec);
    return objectReply(ctx, typeFor(ctx, TYPES.assignment), rec, 201);
}

function patch(ctx: RouteContext): Reply {
    const [profileId, map] = assignmentsOf(ctx);
    const found = lookup(map, ctx.params.assignmentId);
    if (!found) throw notFound(TYPES.assignment, ctx.params.assignmentId);
    const fields = validate(ctx);
    checkAllDevicesFree(ctx, profileId, fields.target as Record<string, unknown>);
    ctx.state.consistency.beforeWrite(prefix(profileId) + found[0], found[1]);
    Object.assign(found[1], fields);
    return objectReply(ctx, typeFor(ctx, TYPES.assignment), found[1]);
}

function remove(ctx: RouteContext): Reply {
    const [profileId, map] = assignmentsOf(ctx);
    const found = lookup(map, ctx.params.assignmentId);
    if (!found) throw notFound(TYPES.assignment, ctx.params.assignmentId);
    ctx.state.consistency.beforeWrite(prefix(profileId) + found[0], found[1]);
    map.delete(found[0]);
    ctx.state.tenant.deletedIds.add(found[0]);
    // The assignment page documents 204 No Content.
    return noContent();
}

const ON_PROFILE = "deviceManagement/windowsAutopilotDeploymentProfiles/{profileId}/assignments";
const THROUGH_DEVICE = "deviceManagement/windowsAutopilotDeviceIdentities/{id}/deploymentProfile/assignments";

/** Routes of this module: the profile's collection, and the same collection reached through a device. */
export const assignmentRoutes: RouteDef[] = [
    { pattern: ON_PROFILE, versions: ["beta"], methods: { GET: list, POST: create } },
    { pattern: `${ON_PROFILE}/{assignmentId}`, versions: ["beta"], methods: { GET: get, PATCH: patch, DELETE: remove } },
    { pattern: THROUGH_DEVICE, versions: ["beta"], methods: { GET: list, POST: create } },
    { pattern: `${THROUGH_DEVICE}/{assignmentId}`, versions: ["beta"], methods: { GET: get, PATCH: patch, DELETE: remove } },
];
