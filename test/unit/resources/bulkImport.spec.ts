import { strict as assert } from "node:assert";
import { GraphClient, GraphError } from "../../../provider/graph";
import { BULK_IMPORT_ROUTE, BulkImporter, postImport } from "../../../provider/resources/importedIdentity/bulkImport";
import { resolveTuning } from "../../../provider/settings/table";
import { GraphSession } from "../../../provider/session";
import { countingTokenSource, RecordedRequest, ScriptedServer, startServer } from "../graph/helpers";

const IMPORT_PATH = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/import";
const COLLECTION_PATH = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const HASH = Buffer.alloc(300, 7).toString("base64");

const body = (serial: string) => ({ "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", serialNumber: serial, hardwareIdentifier: HASH });
const recordsOf = (req: RecordedRequest): Array<{ serialNumber: string }> => JSON.parse(req.body).importedWindowsAutopilotDeviceIdentities;

/** Graph-like answers: the import action answers its records in reverse order (the mapping is by serial). */
function importServer(options: { rejectSerial?: string; dropSerial?: string } = {}) {
    let n = 0;
    return (req: RecordedRequest) => {
        if (req.url === IMPORT_PATH) {
            const records = recordsOf(req);
            if (options.rejectSerial && records.some((r) => r.serialNumber === options.rejectSerial)) {
                return { status: 400, body: { error: { code: "BadRequest", message: `Invalid hardware hash for ${options.rejectSerial}` } } };
            }
            const value = records
                .filter((r) => r.serialNumber !== options.dropSerial)
                .map((r) => ({ id: `id-${r.serialNumber}-${++n}`, serialNumber: r.serialNumber.toLowerCase(), state: { deviceImportStatus: "pending" } }))
                .reverse();
            return { status: 200, body: { value } };
        }
        if (req.url === COLLECTION_PATH && req.method === "POST") {
            const rec = JSON.parse(req.body);
            if (rec.serialNumber === options.rejectSerial) return { status: 400, body: { error: { code: "BadRequest", message: "Invalid hardware hash" } } };
            return { status: 201, body: { id: `single-${rec.serialNumber}`, serialNumber: rec.serialNumber, state: { deviceImportStatus: "pending" } } };
        }
        return { status: 404, body: { error: { code: "NotFound", message: req.url } } };
    };
}

describe("bulk import coalescing", () => {
    let server: ScriptedServer | undefined;
    let graph: GraphClient | undefined;
    afterEach(async () => {
        await graph?.close();
        await server?.close();
        server = undefined;
        graph = undefined;
    });

    const start = async (script: ReturnType<typeof importServer>) => {
        server = await startServer(script);
        graph = new GraphClient({ baseUrl: server.origin, tokenSource: countingTokenSource(), maxRetries: 0 });
        return graph;
    };

    it("coalesces concurrent creates into one import call and hands each caller the record of its serial", async () => {
        const importer = new BulkImporter(await start(importServer()), { chunkSize: 100, windowMs: 5 });
        const serials = ["SER-A", "SER-B", "SER-C", "SER-D"];
        const records = await Promise.all(serials.map((s) => importer.import(body(s))));
        assert.deepEqual(
            records.map((r) => String(r.serialNumber).toUpperCase()),
            serials,
        );
        assert.ok(records.every((r, i) => String(r.id).startsWith(`id-${serials[i]}-`)));
        assert.equal(server!.requests.length, 1);
        assert.equal(server!.requests[0].url, IMPORT_PATH);
        assert.deepEqual(
            recordsOf(server!.requests[0]).map((r) => r.serialNumber),
            serials,
        );
        assert.deepEqual(graph!.stats().byRoute, { [BULK_IMPORT_ROUTE]: 1 });
        assert.deepEqual(importer.counters, { calls: 1, records: 4, fallbacks: 0 });
    });

    it("sends full chunks at once and the rest after the window", async () => {
        const importer = new BulkImporter(await start(importServer()), { chunkSize: 100, windowMs: 5 });
        const records = await Promise.all(Array.from({ length: 250 }, (_, i) => importer.import(body(`S${i}`))));
        assert.equal(records.length, 250);
        assert.deepEqual(
            server!.requests.map((r) => recordsOf(r).length),
            [100, 100, 50],
        );
        assert.equal(new Set(records.map((r) => r.id)).size, 250);
    });

    it("a chunk spans waves of creates that come a listing's round trip apart, up to maxWaitMs", async () => {
        const importer = new BulkImporter(await start(importServer()), { chunkSize: 100, windowMs: 60, maxWaitMs: 400 });
        const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const waves: Promise<unknown>[] = [];
        for (let w = 0; w < 3; w++) {
            waves.push(...[0, 1, 2].map((i) => importer.import(body(`W${w}-${i}`))));
            await pause(25); // the next wave comes before the chunk has been quiet for windowMs
        }
        await Promise.all(waves);
        assert.deepEqual(
            server!.requests.map((r) => recordsOf(r).length),
            [9],
            "one call for the three waves",
        );

        // Waves that never stop still go at maxWaitMs after the first record.
        server!.requests.length = 0;
        const steady: Promise<unknown>[] = [];
        const t0 = Date.now();
        for (let w = 0; Date.now() - t0 < 700; w++) {
            steady.push(importer.import(body(`S${w}-a`)), importer.import(body(`S${w}-b`)));
            await pause(20);
        }
        await Promise.all(steady);
        assert.ok(server!.requests.length >= 2, `${server!.requests.length} calls: a chunk never waits past maxWaitMs`);
    });

    it("never puts two creates of one serial into one call", async () => {
        const importer = new BulkImporter(await start(importServer()), { chunkSize: 100, windowMs: 5 });
        await Promise.all([importer.import(body("DUP-1")), importer.import(body("dup-1")), importer.import(body("OTHER"))]);
        const calls = server!.requests.map((r) => (r.url === IMPORT_PATH ? recordsOf(r).map((x) => x.serialNumber) : [JSON.parse(r.body).serialNumber]));
        assert.equal(calls.length, 2);
        for (const c of calls) assert.ok(new Set(c.map((s) => s.toLowerCase())).size === c.length, `duplicate serial in one call: ${c}`);
    });

    it("when Graph refuses the call for one bad record, sends the chunk again one by one: only the bad one fails", async () => {
        const importer = new BulkImporter(await start(importServer({ rejectSerial: "BAD" })), { chunkSize: 100, windowMs: 5 });
        const results = await Promise.allSettled(["GOOD-1", "BAD", "GOOD-2"].map((s) => importer.import(body(s))));
        assert.deepEqual(
            results.map((r) => r.status),
            ["fulfilled", "rejected", "fulfilled"],
        );
        const err = (results[1] as PromiseRejectedResult).reason as GraphError;
        assert.equal(err.status, 400);
        assert.ok(!String(err.message).includes(HASH), "the hash never reaches an error message");
        assert.deepEqual(
            server!.requests.map((r) => r.url),
            [IMPORT_PATH, COLLECTION_PATH, COLLECTION_PATH, COLLECTION_PATH],
        );
        assert.equal(importer.counters.fallbacks, 1);
    });

    it("a record missing from the answer is an ambiguous write for its caller (look before writing again)", async () => {
        const importer = new BulkImporter(await start(importServer({ dropSerial: "LOST" })), { chunkSize: 100, windowMs: 5 });
        const results = await Promise.allSettled(["KEPT", "LOST"].map((s) => importer.import(body(s))));
        assert.equal(results[0].status, "fulfilled");
        const err = (results[1] as PromiseRejectedResult).reason as GraphError;
        assert.equal(err.code, "GRAPH_AMBIGUOUS_WRITE");
        assert.equal(err.ambiguous, true);
        assert.match(err.message, /LOST/);
    });

    it("postImport chunks by autopilot:bulkImportChunk of the step's settings", async () => {
        const g = await start(importServer());
        const ctx = new GraphSession({ graph: g, settings: resolveTuning((key) => (key === "autopilot:bulkImportChunk" ? "2" : undefined), {}) }).context();
        const records = await Promise.all(["C1", "C2", "C3", "C4", "C5"].map((s) => postImport(ctx, body(s))));
        assert.deepEqual(
            records.map((r) => String(r.serialNumber).toUpperCase()),
            ["C1", "C2", "C3", "C4", "C5"],
        );
        const calls = server!.requests.filter((r) => r.url === IMPORT_PATH).map((r) => recordsOf(r).length);
        assert.ok(calls.length >= 2 && calls.every((n) => n <= 2), `records per import call: ${calls}`);
    });

    it("a lone create is a plain POST to the collection; AUTOPILOT_BULK_IMPORT=0 always posts one by one", async () => {
        const g = await start(importServer());
        const ctx = new GraphSession({ graph: g }).context();
        const one = await postImport(ctx, body("ALONE"));
        assert.equal(one.id, "single-ALONE");
        assert.deepEqual(
            server!.requests.map((r) => `${r.method} ${r.url}`),
            [`POST ${COLLECTION_PATH}`],
        );
        const off = { ...ctx, settings: resolveTuning(() => undefined, { AUTOPILOT_BULK_IMPORT: "0" }) };
        await Promise.all(["X1", "X2", "X3"].map((s) => postImport(off, body(s))));
        assert.equal(server!.requests.filter((r) => r.url === COLLECTION_PATH).length, 4);
        assert.equal(server!.requests.filter((r) => r.url === IMPORT_PATH).length, 0);
    });
});
