// A large fleet registers its rows in waves (fleet.ts, RegistrationWaves): the first imports reach
// the engine before the whole fleet is prepared, and devices whose import is done register between
// later waves, instead of every import first (Pulumi's SDK prepares registrations in lockstep).
import { strict as assert } from "node:assert";
import { randomBytes } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet } from "../../../provider";
import { REGISTRATION_WAVE_ROWS } from "../../../provider/fleet/fleet";

/** The order in which the engine (a mock monitor that answers at once) sees the fleet's children. */
async function registrationOrder(rows: number): Promise<string[]> {
    const order: string[] = [];
    await pulumi.runtime.setMocks(
        {
            call: () => ({}),
            newResource: async (args) => {
                if (args.type.startsWith("pulumi-nodejs:dynamic/")) order.push(args.name);
                return { id: `${args.name}-id`, state: { ...args.inputs, autopilotDeviceId: `${args.name}-device`, importStatus: "complete" } };
            },
        },
        "waves",
        "test",
        false,
    );
    const lines = ["Device Serial Number,Windows Product ID,Hardware Hash"];
    // Each row its own hash: the fleet refuses a hash given twice.
    for (let i = 0; i < rows; i++) lines.push(`W${String(i).padStart(5, "0")},,${randomBytes(300).toString("base64")}`);
    const fleet = new AutopilotFleet("f", { csv: lines.join("\n") + "\n", defaults: { groupTag: "G" } });
    await new Promise((resolve) => fleet.deviceIds.apply(resolve));
    await pulumi.runtime.disconnect();
    return order;
}

describe("a large fleet registers in waves", function () {
    this.timeout(60_000);

    it("the first wave's devices register before the last wave's imports; every child registers once", async () => {
        const rows = 3 * REGISTRATION_WAVE_ROWS + 1;
        const order = await registrationOrder(rows);
        assert.equal(order.length, 2 * rows);
        assert.equal(new Set(order).size, 2 * rows);
        const firstDevice = order.indexOf("f-device-W00000");
        const lastImport = order.indexOf(`f-import-W${String(rows - 1).padStart(5, "0")}`);
        assert.ok(firstDevice >= 0 && lastImport >= 0);
        assert.ok(firstDevice < lastImport, `the first device registered at ${firstDevice}, after the last import (${lastImport})`);
        // Imports go out wave by wave: none of a later wave before all of the first.
        const firstWaveImports = order.filter(
            (n, i) => n.startsWith("f-import-") && i < order.indexOf(`f-import-W${String(REGISTRATION_WAVE_ROWS).padStart(5, "0")}`),
        );
        assert.equal(firstWaveImports.length, REGISTRATION_WAVE_ROWS);
    });

    it("a fleet of one wave or less registers as before: imports first, in row order", async () => {
        const order = await registrationOrder(5);
        assert.deepEqual(order.slice(0, 5), ["f-import-W00000", "f-import-W00001", "f-import-W00002", "f-import-W00003", "f-import-W00004"]);
        assert.equal(order.length, 10);
    });
});
