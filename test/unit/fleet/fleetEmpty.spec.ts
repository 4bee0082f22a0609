// A fleet cannot be emptied by accident: a CSV with a header and no rows would delete every device.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet } from "../../../provider/fleet/fleet";

describe("AutopilotFleet with no devices", () => {
    before(async () => {
        await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "p", "s", true);
    });

    it("refuses a CSV with a header and no rows, and says how to empty it on purpose", () => {
        assert.throws(
            () => new AutopilotFleet("sales", { csv: "Device Serial Number,Windows Product ID,Hardware Hash\r\n" }),
            /AutopilotFleet sales: no devices: the CSV has a header and no device rows\. An empty fleet would remove every device .* set allowEmpty: true/,
        );
    });

    it("refuses a CSV whose every row was bad and skipped", () => {
        assert.throws(
            () => new AutopilotFleet("sales", { csv: "Device Serial Number,Hardware Hash\nA1,not-a-hash\n", skipBadRows: true }),
            /every row was bad and skipped \(1 problem\(s\)\)/,
        );
    });

    it("takes an empty CSV when the program says the fleet may be empty", () => {
        const fleet = new AutopilotFleet("sales", { csv: "Device Serial Number,Hardware Hash\n", allowEmpty: true });
        assert.deepStrictEqual(Object.keys(fleet.devices), []);
    });

    it("asks for the profile of its profile assignment", () => {
        const hash = Buffer.alloc(4000, 1).toString("base64");
        assert.throws(
            () =>
                new AutopilotFleet("sales", {
                    csv: `Device Serial Number,Hardware Hash\nA1,${hash}\n`,
                    profileAssignment: { target: { kind: "allDevices" } } as never,
                }),
            /profileAssignment\.profileId is required: an assignment belongs to the deployment profile/,
        );
    });
});
