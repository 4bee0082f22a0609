// What `pulumi refresh` records as a resource's inputs, through the real Pulumi CLI: the values
// Graph holds for the inputs the program gave (read returns them, and Pulumi's dynamic-provider host
// passes them on from @pulumi/pulumi 3.216.0; older hosts drop them, which is why the package's
// range of the SDK starts there). The engine applies `ignoreChanges` with the state's inputs, so
// this is what keeps a change made in the portal to an ignored field.
import * as assert from "assert";
import { WindowsAutopilotDeviceIdentity } from "../../provider";
import { CliHarness, outputsOf, startCliHarness, stepOf } from "./harness";

const FINANCE_1 = { id: "1cb374d2-6cd6-4ba1-a886-448a9054629d", serial: "1ZXY8K3" };
const TYPE = "autopilot:WindowsAutopilotDeviceIdentity";

describe("refresh records Graph's values as the inputs the program gave (real Pulumi CLI)", function () {
    this.timeout(180_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    after(async () => h?.close());

    it("a field in ignoreChanges changed in the portal is kept by the next up; the others are put back", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1.id, groupTag: "Finance", displayName: "FIN-001" }, { ignoreChanges: ["groupTag"] });
        });
        await stack.up();
        const device = h.emu.tenant.devices.get(FINANCE_1.id)!;
        device.groupTag = "Finance-Kiosk";
        device.displayName = "RENAMED-IN-PORTAL";

        await stack.refresh();
        const state = await stack.resource(TYPE, "dev");
        const inputs = state?.inputs as Record<string, unknown>;
        assert.deepStrictEqual([inputs.groupTag, inputs.displayName], ["Finance-Kiosk", "RENAMED-IN-PORTAL"], "the refreshed inputs are Graph's");

        h.emu.clearRequests();
        const applied = await stack.up();
        assert.strictEqual(stepOf(applied.steps, "dev").op, "update");
        const writes = h.emu.requests.filter((r) => r.method !== "GET");
        assert.deepStrictEqual(
            writes.map((r) => [r.method, r.path.split("/").pop(), r.body]),
            [["POST", "updateDeviceProperties", { displayName: "FIN-001" }]],
            "only the name is put back",
        );
        assert.deepStrictEqual([device.groupTag, device.displayName], ["Finance-Kiosk", "FIN-001"]);
        const outs = await outputsOf(stack, TYPE, "dev");
        assert.deepStrictEqual([outs.groupTag, outs.displayName], ["Finance-Kiosk", "FIN-001"]);
    });
});
