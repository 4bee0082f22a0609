import * as assert from "assert";
import * as crypto from "crypto";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentityArgs } from "../../provider";
import { autopilotResources, CliHarness, failing, outputsOf, requestLines, startCliHarness, stepOf, TOKEN } from "./harness";

const SALES_1 = { id: "4b77edd2-0549-4e37-960f-5dcd781c6560", serial: "5CG1234ABC" };
const FINANCE_1 = { id: "1cb374d2-6cd6-4ba1-a886-448a9054629d", serial: "1ZXY8K3" };
const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const TYPE = "autopilot:WindowsAutopilotDeviceIdentity";

function device(args: WindowsAutopilotDeviceIdentityArgs, name = "dev") {
    return () => {
        new WindowsAutopilotDeviceIdentity(name, args);
    };
}

describe("WindowsAutopilotDeviceIdentity through the real Pulumi CLI (documented profile)", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" });
    });
    after(async () => h?.close());
    beforeEach(() => h.emu.clearRequests());

    it("adopts by id: one GET, outputs read back, no write when nothing differs", async () => {
        const stack = await h.stack(device({ deviceId: SALES_1.id, groupTag: "Sales" }));
        const { steps } = await stack.up();
        assert.strictEqual(stepOf(steps, "dev").op, "create");
        assert.deepStrictEqual(requestLines(h.emu), [`GET ${DEVICES}/${SALES_1.id}`]);
        const outs = await outputsOf(stack, TYPE, "dev");
        assert.strictEqual(outs.deviceId, SALES_1.id);
        assert.strictEqual(outs.serialNumber, SALES_1.serial);
        assert.strictEqual(outs.manufacturer, "HP");
        for (const [k, v] of Object.entries(outs)) assert.notStrictEqual(v, undefined, k);
    });

    it("adopts by serial: looks the serial up, writes only the fields that differ, reads back", async () => {
        const stack = await h.stack(device({ serialNumber: FINANCE_1.serial, groupTag: "Finance", displayName: "FIN-042" }));
        await stack.up();
        const reqs = h.emu.requests;
        assert.deepStrictEqual(requestLines(h.emu), [
            `GET ${DEVICES}`,
            `POST ${DEVICES}/${FINANCE_1.id}/updateDeviceProperties`,
            `GET ${DEVICES}/${FINANCE_1.id}`,
        ]);
        assert.match(reqs[0].query.$filter, /serialNumber/);
        // groupTag already is Finance: only displayName is sent.
        assert.deepStrictEqual(reqs[1].body, { displayName: "FIN-042" });
        assert.strictEqual((await outputsOf(stack, TYPE, "dev")).deviceId, FINANCE_1.id);
        assert.strictEqual(h.emu.tenant.devices.get(FINANCE_1.id)!.displayName, "FIN-042");
    });

    it("a device chained on an import's output: read once before its write (the import step's read) and once after, not three times", async () => {
        const stack = await h.stack(() => {
            const imp = new ImportedWindowsAutopilotDeviceIdentity("imp", {
                serialNumber: "8CG1CHN001",
                hardwareIdentifier: crypto.randomBytes(3000).toString("base64"),
            });
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: imp.autopilotDeviceId.apply((id) => id ?? ""), groupTag: "Chained", displayName: "CHN-001" });
        });
        const { steps } = await stack.up();
        assert.deepStrictEqual(steps.map((s) => [s.name, s.op, s.error]).sort(), [
            ["dev", "create", undefined],
            ["imp", "create", undefined],
        ]);
        const outs = await outputsOf(stack, TYPE, "dev");
        const id = String(outs.deviceId);
        const lines = requestLines(h.emu).filter((l) => l.includes(`${DEVICES}/${id}`));
        // The import's read until Graph shows the device, the write, the read-back of the write.
        assert.deepStrictEqual(lines, [`GET ${DEVICES}/${id}`, `POST ${DEVICES}/${id}/updateDeviceProperties`, `GET ${DEVICES}/${id}`]);
        assert.deepStrictEqual(h.emu.requests.find((r) => r.method === "POST" && r.path.endsWith("/updateDeviceProperties"))!.body, {
            groupTag: "Chained",
            displayName: "CHN-001",
        });
        assert.deepStrictEqual([outs.groupTag, outs.displayName, outs.serialNumber], ["Chained", "CHN-001", "8CG1CHN001"]);
    });

    it("fails clearly when no device or several devices have the serial, and records nothing", async () => {
        let serialNumber = "NOSUCHSERIAL1";
        const stack = await h.stack(() => device({ serialNumber })());
        const none = await failing(stack.up());
        assert.strictEqual(stepOf(none.result.steps, "dev").op, "failed");
        assert.match(none.message, /serialNumber: no Autopilot device with serial NOSUCHSERIAL1/);

        const twin = { ...h.emu.tenant.devices.get(FINANCE_1.id)!, id: "0d3b7c6e-59a4-4b8e-9a55-2a1f0b8c7d11" };
        h.emu.tenant.devices.set(twin.id, twin);
        try {
            serialNumber = FINANCE_1.serial;
            const several = await failing(stack.up());
            assert.match(stepOf(several.result.steps, "dev").error!, /2 Autopilot devices have serial 1ZXY8K3 .*adopt one by deviceId/);
        } finally {
            h.emu.tenant.devices.delete(twin.id);
        }
        assert.deepStrictEqual(await autopilotResources(stack), []);
    });

    it("a groupTag change sends one updateDeviceProperties with only groupTag, and no PATCH", async () => {
        let groupTag = "Sales";
        const stack = await h.stack(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: SALES_1.id, groupTag, displayName: "SLS-5CG1234ABC" });
        });
        await stack.up();
        h.emu.clearRequests();
        groupTag = "Sales-EMEA";
        const { steps } = await stack.up();
        assert.deepStrictEqual(stepOf(steps, "dev").op, "update", stepOf(steps, "dev").error);
        assert.deepStrictEqual(stepOf(steps, "dev").changed, ["groupTag"]);
        const writes = h.emu.requests.filter((r) => r.method !== "GET");
        assert.strictEqual(writes.length, 1);
        assert.strictEqual(writes[0].method, "POST");
        assert.strictEqual(writes[0].path, `${DEVICES}/${SALES_1.id}/updateDeviceProperties`);
        assert.deepStrictEqual(writes[0].body, { groupTag: "Sales-EMEA" });
        assert.strictEqual((await outputsOf(stack, TYPE, "dev")).groupTag, "Sales-EMEA");
    });

    it("an orderIdentifier change sends one PATCH with only that field; patchRoute deploymentProfileAssignedDevices uses the seed's second PATCH route", async () => {
        let args: WindowsAutopilotDeviceIdentityArgs = { deviceId: FINANCE_1.id, orderIdentifier: "ORDER-1" };
        const stack = await h.stack(() => device(args)());
        await stack.up();
        h.emu.clearRequests();
        args = { deviceId: FINANCE_1.id, orderIdentifier: "ORDER-2" };
        await stack.up();
        const writes = h.emu.requests.filter((r) => r.method !== "GET");
        assert.deepStrictEqual(
            writes.map((r) => `${r.method} ${r.path}`),
            [`PATCH ${DEVICES}/${FINANCE_1.id}`],
        );
        assert.deepStrictEqual(writes[0].body, { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity", orderIdentifier: "ORDER-2" });

        h.emu.clearRequests();
        args = { deviceId: FINANCE_1.id, orderIdentifier: "ORDER-2", purchaseOrderIdentifier: "PO-77", patchRoute: "deploymentProfileAssignedDevices" };
        await stack.up();
        const patches = h.emu.requests.filter((r) => r.method === "PATCH");
        assert.deepStrictEqual(
            patches.map((r) => r.path),
            [`${DEVICES}/${FINANCE_1.id}/deploymentProfile/assignedDevices/${FINANCE_1.id}`],
        );
        assert.deepStrictEqual(patches[0].body, { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity", purchaseOrderIdentifier: "PO-77" });
    });

    it("a no-change preview and up send no request at all", async () => {
        const stack = await h.stack(device({ serialNumber: SALES_1.serial, groupTag: "Sales", enrollmentState: "enrolled" }));
        await stack.up();
        h.emu.clearRequests();
        const plan = await stack.preview();
        const apply = await stack.up();
        assert.deepStrictEqual([stepOf(plan.steps, "dev").op, stepOf(apply.steps, "dev").op], ["same", "same"]);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("refresh picks up an out-of-band change (and the next preview and up put it back), and drops a deleted device", async () => {
        const stack = await h.stack(device({ deviceId: FINANCE_1.id, groupTag: "Finance" }));
        await stack.up();
        h.emu.tenant.devices.get(FINANCE_1.id)!.groupTag = "Changed-In-Portal";
        const refreshed = await stack.refresh();
        // The engine reports a refreshed resource whose outputs changed as an update.
        assert.strictEqual(stepOf(refreshed.steps, "dev").op, "update");
        assert.deepStrictEqual(stepOf(refreshed.steps, "dev").changed, ["groupTag"]);
        assert.strictEqual((await outputsOf(stack, TYPE, "dev")).groupTag, "Changed-In-Portal");
        const plan = await stack.preview();
        assert.strictEqual(stepOf(plan.steps, "dev").op, "update");
        assert.deepStrictEqual(stepOf(plan.steps, "dev").changed, ["groupTag"]);
        await stack.up();
        assert.strictEqual(h.emu.tenant.devices.get(FINANCE_1.id)!.groupTag, "Finance");

        const saved = h.emu.tenant.devices.get(FINANCE_1.id)!;
        h.emu.tenant.devices.delete(FINANCE_1.id);
        try {
            const dropped = await stack.refresh();
            assert.strictEqual(stepOf(dropped.steps, "dev").op, "drop");
            assert.deepStrictEqual(await autopilotResources(stack), []);
        } finally {
            h.emu.tenant.devices.set(FINANCE_1.id, saved);
        }
    });

    it("deleteBehavior release sends no request; deregister sends DELETE", async () => {
        const spare = { ...h.emu.tenant.devices.get(FINANCE_1.id)!, id: "6f1c2b9e-8d7a-4c3b-b2a1-0e9f8d7c6b5a", serialNumber: "SPARE0001" };
        h.emu.tenant.devices.set(spare.id, spare);
        let declared = { released: true, deregistered: true };
        const stack = await h.stack(() => {
            if (declared.released) new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1.id });
            if (declared.deregistered) new WindowsAutopilotDeviceIdentity("spare", { deviceId: spare.id, deleteBehavior: "deregister" });
        });
        await stack.up();

        h.emu.clearRequests();
        declared = { released: false, deregistered: true };
        const { steps } = await stack.up();
        assert.strictEqual(stepOf(steps, "dev").op, "delete");
        assert.deepStrictEqual(h.emu.requests, []);
        assert.ok(h.emu.tenant.devices.has(FINANCE_1.id));

        declared = { released: false, deregistered: false };
        await stack.up();
        assert.deepStrictEqual(requestLines(h.emu), [`DELETE ${DEVICES}/${spare.id}`]);
        assert.ok(!h.emu.tenant.devices.has(spare.id));
    });

    it("rejects bad inputs at preview with a CheckFailure naming the field and what is allowed, with no request", async () => {
        const cases: [WindowsAutopilotDeviceIdentityArgs, RegExp][] = [
            [{ deviceId: "not-a-guid" }, /deviceId "not-a-guid" is not a GUID/],
            [{}, /deviceId or serialNumber is required/],
            [
                { serialNumber: SALES_1.serial, enrollmentState: "Enrolled" },
                /enrollmentState "Enrolled" is not allowed; allowed values: unknown, enrolled, pendingReset, failed, notContacted, blocked/,
            ],
            [
                { serialNumber: SALES_1.serial, deploymentProfileAssignmentStatus: "done" },
                /deploymentProfileAssignmentStatus .*allowed values: unknown, assignedInSync/,
            ],
            [{ serialNumber: SALES_1.serial, displayName: "A-NAME-LONGER-THAN-15" }, /displayName must be at most 15 characters, got 21/],
            [{ serialNumber: SALES_1.serial, userPrincipalName: "adele" }, /userPrincipalName "adele" is not a user principal name/],
            [{ serialNumber: SALES_1.serial, lastContactedDateTime: "yesterday" }, /lastContactedDateTime "yesterday" is not an ISO 8601 date-time/],
            [
                { serialNumber: SALES_1.serial, deleteBehavior: "destroy" as "release" },
                /deleteBehavior "destroy" is not allowed; allowed values: release, deregister/,
            ],
            [{ serialNumber: "bad\nserial" }, /serialNumber .* is not a serial number/],
            [
                { serialNumber: SALES_1.serial, grouptag: "x" } as WindowsAutopilotDeviceIdentityArgs,
                /grouptag is not an input of WindowsAutopilotDeviceIdentity; inputs are: deviceId, serialNumber, groupTag/,
            ],
        ];
        let args: WindowsAutopilotDeviceIdentityArgs = {};
        const stack = await h.stack(() => device(args)());
        for (const [bad, expected] of cases) {
            args = bad;
            const error = await failing(stack.preview()).catch((e) => {
                throw new Error(`${JSON.stringify(bad)}: ${e.message}`);
            });
            assert.strictEqual(stepOf(error.result.steps, "dev").op, "failed", JSON.stringify(bad));
            assert.match(error.message, expected);
            // The engine names the resource and the property.
            assert.match(error.message, /resource 'dev': property \S+ value \{[^]*\} has a problem: /);
        }
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("waits out a 429 with Retry-After and succeeds", async () => {
        h.emu.injectFault({ method: "POST", path: /updateDeviceProperties$/, status: 429, retryAfter: "1", times: 1 });
        const stack = await h.stack(device({ deviceId: SALES_1.id, addressableUserName: "Adele V." }));
        const { steps } = await stack.up();
        assert.strictEqual(stepOf(steps, "dev").op, "create");
        const posts = h.emu.requests.filter((r) => r.method === "POST");
        assert.deepStrictEqual(
            posts.map((r) => r.status),
            [429, 204],
        );
        assert.ok(posts[1].time - posts[0].time >= 1000, `retried after ${posts[1].time - posts[0].time} ms`);
        assert.strictEqual(h.emu.tenant.devices.get(SALES_1.id)!.addressableUserName, "Adele V.");
    });

    it("keeps the product key secret: __provider small and clean, the backend holds it as ciphertext, the CLI never prints it", async () => {
        const productKey = "VK7JG-NPHTM-C97JM-9MPGT-3V66T";
        const stack = await h.stack(device({ deviceId: FINANCE_1.id, productKey }));
        const applied = await stack.up();
        const [entry] = await autopilotResources(stack);
        const provider = String(entry.inputs!.__provider);
        assert.ok(provider.length <= 4096, `__provider is ${provider.length} bytes`);
        assert.ok(!provider.includes(TOKEN) && !provider.includes(productKey) && !provider.includes(h.emu.url));
        assert.match(provider, /require\("pulumi-autopilot\/runtime"\)/);
        assert.strictEqual(entry.outputs!.__provider, provider);
        assert.ok(!stack.storedState().includes(productKey), "product key in plain text in the state");
        assert.ok(stack.storedState().includes(FINANCE_1.id), "the state file is the one this stack wrote");
        assert.ok(entry.additionalSecretOutputs!.includes("productKey"));
        assert.strictEqual((await outputsOf(stack, TYPE, "dev")).productKey, productKey);
        assert.ok(!`${applied.stdout}${applied.stderr}`.includes(productKey));
    });

    it("a state written with the earlier closure-serialized __provider still previews with no request, refreshes, updates and deletes through it", async () => {
        // Copies of a seeded device: this test deregisters one, and the other tests keep theirs.
        const spares = ["9e3d1c7a-5b2f-4e8d-a6c4-1f0b2d3e4c5a", "2f7a9c1e-4b6d-4e8f-9a0b-1c2d3e4f5a6b"].map((id, i) => ({
            ...h.emu.tenant.devices.get(FINANCE_1.id)!,
            id,
            serialNumber: `SPARE000${i + 2}`,
        }));
        for (const s of spares) h.emu.tenant.devices.set(s.id, s);
        let program = { updatedTag: "Finance", deleted: false };
        const stack = await h.stack(() => {
            new WindowsAutopilotDeviceIdentity("updated", { deviceId: spares[0].id, groupTag: program.updatedTag });
            if (!program.deleted) new WindowsAutopilotDeviceIdentity("deleted", { deviceId: spares[1].id, groupTag: "Finance", deleteBehavior: "deregister" });
        });
        await stack.up();
        const current = String((await autopilotResources(stack))[0].inputs!.__provider);
        assert.ok(current.length < 160 && current.includes('.provider("WindowsAutopilotDeviceIdentity")'), current);

        // The state as the earlier package wrote it: that text in the inputs and the outputs.
        const legacy = closureSerializedProvider("WindowsAutopilotDeviceIdentity");
        const exported = await stack.exportedDeployment();
        for (const r of exported.deployment.resources ?? []) {
            if (r.inputs?.__provider === current) r.inputs.__provider = legacy;
            if (r.outputs?.__provider === current) r.outputs.__provider = legacy;
        }
        await stack.importState(exported);
        const legacyIn = async () => (await autopilotResources(stack)).map((r) => [r.inputs?.__provider === legacy, r.outputs?.__provider === legacy]);
        assert.deepStrictEqual(await legacyIn(), [
            [true, true],
            [true, true],
        ]);

        // The engine checks (old inputs) and diffs (old outputs) the earlier text against the new one: no change, nothing sent.
        h.emu.clearRequests();
        const plan = await stack.preview();
        assert.deepStrictEqual(
            plan.steps.map((s) => s.op),
            ["same", "same"],
        );
        assert.deepStrictEqual(requestLines(h.emu), [], "check and diff are local with either text");

        // Refresh runs read through the outputs' text, the earlier one.
        h.emu.tenant.devices.get(spares[1].id)!.groupTag = "Drifted";
        const refreshed = await stack.refresh();
        assert.deepStrictEqual(stepOf(refreshed.steps, "deleted").changed, ["groupTag"]);
        // The engine refreshes both at once: the two GETs may travel in one $batch.
        assert.deepStrictEqual(
            requestLines(h.emu)
                .filter((l) => !l.endsWith("/$batch"))
                .sort(),
            spares.map((s) => `GET ${DEVICES}/${s.id}`).sort(),
        );
        assert.deepStrictEqual(
            (await legacyIn()).map(([, outs]) => outs),
            [true, true],
            "outputs keep the earlier text after a refresh",
        );

        // An update gets the earlier text's outputs as olds; delete runs the earlier text.
        program = { updatedTag: "Finance-2", deleted: true };
        h.emu.clearRequests();
        const { steps } = await stack.up();
        assert.deepStrictEqual(steps.map((s) => `${s.op} ${s.name}`).sort(), ["delete deleted", "update updated"]);
        assert.strictEqual(h.emu.tenant.devices.get(spares[0].id)!.groupTag, "Finance-2");
        assert.ok(!h.emu.tenant.devices.has(spares[1].id), "deregistered through the earlier text");
        assert.deepStrictEqual(
            h.emu.requests.filter((r) => r.method === "DELETE").map((r) => r.path),
            [`${DEVICES}/${spares[1].id}`],
        );
        const [updated] = await autopilotResources(stack);
        assert.strictEqual(updated.outputs!.__provider, current, "an update writes the new text");
        h.emu.tenant.devices.delete(spares[0].id);
    });
});

describe("WindowsAutopilotDeviceIdentity through the real Pulumi CLI (live profile)", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    after(async () => h?.close());

    it("an orderIdentifier change fails with Graph's code and request id, and the state keeps the device as it was", async () => {
        let orderIdentifier: string | undefined;
        const stack = await h.stack(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1.id, groupTag: "Finance", orderIdentifier });
        });
        await stack.up();
        orderIdentifier = "ORDER-9";
        h.emu.clearRequests();
        const error = await failing(stack.up());
        const step = stepOf(error.result.steps, "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(step.error!, /writing orderIdentifier failed/);
        assert.match(step.error!, /400 No method match route template/);
        assert.strictEqual(h.emu.requests.find((r) => r.method === "PATCH")!.status, 400);
        assert.match(step.error!, /request-id [0-9a-f-]{36}/);
        const kept = await autopilotResources(stack);
        assert.deepStrictEqual(
            kept.map((r) => [r.id, r.outputs!.orderIdentifier, r.inputs!.orderIdentifier]),
            [[FINANCE_1.id, undefined, undefined]],
            "no orderIdentifier in the outputs: Graph holds none and the write failed",
        );
    });

    it("a groupTag change works in the live profile (updateDeviceProperties, no PATCH)", async () => {
        const stack = await h.stack(device({ serialNumber: SALES_1.serial, groupTag: "Sales-Live" }));
        h.emu.clearRequests();
        await stack.up();
        assert.ok(!h.emu.requests.some((r) => r.method === "PATCH"));
        assert.strictEqual(h.emu.tenant.devices.get(SALES_1.id)!.groupTag, "Sales-Live");
    });
});

describe("unknown values (preview) through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" });
    });
    after(async () => h?.close());

    it("check accepts an input not known until an import is created; diff counts it as a change, a replacement for deviceId", async () => {
        let wiring: "none" | "groupTag" | "deviceId" | "newDevice" = "none";
        const stack = await h.stack(() => {
            const imp =
                wiring === "none"
                    ? undefined
                    : new ImportedWindowsAutopilotDeviceIdentity("imp", {
                          serialNumber: "8CG1UNK001",
                          hardwareIdentifier: crypto.randomBytes(3000).toString("base64"),
                      });
            new WindowsAutopilotDeviceIdentity("dev", {
                deviceId: wiring === "deviceId" ? imp!.autopilotDeviceId.apply((id) => id ?? "") : FINANCE_1.id,
                groupTag: wiring === "groupTag" ? imp!.groupTag.apply((t) => t ?? "") : "Finance",
            });
            if (wiring === "newDevice")
                new WindowsAutopilotDeviceIdentity("dev2", {
                    deviceId: imp!.autopilotDeviceId.apply((id) => id ?? ""),
                    groupTag: imp!.groupTag.apply((t) => t ?? ""),
                });
        });
        await stack.up();
        h.emu.clearRequests();

        const plans: Record<string, string[]> = {};
        for (const w of ["groupTag", "deviceId", "newDevice", "none"] as const) {
            wiring = w;
            const { steps } = await stack.preview();
            plans[w] = steps.map((s) => `${s.op} ${s.name}`).sort();
        }
        assert.deepStrictEqual(plans, {
            groupTag: ["create imp", "update dev"],
            deviceId: ["create imp", "replace dev"],
            newDevice: ["create dev2", "create imp", "same dev"],
            none: ["same dev"],
        });
        assert.deepStrictEqual(h.emu.requests, [], "check and diff judge unknowns without asking Graph");
    });
});

/**
 * The `__provider` that Pulumi's closure serializer wrote for this package before the short text
 * (lifecycle/dynamicProvider.ts), as states written then hold it: numbered methods calling
 * `dispatch`. An unchanged resource keeps it in its outputs, and delete and refresh run it.
 */
function closureSerializedProvider(typeName: string): string {
    const method = (n: number, i: number) =>
        `function __f${n}() {\n  return (function() {\n    with({ d: __f2, this: undefined, arguments: undefined }) {\n\nreturn (...a) => d(${i}, a);\n\n    }\n  }).apply(undefined, undefined).apply(this, arguments);\n}\n`;
    return [
        "exports.handler = __f0;\n",
        "var __provider = {configure: __f1, check: __f3, diff: __f4, create: __f5, read: __f6, update: __f7, delete: __f8};\n",
        `function __f2() {\n  return (function() {\n    with({ t: "${typeName}", this: undefined, arguments: undefined }) {\n\nreturn (...a) => require("pulumi-autopilot/runtime").dispatch(t, ...a);\n\n    }\n  }).apply(undefined, undefined).apply(this, arguments);\n}\n`,
        method(1, 0),
        ...[3, 4, 5, 6, 7, 8].map((n, i) => method(n, i + 1)),
        "function __f0() {\n  return (function() {\n    with({ provider: __provider, this: undefined, arguments: undefined }) {\n\nreturn () => provider;\n\n    }\n  }).apply(undefined, undefined).apply(this, arguments);\n}\n",
    ].join("\n");
}
