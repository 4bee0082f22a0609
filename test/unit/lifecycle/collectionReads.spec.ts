// Unit tests of the read coalescer (collectionReads.ts): a real Graph client against the emulator.
import * as assert from "assert";
import { randomUUID } from "crypto";
import { Emulator, startEmulator } from "../../emulator";
import { GraphClient, type GraphRequest } from "../../../provider/graph";
import { beginStep, DEFAULT_LIMITS } from "../../../provider/lifecycle/bounds";
import { CollectionReads } from "../../../provider/lifecycle/collectionReads";
import { resolveTuning, type Tuning } from "../../../provider/settings/table";
import { storedValue } from "../../../provider/lifecycle/fields";
import type { LifecycleContext, ResourceSpec } from "../../../provider/lifecycle/spec";
import { GraphSession } from "../../../provider/session";
import type { Props } from "../../../provider/lifecycle/values";
import { deviceIdentitySpec } from "../../../provider/resources/deviceIdentity/spec";
import { importedIdentitySpec } from "../../../provider/resources/importedIdentity/spec";

const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const HASH = Buffer.alloc(64, 7).toString("base64");

function addDevices(emu: Emulator, n: number, prefix = "CR"): string[] {
    return Array.from({ length: n }, (_, i) => {
        const id = randomUUID();
        emu.tenant.devices.set(id, { id, serialNumber: `${prefix}${String(i).padStart(5, "0")}`, groupTag: "G", enrollmentState: "notContacted" });
        return id;
    });
}

describe("read coalescer (collectionReads.ts)", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let graph: GraphClient;
    const ctx = (settings?: Tuning): LifecycleContext => ({
        ...new GraphSession({ graph }).context(),
        sleep: async () => undefined,
        limits: DEFAULT_LIMITS,
        ...(settings ? { settings } : {}),
    });
    /** `read` of each id at once, as a refresh sends them; the ids the coalescer left to the GET come back as undefined. */
    const burst = (reads: CollectionReads, spec: ResourceSpec, ids: string[], props: Props = {}, settings?: Tuning) =>
        Promise.all(ids.map((id) => reads.read(ctx(settings), spec, id, props)));
    const lists = (path: string) => emu.requests.filter((r) => r.method === "GET" && r.path === path);

    beforeEach(async () => {
        emu = await startEmulator({ profile: "documented" });
        graph = new GraphClient({ baseUrl: emu.url, tokenSource: { getToken: async () => "emulator-token" }, maxRetries: 0, batch: true });
    });
    afterEach(async () => {
        await graph.close();
        await emu.close();
    });

    it("a few reads are left to the per-item GET: no listing", async () => {
        const reads = new CollectionReads(graph, { threshold: 100 });
        const ids = addDevices(emu, 20);
        assert.deepStrictEqual(
            await burst(reads, deviceIdentitySpec, ids),
            ids.map(() => undefined),
        );
        assert.deepStrictEqual(emu.requests, []);
        assert.strictEqual(reads.stats.listings, 0);
    });

    it("a burst lists the collection once, every page, and answers each read with what the item GET shows", async () => {
        const reads = new CollectionReads(graph, { threshold: 50, pageSize: 100 });
        const ids = addDevices(emu, 250);
        const got = await burst(reads, deviceIdentitySpec, ids);
        // The first 49 reads came before the burst was one: theirs are GETs.
        assert.deepStrictEqual(got.slice(0, 49), Array(49).fill(undefined));
        assert.ok(got.slice(49).every((g) => g !== undefined));
        const all = emu.tenant.devices.size;
        const pages = lists(DEVICES);
        assert.strictEqual(pages.length, Math.ceil(all / 100), "every page once");
        assert.strictEqual(pages[0].query.$top, "100");
        assert.ok(
            pages.slice(1).every((p) => p.query.$skiptoken !== undefined),
            "pages through @odata.nextLink",
        );
        // One item GET checked that the list carries every property the GET does.
        assert.strictEqual(emu.requests.filter((r) => r.path.startsWith(DEVICES + "/")).length, 1);
        await Promise.all(
            ids.map(async (id, i) => {
                if (got[i] === undefined) return;
                const { "@odata.context": _c, ...item } = (
                    await graph.send<Props>({ method: "GET", apiVersion: "beta", path: `/deviceManagement/windowsAutopilotDeviceIdentities/${id}` })
                ).body;
                assert.deepStrictEqual(got[i], item);
            }),
        );
        assert.strictEqual(reads.stats.answered, 250 - 49);
    });

    it("import records list with their state, and the listing keeps each hardware hash as its digest (what the outputs keep)", async () => {
        const reads = new CollectionReads(graph, { threshold: 10 });
        const ids = Array.from({ length: 30 }, (_, i) => {
            const id = randomUUID();
            emu.tenant.importedIdentities.set(id, {
                id,
                serialNumber: `IMP${i}`,
                hardwareIdentifier: HASH,
                state: { deviceImportStatus: "complete", deviceRegistrationId: "", deviceErrorCode: 0, deviceErrorName: "" },
            });
            return id;
        });
        const got = await burst(reads, importedIdentitySpec, ids);
        const last = got[29] as Props;
        assert.strictEqual(last.hardwareIdentifier, storedValue(importedIdentitySpec.fields.hardwareIdentifier, HASH));
        assert.match(String(last.hardwareIdentifier), /^sha256:/);
        assert.strictEqual(last.serialNumber, "IMP29");
        assert.strictEqual((last.state as Props).deviceImportStatus, "complete");
        assert.strictEqual(lists(IMPORTS).length, 1);
        // An identity of an upload is read through the upload's route, never from this listing.
        emu.clearRequests();
        assert.deepStrictEqual(
            await burst(reads, importedIdentitySpec, ids, { uploadId: randomUUID() }),
            ids.map(() => undefined),
        );
        assert.deepStrictEqual(emu.requests, []);
    });

    it("each listed object answers one read: a second round of reads (another refresh) lists again", async () => {
        const reads = new CollectionReads(graph, { threshold: 5 });
        const ids = addDevices(emu, 20);
        assert.ok((await burst(reads, deviceIdentitySpec, ids)).slice(4).every((g) => g !== undefined));
        // Changed after the listing: ids[0] was read by GET in the first round (the listing still
        // holds it), ids[19] from the listing. Both show the change: the second round lists afresh.
        emu.tenant.devices.get(ids[0])!.groupTag = "Changed";
        emu.tenant.devices.get(ids[19])!.groupTag = "Changed";
        const again = await burst(reads, deviceIdentitySpec, ids);
        assert.deepStrictEqual(
            [again[0], again[19]].map((g) => (g as Props | undefined)?.groupTag),
            ["Changed", "Changed"],
        );
        assert.strictEqual(lists(DEVICES).length, 2);
    });

    it("an id the listing lacks is left to the GET (only its 404 says gone)", async () => {
        const reads = new CollectionReads(graph, { threshold: 5 });
        const ids = [...addDevices(emu, 10), randomUUID()];
        const got = await burst(reads, deviceIdentitySpec, ids);
        assert.strictEqual(got[10], undefined);
        assert.ok(got.slice(4, 10).every((g) => g !== undefined));
    });

    it("an id written through the client (any module, a step's client too) is not answered from a listing", async () => {
        const reads = new CollectionReads(graph, { threshold: 5 });
        const ids = addDevices(emu, 20);
        // Slow the listing down so a write lands while it runs.
        emu.injectFault({ method: "GET", path: /windowsAutopilotDeviceIdentities$/, delayMs: 300 });
        const pending = burst(reads, deviceIdentitySpec, ids);
        await new Promise((r) => setTimeout(r, 100));
        const scope = beginStep(ctx(), "write");
        await scope.run(() =>
            scope.ctx.graph.send({
                method: "POST",
                apiVersion: "beta",
                path: `/deviceManagement/windowsAutopilotDeviceIdentities/${ids[10]}/updateDeviceProperties`,
                body: { groupTag: "New" },
            }),
        );
        scope.end();
        const got = await pending;
        assert.strictEqual(got[10], undefined, "written while the listing ran");
        assert.ok(got[11] !== undefined);
        // Later bursts leave it to the GET too.
        assert.strictEqual((await burst(reads, deviceIdentitySpec, ids))[10], undefined);
    });

    it("a failed listing leaves every waiting read to the GET, and no listing is tried again for a while", async () => {
        let now = 1_000_000;
        const reads = new CollectionReads(graph, { threshold: 5, now: () => now });
        const ids = addDevices(emu, 20);
        emu.injectFault({ method: "GET", path: /windowsAutopilotDeviceIdentities$/, status: 500 });
        const got = await burst(reads, deviceIdentitySpec, ids);
        assert.deepStrictEqual(
            got,
            ids.map(() => undefined),
        );
        assert.strictEqual(reads.stats.failed, 1);
        emu.clearRequests();
        assert.deepStrictEqual(
            await burst(reads, deviceIdentitySpec, ids),
            ids.map(() => undefined),
        );
        assert.deepStrictEqual(lists(DEVICES), []);
        now += 31_000;
        assert.ok(
            (await burst(reads, deviceIdentitySpec, ids)).slice(5).every((g) => g !== undefined),
            "lists again later",
        );
    });

    it("gives a listing up when the tenant is far larger than the burst (per-item reads cost less)", async () => {
        const reads = new CollectionReads(graph, { threshold: 5, pageSize: 10, minPages: 3, readsPerPage: 20 });
        const ids = addDevices(emu, 100);
        const got = await burst(reads, deviceIdentitySpec, ids.slice(0, 10));
        assert.deepStrictEqual(got, Array(10).fill(undefined));
        assert.strictEqual(lists(DEVICES).length, 3);
        assert.strictEqual(reads.stats.givenUp, 1);
    });

    it("never answers from a list that leaves out properties the item GET has", async () => {
        const sent: GraphRequest[] = [];
        const fake = {
            onWrite: () => () => undefined,
            async send(r: GraphRequest) {
                sent.push(r);
                const one = (id: string) => ({ id, serialNumber: "S", ...(r.query ? {} : { productKey: "k" }) });
                return { status: 200, headers: {}, attempts: 1, body: r.query ? { value: ["a", "b", "c", "d"].map(one) } : one(r.path.split("/").pop()!) };
            },
        } as unknown as GraphClient;
        const reads = new CollectionReads(fake, { threshold: 3 });
        const fakeCtx: LifecycleContext = { ...new GraphSession({ graph: fake }).context(), sleep: async () => undefined };
        const got = await Promise.all(["a", "b", "c", "d"].map((id) => reads.read(fakeCtx, deviceIdentitySpec, id, {})));
        assert.deepStrictEqual(got, [undefined, undefined, undefined, undefined]);
        assert.strictEqual(sent.length, 2, "one page, one item GET to compare");
        sent.length = 0;
        await Promise.all(["a", "b", "c", "d"].map((id) => reads.read(fakeCtx, deviceIdentitySpec, id, {})));
        assert.strictEqual(sent.length, 0, "that collection is not listed again");
    });

    it("AUTOPILOT_LIST_READS=0 switches it off", async () => {
        const off = resolveTuning(() => undefined, { AUTOPILOT_LIST_READS: "0" });
        assert.strictEqual(off.listReads, false);
        const reads = new CollectionReads(graph, { threshold: 2 });
        const ids = addDevices(emu, 10);
        assert.deepStrictEqual(
            await burst(reads, deviceIdentitySpec, ids, {}, off),
            ids.map(() => undefined),
        );
        assert.deepStrictEqual(emu.requests, []);
    });
});
