import * as assert from "assert";
import * as crypto from "crypto";
import { AutopilotFleet, AutopilotFleetArgs, getAutopilotDevices } from "../../provider";
import { Emulator, startEmulator } from "../emulator";
import { profileOfDevice } from "../emulator/profileModel";
import { autopilotResources, CliHarness, failing, outputsOf, startCliHarness, TOKEN } from "./harness";

const hash = () => crypto.randomBytes(3000).toString("base64");
const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";
// The seeded "Sales (Entra join)" profile, already assigned to the dynamic group of group tag Sales.
const SALES_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const SALES_GROUP = "4feb833d-fd1e-48eb-ad7e-9e4843bc2207";
const hashes = new Map<string, string>();
function csvOf(rows: [serial: string, groupTag?: string, user?: string][]): string {
    return [
        HEADER,
        ...rows.map(([s, g = "", u = ""]) => {
            if (!hashes.has(s)) hashes.set(s, hash());
            return `${s},,${hashes.get(s)},${g},${u}`;
        }),
    ].join("\r\n");
}

function fleet(args: () => AutopilotFleetArgs) {
    return () => {
        const f = new AutopilotFleet("fleet", args());
        return { deviceIds: f.deviceIds, importCounts: f.importCounts };
    };
}

const IMPORT = "autopilot:ImportedWindowsAutopilotDeviceIdentity";

describe("AutopilotFleet through the real Pulumi CLI (live profile)", function () {
    this.timeout(180_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", importPendingReads: 1 });
    });
    after(async () => h?.close());
    beforeEach(() => h.emu.clearRequests());

    it("imports each row, waits, then tags, names and assigns each device; failed imports are kept in the state, and skipping their rows finishes the rest", async () => {
        const csv = csvOf([["8CG6000A01", "Kiosk"], ["8CG6000A02", "", "megan.bowen@contoso.com"], ["5CG1234ABC"], ["PF9ZZZZZ"], ["8CG6000A03"]]);
        let overrides: AutopilotFleetArgs["overrides"] = {};
        const stack = await h.stack(
            fleet(() => ({
                csv,
                overrides,
                defaults: { groupTag: "Sales", displayName: "S-%SERIAL%" },
                profileAssignment: { profileId: SALES_PROFILE, target: { kind: "group", groupId: SALES_GROUP } },
            })),
        );
        // The imports register together and fail together. The engine then starts no other step:
        // which of their devices were written is up to timing.
        const error = await failing(stack.up());
        const failed = error.result.steps.filter((s) => s.op === "failed");
        assert.deepStrictEqual(failed.map((s) => s.name).sort(), ["fleet-import-5CG1234ABC", "fleet-import-PF9ZZZZZ"]);
        assert.match(failed.find((s) => s.name.endsWith("5CG1234ABC"))!.error!, /806 ZtdDeviceAlreadyAssigned/);
        assert.match(failed.find((s) => s.name.endsWith("PF9ZZZZZ"))!.error!, /808 ZtdDeviceAssignedToOtherTenant/);
        // The failed imports are in the state; their devices were never declared to Graph.
        const resources = await autopilotResources(stack);
        const names = resources.map((r) => r.urn.slice(r.urn.lastIndexOf("::") + 2));
        assert.ok(names.includes("fleet-import-5CG1234ABC") && names.includes("fleet-import-PF9ZZZZZ"));
        assert.ok(!names.includes("fleet-device-5CG1234ABC") && !names.includes("fleet-device-PF9ZZZZZ"));
        const records = resources.filter((r) => /fleet-import-(5CG1234ABC|PF9ZZZZZ)$/.test(r.urn)).map((r) => r.id!);
        assert.ok(records.every((id) => h.emu.tenant.importedIdentities.has(id)));

        // What the user does: skip the refused rows. The kept records are deleted, every other row finishes.
        overrides = { "5CG1234ABC": { skip: true }, PF9ZZZZZ: { skip: true } };
        const second = await stack.up();
        assert.deepStrictEqual(
            second.steps
                .filter((s) => s.op === "delete")
                .map((s) => s.name)
                .sort(),
            ["fleet-import-5CG1234ABC", "fleet-import-PF9ZZZZZ"],
        );
        assert.ok(
            records.every((id) => !h.emu.tenant.importedIdentities.has(id)),
            "the refused import records are gone",
        );
        for (const [serial, groupTag, user] of [
            ["8CG6000A01", "Kiosk", null],
            ["8CG6000A02", "Sales", "megan.bowen@contoso.com"],
            ["8CG6000A03", "Sales", null],
        ] as const) {
            const id = String((await outputsOf(stack, IMPORT, `fleet-import-${serial}`)).autopilotDeviceId);
            const device = h.emu.tenant.devices.get(id)!;
            assert.strictEqual(device.groupTag, groupTag, serial);
            assert.strictEqual(device.displayName, `S-${serial}`);
            assert.strictEqual(device.userPrincipalName ?? null, user);
            // The Sales-tagged devices are in the group the fleet's profile is assigned to; the Kiosk one is not.
            assert.strictEqual(profileOfDevice(h.emu.tenant, device)?.[0] === SALES_PROFILE, groupTag === "Sales", serial);
        }
        // One assignment for the fleet: the profile's existing one to that group, adopted, not a copy per device.
        const salesAssignments = [...(h.emu.tenant.assignments.get(SALES_PROFILE)?.values() ?? [])].filter(
            (a) => (a.target as { groupId?: string }).groupId === SALES_GROUP,
        );
        assert.strictEqual(salesAssignments.length, 1);
        assert.deepStrictEqual((await stack.outputs()).importCounts, { complete: 3 });
    });

    it("keeps names stable when rows are reordered or added: only the new row's resources are planned", async () => {
        let csv = csvOf([["8CG6100B01"], ["8CG6100B02"], ["8CG6100B03"]]);
        const stack = await h.stack(fleet(() => ({ csv })));
        await stack.up();
        csv = csvOf([["8CG6100B03"], ["8CG6100B04"], ["8CG6100B01"], ["8CG6100B02"]]);
        h.emu.clearRequests();
        const plan = await stack.preview();
        const changed = plan.steps.filter((s) => s.op !== "same");
        assert.deepStrictEqual(changed.map((s) => `${s.op} ${s.name}`).sort(), ["create fleet-device-8CG6100B04", "create fleet-import-8CG6100B04"]);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("refuses a CSV with errors at preview, listing every problem, and creates nothing", async () => {
        const csv = [
            HEADER,
            `8CG6200C01,,${hash()},,`,
            `8CG6200C02,,not base64!,,`,
            `8CG6200C01,,${hash()},,`,
            `,,${hash()},,`,
            `8CG6200C05,,${hash()},,megan`,
        ].join("\n");
        const stack = await h.stack(fleet(() => ({ csv })));
        // A program error: the engine reports it once, not as a resource's step.
        const e = await failing(stack.preview());
        assert.deepStrictEqual(e.result.steps, []);
        assert.match(e.message, /has 4 problem\(s\); nothing was created/);
        assert.match(e.message, /csv:3: Hardware Hash: /);
        assert.match(e.message, /csv:4: Device Serial Number: .*line 2/);
        assert.match(e.message, /csv:5: Device Serial Number: /);
        assert.match(e.message, /csv:6: Assigned User: /);
        assert.deepStrictEqual(await autopilotResources(stack), []);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("with skipBadRows imports the good rows and reports the skipped ones", async () => {
        const csv = [HEADER, `8CG6300D01,,${hash()},,`, `8CG6300D02,,not base64!,,`].join("\n");
        let skipped: unknown;
        const stack = await h.stack(() => {
            const f = new AutopilotFleet("fleet", { csv, skipBadRows: true });
            // The inline program runs in this process: the apply sees the value the program sees.
            f.skippedRows.apply((rows) => (skipped = rows));
            return { skippedRows: f.skippedRows };
        });
        const { steps, stdout } = await stack.up();
        assert.deepStrictEqual(
            steps.filter((s) => s.op === "failed"),
            [],
        );
        assert.deepStrictEqual(steps.map((s) => s.name).sort(), ["fleet-device-8CG6300D01", "fleet-import-8CG6300D01"]);
        assert.strictEqual((skipped as string[]).length, 1);
        assert.match((skipped as string[])[0], /csv:3: Hardware Hash:/);
        // The user sees the skipped row: a warning under the fleet, and the stack output.
        assert.match(stdout, /warning: AutopilotFleet fleet: skipping 1 bad row\(s\):\s+csv:3: Hardware Hash: /);
        assert.deepStrictEqual(await stack.outputs(), { skippedRows: skipped });
    });

    it("importRecord remove deletes each import record once its device exists; refresh and the next plan leave it so", async () => {
        const csv = csvOf([["8CG6400E01"]]);
        const stack = await h.stack(fleet(() => ({ csv, importRecord: "remove" })));
        await stack.up();
        const imp = await outputsOf(stack, IMPORT, "fleet-import-8CG6400E01");
        assert.strictEqual(imp.recordRemoved, true);
        assert.ok(!h.emu.tenant.importedIdentities.has(String(imp.importedDeviceId)), "record removed");
        assert.ok(h.emu.tenant.devices.has(String(imp.autopilotDeviceId)), "device stays");
        const refreshed = await stack.refresh();
        assert.deepStrictEqual(
            refreshed.steps.filter((s) => s.op !== "same"),
            [],
        );
        h.emu.clearRequests();
        const plan = await stack.preview();
        assert.deepStrictEqual(
            plan.steps.filter((s) => s.op !== "same"),
            [],
        );
        assert.deepStrictEqual(h.emu.requests, []);
    });
});

// A lookup runs in the program's process, not in the provider's host: no engine is involved.
describe("getAutopilotDevices against the emulator", function () {
    let h: { emu: Emulator };
    before(async () => {
        h = { emu: await startEmulator({ profile: "documented" }) };
        // 250 more devices: three pages at the emulator's 100 per page.
        for (let i = 0; i < 250; i++) {
            const id = crypto.randomUUID();
            h.emu.tenant.devices.set(id, {
                id,
                serialNumber: `LOOK${String(i).padStart(4, "0")}`,
                groupTag: i % 2 ? "Odd" : "Even",
                enrollmentState: "notContacted",
            });
        }
    });
    after(async () => h?.emu.close());
    beforeEach(() => h.emu.clearRequests());
    const config = (h: { emu: Emulator }) => (key: string) =>
        (({ "autopilot:graphEndpoint": h.emu.url, "autopilot:accessToken": TOKEN }) as Record<string, string>)[key];

    it("finds devices by group tag across every page of @odata.nextLink", async () => {
        const odd = await getAutopilotDevices({ groupTag: "odd" }, { config: config(h) });
        assert.strictEqual(odd.length, 125);
        assert.ok(odd.every((d) => d.groupTag === "Odd" && d.serialNumber.startsWith("LOOK")));
        assert.strictEqual(h.emu.requests.length, 3, "three pages");
        assert.ok(h.emu.requests.slice(1).every((r) => r.query.$skiptoken !== undefined));
    });

    it("finds one device by exact serial with Graph's contains filter, and by prefix", async () => {
        const one = await getAutopilotDevices({ serialNumber: "look0012" }, { config: config(h) });
        assert.deepStrictEqual(
            one.map((d) => d.serialNumber),
            ["LOOK0012"],
        );
        assert.strictEqual(h.emu.requests[0].query.$filter, "contains(serialNumber,'look0012')");
        const prefixed = await getAutopilotDevices({ serialNumberPrefix: "LOOK024" }, { config: config(h) });
        assert.deepStrictEqual(
            prefixed.map((d) => d.serialNumber).sort(),
            Array.from({ length: 10 }, (_, i) => `LOOK024${i}`),
        );
        const sales = await getAutopilotDevices({ groupTag: "Sales" }, { config: config(h) });
        assert.deepStrictEqual(sales.map((d) => d.serialNumber).sort(), ["5CG1234ABC", "5CG2345BCD"]);
        assert.ok(sales.every((d) => typeof d.id === "string" && d.enrollmentState !== undefined));
    });
});
