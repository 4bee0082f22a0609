import { GraphError, type GraphSender } from "../../graph";
import { Combiner } from "../../graph/combiner";
import type { LifecycleContext } from "../../lifecycle/spec";
import { DEFAULT_TUNING } from "../../settings/table";
import type { Props } from "../../lifecycle/values";
import { serialKeyOf } from "./recordIndex";

const COLLECTION = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";
/** The route of Graph's bulk `import` action (metrics and tests count it). */
export const BULK_IMPORT_ROUTE = `POST ${COLLECTION}/import`;
const SINGLE_ROUTE = `POST ${COLLECTION}`;

/** How long a chunk waits for the next record before it goes, by default. */
export const DEFAULT_BULK_WINDOW_MS = 300;
/** How long the first record of a chunk waits at most, by default. */
export const DEFAULT_BULK_MAX_WAIT_MS = 2000;

/** How many records one `import` call carries and how long a chunk gathers. */
export interface BulkImportOptions {
    /** Records per `import` call; default `autopilot:bulkImportChunk`'s. */
    chunkSize?: number;
    /** How long a chunk waits for the next record before it goes; default {@link DEFAULT_BULK_WINDOW_MS}. */
    windowMs?: number;
    /** How long the first record of a chunk waits at most; default {@link DEFAULT_BULK_MAX_WAIT_MS} (never less than windowMs). */
    maxWaitMs?: number;
}

/** Hardware hashes and product keys: never in an error message. */
function secretsOf(bodies: Props[]): string[] {
    return bodies.flatMap((b) => [b.hardwareIdentifier, b.productKey].filter((v): v is string => typeof v === "string" && v !== ""));
}

/**
 * Coalesces concurrent import creates (the engine creates many resources at once) into the bulk
 * action `POST /deviceManagement/importedWindowsAutopilotDeviceIdentities/import`, in chunks, and
 * hands each caller the record made for its serial number, as a single POST would.
 *
 * - A chunk goes when it is full, or when no record joined it for `windowMs`, at the latest
 *   `maxWaitMs` after its first record. Creates come in waves (each wave answered by one listing
 *   of the records, recordIndex.ts), a listing's round trip apart: a chunk spans several waves,
 *   since each import call is a write and writes are Intune's scarcest budget.
 * - Two creates of one serial never share a chunk (the answer maps records back by serial).
 * - Graph refuses the whole call when one record is bad (400): the chunk is then sent again as
 *   single POSTs, so each caller gets its own answer and the good records are imported.
 * - A call whose outcome is unknown (a reset or timeout after sending) is not sent again: every
 *   caller gets the ambiguous error, as from a single POST, and looks before writing again.
 */
export class BulkImporter {
    private readonly chunks: Combiner<Props, Props>;
    /** Counters for reports and tests. */
    readonly counters = { calls: 0, records: 0, fallbacks: 0 };

    constructor(
        private readonly graph: GraphSender,
        options: BulkImportOptions = {},
    ) {
        this.chunks = new Combiner({
            windowMs: Math.max(0, options.windowMs ?? DEFAULT_BULK_WINDOW_MS),
            maxWaitMs: options.maxWaitMs ?? DEFAULT_BULK_MAX_WAIT_MS,
            maxItems: Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_TUNING.bulkImportChunk)),
            distinctBy: (body) => serialKeyOf(body.serialNumber),
            send: (bodies) => this.send(bodies),
        });
    }

    /** Imports one record (a POST body for the collection); resolves with the record Graph made. */
    import(body: Props): Promise<Props> {
        return this.chunks.add(body);
    }

    private async send(bodies: Props[]): Promise<Array<Props | Promise<Props>>> {
        if (bodies.length === 1) return [postSingle(this.graph, bodies[0])];
        this.counters.calls++;
        this.counters.records += bodies.length;
        let answer: { value?: Props[] };
        try {
            const res = await this.graph.send<{ value?: Props[] }>({
                method: "POST",
                apiVersion: "v1.0",
                path: `${COLLECTION}/import`,
                route: BULK_IMPORT_ROUTE,
                body: { importedWindowsAutopilotDeviceIdentities: bodies },
                redact: secretsOf(bodies),
            });
            answer = res.body ?? {};
        } catch (e) {
            if (!GraphError.isGraphError(e) || e.status !== 400) throw e;
            // One bad record refuses the call: send each on its own so only the bad one fails.
            this.counters.fallbacks++;
            return bodies.map((body) => postSingle(this.graph, body));
        }
        const bySerial = new Map((answer.value ?? []).map((record) => [serialKeyOf(record.serialNumber), record]));
        return bodies.map((body) => {
            const record = bySerial.get(serialKeyOf(body.serialNumber));
            if (record && typeof record.id === "string") return record;
            // Graph may have made it without saying so: the caller must look before writing again.
            return Promise.reject(
                new GraphError({
                    code: "GRAPH_AMBIGUOUS_WRITE",
                    method: "POST",
                    route: BULK_IMPORT_ROUTE,
                    attempts: 1,
                    ambiguous: true,
                    detail: `the import answer has no record for serial ${String(body.serialNumber)}`,
                }),
            );
        });
    }
}

async function postSingle(graph: GraphSender, body: Props): Promise<Props> {
    const res = await graph.send<Props>({ method: "POST", apiVersion: "v1.0", path: COLLECTION, route: SINGLE_ROUTE, body, redact: secretsOf([body]) });
    return res.body;
}

/**
 * Creates one top-level import record: through the session's bulk importer, or as a single POST
 * when `autopilot:bulkImport` is off. Resolves with the record Graph made.
 */
export function postImport(ctx: LifecycleContext, body: Props): Promise<Props> {
    return (ctx.settings ?? DEFAULT_TUNING).bulkImport ? ctx.session.bulkImports.import(body) : postSingle(ctx.graph, body);
}
