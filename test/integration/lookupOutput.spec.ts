import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { getAutopilotDevicesOutput, WindowsAutopilotDeviceIdentity } from "../../provider";
import { CliHarness, requestLines, startCliHarness } from "./harness";

const SALES_1 = "4b77edd2-0549-4e37-960f-5dcd781c6560";
const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";

describe("getAutopilotDevicesOutput through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    after(async () => h?.close());
    beforeEach(() => h.emu.clearRequests());

    it("takes Outputs (a secret config value), waits for its dependsOn, and keeps the secret secret", async () => {
        const stack = await h.stack(() => {
            const device = new WindowsAutopilotDeviceIdentity("dev", { deviceId: SALES_1 });
            const found = getAutopilotDevicesOutput(
                { groupTag: new pulumi.Config().requireSecret("groupTag"), serialNumberPrefix: "5cg" },
                { dependsOn: [device] },
            );
            return { serials: found.apply((ds) => ds.map((d) => d.serialNumber).sort()) };
        });
        await stack.setConfig({}, { "autopilot-test:groupTag": "Sales" });

        // A new stack: the device has no id during preview, so the lookup waits (its result is
        // unknown) instead of listing Graph, as an invoke with dependsOn does.
        await stack.preview();
        assert.deepStrictEqual(requestLines(h.emu), [], "nothing is read before the device exists");

        await stack.up();
        const lines = requestLines(h.emu);
        assert.deepStrictEqual(lines, [`GET ${DEVICES}/${SALES_1}`, `GET ${DEVICES}`], "the device is adopted first, then the lookup lists");
        assert.match(h.emu.requests[1].query.$filter ?? "", /contains\(serialNumber,'5cg'\)/);
        const outputs = await stack.stack.outputs();
        assert.deepStrictEqual(outputs.serials.value, ["5CG1234ABC", "5CG2345BCD"]);
        assert.strictEqual(outputs.serials.secret, true, "a secret criterion makes the result secret");
        assert.ok(!stack.storedState().includes("5CG2345BCD"), "the state holds the result as ciphertext");

        // Once the device exists its id is known during preview: the lookup runs, as the plain form does.
        h.emu.clearRequests();
        await stack.preview();
        assert.deepStrictEqual(requestLines(h.emu), [`GET ${DEVICES}`]);
    });

    it("refuses the provider option: the lookup runs in the program, not in a provider plugin", () => {
        const provider = {} as pulumi.ProviderResource;
        assert.throws(() => getAutopilotDevicesOutput({}, { provider }), /provider option does not apply.*config option/);
    });
});
