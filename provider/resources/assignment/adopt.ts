/**
 * Assignments that survive interruptions: a device never gets the same deployment-profile target
 * twice from this provider.
 *
 * - Before POSTing, the provider lists the device's assignments and adopts one with the same
 *   target (kind, group or collection id, assignment filter and filter type; and source when the
 *   program gives one): an earlier run may have made it and been interrupted before the state was saved.
 * - A POST whose outcome is unknown (GRAPH_AMBIGUOUS_WRITE) is never sent again blindly: the
 *   provider lists the device's assignments, for up to `autopilot:consistencyTimeoutSeconds` as
 *   Graph may show a new one late, and adopts the one with the target. Only when none shows up is
 *   the POST sent again (at most `autopilot:maxRetries` times).
 */
import { DEFAULT_LIMITS } from "../../lifecycle/bounds";
import { lookFor } from "../../lifecycle/consistency";
import { AutopilotError } from "../../lifecycle/errors";
import type { CreationOutcome, LifecycleContext } from "../../lifecycle/spec";
import type { Props } from "../../lifecycle/values";
import { isAmbiguousCreate } from "../importedIdentity/adopt";
import { targetFromGraph } from "./target";

const DEVICES = "/deviceManagement/windowsAutopilotDeviceIdentities";
const LIST_ROUTE = `GET ${DEVICES}/{deviceId}/deploymentProfile/assignments`;

/** The device's assignments, every page. */
export async function listAssignments(ctx: LifecycleContext, deviceId: string): Promise<Props[]> {
    const path = `${DEVICES}/${encodeURIComponent(deviceId)}/deploymentProfile/assignments`;
    const out: Props[] = [];
    let res = await ctx.graph.send<{ value?: Props[]; "@odata.nextLink"?: string }>({ method: "GET", apiVersion: "beta", path, route: LIST_ROUTE });
    for (;;) {
        out.push(...(res.body.value ?? []));
        const next = res.body["@odata.nextLink"];
        if (!next) return out;
        res = await ctx.graph.send({ method: "GET", apiVersion: "beta", path, absoluteUrl: next, route: LIST_ROUTE });
    }
}

const lower = (v: unknown): string => (v === undefined || v === null ? "" : String(v).toLowerCase());
const filterType = (v: unknown): string => (v === undefined || v === null || v === "" ? "none" : String(v));

/** Whether a Graph assignment has the target (and source, when given) the program asks for. */
export function sameAssignment(record: Props, inputs: Props): boolean {
    const want = (inputs.target ?? {}) as Props;
    const have = (targetFromGraph(record.target) ?? {}) as Props;
    if (have.kind !== want.kind) return false;
    if (lower(have.groupId) !== lower(want.groupId) || String(have.collectionId ?? "") !== String(want.collectionId ?? "")) return false;
    const wantFilter = filterType(want.deviceAndAppManagementAssignmentFilterType);
    if (filterType(have.deviceAndAppManagementAssignmentFilterType) !== wantFilter) return false;
    if (wantFilter !== "none" && lower(have.deviceAndAppManagementAssignmentFilterId) !== lower(want.deviceAndAppManagementAssignmentFilterId)) return false;
    if (inputs.source !== undefined && record.source !== undefined && record.source !== inputs.source) return false;
    return true;
}

/** What creating the assignment came to. */
export type AssignmentCreation = CreationOutcome;

/** Adopts the device's assignment with this target, or POSTs one; after a POST of unknown outcome, looks before sending it again. */
export async function createOrAdoptAssignment(ctx: LifecycleContext, inputs: Props, post: () => Promise<Props>): Promise<AssignmentCreation> {
    const deviceId = String(inputs.deviceId);
    const find = async (): Promise<Props | undefined> => (await listAssignments(ctx, deviceId)).find((a) => sameAssignment(a, inputs));
    const existing = await find();
    if (existing) {
        ctx.log(`assignment on device ${deviceId}: adopting assignment ${existing.id} with the same target`);
        return { graph: existing, how: "adopted", posts: 0 };
    }
    const maxPosts = 1 + (ctx.limits ?? DEFAULT_LIMITS).maxRetries;
    for (let posts = 1; ; posts++) {
        try {
            return { graph: await post(), how: "posted", posts };
        } catch (e) {
            if (!isAmbiguousCreate(e, ctx)) throw e;
            ctx.log(`assignment on device ${deviceId}: the POST's outcome is unknown (${e.message}); looking for it before sending it again`);
            const found = await lookFor(ctx, find);
            if (found) {
                ctx.log(`assignment on device ${deviceId}: the POST had been applied; adopting assignment ${found.id}`);
                return { graph: found, how: "adopted after an ambiguous POST", posts };
            }
            if (posts >= maxPosts) {
                throw new AutopilotError(
                    "AUTOPILOT_CREATE_UNKNOWN",
                    `assignment on device ${deviceId}: ${posts} POSTs ended without an answer and no assignment with the target showed up ` +
                        `[bound hit: autopilot:maxRetries=${maxPosts - 1}]. Last: ${e.message}`,
                );
            }
            ctx.log(`assignment on device ${deviceId}: none showed up within autopilot:consistencyTimeoutSeconds: sending the POST again`);
        }
    }
}
