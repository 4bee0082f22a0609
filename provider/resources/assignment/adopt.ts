/**
 * Assignments that survive interruptions: a profile never gets the same target twice from this
 * provider.
 *
 * - Before POSTing, the provider lists the profile's assignments and, for a declaration on the
 *   profile, adopts one with the same target (kind, group or collection id, assignment filter and
 *   filter type; and source when the program gives one): an earlier run may have made it and been
 *   interrupted before the state was saved, or the fleet of an earlier version made it.
 * - A POST whose outcome is unknown (GRAPH_AMBIGUOUS_WRITE) is never sent again blindly: the
 *   provider lists the profile's assignments, for up to `autopilot:consistencyTimeoutSeconds` as
 *   Graph may show a new one late, and adopts the one with the target. Only when none shows up is
 *   the POST sent again (at most `autopilot:maxRetries` times).
 */
import { listAll } from "../../lifecycle/adopt";
import { DEFAULT_LIMITS } from "../../lifecycle/bounds";
import { lookFor } from "../../lifecycle/consistency";
import { AutopilotError } from "../../lifecycle/errors";
import type { CreationOutcome, LifecycleContext } from "../../lifecycle/spec";
import type { Props } from "../../lifecycle/values";
import { isAmbiguousCreate } from "../importedIdentity/adopt";
import { targetFromGraph } from "./target";

const PROFILES = "/deviceManagement/windowsAutopilotDeploymentProfiles";

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

/**
 * Adopts the profile's assignment with this target (or, with `refuseExisting`, refuses it), or
 * POSTs one; after a POST of unknown outcome, looks before sending it again. `where` names the
 * declaration in messages ("profile <id>", "device <id>").
 */
export async function createOrAdoptAssignment(
    ctx: LifecycleContext,
    inputs: Props,
    profileId: string,
    post: () => Promise<Props>,
    { where, refuseExisting }: { where: string; refuseExisting?: (existing: Props) => Error },
): Promise<CreationOutcome> {
    const find = async (): Promise<Props | undefined> => {
        const assignments = await listAll(ctx, "beta", `${PROFILES}/${encodeURIComponent(profileId)}/assignments`, `GET ${PROFILES}/{id}/assignments`);
        return assignments.find((a) => sameAssignment(a, inputs));
    };
    const existing = await find();
    if (existing && refuseExisting) throw refuseExisting(existing);
    if (existing) {
        ctx.log(`assignment on ${where}: adopting assignment ${existing.id} with the same target`);
        return { graph: existing, how: "adopted", posts: 0 };
    }
    const maxPosts = 1 + (ctx.limits ?? DEFAULT_LIMITS).maxRetries;
    for (let posts = 1; ; posts++) {
        try {
            return { graph: await post(), how: "posted", posts };
        } catch (e) {
            if (!isAmbiguousCreate(e, ctx)) throw e;
            ctx.log(`assignment on ${where}: the POST's outcome is unknown (${e.message}); looking for it before sending it again`);
            const found = await lookFor(ctx, find);
            if (found) {
                ctx.log(`assignment on ${where}: the POST had been applied; adopting assignment ${found.id}`);
                return { graph: found, how: "adopted after an ambiguous POST", posts };
            }
            if (posts >= maxPosts) {
                throw new AutopilotError(
                    "AUTOPILOT_CREATE_UNKNOWN",
                    `assignment on ${where}: ${posts} POSTs ended without an answer and no assignment with the target showed up ` +
                        `[bound hit: autopilot:maxRetries=${maxPosts - 1}]. Last: ${e.message}`,
                );
            }
            ctx.log(`assignment on ${where}: none showed up within autopilot:consistencyTimeoutSeconds: sending the POST again`);
        }
    }
}
