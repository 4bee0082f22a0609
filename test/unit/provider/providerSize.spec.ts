import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
    ImportedWindowsAutopilotDeviceIdentity,
    ImportedWindowsAutopilotDeviceIdentityUpload,
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeviceIdentity,
} from "../../../provider";
import { providerText } from "../../../provider/lifecycle/dynamicProvider";
import { dispatch, provider, PROVIDER_METHODS } from "../../../provider/runtime";

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

describe("__provider: small, by name, the same text per type", () => {
    it("is one line per type that requires the package by name, the same for every resource of the type", async () => {
        const seen = await providersOf(() => {
            new WindowsAutopilotDeviceIdentity("d", { deviceId: "4b77edd2-0549-4e37-960f-5dcd781c6560" });
            new WindowsAutopilotDeviceIdentity("d2", { deviceId: "1cb374d2-6cd6-4ba1-a886-448a9054629d" });
            new ImportedWindowsAutopilotDeviceIdentity("i", { serialNumber: "S1", hardwareIdentifier: Buffer.alloc(300, 1).toString("base64") });
            new ImportedWindowsAutopilotDeviceIdentityUpload("u", { uploadId: "0d3b7c6e-59a4-4b8e-9a55-2a1f0b8c7d11" });
            new WindowsAutopilotDeploymentProfileAssignment("p", { deviceId: "4b77edd2-0549-4e37-960f-5dcd781c6560", target: { kind: "allDevices" } } as any);
        });
        assert.equal(seen.size, 4, [...seen.keys()].join(", "));
        for (const [type, texts] of seen) {
            const name = type.split(":").pop()!;
            assert.equal(type, `pulumi-nodejs:dynamic/autopilot:${name}`);
            assert.equal(texts[0], `exports.handler = () => require("pulumi-autopilot/runtime").provider("${name}");\n`);
            assert.ok(Buffer.byteLength(texts[0]) <= 160, `${type}: __provider is ${Buffer.byteLength(texts[0])} bytes`);
            // Every resource of a type carries the very same text (the host parses it once).
            assert.equal(new Set(texts).size, 1);
        }
        assert.equal(seen.get("pulumi-nodejs:dynamic/autopilot:WindowsAutopilotDeviceIdentity")!.length, 2);
    });

    it("refuses a __provider input and a type name that is not a plain identifier", () => {
        assert.throws(
            () =>
                new WindowsAutopilotDeviceIdentity("x", {
                    deviceId: "4b77edd2-0549-4e37-960f-5dcd781c6560",
                    __provider: "exports.handler = () => ({})",
                } as any),
            /"__provider" and "__replaceOnChanges" are not inputs/,
        );
        assert.throws(() => providerText('A"); process.exit(1); ("'), /letters and digits/);
    });

    it("the provider object the text gives has every method, each going to the type's handler", async () => {
        const p = provider("WindowsAutopilotDeviceIdentity");
        assert.deepEqual(Object.keys(p), [...PROVIDER_METHODS]);
        assert.equal(provider("WindowsAutopilotDeviceIdentity"), p);
        const checked = (await p.check({}, { displayName: "this name is far too long" })) as { failures: { property: string }[] };
        assert.ok(
            checked.failures.some((f) => f.property === "displayName"),
            JSON.stringify(checked.failures),
        );
        await assert.rejects(provider("NoSuchType").check({}, {}), /no resource type NoSuchType/);
    });

    it("dispatches numbered methods (the text earlier states hold) to the type's handler and refuses unknown ones", async () => {
        assert.deepEqual([...PROVIDER_METHODS], ["configure", "check", "diff", "create", "read", "update", "delete"]);
        const checked = (await dispatch("WindowsAutopilotDeviceIdentity", 1, [{}, { displayName: "this name is far too long" }])) as {
            failures: { property: string }[];
        };
        assert.ok(
            checked.failures.some((f) => f.property === "displayName"),
            JSON.stringify(checked.failures),
        );
        const diff = (await dispatch("WindowsAutopilotDeviceIdentity", 2, ["id", { groupTag: "A" }, { groupTag: "B" }])) as { changes: boolean };
        assert.equal(diff.changes, true);
        await assert.rejects(dispatch("WindowsAutopilotDeviceIdentity", 9, []), /no provider method 9/);
        await assert.rejects(dispatch("NoSuchType", 1, [{}, {}]), /no resource type NoSuchType/);
    });
});
