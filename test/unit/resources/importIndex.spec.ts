// The look before each import's POST at fleet scale (recordIndex.ts, adopt.ts): one listing for
// the creates waiting together instead of one $filter GET each, and the issue-6 guarantees kept.
import { strict as assert } from "node:assert";
import { GraphError, type GraphClient, type GraphRequest } from "../../../provider/graph";
import { DEFAULT_LIMITS, StepLimits } from "../../../provider/lifecycle/bounds";
import type { LifecycleContext } from "../../../provider/lifecycle/spec";
import type { Props } from "../../../provider/lifecycle/values";
import { createOrAdoptImport, forgetImportRecord } from "../../../provider/resources/importedIdentity/adopt";
import { GraphSession } from "../../../provider/session";

const COLLECTION = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/** A tenant's import records behind a fake Graph client: listings (paged), $filter lookups, and a clock. */
function fakeTenant(options: { pageSize?: number; failListings?: number } = {}) {
    const records: Props[] = [];
    const sent: GraphRequest[] = [];
    let failListings = options.failListings ?? 0;
    /** Resolved before a listing answers (tests hold a listing in flight with it). */
    let gate: Promise<void> = Promise.resolve();
    let now = 1_000_000;
    const page = (offset: number): Props => {
        const size = options.pageSize ?? 1000;
        const value = records.slice(offset, offset + size).map((r) => ({ id: r.id, serialNumber: r.serialNumber }));
        return offset + size < records.length ? { value, "@odata.nextLink": `https://graph.test/v1.0${COLLECTION}?$skiptoken=${offset + size}` } : { value };
    };
    const graph = {
        async send(r: GraphRequest) {
            sent.push(r);
            let body: unknown;
            if (r.absoluteUrl) {
                body = page(Number(/skiptoken=(\d+)/.exec(r.absoluteUrl)![1]));
            } else if (r.query?.$filter) {
                const serial = /'(.*)'/.exec(r.query.$filter)![1].toLowerCase();
                body = { value: records.filter((x) => String(x.serialNumber).toLowerCase().includes(serial)) };
            } else {
                await gate;
                if (failListings > 0) {
                    failListings--;
                    throw new GraphError({ code: "GRAPH_RETRIES_EXHAUSTED", method: "GET", route: r.route ?? "", attempts: 9, status: 503 });
                }
                body = page(0);
            }
            return { status: 200, headers: {}, body, attempts: 1 };
        },
    } as unknown as GraphClient;
    const session = new GraphSession({ graph });
    const ctx = (limits: Partial<StepLimits> = {}): LifecycleContext => ({
        ...session.context(),
        sleep: async (ms) => {
            now += ms;
        },
        now: () => now,
        limits: { ...DEFAULT_LIMITS, ...limits },
    });
    return {
        records,
        sent,
        ctx,
        graph,
        session,
        advance: (ms: number) => (now += ms),
        hold(): () => void {
            let release!: () => void;
            gate = new Promise((r) => (release = r));
            return release;
        },
        listings: () => sent.filter((r) => !r.query?.$filter && !r.absoluteUrl).length,
        lookups: () => sent.filter((r) => r.query?.$filter !== undefined).length,
    };
}

const inputs = (serial: string, hash = `HASH-${serial}`): Props => ({ serialNumber: serial, hardwareIdentifier: hash });
let nextId = 0;
/** A POST that makes the record in the tenant (`visible`: whether Graph lists it at once). */
const poster =
    (t: ReturnType<typeof fakeTenant>, i: Props, visible = true) =>
    async (): Promise<Props> => {
        const rec = {
            id: `made-${++nextId}`,
            serialNumber: i.serialNumber,
            hardwareIdentifier: i.hardwareIdentifier,
            state: { deviceImportStatus: "pending" },
        };
        if (visible) t.records.push(rec);
        return rec;
    };

describe("the look before an import's POST, at fleet scale (recordIndex.ts)", () => {
    it("N creates started together: one listing of ids and serials, no per-serial lookup, N POSTs", async () => {
        const t = fakeTenant();
        t.records.push({ id: "other", serialNumber: "UNRELATED", hardwareIdentifier: "X" });
        const all = Array.from({ length: 250 }, (_, i) => inputs(`SER${i}`));
        const made = await Promise.all(all.map((i) => createOrAdoptImport(t.ctx(), i, poster(t, i))));
        assert.ok(made.every((m) => m.how === "posted"));
        assert.equal(t.listings(), 1);
        assert.equal(t.lookups(), 0);
        assert.deepEqual(t.sent[0].query, { $select: "id,serialNumber", $top: "1000" });
        assert.equal(t.sent[0].path, COLLECTION);
    });

    it("pages through @odata.nextLink; a serial shown on a later page is looked up and adopted", async () => {
        const t = fakeTenant({ pageSize: 2 });
        for (let i = 0; i < 5; i++)
            t.records.push({ id: `r${i}`, serialNumber: `OLD${i}`, hardwareIdentifier: `HASH-OLD${i}`, state: { deviceImportStatus: "complete" } });
        const all = [...Array.from({ length: 6 }, (_, i) => inputs(`NEW${i}`)), inputs("old4", "HASH-OLD4")];
        const made = await Promise.all(all.map((i) => createOrAdoptImport(t.ctx(), i, poster(t, i))));
        assert.deepEqual(
            made.map((m) => m.how),
            [...Array(6).fill("posted"), "adopted"],
        );
        assert.equal(made[6].graph.id, "r4");
        assert.equal(t.sent.filter((r) => r.absoluteUrl).length, 2, "three pages");
        assert.equal(t.lookups(), 1, "only the serial the listing showed");
    });

    it("a large tenant and few creates: the listing is abandoned and each create looks its serial up (never more than twice the lookups)", async () => {
        const t = fakeTenant({ pageSize: 2 });
        for (let i = 0; i < 20; i++) t.records.push({ id: `r${i}`, serialNumber: `OLD${i}`, hardwareIdentifier: "H" });
        const all = [inputs("A1"), inputs("A2")];
        await Promise.all(all.map((i) => createOrAdoptImport(t.ctx(), i, poster(t, i))));
        assert.equal(t.sent.filter((r) => r.method === "GET").length, 4, "2 pages, then 2 lookups");
        assert.equal(t.lookups(), 2);
        // The index now knows a listing takes more pages than a lone create is worth: it skips it.
        t.sent.length = 0;
        await createOrAdoptImport(t.ctx(), inputs("A3"), poster(t, inputs("A3")));
        assert.deepEqual([t.listings(), t.lookups()], [0, 1]);
    });

    it("a create is never answered by a listing that started before it asked: a record made meanwhile is adopted", async () => {
        const t = fakeTenant();
        const release = t.hold();
        const first = createOrAdoptImport(t.ctx(), inputs("EARLY"), poster(t, inputs("EARLY")));
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        // While the first listing runs, another process (an interrupted run, the portal) makes a record.
        t.records.push({ id: "theirs", serialNumber: "LATE", hardwareIdentifier: "HASH-LATE", state: { deviceImportStatus: "pending" } });
        let posted = 0;
        const second = createOrAdoptImport(t.ctx(), inputs("LATE"), async () => ({ id: String(++posted) }));
        release();
        const [a, b] = await Promise.all([first, second]);
        assert.equal(a.how, "posted");
        assert.deepEqual([b.how, b.graph.id, posted], ["adopted", "theirs", 0]);
        assert.equal(t.listings(), 2);
    });

    it("a finished listing answers creates for a minute (waves of creates share it); after that a new one is made", async () => {
        const t = fakeTenant();
        const realNow = Date.now;
        let now = realNow();
        Date.now = () => now;
        try {
            await createOrAdoptImport(t.ctx(), inputs("W1"), poster(t, inputs("W1")));
            assert.equal(t.listings(), 1);
            now += 59_000;
            // A later wave: answered by the listing of 59 s ago, no new listing and no lookup.
            const second = await createOrAdoptImport(t.ctx(), inputs("W2"), poster(t, inputs("W2")));
            assert.equal(second.how, "posted");
            assert.equal(t.listings(), 1);
            assert.equal(t.sent.filter((r) => r.query?.$filter !== undefined).length, 0);
            // Past a minute, a record made by someone else meanwhile is seen by a fresh listing and adopted.
            t.records.push({ id: "portal", serialNumber: "W3", hardwareIdentifier: "HASH-W3", state: { deviceImportStatus: "complete" } });
            now += 2_000;
            let posted = 0;
            const third = await createOrAdoptImport(t.ctx(), inputs("W3"), async () => ({ id: String(++posted) }));
            assert.deepEqual([third.how, third.graph.id, posted, t.listings()], ["adopted", "portal", 0, 2]);
        } finally {
            Date.now = realNow;
        }
    });

    it("a record this process deleted is never adopted, though Graph still lists it", async () => {
        const t = fakeTenant();
        t.records.push({ id: "old", serialNumber: "RPL1", hardwareIdentifier: "HASH-RPL1", state: { deviceImportStatus: "complete" } });
        // The replacement's delete step (deleteBeforeReplace); Graph keeps listing the record for a while.
        forgetImportRecord(t.ctx(), { serialNumber: "RPL1" }, "old");
        const made = await createOrAdoptImport(t.ctx(), inputs("RPL1"), poster(t, inputs("RPL1")));
        assert.equal(made.how, "posted");
        assert.notEqual(made.graph.id, "old");
    });

    it("two creates of one serial in one process take turns: the second adopts the first's record, one POST", async () => {
        const t = fakeTenant();
        let posts = 0;
        const i = inputs("TWIN1");
        const post = async () => {
            posts++;
            return poster(t, i, false)(); // Graph does not list it yet
        };
        const [a, b] = await Promise.all([createOrAdoptImport(t.ctx(), i, post), createOrAdoptImport(t.ctx(), { ...i }, post)]);
        assert.equal(posts, 1);
        assert.deepEqual([a.how, b.how], ["posted", "adopted"]);
        assert.equal(b.graph.id, a.graph.id);
        assert.equal(b.graph.hardwareIdentifier, i.hardwareIdentifier);
        // Another capture of the serial is not the same record: it is imported.
        const other = await createOrAdoptImport(t.ctx(), inputs("TWIN1", "ANOTHER-HASH"), poster(t, inputs("TWIN1", "ANOTHER-HASH")));
        assert.equal(other.how, "posted");
    });

    it("a record this process made counts only while Graph may show it late: deleted by someone else since, it is not adopted", async () => {
        const t = fakeTenant();
        const i = inputs("GONE1");
        const first = await createOrAdoptImport(t.ctx({ consistencyTimeoutMs: 2000 }), i, poster(t, i));
        t.records.splice(
            t.records.findIndex((r) => r.id === first.graph.id),
            1,
        ); // removed in the portal
        t.advance(5000);
        const again = await createOrAdoptImport(t.ctx({ consistencyTimeoutMs: 2000 }), { ...i }, poster(t, i));
        assert.equal(again.how, "posted");
    });

    it("after an ambiguous POST it reads back with fresh per-serial lookups, never the shared listing", async () => {
        const t = fakeTenant();
        const i = inputs("AMB1");
        let tries = 0;
        const made = await createOrAdoptImport(t.ctx(), i, async () => {
            tries++;
            // Graph made it (late) but the answer was lost.
            t.records.push({ id: "landed", serialNumber: "AMB1", hardwareIdentifier: "HASH-AMB1", state: { deviceImportStatus: "pending" } });
            throw new GraphError({ code: "GRAPH_AMBIGUOUS_WRITE", method: "POST", route: "/x", attempts: 1, ambiguous: true, networkCode: "ECONNRESET" });
        });
        assert.deepEqual([made.how, made.graph.id, tries], ["adopted after an ambiguous POST", "landed", 1]);
        assert.deepEqual(
            t.sent.map((r) => (r.query?.$filter ? "lookup" : "listing")),
            ["listing", "lookup"],
        );
    });

    it("a listing that fails fails no create: each looks its serial up on its own", async () => {
        const t = fakeTenant({ failListings: 1 });
        const all = [inputs("F1"), inputs("F2")];
        const made = await Promise.all(all.map((i) => createOrAdoptImport(t.ctx(), i, poster(t, i))));
        assert.deepEqual(
            made.map((m) => m.how),
            ["posted", "posted"],
        );
        assert.equal(t.lookups(), 2);
        assert.equal(t.session.recordIndex({ path: COLLECTION, route: "" }).counters.failed, 1);
    });

    it("an upload's records are listed in the upload, apart from the tenant's", async () => {
        const t = fakeTenant();
        const i = { ...inputs("UP1"), uploadId: "u-1" };
        await createOrAdoptImport(t.ctx(), i, poster(t, i));
        assert.equal(t.sent[0].path, "/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/u-1/deviceIdentities");
    });
});
