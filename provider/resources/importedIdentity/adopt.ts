/**
 * Imports that survive interruptions: an import record is never created twice for one serial.
 *
 * - Before POSTing, the provider looks for an import record of the serial (an earlier run may
 *   have made it and been interrupted before the state was saved) and adopts it when it is the
 *   same capture: same serial and, when Graph shows it, the same hardware hash. A complete one is
 *   preferred over a pending one over one in error. An error record of the same capture is adopted
 *   too, and the step fails with its error as a fresh import would (re-POSTing the same hash would
 *   only fail the same way). Records of the serial with another hash are left alone.
 *   At fleet scale one listing of the collection, shared by the creates waiting for it, says which
 *   serials have no record at all; only a serial it shows a record of is looked up on its own
 *   (recordIndex.ts says why such an answer is as fresh as a per-serial GET). Creates of one
 *   serial in one process take turns, so the second finds the first's record.
 * - A POST whose outcome is unknown (reset or timeout after sending, 500/502/504: the client's
 *   GRAPH_AMBIGUOUS_WRITE) is never sent again blindly: the provider looks for the record with
 *   fresh per-serial lookups (never the shared listing), reading for up to
 *   `autopilot:consistencyTimeoutSeconds` since Graph may show it late, and adopts it.
 *   Only when nothing shows up in that time is the POST sent again (at most `autopilot:maxRetries` times).
 */
import { GraphError } from "../../graph";
import { DEFAULT_LIMITS } from "../../lifecycle/bounds";
import { lookFor, readBack } from "../../lifecycle/consistency";
import { AutopilotError } from "../../lifecycle/errors";
import type { CreationOutcome, LifecycleContext } from "../../lifecycle/spec";
import type { Props } from "../../lifecycle/values";
import { findBySerial, findDevicesBySerial } from "../deviceIdentity/lookup";
import { deviceIdentitySpec } from "../deviceIdentity/spec";
import { UPLOADS } from "../upload/uploadsAbsent";
import { hashDigest, ImportRecordIndex, indexed, type Collection, type IndexedRecord } from "./recordIndex";

/** The tenant's collection of import records. */
export const COLLECTION = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/** Whether the import belongs to an upload: a null `uploadId` (a program's "none") means the tenant's collection, as an absent one does. */
export function inUpload(props: Props): boolean {
    return props.uploadId !== undefined && props.uploadId !== null;
}

/** Where this resource's import records live: the tenant's collection, or an upload's (`route`: the path's template). */
export function recordsOf(props: Props): Collection {
    if (inUpload(props)) {
        return { path: `${UPLOADS}/${encodeURIComponent(String(props.uploadId))}/deviceIdentities`, route: `${UPLOADS}/{uploadId}/deviceIdentities` };
    }
    return { path: COLLECTION, route: COLLECTION };
}

/** The process's index of the collection this resource's import records live in (recordIndex.ts). */
function indexOf(ctx: LifecycleContext, inputs: Props): ImportRecordIndex {
    const { path, route } = recordsOf(inputs);
    return ctx.session.recordIndex({ path, route: `GET ${route}` });
}

/**
 * An import record this step deleted: later creates of this process no longer count it, though
 * Graph may list it for a while.
 */
export function forgetImportRecord(ctx: LifecycleContext, props: Props, id: string): void {
    indexOf(ctx, props).forget(id);
}

/** Import records whose serial equals the input's (case-insensitive), every page. */
export function findImportRecords(ctx: LifecycleContext, inputs: Props): Promise<Props[]> {
    const { path, route } = recordsOf(inputs);
    return findBySerial(ctx.graph, String(inputs.serialNumber), { apiVersion: "v1.0", path, route: `GET ${route}?$filter=contains(serialNumber,...)` });
}

/** The import's status as Graph reports it ("unknown" until Graph says). */
export function importStatus(record: Props): string {
    const state = record.state as Props | null | undefined;
    return typeof state?.deviceImportStatus === "string" ? state.deviceImportStatus : "unknown";
}

const RANK: Record<string, number> = { complete: 0, pending: 1, unknown: 1, partial: 2, error: 2 };

function rankOf(record: Props): number {
    return RANK[importStatus(record)] ?? 3;
}

/** The candidate this resource would have made (same serial, same hash when Graph shows one), best status first. */
function pick(candidates: IndexedRecord[], inputs: Props): IndexedRecord | undefined {
    const wanted = hashDigest(inputs.hardwareIdentifier);
    const ours = candidates.filter((c) => c.hashDigest === undefined || wanted === undefined || c.hashDigest === wanted);
    return ours.sort((a, b) => rankOf(a.record) - rankOf(b.record))[0];
}

/**
 * The record as Graph showed it: the hash the index kept only as a digest is the input's (the
 * digests matched), so the lifecycle does not take it for a field to write.
 */
function asShown(chosen: IndexedRecord, inputs: Props): Props {
    const same = chosen.hashDigest !== undefined && chosen.hashDigest === hashDigest(inputs.hardwareIdentifier);
    return same ? { ...chosen.record, hardwareIdentifier: inputs.hardwareIdentifier } : chosen.record;
}

/** The record this resource would have made (same serial, same hash when Graph shows one), best status first. */
export function adoptableRecord(records: Props[], inputs: Props): Props | undefined {
    const chosen = pick(records.map(indexed), inputs);
    return chosen && asShown(chosen, inputs);
}

/**
 * A create whose outcome the client cannot know: it may have been applied. A POST aborted while on
 * the wire counts too when this step was not stopped itself (a shared bulk call another step's
 * bound stopped).
 */
export function isAmbiguousCreate(e: unknown, ctx?: LifecycleContext): e is GraphError {
    if (!GraphError.isGraphError(e)) return false;
    return e.code === "GRAPH_AMBIGUOUS_WRITE" || (e.code === "GRAPH_ABORTED" && e.ambiguous && ctx?.signal?.aborted !== true);
}

/**
 * Adopts the import record an earlier run made, or POSTs one; after a POST of unknown outcome,
 * looks before sending it again (see the module comment).
 */
export async function createOrAdoptImport(ctx: LifecycleContext, inputs: Props, post: () => Promise<Props>): Promise<CreationOutcome> {
    const serial = String(inputs.serialNumber);
    const index = indexOf(ctx, inputs);
    // A fresh lookup of the serial, with what this process made or deleted since (Graph shows both late).
    const lateMs = (ctx.limits ?? DEFAULT_LIMITS).consistencyTimeoutMs;
    const lookUp = async (): Promise<IndexedRecord | undefined> =>
        pick(index.withKnown(serial, await findImportRecords(ctx, inputs), ctx.now(), lateMs), inputs);
    return index.exclusive(serial, ctx.signal, async () => {
        // The shared listing proves most serials of a fleet have no record; the others are looked up.
        const existing = (await index.mayHaveRecords(serial, ctx.signal)) ? await lookUp() : undefined;
        if (existing) {
            index.keep(existing, ctx.now());
            ctx.log(`import of serial ${serial}: adopting import record ${existing.record.id} (${importStatus(existing.record)}) an earlier run made`);
            return { graph: asShown(existing, inputs), how: "adopted", posts: 0 };
        }
        const maxPosts = 1 + (ctx.limits ?? DEFAULT_LIMITS).maxRetries;
        for (let posts = 1; ; posts++) {
            try {
                const made = await post();
                // Graph's answer may leave out the serial or the hash: the record is of this capture.
                index.keep(
                    indexed({
                        ...made,
                        serialNumber: made.serialNumber ?? inputs.serialNumber,
                        hardwareIdentifier: made.hardwareIdentifier ?? inputs.hardwareIdentifier,
                    }),
                    ctx.now(),
                );
                return { graph: made, how: "posted", posts };
            } catch (e) {
                if (!isAmbiguousCreate(e, ctx)) throw e;
                ctx.log(`import of serial ${serial}: the POST's outcome is unknown (${e.message}); looking for the record before sending it again`);
                const found = await lookFor(ctx, lookUp);
                if (found) {
                    index.keep(found, ctx.now());
                    ctx.log(`import of serial ${serial}: the POST had been applied; adopting import record ${found.record.id}`);
                    return { graph: asShown(found, inputs), how: "adopted after an ambiguous POST", posts };
                }
                if (posts >= maxPosts) {
                    throw new AutopilotError(
                        "AUTOPILOT_CREATE_UNKNOWN",
                        `import of serial ${serial}: ${posts} POSTs ended without an answer and no import record of the serial showed up ` +
                            `[bound hit: autopilot:maxRetries=${maxPosts - 1}]. Last: ${e.message}`,
                    );
                }
                ctx.log(`import of serial ${serial}: no record showed up within autopilot:consistencyTimeoutSeconds: sending the POST again`);
            }
        }
    });
}

/**
 * After an import completed, reads the new device back until Graph shows it, so the
 * `autopilotDeviceId` output is a device the next resource can read.
 */
export async function waitUntilDeviceReadable(ctx: LifecycleContext, done: Props): Promise<void> {
    const state = done.state as Props | null | undefined;
    const deviceId = state?.deviceImportStatus === "complete" ? state.deviceRegistrationId : undefined;
    if (typeof deviceId !== "string" || deviceId === "") return;
    await readBack(ctx, `Autopilot device ${deviceId} (registered by the import of serial ${String(done.serialNumber ?? "")})`, async () => {
        try {
            const res = await ctx.graph.send<Props>({ method: "GET", apiVersion: "beta", ...deviceIdentitySpec.item(deviceId) });
            // The device step that adopts it next takes this read instead of its own GET (recentReads.ts).
            if (res.body && typeof res.body === "object") ctx.session.deviceReads.keep(deviceId, res.body, ctx.now());
            return { done: true, value: undefined };
        } catch (e) {
            if (GraphError.isGraphError(e) && e.status === 404) return { done: false, why: "no such device (404)", seen: done };
            throw e;
        }
    });
}

/**
 * An import that ended in 806 (ZtdDeviceAlreadyAssigned) when the resource asks to remove the
 * record once the device exists (`removeRecordWhenComplete`): the goal, a registered device and
 * no record, is reached by adopting the device registered under the serial (an earlier run's
 * import whose record was already removed, or a device registered by other means). The error
 * record this step saw is removed. Returns the outputs' Graph view, or undefined to fail as usual
 * (the record is kept): without removeRecordWhenComplete, or when the serial does not name exactly
 * one device.
 */
export async function adoptRegisteredDevice(
    ctx: LifecycleContext,
    id: string,
    failure: unknown,
    inputs: Props,
    removeRecord: () => Promise<void>,
): Promise<Props | undefined> {
    if (inputs.removeRecordWhenComplete !== true) return undefined;
    if (!AutopilotError.isAutopilotError(failure) || failure.code !== "AUTOPILOT_IMPORT_FAILED" || !failure.graph) return undefined;
    const state = failure.graph.state as Props | null | undefined;
    if (state?.deviceErrorCode !== 806 && state?.deviceErrorName !== "ZtdDeviceAlreadyAssigned") return undefined;
    const serial = String(failure.graph.serialNumber ?? inputs.serialNumber);
    const devices = await findDevicesBySerial(ctx.graph, serial);
    if (devices.length !== 1) return undefined;
    const device = devices[0];
    await removeRecord();
    ctx.log(
        `import ${id} (serial ${serial}): 806, the device is registered already as ${String(device.id)}; adopted it and removed the error record (removeRecordWhenComplete)`,
    );
    return {
        ...failure.graph,
        state: { deviceImportStatus: "complete", deviceRegistrationId: String(device.id), deviceErrorCode: 0, deviceErrorName: "" },
        recordRemoved: true,
    };
}
