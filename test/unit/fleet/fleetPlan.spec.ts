import * as assert from "assert";
import { planFleetDevices } from "../../../provider/fleet/fleet";
import { defaultNaming, expandNameTemplate } from "../../../provider/fleet/naming";
import type { HardwareHashRow } from "../../../provider/fleet/csv";

const row = (serialNumber: string, line: number, extra: Partial<HardwareHashRow> = {}): HardwareHashRow => ({
    serialNumber,
    hardwareIdentifier: "AAAA",
    line,
    ...extra,
});

describe("fleet planning", () => {
    it("a row's own column beats the fleet default, and an override beats both", () => {
        const devices = planFleetDevices([row("8CG1", 2, { groupTag: "Kiosk" }), row("8CG2", 3, { assignedUser: "megan.bowen@contoso.com" }), row("8cg3", 4)], {
            defaults: { groupTag: "Sales", displayName: "S-%SERIAL%", userPrincipalName: "adele.vance@contoso.com" },
            overrides: { "8CG3": { groupTag: "VIP", displayName: "CEO-LAPTOP" } },
        });
        assert.deepStrictEqual(
            devices.map((d) => [d.serialNumber, d.settings]),
            [
                ["8CG1", { groupTag: "Kiosk", displayName: "S-8CG1", userPrincipalName: "adele.vance@contoso.com" }],
                ["8CG2", { groupTag: "Sales", displayName: "S-8CG2", userPrincipalName: "megan.bowen@contoso.com" }],
                ["8cg3", { groupTag: "VIP", displayName: "CEO-LAPTOP", userPrincipalName: "adele.vance@contoso.com" }],
            ],
        );
    });

    it("an override can leave a device out", () => {
        const devices = planFleetDevices([row("A1", 2), row("B2", 3)], { overrides: { a1: { skip: true } } });
        assert.deepStrictEqual(
            devices.map((d) => d.serialNumber),
            ["B2"],
        );
    });

    it("names depend on the serial only (any case), so reordering rows keeps every name", () => {
        const names = (rows: HardwareHashRow[]) => new Set(planFleetDevices(rows, {}).map((d) => defaultNaming("fleet", "device", d.serialNumber)));
        const before = names([row("a1", 2), row("B2", 3), row("C3", 4)]);
        const after = names([row("C3", 2), row("A1", 3), row("B2", 4), row("D4", 5)]);
        assert.deepStrictEqual(
            [...before].filter((n) => !after.has(n)),
            [],
        );
        assert.ok(after.has("fleet-device-D4"));
        assert.ok(before.has("fleet-device-A1"));
    });

    it("expands %SERIAL% in a name template, in any case", () => {
        assert.strictEqual(expandNameTemplate("S-%serial%", "8cg5"), "S-8CG5");
    });
});
