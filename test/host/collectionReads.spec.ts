import * as assert from "assert";
import { randomUUID } from "crypto";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentity } from "../../provider";
import type { Emulator } from "../emulator";
import { HostHarness, startHarness } from "./harness";

const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const HASH = Buffer.alloc(512, 7).toString("base64");
/** Past the coalescer's threshold (100 reads of a collection within 2 s). */
const N = 150;

/** N devices, each with the completed import record that registered it. */
function seed(emu: Emulator): { device: string; record: string }[] {
    return Array.from({ length: N }, (_, i) => {
        const device = randomUUID();
        const record = randomUUID();
        const serialNumber = `LR${String(i).padStart(5, "0")}`;
        emu.tenant.devices.set(device, { id: device, serialNumber, groupTag: "Sales", enrollmentState: "notContacted" });
        emu.tenant.importedIdentities.set(record, {
            id: record,
            serialNumber,
            hardwareIdentifier: HASH,
            state: { deviceImportStatus: "complete", deviceRegistrationId: device, deviceErrorCode: 0, deviceErrorName: "" },
        });
        return { device, record };
    });
}

/** Adopts each device and its import record by id. */
function program(fleet: { device: string; record: string }[], tag: (i: number) => string = () => "Sales") {
    return () => {
        fleet.forEach(({ device, record }, i) => {
            new ImportedWindowsAutopilotDeviceIdentity(`imp-${i}`, { importedDeviceId: record, hardwareIdentifier: HASH });
            new WindowsAutopilotDeviceIdentity(`dev-${i}`, { deviceId: device, groupTag: tag(i) });
        });
    };
}

const gets = (emu: Emulator, path: string) => emu.requests.filter((r) => r.method === "GET" && r.path === path);
const itemGets = (emu: Emulator, collection: string) => emu.requests.filter((r) => r.method === "GET" && r.path.startsWith(collection + "/"));

describe("refresh of a fleet through the real host: reads answered from listings (collectionReads.ts)", function () {
    this.timeout(300_000);
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "documented" });
    });
    after(async () => h.close());

    it("lists each collection once instead of a GET per object, with the same outputs; a device gone from Graph is dropped by its GET's 404", async () => {
        const fleet = seed(h.emu);
        const engine = h.engine(program(fleet));
        const made = await engine.up(false);
        assert.deepStrictEqual(made.filter((s) => s.op !== "create"), []);

        h.emu.clearRequests();
        const refreshed = await engine.refresh();
        assert.deepStrictEqual(refreshed.filter((s) => s.op !== "refresh" || s.changed.length > 0), [], "no drift");
        for (const collection of [DEVICES, IMPORTS]) {
            const listed = gets(h.emu, collection);
            assert.strictEqual(listed.length, 1, `${collection}: one page`);
            assert.strictEqual(listed[0].query.$top, "1000");
            // The reads before the burst was one, and one GET comparing the list with the item.
            const items = itemGets(h.emu, collection).length;
            assert.ok(items >= 1 && items <= 100, `${collection}: ${items} item GETs for ${N} reads`);
        }

        // Out of band: one device retagged, one gone. The reads of the last ones come in the burst.
        h.emu.tenant.devices.get(fleet[N - 1].device)!.groupTag = "Kiosk";
        h.emu.tenant.devices.delete(fleet[N - 2].device);
        h.emu.clearRequests();
        const again = await engine.refresh();
        assert.deepStrictEqual(again.filter((s) => s.op === "drop").map((s) => s.name), [`dev-${N - 2}`]);
        assert.deepStrictEqual(again.find((s) => s.name === `dev-${N - 1}`)!.changed, ["groupTag"]);
        assert.strictEqual(engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", `dev-${N - 1}`)!.groupTag, "Kiosk");
        assert.strictEqual(gets(h.emu, DEVICES).length, 1);
        assert.ok(itemGets(h.emu, DEVICES).some((r) => r.path === `${DEVICES}/${fleet[N - 2].device}`), "the missing device was asked for by id");
    });

    it("a device this host process wrote to is read with its own GET, never from a listing", async () => {
        const fleet = seed(h.emu);
        const written = fleet[N - 1].device;
        let retagged = false;
        const engine = h.engine(program(fleet, (i) => (retagged && i === N - 1 ? "Finance" : "Sales")));
        await engine.up(false);
        retagged = true;
        h.emu.clearRequests();
        const updated = await engine.up(false);
        assert.deepStrictEqual(updated.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), [`update dev-${N - 1}`]);
        assert.ok(h.emu.requests.some((r) => r.method === "POST" && r.path === `${DEVICES}/${written}/updateDeviceProperties`), "the tag was written");
        h.emu.clearRequests();
        const refreshed = await engine.refresh();
        assert.deepStrictEqual(refreshed.filter((s) => s.op !== "refresh" || s.changed.length > 0), []);
        assert.strictEqual(gets(h.emu, DEVICES).length, 1, "the others came from a listing");
        assert.ok(itemGets(h.emu, DEVICES).some((r) => r.path === `${DEVICES}/${written}`), "the written device was read by id");
    });
});

describe("refresh with AUTOPILOT_LIST_READS=0: one GET per object (batched), no listing", function () {
    this.timeout(300_000);
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "documented" }, undefined, { AUTOPILOT_LIST_READS: "0" });
    });
    after(async () => h.close());

    it("reads every object by id", async () => {
        const fleet = seed(h.emu);
        const engine = h.engine(program(fleet));
        await engine.up(false);
        h.emu.clearRequests();
        const refreshed = await engine.refresh();
        assert.deepStrictEqual(refreshed.filter((s) => s.op !== "refresh" || s.changed.length > 0), []);
        assert.deepStrictEqual([gets(h.emu, DEVICES).length, gets(h.emu, IMPORTS).length], [0, 0]);
        assert.deepStrictEqual([itemGets(h.emu, DEVICES).length, itemGets(h.emu, IMPORTS).length], [N, N]);
    });
});
