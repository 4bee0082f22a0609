/**
 * windowsAutopilotDeploymentProfileAssignment routes (beta only; v1.0 has no deploymentProfile
 * navigation on device identities, so those paths answer "Resource not found for the segment").
 */
import { randomUUID } from "crypto";
import { badRequest, notFound } from "./errors";
import { requireDevice } from "./devices";
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

const prefix = (deviceId: string): string => `assignment/${deviceId}/`;

function assignmentsOf(ctx: RouteContext): [string, Map<string, ProfileAssignment>] {
  const [deviceId] = requireDevice(ctx, ctx.params.id);
  let map = ctx.state.tenant.assignments.get(deviceId);
  if (!map) {
    map = new Map();
    ctx.state.tenant.assignments.set(deviceId, map);
  }
  return [deviceId, map];
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
  const [deviceId, map] = assignmentsOf(ctx);
  const all = ctx.state.consistency.visibleList(prefix(deviceId), map);
  return listReply(ctx, typeFor(ctx, TYPES.assignment), filterRecords(ctx, all, []));
}

function get(ctx: RouteContext): Reply {
  const [deviceId, map] = assignmentsOf(ctx);
  const found = lookup(map, ctx.params.assignmentId);
  const visible = ctx.state.consistency.visible(prefix(deviceId) + (found ? found[0] : ctx.params.assignmentId), found?.[1]);
  if (!visible) throw notFound(TYPES.assignment, ctx.params.assignmentId);
  return objectReply(ctx, typeFor(ctx, TYPES.assignment), visible);
}

function create(ctx: RouteContext): Reply {
  const [deviceId, map] = assignmentsOf(ctx);
  const fields = validate(ctx);
  if (!fields.target) throw badRequest("The property 'target' is required to create a deployment profile assignment.");
  const rec: ProfileAssignment = { id: randomUUID(), source: "direct", ...fields };
  ctx.state.consistency.beforeWrite(prefix(deviceId) + rec.id, undefined);
  map.set(rec.id, rec);
  return objectReply(ctx, typeFor(ctx, TYPES.assignment), rec, 201);
}

function patch(ctx: RouteContext): Reply {
  const [deviceId, map] = assignmentsOf(ctx);
  const found = lookup(map, ctx.params.assignmentId);
  if (!found) throw notFound(TYPES.assignment, ctx.params.assignmentId);
  const fields = validate(ctx);
  ctx.state.consistency.beforeWrite(prefix(deviceId) + found[0], found[1]);
  Object.assign(found[1], fields);
  return objectReply(ctx, typeFor(ctx, TYPES.assignment), found[1]);
}

function remove(ctx: RouteContext): Reply {
  const [deviceId, map] = assignmentsOf(ctx);
  const found = lookup(map, ctx.params.assignmentId);
  if (!found) throw notFound(TYPES.assignment, ctx.params.assignmentId);
  ctx.state.consistency.beforeWrite(prefix(deviceId) + found[0], found[1]);
  map.delete(found[0]);
  ctx.state.tenant.deletedIds.add(found[0]);
  // The assignment page documents 204 No Content.
  return noContent();
}

const ASSIGNMENTS = "deviceManagement/windowsAutopilotDeviceIdentities/{id}/deploymentProfile/assignments";

/** Routes of this module. */
export const assignmentRoutes: RouteDef[] = [
  { pattern: ASSIGNMENTS, versions: ["beta"], methods: { GET: list, POST: create } },
  { pattern: `${ASSIGNMENTS}/{assignmentId}`, versions: ["beta"], methods: { GET: get, PATCH: patch, DELETE: remove } },
];

