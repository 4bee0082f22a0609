import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { AutopilotFleet, ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentity } from "../../../provider";
import { registeredNames } from "../../../provider/lifecycle/resource";
import { deviceIdentitySpec } from "../../../provider/resources/deviceIdentity/spec";

const HASH = Buffer.alloc(300, 7).toString("base64");

/** Runs a program under mocks; returns the property names each resource registered, by name. */
async function registered(program: () => void): Promise<Map<string, string[]>> {
    const seen = new Map<string, string[]>();
    await pulumi.runtime.setMocks(
        {
            call: () => ({}),
            newResource: async (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, autopilotDeviceId: "dev-1", importStatus: "complete" } }),
        },
        "outputs",
        "test",
        false,
    );
    const monitor: any = pulumi.runtime.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        // Every registered property travels in the request, known or not (unknowns as the sentinel).
        seen.set(
            req.getName(),
            Object.keys(req.getObject().toJavaScript()).filter((k) => k !== "__provider"),
        );
        return original(req, cb);
    };
    program();
    await new Promise((r) => setTimeout(r, 200));
    await pulumi.runtime.disconnect();
    return seen;
}

describe("outputs option: which properties a resource registers", () => {
    it("registers every property by default, and only the given ones + id + listed ones with a list", () => {
        const all = registeredNames(deviceIdentitySpec, { deviceId: "d", groupTag: "G", displayName: undefined });
        assert.ok(all.includes("enrollmentState") && all.includes("groupTag") && all.includes("deviceId"));
        assert.deepEqual(registeredNames(deviceIdentitySpec, { deviceId: "d", groupTag: "G", displayName: undefined }, []), ["deviceId", "groupTag"]);
        assert.deepEqual(registeredNames(deviceIdentitySpec, { serialNumber: "S" }, ["enrollmentState"]), ["serialNumber", "deviceId", "enrollmentState"]);
    });

    it("refuses an output name the object does not have, naming the allowed ones", () => {
        assert.throws(
            () => registeredNames(deviceIdentitySpec, {}, ["enrolmentState"]),
            /outputs names "enrolmentState".*allowed: deviceId, .*enrollmentState/,
        );
    });

    it("exposes listed outputs and throws a clear error for the others", async () => {
        let lean!: WindowsAutopilotDeviceIdentity;
        let full!: WindowsAutopilotDeviceIdentity;
        await registered(() => {
            lean = new WindowsAutopilotDeviceIdentity("lean", { deviceId: "d-1", groupTag: "G" }, { outputs: ["managedDeviceId"] });
            full = new WindowsAutopilotDeviceIdentity("full", { deviceId: "d-2" });
        });
        assert.ok(pulumi.Output.isInstance(lean.deviceId));
        assert.ok(pulumi.Output.isInstance(lean.groupTag));
        assert.ok(pulumi.Output.isInstance(lean.managedDeviceId));
        assert.throws(() => lean.enrollmentState, /lean: output "enrollmentState" is not exposed.*outputs \[managedDeviceId\].*add "enrollmentState"/);
        assert.ok(pulumi.Output.isInstance(full.enrollmentState));
        // Not enumerable: Pulumi's own walks over the object do not trip on it.
        assert.ok(!Object.keys(lean).includes("enrollmentState"));
    });

    it("fleet children register only what the fleet reads by default, everything with childOutputs: all", async () => {
        const csv = `Device Serial Number,Windows Product ID,Hardware Hash\nS-1,,${HASH}\n`;
        // The SDK makes an Output property for each registered name (besides urn and id).
        const outputsOf = (r: object): string[] =>
            Object.keys(r)
                .filter((k) => k !== "urn" && k !== "id" && k !== "__provider" && pulumi.Output.isInstance((r as any)[k]))
                .sort();
        let lean!: AutopilotFleet;
        let full!: AutopilotFleet;
        await registered(() => {
            lean = new AutopilotFleet("f", { csv, defaults: { groupTag: "G" } });
            full = new AutopilotFleet("g", { csv, defaults: { groupTag: "G" }, childOutputs: "all" });
        });
        // The fleet's imports replace on a new hash or key: the option's paths travel as an input (replaceOnChanges.ts).
        assert.deepEqual(outputsOf(lean.devices["S-1"].import), [
            "__replaceOnChanges",
            "autopilotDeviceId",
            "hardwareIdentifier",
            "importStatus",
            "importedDeviceId",
            "serialNumber",
        ]);
        assert.deepEqual(outputsOf(lean.devices["S-1"].device), ["deviceId", "groupTag"]);
        assert.ok(outputsOf(full.devices["S-1"].device).includes("enrollmentState"));
        assert.ok(outputsOf(full.devices["S-1"].import).includes("state"));
        assert.deepEqual(await new Promise((r) => lean.deviceIds.apply(r)), { "S-1": "dev-1" });
    });

    it("refuses an unknown childOutputs value", async () => {
        await assert.rejects(
            registered(() => {
                new AutopilotFleet("h", { csv: `Device Serial Number,Windows Product ID,Hardware Hash\nS-1,,${HASH}\n`, childOutputs: "some" as any });
            }).then(() => undefined),
            /childOutputs must be "fleet" or "all", got "some"/,
        );
    });

    it("keeps an import's secret hash secret when it is registered", async () => {
        let imp!: ImportedWindowsAutopilotDeviceIdentity;
        await registered(() => {
            imp = new ImportedWindowsAutopilotDeviceIdentity("i", { serialNumber: "S-2", hardwareIdentifier: HASH }, { outputs: [] });
        });
        assert.equal(await (imp.hardwareIdentifier as any).isSecret, true);
    });
});
