/**
 * windowsAutopilotDeviceIdentity routes: list/get, the documented PATCH (two routes), the
 * actions (updateDeviceProperties, assignUserToDevice, unassignUserFromDevice) and DELETE
 * (asynchronous deregistration on the live profile).
 */
import { randomUUID } from "crypto";
import { badRequest, noMethodMatch, notFound } from "./errors";
import { emptyOk, filterRecords, listReply, noContent, objectReply, TYPES, typeFor } from "./respond";
import type { Reply, RouteContext, RouteDef } from "./router";
import type { EmulatorState } from "./state";
import { lookup } from "./tenant";
import type { DeviceIdentity } from "./types";
import { validateActionParams, validateEntityBody } from "./validate";

/**
 * Writable fields of the documented update page (DESIGN §1), intersected at run time with the
 * properties the request's API version has (v1.0 lacks the deploymentProfile* fields).
 */
export const DOCUMENTED_DEVICE_PATCH_FIELDS: readonly string[] = [
    "deploymentProfileAssignmentStatus",
    "deploymentProfileAssignedDateTime",
    "orderIdentifier",
    "purchaseOrderIdentifier",
    "serialNumber",
    "productKey",
    "manufacturer",
    "model",
    "enrollmentState",
    "lastContactedDateTime",
];

/** `$filter` properties Intune supports on this collection. */
const FILTERABLE = ["serialNumber", "groupTag"];

/** Consistency key of a device. */
export const deviceKey = (id: string): string => `device/${id}`;

/** Removes a device for good (end of deregistration, or documented DELETE). */
export function finishDeregistration(state: EmulatorState, id: string): void {
    state.tenant.devices.delete(id);
    state.tenant.deregistering.delete(id);
    state.tenant.deletedIds.add(id);
}

// A read of a device being deregistered uses up one of its remaining reads; past them it is gone.
function stillReadable(state: EmulatorState, id: string): boolean {
    const left = state.tenant.deregistering.get(id);
    if (left === undefined) return true;
    if (left <= 0) {
        finishDeregistration(state, id);
        return false;
    }
    state.tenant.deregistering.set(id, left - 1);
    return true;
}

/** Finds a device for a write or a sub-resource (no read accounting); 404 when unknown. */
export function requireDevice(ctx: RouteContext, id: string): [string, DeviceIdentity] {
    const found = lookup(ctx.state.tenant.devices, id);
    if (!found) throw notFound(TYPES.device, id);
    return found;
}

function getDevice(ctx: RouteContext, id: string): DeviceIdentity {
    const { state } = ctx;
    const found = lookup(state.tenant.devices, id);
    const key = found ? found[0] : id;
    const visible = state.consistency.visible(deviceKey(key), found?.[1]);
    if (!visible || (found && !stillReadable(state, key))) throw notFound(TYPES.device, id);
    return visible;
}

function list(ctx: RouteContext): Reply {
    const { state } = ctx;
    const all = state.consistency.visibleList("device/", state.tenant.devices);
    const matching = filterRecords(ctx, all, FILTERABLE).filter((d) => stillReadable(state, d.id));
    return listReply(ctx, typeFor(ctx, TYPES.device), matching);
}

function patchDevice(ctx: RouteContext, id: string): Reply {
    const { state } = ctx;
    if (state.profile === "live") throw noMethodMatch(ctx.template, ctx.method, ctx.odataPath);
    const type = typeFor(ctx, TYPES.device);
    const writable = new Set(DOCUMENTED_DEVICE_PATCH_FIELDS.filter((f) => type.properties.has(f)));
    const [key, device] = requireDevice(ctx, id);
    const fields = validateEntityBody(state.schema, ctx.version, type, ctx.body(), writable);
    state.consistency.beforeWrite(deviceKey(key), device);
    Object.assign(device, fields);
    return objectReply(ctx, type, device);
}

function updateDeviceProperties(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, device] = requireDevice(ctx, ctx.params.id);
    const params = validateActionParams(state.schema, ctx.version, "updateDeviceProperties", TYPES.device, ctx.body());
    state.consistency.beforeWrite(deviceKey(key), device);
    // Only the given parameters change; null clears.
    Object.assign(device, params);
    return noContent();
}

function assignUser(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, device] = requireDevice(ctx, ctx.params.id);
    const params = validateActionParams(state.schema, ctx.version, "assignUserToDevice", TYPES.device, ctx.body());
    if (typeof params.userPrincipalName !== "string" || params.userPrincipalName === "") {
        throw badRequest("The parameter 'userPrincipalName' is required for the operation 'assignUserToDevice'.");
    }
    state.consistency.beforeWrite(deviceKey(key), device);
    Object.assign(device, params);
    return noContent();
}

function unassignUser(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key, device] = requireDevice(ctx, ctx.params.id);
    validateActionParams(state.schema, ctx.version, "unassignUserFromDevice", TYPES.device, ctx.body());
    state.consistency.beforeWrite(deviceKey(key), device);
    device.userPrincipalName = null;
    device.addressableUserName = null;
    return noContent();
}

function deleteDevice(ctx: RouteContext): Reply {
    const { state } = ctx;
    const [key] = requireDevice(ctx, ctx.params.id);
    if (state.profile === "live") {
        // Deregistration is asynchronous: the device stays readable for a few more reads.
        if (!state.tenant.deregistering.has(key)) state.tenant.deregistering.set(key, state.importPendingReads);
    } else {
        finishDeregistration(state, key);
    }
    return emptyOk();
}

/**
 * Creates a device identity (import completion); returns it. Like any write, it becomes visible
 * to reads only after `writeVisibilityDelayMs` on the live profile.
 */
export function createDevice(state: EmulatorState, fields: Omit<DeviceIdentity, "id">): DeviceIdentity {
    const device: DeviceIdentity = { id: randomUUID(), ...fields };
    state.consistency.beforeWrite(deviceKey(device.id), undefined);
    state.tenant.devices.set(device.id, device);
    return device;
}

const BOTH = ["beta", "v1.0"] as const;
const DEVICES = "deviceManagement/windowsAutopilotDeviceIdentities";

/** Routes of this module. */
export const deviceRoutes: RouteDef[] = [
    { pattern: DEVICES, versions: BOTH, methods: { GET: list } },
    {
        pattern: `${DEVICES}/{id}`,
        versions: BOTH,
        methods: {
            GET: (ctx) => objectReply(ctx, typeFor(ctx, TYPES.device), getDevice(ctx, ctx.params.id)),
            PATCH: (ctx) => patchDevice(ctx, ctx.params.id),
            DELETE: deleteDevice,
        },
    },
    {
        // The second documented update route: the device updated is the one of the last key.
        pattern: `${DEVICES}/{id}/deploymentProfile/assignedDevices/{assignedId}`,
        versions: ["beta"],
        methods: {
            GET: (ctx) => {
                requireDevice(ctx, ctx.params.id);
                return objectReply(ctx, typeFor(ctx, TYPES.device), getDevice(ctx, ctx.params.assignedId));
            },
            PATCH: (ctx) => {
                if (ctx.state.profile !== "live") requireDevice(ctx, ctx.params.id);
                return patchDevice(ctx, ctx.params.assignedId);
            },
        },
    },
    { pattern: `${DEVICES}/{id}/updateDeviceProperties`, versions: BOTH, action: true, methods: { POST: updateDeviceProperties } },
    { pattern: `${DEVICES}/{id}/assignUserToDevice`, versions: BOTH, action: true, methods: { POST: assignUser } },
    { pattern: `${DEVICES}/{id}/unassignUserFromDevice`, versions: BOTH, action: true, methods: { POST: unassignUser } },
];
