import * as assert from "assert";
import * as crypto from "crypto";
import { AutopilotFleet, AutopilotFleetArgs, getAutopilotDevices } from "../../provider";
import { HostHarness, startHarness, TOKEN } from "./harness";

const hash = () => crypto.randomBytes(3000).toString("base64");
const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";
const GROUP = "4feb833d-fd1e-48eb-ad7e-9e4843bc2207";
const hashes = new Map<string, string>();
function csvOf(rows: [serial: string, groupTag?: string, user?: string][]): string {
    return [HEADER, ...rows.map(([s, g = "", u = ""]) => {
        if (!hashes.has(s)) hashes.set(s, hash());
        return `${s},,${hashes.get(s)},${g},${u}`;
    })].join("\r\n");
}

function fleet(args: () => AutopilotFleetArgs) {
    return () => {
        const f = new AutopilotFleet("fleet", args());
        return { deviceIds: f.deviceIds, importCounts: f.importCounts };
    };
}

describe("AutopilotFleet through the real host (live profile)", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "live", importPendingReads: 1 });
    });
    after(async () => h.close());
    beforeEach(() => h.emu.clearRequests());

    it("imports each row, waits, then tags, names and assigns each device; import errors are mixed in and kept in the state", async () => {
        const csv = csvOf([["8CG6000A01", "Kiosk"], ["8CG6000A02", "", "megan.bowen@contoso.com"], ["5CG1234ABC"], ["PF9ZZZZZ"], ["8CG6000A03"]]);
        const engine = h.engine(fleet(() => ({ csv, defaults: { groupTag: "Sales", displayName: "S-%SERIAL%" }, profileAssignment: { target: { kind: "group", groupId: GROUP } } })));
        const steps = await engine.up(false);
        const failed = steps.filter((s) => s.op === "failed");
        assert.deepStrictEqual(failed.map((s) => s.name).sort(), ["fleet-import-5CG1234ABC", "fleet-import-PF9ZZZZZ"]);
        assert.match(failed.find((s) => s.name.endsWith("5CG1234ABC"))!.error!, /806 ZtdDeviceAlreadyAssigned/);
        assert.match(failed.find((s) => s.name.endsWith("PF9ZZZZZ"))!.error!, /808 ZtdDeviceAssignedToOtherTenant/);
        // The failed imports are in the state; their devices were never declared to Graph.
        const names = engine.entries().map((e) => e.name);
        assert.ok(names.includes("fleet-import-5CG1234ABC") && names.includes("fleet-import-PF9ZZZZZ"));
        assert.ok(!names.includes("fleet-device-PF9ZZZZZ"));

        for (const [serial, groupTag, user] of [["8CG6000A01", "Kiosk", null], ["8CG6000A02", "Sales", "megan.bowen@contoso.com"], ["8CG6000A03", "Sales", null]] as const) {
            const id = String(engine.outputsOf("autopilot:ImportedWindowsAutopilotDeviceIdentity", `fleet-import-${serial}`)!.autopilotDeviceId);
            const device = h.emu.tenant.devices.get(id)!;
            assert.strictEqual(device.groupTag, groupTag, serial);
            assert.strictEqual(device.displayName, `S-${serial}`);
            assert.strictEqual(device.userPrincipalName ?? null, user);
            assert.strictEqual([...(h.emu.tenant.assignments.get(id)?.values() ?? [])].length, 1, `one assignment for ${serial}`);
        }
    });

    it("keeps names stable when rows are reordered or added: only the new row's resources are planned", async () => {
        let csv = csvOf([["8CG6100B01"], ["8CG6100B02"], ["8CG6100B03"]]);
        const engine = h.engine(fleet(() => ({ csv })));
        await engine.up(false);
        csv = csvOf([["8CG6100B03"], ["8CG6100B04"], ["8CG6100B01"], ["8CG6100B02"]]);
        h.emu.clearRequests();
        const plan = await engine.up(true);
        const changed = plan.filter((s) => s.op !== "same");
        assert.deepStrictEqual(changed.map((s) => `${s.op} ${s.name}`).sort(), ["create fleet-device-8CG6100B04", "create fleet-import-8CG6100B04"]);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("refuses a CSV with errors at preview, listing every problem, and creates nothing", async () => {
        const csv = [HEADER, `8CG6200C01,,${hash()},,`, `8CG6200C02,,not base64!,,`, `8CG6200C01,,${hash()},,`, `,,${hash()},,`, `8CG6200C05,,${hash()},,megan`].join("\n");
        const engine = h.engine(fleet(() => ({ csv })));
        await assert.rejects(engine.up(true), (e: Error) => {
            assert.match(e.message, /has 4 problem\(s\); nothing was created/);
            assert.match(e.message, /csv:3: Hardware Hash: /);
            assert.match(e.message, /csv:4: Device Serial Number: .*line 2/);
            assert.match(e.message, /csv:5: Device Serial Number: /);
            assert.match(e.message, /csv:6: Assigned User: /);
            return true;
        });
        assert.strictEqual(engine.entries().length, 0);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("with skipBadRows imports the good rows and reports the skipped ones", async () => {
        const csv = [HEADER, `8CG6300D01,,${hash()},,`, `8CG6300D02,,not base64!,,`].join("\n");
        let skipped: unknown;
        const engine = h.engine(() => {
            const f = new AutopilotFleet("fleet", { csv, skipBadRows: true });
            f.skippedRows.apply((rows) => (skipped = rows));
        });
        const steps = await engine.up(false);
        assert.deepStrictEqual(steps.filter((s) => s.op === "failed"), []);
        assert.deepStrictEqual(steps.map((s) => s.name).sort(), ["fleet-device-8CG6300D01", "fleet-import-8CG6300D01"]);
        assert.strictEqual((skipped as string[]).length, 1);
        assert.match((skipped as string[])[0], /csv:3: Hardware Hash:/);
    });

    it("importRecord remove deletes each import record once its device exists; refresh and the next plan leave it so", async () => {
        const csv = csvOf([["8CG6400E01"]]);
        const engine = h.engine(fleet(() => ({ csv, importRecord: "remove" })));
        await engine.up(false);
        const imp = engine.outputsOf("autopilot:ImportedWindowsAutopilotDeviceIdentity", "fleet-import-8CG6400E01")!;
        assert.strictEqual(imp.recordRemoved, true);
        assert.ok(!h.emu.tenant.importedIdentities.has(String(imp.importedDeviceId)), "record removed");
        assert.ok(h.emu.tenant.devices.has(String(imp.autopilotDeviceId)), "device stays");
        const refreshed = await engine.refresh();
        assert.ok(!refreshed.some((s) => s.op === "drop"));
        h.emu.clearRequests();
        const plan = await engine.up(true);
        assert.deepStrictEqual(plan.filter((s) => s.op !== "same"), []);
        assert.deepStrictEqual(h.emu.requests, []);
    });
});

describe("getAutopilotDevices against the emulator", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "documented" });
        // 250 more devices: three pages at the emulator's 100 per page.
        for (let i = 0; i < 250; i++) {
            const id = crypto.randomUUID();
            h.emu.tenant.devices.set(id, { id, serialNumber: `LOOK${String(i).padStart(4, "0")}`, groupTag: i % 2 ? "Odd" : "Even", enrollmentState: "notContacted" });
        }
    });
    after(async () => h.close());
    beforeEach(() => h.emu.clearRequests());
    const config = (h: HostHarness) => (key: string) => ({ "autopilot:graphEndpoint": h.emu.url, "autopilot:accessToken": TOKEN } as Record<string, string>)[key];

    it("finds devices by group tag across every page of @odata.nextLink", async () => {
        const odd = await getAutopilotDevices({ groupTag: "odd" }, { config: config(h) });
        assert.strictEqual(odd.length, 125);
        assert.ok(odd.every((d) => d.groupTag === "Odd" && d.serialNumber.startsWith("LOOK")));
        assert.strictEqual(h.emu.requests.length, 3, "three pages");
        assert.ok(h.emu.requests.slice(1).every((r) => r.query.$skiptoken !== undefined));
    });

    it("finds one device by exact serial with Graph's contains filter, and by prefix", async () => {
        const one = await getAutopilotDevices({ serialNumber: "look0012" }, { config: config(h) });
        assert.deepStrictEqual(one.map((d) => d.serialNumber), ["LOOK0012"]);
        assert.strictEqual(h.emu.requests[0].query.$filter, "contains(serialNumber,'look0012')");
        const prefixed = await getAutopilotDevices({ serialNumberPrefix: "LOOK024" }, { config: config(h) });
        assert.deepStrictEqual(prefixed.map((d) => d.serialNumber).sort(), Array.from({ length: 10 }, (_, i) => `LOOK024${i}`));
        const sales = await getAutopilotDevices({ groupTag: "Sales" }, { config: config(h) });
        assert.deepStrictEqual(sales.map((d) => d.serialNumber).sort(), ["5CG1234ABC", "5CG2345BCD"]);
        assert.ok(sales.every((d) => typeof d.id === "string" && d.enrollmentState !== undefined));
    });
});
