import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
    ImportedWindowsAutopilotDeviceIdentity,
    ImportedWindowsAutopilotDeviceIdentityUpload,
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeviceIdentity,
} from "../../../provider";
import { dynamicProviderFor } from "../../../provider/lifecycle/dynamicProvider";
import { dispatch, PROVIDER_METHODS } from "../../../provider/runtime";

/** `__provider` of every resource the program registers, by type. */
async function providersOf(program: () => void): Promise<Map<string, string[]>> {
    const seen = new Map<string, string[]>();
    await pulumi.runtime.setMocks(
        {
            call: () => ({}),
            newResource: async (args) => {
                if (typeof args.inputs.__provider === "string") seen.set(args.type, [...(seen.get(args.type) ?? []), args.inputs.__provider]);
                return { id: `${args.name}-id`, state: args.inputs };
            },
        },
        "provider-size",
        "test",
        false,
    );
    program();
    await new Promise((r) => setTimeout(r, 200));
    await pulumi.runtime.disconnect();
    return seen;
}

describe("__provider: small, by name, one serialization per type", () => {
    it("is at most 2 KB for every resource type and holds only the by-name dispatcher", async () => {
        const seen = await providersOf(() => {
            new WindowsAutopilotDeviceIdentity("d", { deviceId: "4b77edd2-0549-4e37-960f-5dcd781c6560" });
            new WindowsAutopilotDeviceIdentity("d2", { deviceId: "1cb374d2-6cd6-4ba1-a886-448a9054629d" });
            new ImportedWindowsAutopilotDeviceIdentity("i", { serialNumber: "S1", hardwareIdentifier: Buffer.alloc(300, 1).toString("base64") });
            new ImportedWindowsAutopilotDeviceIdentityUpload("u", { uploadId: "0d3b7c6e-59a4-4b8e-9a55-2a1f0b8c7d11" });
            new WindowsAutopilotDeploymentProfileAssignment("p", { deviceId: "4b77edd2-0549-4e37-960f-5dcd781c6560", target: { kind: "allDevices" } } as any);
        });
        assert.equal(seen.size, 4, [...seen.keys()].join(", "));
        for (const [type, texts] of seen) {
            const text = texts[0];
            assert.ok(Buffer.byteLength(text) <= 2048, `${type}: __provider is ${Buffer.byteLength(text)} bytes`);
            assert.match(text, /require\("pulumi-autopilot\/runtime"\)\.dispatch\(t, \.\.\.a\)/);
            assert.ok(!text.includes("/work/") && !text.includes(process.cwd()), `${type}: an absolute path in __provider`);
            // Every resource of a type carries the very same text (the host parses it once).
            assert.equal(new Set(texts).size, 1);
        }
        assert.equal(seen.get("pulumi-nodejs:dynamic/autopilot:WindowsAutopilotDeviceIdentity")!.length, 2);
        assert.equal(dynamicProviderFor("WindowsAutopilotDeviceIdentity"), dynamicProviderFor("WindowsAutopilotDeviceIdentity"));
    });

    it("dispatches numbered methods to the type's handler and refuses unknown ones", async () => {
        assert.deepEqual([...PROVIDER_METHODS], ["configure", "check", "diff", "create", "read", "update", "delete"]);
        const checked = (await dispatch("WindowsAutopilotDeviceIdentity", 1, [{}, { displayName: "this name is far too long" }])) as { failures: { property: string }[] };
        assert.ok(checked.failures.some((f) => f.property === "displayName"), JSON.stringify(checked.failures));
        const diff = (await dispatch("WindowsAutopilotDeviceIdentity", 2, ["id", { groupTag: "A" }, { groupTag: "B" }])) as { changes: boolean };
        assert.equal(diff.changes, true);
        await assert.rejects(dispatch("WindowsAutopilotDeviceIdentity", 9, []), /no provider method 9/);
        await assert.rejects(dispatch("NoSuchType", 1, [{}, {}]), /no resource type NoSuchType/);
    });
});
