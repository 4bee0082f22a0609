/**
 * windowsAutopilotDeploymentProfile routes (beta): the collection, each profile (POST, GET,
 * PATCH, DELETE), its `assignedDevices`, and a device's `deploymentProfile`. The profile's
 * `assignments` are in assignments.ts.
 *
 * Graph documents the resource pages and the create/get/update/delete pages; what it does beyond
 * them is marked "assumed" below, with what the emulator assumes.
 */
import { randomUUID } from "crypto";
import { badRequest, GraphError, notFound } from "./errors";
import { requireDevice } from "./devices";
import { devicesOfProfile, PROFILE_TYPES, profileOfDevice, profileTypeName } from "./profileModel";
import { parseFilter } from "./query";
import { listReply, noContent, objectReply, TYPES, typeFor } from "./respond";
import type { Reply, RouteContext, RouteDef } from "./router";
import type { StructuredType } from "./schema";
import { lookup } from "./tenant";
import type { DeploymentProfile } from "./types";
import { validateEntityBody } from "./validate";

const COLLECTION = "deviceManagement/windowsAutopilotDeploymentProfiles";

/** Consistency key of a profile. */
export const profileKey = (id: string): string => `profile/${id}`;

// The deprecated twin of each current property (the beta pages: "Starting from May 2024 this
// property will no longer be supported ... Use <current> instead", and "Read-Only").
const TWINS: Record<string, string> = {
    language: "locale",
    extractHardwareHash: "hardwareHashExtractionEnabled",
    enableWhiteGlove: "preprovisioningAllowed",
};
const OOBE_TWIN: Record<string, string> = {
    privacySettingsHidden: "hidePrivacySettings",
    eulaHidden: "hideEULA",
    keyboardSelectionPageSkipped: "skipKeyboardSelectionPage",
    escapeLinkHidden: "hideEscapeLink",
    userType: "userType",
    deviceUsageType: "deviceUsageType",
};

/**
 * The profile as Graph returns it, deprecated twins included. Assumed: the live service answers
 * each deprecated property with the value of its current twin (and, for a profile that only ever
 * had the old one, the current one with the old value); the docs list both without saying.
 */
export function profileView(p: DeploymentProfile): Record<string, unknown> {
    const out: Record<string, unknown> = { ...p };
    for (const [old, current] of Object.entries(TWINS)) {
        if (out[current] === undefined && out[old] !== undefined) out[current] = out[old];
        if (out[current] !== undefined) out[old] = out[current];
    }
    const oobe = out.outOfBoxExperienceSetting as Record<string, unknown> | null | undefined;
    const legacy = out.outOfBoxExperienceSettings as Record<string, unknown> | null | undefined;
    if (oobe === undefined && legacy) {
        out.outOfBoxExperienceSetting = Object.fromEntries(
            Object.entries(OOBE_TWIN)
                .filter(([, o]) => o in legacy)
                .map(([c, o]) => [c, legacy[o]]),
        );
    }
    const current = out.outOfBoxExperienceSetting as Record<string, unknown> | null | undefined;
    if (current !== undefined) {
        out.outOfBoxExperienceSettings =
            current === null
                ? null
                : Object.fromEntries(
                      Object.entries(OOBE_TWIN)
                          .filter(([c]) => c in current)
                          .map(([c, o]) => [o, current[c]]),
                  );
    }
    return out;
}

function concreteType(ctx: RouteContext, name: string): StructuredType {
    const t = ctx.state.schema.entity(ctx.version, name);
    if (!t) throw new Error(`schema has no entity '${name}' in ${ctx.version}`);
    return t;
}

/** The profile's own type (one of the two concrete ones). */
export function typeOfProfile(ctx: RouteContext, p: Record<string, unknown>): StructuredType {
    return concreteType(ctx, profileTypeName(p as DeploymentProfile));
}

/** What a request body may set: every property but navigations, read-only ones and the id. */
function writable(type: StructuredType): Set<string> {
    return new Set([...type.properties.values()].filter((p) => !p.navigation && !p.readOnly && p.name !== "id").map((p) => p.name));
}

/** The profile with this id (404 when unknown); no read accounting. */
export function requireProfile(ctx: RouteContext, id: string): [string, DeploymentProfile] {
    const found = lookup(ctx.state.tenant.profiles, id);
    if (!found) throw notFound(TYPES.profile, id);
    return found;
}

function profileReply(ctx: RouteContext, p: DeploymentProfile, status = 200): Reply {
    return objectReply(ctx, typeOfProfile(ctx, p), profileView(p), status);
}

function list(ctx: RouteContext): Reply {
    // The pages say of every property "$filter is not supported": a program finds a profile by
    // name by listing.
    parseFilter(ctx.query["$filter"], [], "windowsAutopilotDeploymentProfiles");
    const all = ctx.state.consistency.visibleList("profile/", ctx.state.tenant.profiles).map(profileView);
    return listReply(ctx, typeFor(ctx, TYPES.profile), all, (r) => typeOfProfile(ctx, r));
}

function get(ctx: RouteContext): Reply {
    const found = lookup(ctx.state.tenant.profiles, ctx.params.profileId);
    const visible = ctx.state.consistency.visible(profileKey(found ? found[0] : ctx.params.profileId), found?.[1]);
    if (!visible) throw notFound(TYPES.profile, ctx.params.profileId);
    return profileReply(ctx, visible);
}

function create(ctx: RouteContext): Reply {
    const body = ctx.body() as Record<string, unknown> | null;
    const given = body && typeof body === "object" ? body["@odata.type"] : undefined;
    const name = String(given ?? "").replace(/^#?microsoft\.graph\./, "");
    if (!PROFILE_TYPES.includes(name)) {
        // windowsAutopilotDeploymentProfile is abstract: the create pages are per concrete type.
        throw badRequest(
            given === undefined
                ? `The '@odata.type' of a windowsAutopilotDeploymentProfile is required: the type is abstract; use one of ${PROFILE_TYPES.map((t) => "#microsoft.graph." + t).join(", ")}.`
                : `Cannot create an instance of '${String(given)}': use one of ${PROFILE_TYPES.map((t) => "#microsoft.graph." + t).join(", ")}.`,
        );
    }
    const type = concreteType(ctx, name);
    const fields = validateEntityBody(ctx.state.schema, ctx.version, type, body, writable(type));
    const now = new Date().toISOString();
    const p: DeploymentProfile = { id: randomUUID(), "@odata.type": `#microsoft.graph.${name}`, ...fields, createdDateTime: now, lastModifiedDateTime: now };
    ctx.state.consistency.beforeWrite(profileKey(p.id), undefined);
    ctx.state.tenant.profiles.set(p.id, p);
    ctx.state.tenant.assignments.set(p.id, new Map());
    // The create pages document 201 Created with the object.
    return profileReply(ctx, p, 201);
}

function patch(ctx: RouteContext): Reply {
    const [key, p] = requireProfile(ctx, ctx.params.profileId);
    const type = typeOfProfile(ctx, p);
    // A PATCH names the profile's own type (the update pages' examples do); another type is a 400.
    const fields = validateEntityBody(ctx.state.schema, ctx.version, type, ctx.body(), writable(type));
    ctx.state.consistency.beforeWrite(profileKey(key), p);
    Object.assign(p, fields, { lastModifiedDateTime: new Date().toISOString() });
    // The update pages document 200 OK with the object.
    return profileReply(ctx, p);
}

/**
 * Assumed: Intune refuses to delete a profile that still has group assignments or assigned
 * devices with a 400 "BadRequest" whose message is its generic "An error has occurred" JSON text
 * (seen on the live service: a DELETE of an assigned profile answered exactly that; the delete
 * page documents only 204). Tools remove the assignments first.
 */
function remove(ctx: RouteContext): Reply {
    const { tenant } = ctx.state;
    const [key, p] = requireProfile(ctx, ctx.params.profileId);
    const assignments = tenant.assignments.get(key)?.size ?? 0;
    const devices = devicesOfProfile(tenant, key).length;
    if (assignments > 0 || devices > 0) {
        throw new GraphError(400, "BadRequest", intuneGenericError(ctx, `deviceManagement/windowsAutopilotDeploymentProfiles('${key}')`));
    }
    ctx.state.consistency.beforeWrite(profileKey(key), p);
    tenant.profiles.delete(key);
    tenant.assignments.delete(key);
    tenant.deletedIds.add(key);
    return noContent();
}

/** Intune's message text for an error it gives no reason for (a JSON document in a string). */
export function intuneGenericError(ctx: RouteContext, odataPath: string): string {
    return JSON.stringify({
        _version: 3,
        Message:
            `An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ${ctx.requestId} - ` +
            `Url: https://fef.msua01.manage.microsoft.com/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/${odataPath}?api-version=5023-06-28`,
        CustomApiErrorPhrase: "",
        RetryAfter: null,
        ErrorSourceService: "",
        HttpHeaders: "{}",
    });
}

function assignedDevices(ctx: RouteContext): Reply {
    const [key] = requireProfile(ctx, ctx.params.profileId);
    return listReply(ctx, typeFor(ctx, TYPES.device), devicesOfProfile(ctx.state.tenant, key));
}

/**
 * The device's profile. Assumed: a device no profile reaches answers 404 (Graph documents no
 * answer for a single-valued navigation that is empty).
 */
function deploymentProfileOfDevice(ctx: RouteContext): Reply {
    const [, device] = requireDevice(ctx, ctx.params.id);
    const found = profileOfDevice(ctx.state.tenant, device);
    if (!found) throw notFound(TYPES.profile, `deploymentProfile of device ${ctx.params.id}`);
    return profileReply(ctx, found[1]);
}

/** Routes of this module. */
export const profileRoutes: RouteDef[] = [
    { pattern: COLLECTION, versions: ["beta"], methods: { GET: list, POST: create } },
    { pattern: `${COLLECTION}/{profileId}`, versions: ["beta"], methods: { GET: get, PATCH: patch, DELETE: remove } },
    { pattern: `${COLLECTION}/{profileId}/assignedDevices`, versions: ["beta"], methods: { GET: assignedDevices } },
    { pattern: "deviceManagement/windowsAutopilotDeviceIdentities/{id}/deploymentProfile", versions: ["beta"], methods: { GET: deploymentProfileOfDevice } },
];
