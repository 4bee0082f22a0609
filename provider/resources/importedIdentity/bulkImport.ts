import { GraphClient, GraphError } from "../../graph";
import type { LifecycleContext } from "../../lifecycle/spec";
import { DEFAULT_TUNING } from "../../settings/table";
import type { Props } from "../../lifecycle/values";

const COLLECTION = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";
export const BULK_IMPORT_ROUTE = `POST ${COLLECTION}/import`;
const SINGLE_ROUTE = `POST ${COLLECTION}`;

/** How long a chunk waits for the next record before it goes, by default. */
export const DEFAULT_BULK_WINDOW_MS = 300;
/** How long the first record of a chunk waits at most, by default. */
export const DEFAULT_BULK_MAX_WAIT_MS = 2000;

export interface BulkImportOptions {
    /** Records per `import` call; default `autopilot:bulkImportChunk`'s. */
    chunkSize?: number;
    /** How long a chunk waits for the next record before it goes; default {@link DEFAULT_BULK_WINDOW_MS}. */
    windowMs?: number;
    /** How long the first record of a chunk waits at most; default {@link DEFAULT_BULK_MAX_WAIT_MS} (never less than windowMs). */
    maxWaitMs?: number;
}

interface Pending {
    body: Props;
    serialKey: string;
    resolve(record: Props): void;
    reject(error: unknown): void;
}

const serialKeyOf = (body: Props): string => String(body.serialNumber ?? "").trim().toLowerCase();

/** Hardware hashes and product keys: never in an error message. */
function secretsOf(bodies: Props[]): string[] {
    const out: string[] = [];
    for (const b of bodies) {
        for (const k of ["hardwareIdentifier", "productKey"]) {
            if (typeof b[k] === "string" && b[k] !== "") out.push(b[k] as string);
        }
    }
    return out;
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
    private readonly chunkSize: number;
    private readonly windowMs: number;
    private readonly maxWaitMs: number;
    private queue: Pending[] = [];
    private timer?: NodeJS.Timeout;
    /** When the oldest record waiting arrived. */
    private firstAt = 0;
    /** Counters for reports and tests. */
    readonly counters = { calls: 0, records: 0, fallbacks: 0 };

    constructor(private readonly graph: GraphClient, options: BulkImportOptions = {}) {
        this.chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_TUNING.bulkImportChunk));
        this.windowMs = Math.max(0, options.windowMs ?? DEFAULT_BULK_WINDOW_MS);
        this.maxWaitMs = Math.max(this.windowMs, options.maxWaitMs ?? DEFAULT_BULK_MAX_WAIT_MS);
    }

    /** Imports one record (a POST body for the collection); resolves with the record Graph made. */
    import(body: Props): Promise<Props> {
        return new Promise<Props>((resolve, reject) => {
            this.queue.push({ body, serialKey: serialKeyOf(body), resolve, reject });
            if (this.queue.length === 1) this.firstAt = Date.now();
            if (this.queue.length >= this.chunkSize) {
                this.flush();
            } else {
                this.arm();
            }
        });
    }

    // The chunk goes `windowMs` after the last record joined, but no later than `maxWaitMs` after the first.
    private arm(): void {
        if (this.timer) clearTimeout(this.timer);
        const wait = Math.min(this.windowMs, this.firstAt + this.maxWaitMs - Date.now());
        this.timer = setTimeout(() => this.flush(), Math.max(0, wait));
    }

    private flush(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        while (this.queue.length > 0) {
            const chunk: Pending[] = [];
            const serials = new Set<string>();
            const rest: Pending[] = [];
            for (const p of this.queue) {
                if (chunk.length < this.chunkSize && !serials.has(p.serialKey)) {
                    chunk.push(p);
                    serials.add(p.serialKey);
                } else {
                    rest.push(p);
                }
            }
            this.queue = rest;
            void this.send(chunk);
            // A partial chunk left over (duplicates, or more than one chunk's worth) waits for company.
            if (this.queue.length > 0 && this.queue.length < this.chunkSize) {
                this.firstAt = Date.now();
                this.arm();
                return;
            }
        }
    }

    private async send(chunk: Pending[]): Promise<void> {
        if (chunk.length === 1) {
            await this.single(chunk[0]);
            return;
        }
        this.counters.calls++;
        this.counters.records += chunk.length;
        const bodies = chunk.map((p) => p.body);
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
            if (GraphError.isGraphError(e) && e.status === 400) {
                // One bad record refuses the call: send each on its own so only the bad one fails.
                this.counters.fallbacks++;
                await Promise.all(chunk.map((p) => this.single(p)));
                return;
            }
            for (const p of chunk) p.reject(e);
            return;
        }
        const bySerial = new Map<string, Props>();
        for (const record of answer.value ?? []) {
            bySerial.set(serialKeyOf(record), record);
        }
        for (const p of chunk) {
            const record = bySerial.get(p.serialKey);
            if (record && typeof record.id === "string") {
                p.resolve(record);
            } else {
                // Graph may have made it without saying so: the caller must look before writing again.
                p.reject(
                    new GraphError({
                        code: "GRAPH_AMBIGUOUS_WRITE",
                        method: "POST",
                        route: BULK_IMPORT_ROUTE,
                        attempts: 1,
                        ambiguous: true,
                        detail: `the import answer has no record for serial ${String(p.body.serialNumber)}`,
                    }),
                );
            }
        }
    }

    private async single(p: Pending): Promise<void> {
        try {
            p.resolve(await postSingle(this.graph, p.body));
        } catch (e) {
            p.reject(e);
        }
    }
}

async function postSingle(graph: GraphClient, body: Props): Promise<Props> {
    const res = await graph.send<Props>({ method: "POST", apiVersion: "v1.0", path: COLLECTION, route: SINGLE_ROUTE, body, redact: secretsOf([body]) });
    return res.body;
}

const importers = new WeakMap<GraphClient, BulkImporter>();

/**
 * Creates one top-level import record: through the process's bulk importer (one per Graph
 * client), or as a single POST when `autopilot:bulkImport` is off. Resolves with the record Graph made.
 */
export function postImport(ctx: LifecycleContext, body: Props): Promise<Props> {
    const settings = ctx.settings ?? DEFAULT_TUNING;
    if (!settings.bulkImport) return postSingle(ctx.graph, body);
    let importer = importers.get(ctx.graph);
    if (!importer) {
        importer = new BulkImporter(ctx.graph, { chunkSize: settings.bulkImportChunk });
        importers.set(ctx.graph, importer);
    }
    return importer.import(body);
}
