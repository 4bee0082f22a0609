import { GraphError } from "../../graph";
import { readToAdopt } from "../../lifecycle/adopt";
import { AutopilotError } from "../../lifecycle/errors";
import type { FieldSpec } from "../../lifecycle/fields";
import type { LifecycleContext, ResourceSpec } from "../../lifecycle/spec";
import { isEmpty, Props } from "../../lifecycle/values";
import { readBack } from "../../lifecycle/consistency";
import { patchField } from "../deviceIdentity/spec";
import { adoptRegisteredDevice, createOrAdoptImport, forgetImportRecord, importStatus, inUpload, recordsOf, waitUntilDeviceReadable } from "./adopt";
import { postImport } from "./bulkImport";
import { describeImportError } from "./importErrors";
import { DEFAULT_TUNING } from "../../settings/table";

const ODATA_TYPE = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";

/** Bounds of a real hardware hash (the 4K hash Get-WindowsAutopilotInfo captures is 3-4 KB). */
export const HARDWARE_HASH_BYTES = { min: 256, max: 32768 };

// Fields the beta upload page adds to identities inside an upload take its own route there.
const uploadRoute = (inputs: Props) => (inUpload(inputs) ? { patch: "uploadDeviceIdentities" } : ("patch" as const));

/** Fields of ImportedWindowsAutopilotDeviceIdentity: names, kinds, the route that writes each, and (TSDoc) what each is. */
export const importedIdentityFields = {
    /** Graph id of the import record: give it to adopt an existing record instead of importing. A change replaces the resource. */
    importedDeviceId: { kind: { type: "guid" }, write: "key" },
    /** The upload (importedWindowsAutopilotDeviceIdentityUpload) the identity belongs to: its routes are then the upload-scoped ones. */
    uploadId: { kind: { type: "guid" }, write: "key" },
    /** Serial number of the device (required to import). */
    serialNumber: patchField({ type: "serial" }),
    /**
     * Hardware hash, base64 (required to import; secret). The output is its SHA-256 digest
     * (`sha256:<base64>`, secret), not the hash: the state keeps the hash once, in the inputs
     * (encrypted), and not again in every output.
     */
    hardwareIdentifier: patchField(
        { type: "base64", minBytes: HARDWARE_HASH_BYTES.min, maxBytes: HARDWARE_HASH_BYTES.max },
        { secret: true, stateDigest: true },
    ),
    /** Windows product key (secret). */
    productKey: patchField({ type: "string", maxLength: 64 }, { secret: true }),
    /** Order identifier (on the documented PATCH page; not in Graph's current metadata). */
    orderIdentifier: patchField({ type: "string" }),
    /** Group tag the device gets when the import completes. */
    groupTag: { kind: { type: "string" }, write: uploadRoute },
    /** UPN of the user the device will be assigned to. */
    assignedUserPrincipalName: { kind: { type: "upn" }, write: uploadRoute },
    /** Import id (a batch label). */
    importId: { kind: { type: "string" }, write: uploadRoute },
    /** The import's state as Graph reports it (writable per the documented PATCH page). */
    state: patchField({
        type: "object",
        fields: {
            /** unknown, pending, partial, complete or error. */
            deviceImportStatus: { kind: { type: "enum", api: "v1.0", name: "importedWindowsAutopilotDeviceIdentityImportStatus" }, write: "patch" },
            /** Id of the device identity the import made. */
            deviceRegistrationId: { kind: { type: "string" }, write: "patch" },
            /** Device Directory Service error code (806 ZtdDeviceAlreadyAssigned, 808 ZtdDeviceAssignedToOtherTenant, ...). */
            deviceErrorCode: { kind: { type: "integer", min: 0 }, write: "patch" },
            /** Device Directory Service error name. */
            deviceErrorName: { kind: { type: "string" }, write: "patch" },
        },
    }),
    /** Id of the Autopilot device the completed import made (`state.deviceRegistrationId`); null until the import is complete. */
    autopilotDeviceId: { kind: { type: "string" }, write: "computed" },
    /** The import's status (`state.deviceImportStatus`): unknown, pending, partial, complete or error. */
    importStatus: { kind: { type: "string" }, write: "computed", alwaysSet: true },
    /** True once the import record was removed (removeRecordWhenComplete). */
    recordRemoved: { kind: { type: "boolean" }, write: "computed", alwaysSet: true },
    /** Remove the import record once the device is registered (default false: keep it). The device stays; the state keeps its id. */
    removeRecordWhenComplete: { kind: { type: "boolean" }, write: "setting", default: false },
    /** Wait until the import completes (or fails) before the step ends (default true). */
    waitForImport: { kind: { type: "boolean" }, write: "setting", default: true },
    /** How long to wait for the import, in seconds (default 1800). */
    importTimeoutSeconds: { kind: { type: "integer", min: 1, max: 86400 }, write: "setting", default: 1800 },
} as const satisfies Record<string, FieldSpec>;

function itemOf(method: string, id: string, props: Props): { path: string; route: string } {
    const records = recordsOf(props);
    return { path: `${records.path}/${encodeURIComponent(id)}`, route: `${method} ${records.route}/{id}` };
}

/** Poll intervals: `autopilot:importPollMs` first (2 s), growing by half each time, at most 30 s. */
export function nextPollDelay(previousMs: number, firstMs: number): number {
    return previousMs === 0 ? firstMs : Math.min(30000, Math.round(previousMs * 1.5));
}

/** Whether the record's state may come from a listing: an upload's records are not in the tenant's collection. */
function statesListable(ctx: LifecycleContext, inputs: Props): boolean {
    return !inUpload(inputs) && (ctx.settings ?? DEFAULT_TUNING).listReads;
}

/** The import's time bound (s): the input, else the field's default. */
function importTimeoutSeconds(inputs: Props): number {
    return Number(inputs.importTimeoutSeconds ?? importedIdentityFields.importTimeoutSeconds.default);
}

/** Polls the import record with growing intervals until it completes, fails, or times out. */
export async function waitForImport(ctx: LifecycleContext, id: string, graph: Props, inputs: Props): Promise<Props> {
    const timeoutSeconds = importTimeoutSeconds(inputs);
    const firstPollMs = (ctx.settings ?? DEFAULT_TUNING).importPollMs;
    const deadline = ctx.now() + timeoutSeconds * 1000;
    let delay = 0;
    let current = graph;
    const read = itemOf("GET", id, inputs);
    for (;;) {
        const status = importStatus(current);
        if (status === "complete") return current;
        if (status === "error" || status === "partial") {
            const state = current.state as Props;
            throw new AutopilotError(
                "AUTOPILOT_IMPORT_FAILED",
                `import of serial ${current.serialNumber ?? inputs.serialNumber} ended with status ${status}: ${describeImportError(state.deviceErrorCode, state.deviceErrorName)} The import record ${id} is kept in the state; delete it (or the resource) once handled.`,
                current,
            );
        }
        delay = nextPollDelay(delay, firstPollMs);
        if (ctx.now() + delay > deadline) {
            throw new AutopilotError(
                "AUTOPILOT_IMPORT_TIMEOUT",
                `import of serial ${current.serialNumber ?? inputs.serialNumber} still ${status} after importTimeoutSeconds=${timeoutSeconds}. The import record ${id} is in the state: run \`pulumi up\` again to resume waiting, or raise importTimeoutSeconds.`,
                current,
            );
        }
        ctx.log(`import ${id} (serial ${current.serialNumber ?? inputs.serialNumber}): ${status}, checking again in ${delay / 1000}s`);
        await ctx.sleep(delay);
        // Polls due together share a listing of states (importPoller.ts); else one GET.
        const shared = statesListable(ctx, inputs) ? await ctx.session.importPolls.state(id) : undefined;
        current = shared ? { ...current, state: shared } : (await ctx.graph.send<Props>({ method: "GET", apiVersion: "v1.0", ...read })).body;
    }
}

/**
 * DELETEs the import record; one already gone counts as deleted. Then reads back until Graph no
 * longer shows it, so a re-import of the serial (a replacement) cannot find and adopt it.
 */
async function deleteRecord(ctx: LifecycleContext, id: string, props: Props): Promise<void> {
    try {
        await ctx.graph.send({ method: "DELETE", apiVersion: "v1.0", ...itemOf("DELETE", id, props) });
    } catch (e) {
        if (!GraphError.isGraphError(e) || e.status !== 404) throw e;
        forgetImportRecord(ctx, props, id);
        return;
    }
    // Gone for this process's later creates at once, however long Graph still lists it.
    forgetImportRecord(ctx, props, id);
    await readBack(ctx, `import record ${id} (deleted)`, async () => {
        try {
            await ctx.graph.send({ method: "GET", apiVersion: "v1.0", ...itemOf("GET", id, props) });
            return { done: false, why: "it after it was deleted" };
        } catch (e) {
            if (GraphError.isGraphError(e) && e.status === 404) return { done: true, value: undefined };
            throw e;
        }
    });
}

/** ImportedWindowsAutopilotDeviceIdentity: a hardware-hash import that the provider waits for. */
export const importedIdentitySpec: ResourceSpec = {
    typeName: "ImportedWindowsAutopilotDeviceIdentity",
    graphType: "microsoft.graph.importedWindowsAutopilotDeviceIdentity",
    apiVersion: "v1.0",
    idOutput: "importedDeviceId",
    fields: importedIdentityFields,
    permission: "DeviceManagementServiceConfig.ReadWrite.All",
    // Two import records of one serial cannot coexist: a re-import removes the old record first.
    deleteBeforeReplace: true,

    item: (id, props) => itemOf("GET", id, props),

    patchTarget(id, props, routeName) {
        if (routeName === "uploadDeviceIdentities") {
            // The beta page's route: no ids in the path, the identity's id in the body.
            return {
                method: "PATCH",
                apiVersion: "beta",
                path: "/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities",
                route: "PATCH /importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities",
                bodyExtras: { "@odata.type": ODATA_TYPE, id },
            };
        }
        return { method: "PATCH", ...itemOf("PATCH", id, props), bodyExtras: { "@odata.type": ODATA_TYPE } };
    },

    validate(inputs) {
        if (inputs.importedDeviceId !== undefined) return [];
        const failures = [];
        if (inputs.serialNumber === undefined)
            failures.push({
                property: "serialNumber",
                reason: "serialNumber is required to import a device (or give importedDeviceId to adopt an import record)",
            });
        if (inputs.hardwareIdentifier === undefined)
            failures.push({ property: "hardwareIdentifier", reason: "hardwareIdentifier (the base64 hardware hash) is required to import a device" });
        return failures;
    },

    async create(ctx, inputs) {
        if (inputs.importedDeviceId !== undefined) {
            const id = String(inputs.importedDeviceId);
            const graph = await readToAdopt(ctx, id, {
                apiVersion: "v1.0",
                ...importedIdentitySpec.item(id, inputs),
                input: "importedDeviceId",
                what: "import record",
                code: "AUTOPILOT_IMPORT_NOT_FOUND",
            });
            return { id, graph, written: [] };
        }
        const written = Object.entries(importedIdentityFields as Record<string, FieldSpec>)
            .filter(([name, spec]) => spec.write !== "key" && spec.write !== "setting" && !isEmpty(inputs[name]))
            .map(([name]) => name);
        const body: Props = { "@odata.type": ODATA_TYPE, ...Object.fromEntries(written.map((name) => [name, inputs[name]])) };
        // Top-level imports made at the same time share bulk `import` calls (bulkImport.ts).
        const post = async (): Promise<Props> => {
            if (!inUpload(inputs)) return postImport(ctx, body);
            const { path, route } = recordsOf(inputs);
            return (await ctx.graph.send<Props>({ method: "POST", apiVersion: "v1.0", path, route: `POST ${route}`, body })).body;
        };
        // Adopts the record an interrupted run made; never re-POSTs blindly after an unknown outcome (adopt.ts).
        const made = await createOrAdoptImport(ctx, inputs, post);
        return { id: String(made.graph.id), graph: made.graph, written: made.how === "adopted" ? [] : written, fresh: made.how !== "adopted" };
    },

    // Records a bulk call made together are confirmed by one listing of ids and states (the
    // import's first poll, too), not a GET each: the rest of the record is what the POST answered.
    async sharedReadBack(ctx, id, inputs, posted) {
        if (!statesListable(ctx, inputs)) return undefined;
        const state = await ctx.session.importPolls.state(id);
        return state ? { ...posted, state } : undefined;
    },

    async settle(ctx, id, graph, inputs) {
        if (inputs.waitForImport === false) return graph;
        let done: Props;
        try {
            done = await waitForImport(ctx, id, graph, inputs);
        } catch (e) {
            // 806 with removeRecordWhenComplete: the device is registered already; the goal (a
            // registered device, no record) is reached by adopting it (adopt.ts, README).
            const adopted = await adoptRegisteredDevice(ctx, id, e, inputs, () => deleteRecord(ctx, id, inputs));
            if (adopted) return adopted;
            throw e;
        }
        // The device the import registered may not be readable yet (Graph shows new objects late):
        // one GET, more only while it is not, so `autopilotDeviceId` names a device dependents can read.
        await waitUntilDeviceReadable(ctx, done);
        if (inputs.removeRecordWhenComplete === true) {
            await deleteRecord(ctx, id, inputs);
            // waitForImport returns only a complete import.
            ctx.log(`import ${id}: complete; record removed (removeRecordWhenComplete), device ${(done.state as Props).deviceRegistrationId} stays`);
            return { ...done, recordRemoved: true };
        }
        return done;
    },

    needsSettle(state, inputs) {
        return inputs.waitForImport !== false && state.importStatus !== "complete";
    },

    settleSeconds(inputs) {
        return inputs.waitForImport === false ? 0 : importTimeoutSeconds(inputs);
    },

    goneByDesign(state) {
        return state.recordRemoved === true;
    },

    delete: deleteRecord,

    extraOutputs(graph) {
        const registration = (graph.state as Props | null | undefined)?.deviceRegistrationId;
        return {
            recordRemoved: graph.recordRemoved === true,
            importStatus: importStatus(graph),
            autopilotDeviceId: importStatus(graph) === "complete" && typeof registration === "string" && registration !== "" ? registration : null,
        };
    },
};
