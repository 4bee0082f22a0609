import * as assert from "assert";
import { randomUUID } from "crypto";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentity } from "../../provider";
import type { Emulator } from "../emulator";
import { CliHarness, outputsOf, startCliHarness } from "./harness";

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

// The engine runs at most --parallel steps at once (4 x GOMAXPROCS by default: 8 on 2 cores). At 8
// the reads still reach the listing's threshold (100 within 2 s) while each takes under 160 ms, which
// a loaded machine does not promise; with every read in flight at once, as a fleet runs (README), it
// does not depend on the machine.
const PARALLEL = 400;

describe("refresh of a fleet through the real Pulumi CLI: reads answered from listings (collectionReads.ts)", function () {
    this.timeout(300_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" });
    });
    after(async () => h?.close());

    it("lists each collection once instead of a GET per object, with the same outputs; a device gone from Graph is dropped by its GET's 404", async () => {
        const fleet = seed(h.emu);
        const stack = await h.stack(program(fleet));
        const made = await stack.up({ parallel: PARALLEL });
        assert.deepStrictEqual(
            made.steps.filter((s) => s.op !== "create"),
            [],
        );

        h.emu.clearRequests();
        const refreshed = await stack.refresh({ parallel: PARALLEL });
        assert.strictEqual(refreshed.steps.length, 2 * N);
        assert.deepStrictEqual(
            refreshed.steps.filter((s) => s.op !== "same"),
            [],
            "no drift",
        );
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
        const again = await stack.refresh({ parallel: PARALLEL });
        assert.deepStrictEqual(
            again.steps.filter((s) => s.op === "drop").map((s) => s.name),
            [`dev-${N - 2}`],
        );
        assert.deepStrictEqual(again.steps.find((s) => s.name === `dev-${N - 1}`)!.changed, ["groupTag"]);
        assert.strictEqual((await outputsOf(stack, "autopilot:WindowsAutopilotDeviceIdentity", `dev-${N - 1}`)).groupTag, "Kiosk");
        assert.strictEqual(gets(h.emu, DEVICES).length, 1);
        assert.ok(
            itemGets(h.emu, DEVICES).some((r) => r.path === `${DEVICES}/${fleet[N - 2].device}`),
            "the missing device was asked for by id",
        );
    });
});

describe("refresh with AUTOPILOT_LIST_READS=0: one GET per object (batched), no listing", function () {
    this.timeout(300_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" }, { AUTOPILOT_LIST_READS: "0" });
    });
    after(async () => h?.close());

    it("reads every object by id", async () => {
        const fleet = seed(h.emu);
        const stack = await h.stack(program(fleet));
        await stack.up({ parallel: PARALLEL });
        h.emu.clearRequests();
        const refreshed = await stack.refresh({ parallel: PARALLEL });
        assert.deepStrictEqual(
            refreshed.steps.filter((s) => s.op !== "same"),
            [],
        );
        assert.deepStrictEqual([gets(h.emu, DEVICES).length, gets(h.emu, IMPORTS).length], [0, 0]);
        assert.deepStrictEqual([itemGets(h.emu, DEVICES).length, itemGets(h.emu, IMPORTS).length], [N, N]);
    });
});
