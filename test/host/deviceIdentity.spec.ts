import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentityArgs } from "../../provider";
import { HostHarness, requestLines, startHarness, stepOf, TOKEN } from "./harness";

const SALES_1 = { id: "4b77edd2-0549-4e37-960f-5dcd781c6560", serial: "5CG1234ABC" };
const FINANCE_1 = { id: "1cb374d2-6cd6-4ba1-a886-448a9054629d", serial: "1ZXY8K3" };
const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";

function device(args: WindowsAutopilotDeviceIdentityArgs, name = "dev") {
    return () => {
        new WindowsAutopilotDeviceIdentity(name, args);
    };
}

describe("WindowsAutopilotDeviceIdentity through the real host (documented profile)", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "documented" });
    });
    after(async () => h.close());
    beforeEach(() => h.emu.clearRequests());

    it("adopts by id: one GET, outputs read back, no write when nothing differs", async () => {
        const engine = h.engine(device({ deviceId: SALES_1.id, groupTag: "Sales" }));
        const steps = await engine.up(false);
        assert.strictEqual(stepOf(steps, "dev").op, "create");
        assert.deepStrictEqual(requestLines(h.emu), [`GET ${DEVICES}/${SALES_1.id}`]);
        const outs = engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!;
        assert.strictEqual(outs.deviceId, SALES_1.id);
        assert.strictEqual(outs.serialNumber, SALES_1.serial);
        assert.strictEqual(outs.manufacturer, "HP");
        for (const [k, v] of Object.entries(outs)) assert.notStrictEqual(v, undefined, k);
    });

    it("adopts by serial: looks the serial up, writes only the fields that differ, reads back", async () => {
        const engine = h.engine(device({ serialNumber: FINANCE_1.serial, groupTag: "Finance", displayName: "FIN-042" }));
        await engine.up(false);
        const reqs = h.emu.requests;
        assert.deepStrictEqual(requestLines(h.emu), [`GET ${DEVICES}`, `POST ${DEVICES}/${FINANCE_1.id}/updateDeviceProperties`, `GET ${DEVICES}/${FINANCE_1.id}`]);
        assert.match(reqs[0].query.$filter, /serialNumber/);
        // groupTag already is Finance: only displayName is sent.
        assert.deepStrictEqual(reqs[1].body, { displayName: "FIN-042" });
        assert.strictEqual(engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!.deviceId, FINANCE_1.id);
        assert.strictEqual(h.emu.tenant.devices.get(FINANCE_1.id)!.displayName, "FIN-042");
    });

    it("a device chained on an import's output: read once before its write (the import step's read) and once after, not three times", async () => {
        const engine = h.engine(() => {
            const imp = new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG1CHN001", hardwareIdentifier: crypto.randomBytes(3000).toString("base64") });
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: imp.autopilotDeviceId.apply((id) => id ?? ""), groupTag: "Chained", displayName: "CHN-001" });
        });
        const steps = await engine.up(false);
        assert.deepStrictEqual(steps.map((s) => [s.name, s.op, s.error]).sort(), [["dev", "create", undefined], ["imp", "create", undefined]]);
        const id = String(engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!.deviceId);
        const lines = requestLines(h.emu).filter((l) => l.includes(`${DEVICES}/${id}`));
        // The import's read until Graph shows the device, the write, the read-back of the write.
        assert.deepStrictEqual(lines, [`GET ${DEVICES}/${id}`, `POST ${DEVICES}/${id}/updateDeviceProperties`, `GET ${DEVICES}/${id}`]);
        assert.deepStrictEqual(h.emu.requests.find((r) => r.method === "POST" && r.path.endsWith("/updateDeviceProperties"))!.body, { groupTag: "Chained", displayName: "CHN-001" });
        const outs = engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!;
        assert.deepStrictEqual([outs.groupTag, outs.displayName, outs.serialNumber], ["Chained", "CHN-001", "8CG1CHN001"]);
    });

    it("fails clearly when no device or several devices have the serial", async () => {
        const none = await h.engine(device({ serialNumber: "NOSUCHSERIAL1" })).up(false);
        assert.strictEqual(stepOf(none, "dev").op, "failed");
        assert.match(stepOf(none, "dev").error!, /serialNumber: no Autopilot device with serial NOSUCHSERIAL1/);

        const twin = { ...h.emu.tenant.devices.get(FINANCE_1.id)!, id: "0d3b7c6e-59a4-4b8e-9a55-2a1f0b8c7d11" };
        h.emu.tenant.devices.set(twin.id, twin);
        try {
            const several = await h.engine(device({ serialNumber: FINANCE_1.serial })).up(false);
            assert.match(stepOf(several, "dev").error!, /2 Autopilot devices have serial 1ZXY8K3 .*adopt one by deviceId/);
        } finally {
            h.emu.tenant.devices.delete(twin.id);
        }
    });

    it("a groupTag change sends one updateDeviceProperties with only groupTag, and no PATCH", async () => {
        let groupTag = "Sales";
        const engine = h.engine(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: SALES_1.id, groupTag, displayName: "SLS-5CG1234ABC" });
        });
        await engine.up(false);
        h.emu.clearRequests();
        groupTag = "Sales-EMEA";
        const steps = await engine.up(false);
        assert.deepStrictEqual(stepOf(steps, "dev").op, "update", stepOf(steps, "dev").error);
        assert.deepStrictEqual(stepOf(steps, "dev").changed, ["groupTag"]);
        const writes = h.emu.requests.filter((r) => r.method !== "GET");
        assert.strictEqual(writes.length, 1);
        assert.strictEqual(writes[0].method, "POST");
        assert.strictEqual(writes[0].path, `${DEVICES}/${SALES_1.id}/updateDeviceProperties`);
        assert.deepStrictEqual(writes[0].body, { groupTag: "Sales-EMEA" });
        assert.strictEqual(engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!.groupTag, "Sales-EMEA");
    });

    it("an orderIdentifier change sends one PATCH with only that field", async () => {
        let orderIdentifier = "ORDER-1";
        const engine = h.engine(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1.id, orderIdentifier });
        });
        await engine.up(false);
        h.emu.clearRequests();
        orderIdentifier = "ORDER-2";
        await engine.up(false);
        const writes = h.emu.requests.filter((r) => r.method !== "GET");
        assert.deepStrictEqual(writes.map((r) => `${r.method} ${r.path}`), [`PATCH ${DEVICES}/${FINANCE_1.id}`]);
        assert.deepStrictEqual(writes[0].body, { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity", orderIdentifier: "ORDER-2" });
    });

    it("patchRoute deploymentProfileAssignedDevices uses the seed's second PATCH route", async () => {
        const engine = h.engine(device({ deviceId: FINANCE_1.id, purchaseOrderIdentifier: "PO-77", patchRoute: "deploymentProfileAssignedDevices" }));
        await engine.up(false);
        const patch = h.emu.requests.find((r) => r.method === "PATCH")!;
        assert.strictEqual(patch.path, `${DEVICES}/${FINANCE_1.id}/deploymentProfile/assignedDevices/${FINANCE_1.id}`);
        assert.deepStrictEqual(patch.body, { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity", purchaseOrderIdentifier: "PO-77" });
    });

    it("a no-change plan and apply send no request at all", async () => {
        const engine = h.engine(device({ serialNumber: SALES_1.serial, groupTag: "Sales", enrollmentState: "enrolled" }));
        await engine.up(false);
        h.emu.clearRequests();
        const plan = await engine.up(true);
        const apply = await engine.up(false);
        assert.deepStrictEqual([stepOf(plan, "dev").op, stepOf(apply, "dev").op], ["same", "same"]);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("refresh picks up an out-of-band change (and the next plan restores it), and drops a deleted device", async () => {
        const engine = h.engine(device({ deviceId: FINANCE_1.id, groupTag: "Finance" }));
        await engine.up(false);
        h.emu.tenant.devices.get(FINANCE_1.id)!.groupTag = "Changed-In-Portal";
        const refreshed = await engine.refresh();
        assert.strictEqual(stepOf(refreshed, "dev").op, "refresh");
        assert.deepStrictEqual(stepOf(refreshed, "dev").changed, ["groupTag"]);
        assert.strictEqual(engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!.groupTag, "Changed-In-Portal");
        const plan = await engine.up(true);
        assert.strictEqual(stepOf(plan, "dev").op, "update");
        await engine.up(false);
        assert.strictEqual(h.emu.tenant.devices.get(FINANCE_1.id)!.groupTag, "Finance");

        const saved = h.emu.tenant.devices.get(FINANCE_1.id)!;
        h.emu.tenant.devices.delete(FINANCE_1.id);
        try {
            const dropped = await engine.refresh();
            assert.strictEqual(stepOf(dropped, "dev").op, "drop");
            assert.strictEqual(engine.entries().length, 0);
        } finally {
            h.emu.tenant.devices.set(FINANCE_1.id, saved);
        }
    });

    it("deleteBehavior release sends no request; deregister sends DELETE", async () => {
        let declared = true;
        const released = h.engine(() => {
            if (declared) new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1.id });
        });
        await released.up(false);
        h.emu.clearRequests();
        declared = false;
        const steps = await released.up(false);
        assert.strictEqual(stepOf(steps, "dev").op, "delete");
        assert.deepStrictEqual(h.emu.requests, []);
        assert.ok(h.emu.tenant.devices.has(FINANCE_1.id));

        const spare = { ...h.emu.tenant.devices.get(FINANCE_1.id)!, id: "6f1c2b9e-8d7a-4c3b-b2a1-0e9f8d7c6b5a", serialNumber: "SPARE0001" };
        h.emu.tenant.devices.set(spare.id, spare);
        declared = true;
        const deregistered = h.engine(() => {
            if (declared) new WindowsAutopilotDeviceIdentity("spare", { deviceId: spare.id, deleteBehavior: "deregister" });
        });
        await deregistered.up(false);
        h.emu.clearRequests();
        declared = false;
        await deregistered.up(false);
        assert.deepStrictEqual(requestLines(h.emu), [`DELETE ${DEVICES}/${spare.id}`]);
        assert.ok(!h.emu.tenant.devices.has(spare.id));
    });

    it("rejects bad inputs in check, naming the field and what is allowed, with no request", async () => {
        const cases: [WindowsAutopilotDeviceIdentityArgs, RegExp][] = [
            [{ deviceId: "not-a-guid" }, /deviceId "not-a-guid" is not a GUID/],
            [{}, /deviceId or serialNumber is required/],
            [{ serialNumber: SALES_1.serial, enrollmentState: "Enrolled" }, /enrollmentState "Enrolled" is not allowed; allowed values: unknown, enrolled, pendingReset, failed, notContacted, blocked/],
            [{ serialNumber: SALES_1.serial, deploymentProfileAssignmentStatus: "done" }, /deploymentProfileAssignmentStatus .*allowed values: unknown, assignedInSync/],
            [{ serialNumber: SALES_1.serial, displayName: "A-NAME-LONGER-THAN-15" }, /displayName must be at most 15 characters, got 21/],
            [{ serialNumber: SALES_1.serial, userPrincipalName: "adele" }, /userPrincipalName "adele" is not a user principal name/],
            [{ serialNumber: SALES_1.serial, lastContactedDateTime: "yesterday" }, /lastContactedDateTime "yesterday" is not an ISO 8601 date-time/],
            [{ serialNumber: SALES_1.serial, deleteBehavior: "destroy" as "release" }, /deleteBehavior "destroy" is not allowed; allowed values: release, deregister/],
            [{ serialNumber: "bad\nserial" }, /serialNumber .* is not a serial number/],
            [{ serialNumber: SALES_1.serial, grouptag: "x" } as WindowsAutopilotDeviceIdentityArgs, /grouptag is not an input of WindowsAutopilotDeviceIdentity; inputs are: deviceId, serialNumber, groupTag/],
        ];
        for (const [args, expected] of cases) {
            const steps = await h.engine(device(args)).up(true);
            assert.strictEqual(stepOf(steps, "dev").op, "failed", JSON.stringify(args));
            assert.match(stepOf(steps, "dev").error!, expected);
        }
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("waits out a 429 with Retry-After and succeeds", async () => {
        h.emu.injectFault({ method: "POST", path: /updateDeviceProperties$/, status: 429, retryAfter: "1", times: 1 });
        const engine = h.engine(device({ deviceId: SALES_1.id, addressableUserName: "Adele V." }));
        const steps = await engine.up(false);
        assert.strictEqual(stepOf(steps, "dev").op, "create");
        const posts = h.emu.requests.filter((r) => r.method === "POST");
        assert.deepStrictEqual(posts.map((r) => r.status), [429, 204]);
        assert.ok(posts[1].time - posts[0].time >= 1000, `retried after ${posts[1].time - posts[0].time} ms`);
        assert.strictEqual(h.emu.tenant.devices.get(SALES_1.id)!.addressableUserName, "Adele V.");
    });

    it("keeps the product key secret: __provider small and clean, state sealed", async () => {
        const productKey = "VK7JG-NPHTM-C97JM-9MPGT-3V66T";
        const engine = h.engine(device({ deviceId: FINANCE_1.id, productKey }));
        await engine.up(false);
        const entry = engine.entries()[0];
        const provider = String(entry.inputs.__provider);
        assert.ok(provider.length <= 4096, `__provider is ${provider.length} bytes`);
        assert.ok(!provider.includes(TOKEN) && !provider.includes(productKey) && !provider.includes(h.emu.url));
        assert.match(provider, /require\("pulumi-autopilot\/runtime"\)/);
        const stateText = fs.readFileSync((engine as any).opts.stateFile, "utf8");
        assert.ok(!stateText.includes(productKey), "product key in plain text in the state");
        assert.ok(entry.secretOutputs.includes("productKey"));
        assert.strictEqual(engine.outputsOf("autopilot:WindowsAutopilotDeviceIdentity", "dev")!.productKey, productKey);
        assert.ok(!h.host.stderr.join("").includes(productKey));
    });

    it("a state written with the earlier closure-serialized __provider still checks, diffs, reads, updates and deletes; the new text diffs as no change", async () => {
        // A copy of a seeded device: this test deregisters it, and the other tests keep theirs.
        const spare = { ...h.emu.tenant.devices.get(FINANCE_1.id)!, id: "9e3d1c7a-5b2f-4e8d-a6c4-1f0b2d3e4c5a", serialNumber: "SPARE0002" };
        h.emu.tenant.devices.set(spare.id, spare);
        const engine = h.engine(device({ deviceId: spare.id, groupTag: "Finance", deleteBehavior: "deregister" }));
        await engine.up(false);
        const entry = engine.entries()[0];
        const current = String(entry.inputs.__provider);
        assert.ok(current.length < 160 && current.includes('.provider("WindowsAutopilotDeviceIdentity")'), current);
        const legacy = closureSerializedProvider("WindowsAutopilotDeviceIdentity");
        await h.host.configure({ "autopilot:graphEndpoint": h.emu.url, "autopilot:accessToken": TOKEN });
        const olds = { ...engine.box.open(entry.outputs), __provider: legacy };
        const inputs = { deviceId: spare.id, groupTag: "Finance", deleteBehavior: "deregister" };
        h.emu.clearRequests();

        const checked = await h.host.check(entry.urn, { ...inputs, __provider: legacy }, { ...inputs, __provider: current });
        assert.deepStrictEqual(checked.failures, []);
        const upgraded = await h.host.diff(entry.id, entry.urn, olds, { ...inputs, __provider: current });
        assert.deepStrictEqual([upgraded.changes, upgraded.replaces], ["none", []]);
        const unchanged = await h.host.diff(entry.id, entry.urn, olds, { ...inputs, __provider: legacy });
        assert.deepStrictEqual([unchanged.changes, unchanged.replaces], ["none", []]);
        assert.deepStrictEqual(h.emu.requests, [], "diff and check are local with either text");

        const read = await h.host.read(entry.id, entry.urn, olds);
        assert.strictEqual(read.properties.groupTag, "Finance");
        const updated = await h.host.update(entry.id, entry.urn, olds, { ...inputs, groupTag: "Finance-2", __provider: legacy });
        assert.strictEqual(updated.properties.groupTag, "Finance-2");
        assert.strictEqual(h.emu.tenant.devices.get(spare.id)!.groupTag, "Finance-2");
        await h.host.delete(entry.id, entry.urn, { ...updated.properties, __provider: legacy });
        assert.ok(!h.emu.tenant.devices.has(spare.id), "deregistered through the earlier text");
    });
});

describe("WindowsAutopilotDeviceIdentity through the real host (live profile)", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "live" });
    });
    after(async () => h.close());

    it("an orderIdentifier change fails with Graph's code and request id, and the state keeps the device", async () => {
        let orderIdentifier: string | undefined;
        const engine = h.engine(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: FINANCE_1.id, groupTag: "Finance", orderIdentifier });
        });
        await engine.up(false);
        orderIdentifier = "ORDER-9";
        h.emu.clearRequests();
        const steps = await engine.up(false);
        const step = stepOf(steps, "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(step.error!, /writing orderIdentifier failed/);
        assert.match(step.error!, /400 No method match route template/);
        const requestId = h.emu.requests.find((r) => r.method === "PATCH")!;
        assert.strictEqual(requestId.status, 400);
        assert.match(step.error!, /request-id [0-9a-f-]{36}/);
        assert.strictEqual(engine.entries().length, 1);
    });

    it("a groupTag change works in the live profile (updateDeviceProperties, no PATCH)", async () => {
        const engine = h.engine(device({ serialNumber: SALES_1.serial, groupTag: "Sales-Live" }));
        h.emu.clearRequests();
        await engine.up(false);
        assert.ok(!h.emu.requests.some((r) => r.method === "PATCH"));
        assert.strictEqual(h.emu.tenant.devices.get(SALES_1.id)!.groupTag, "Sales-Live");
    });
});

describe("unknown values (preview) through the real host", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "documented" });
    });
    after(async () => h.close());

    it("check accepts an unknown without judging it; diff counts it as a change, a replacement for deviceId", async () => {
        const { UNKNOWN } = await import("../runner/wire");
        const engine = h.engine(device({ deviceId: FINANCE_1.id, groupTag: "Finance" }));
        await engine.up(false);
        const entry = engine.entries()[0];
        const provider = entry.inputs.__provider;
        await h.host.configure({ "autopilot:graphEndpoint": h.emu.url, "autopilot:accessToken": TOKEN });
        h.emu.clearRequests();

        const checked = await h.host.check(entry.urn, {}, { __provider: provider, deviceId: UNKNOWN, groupTag: UNKNOWN });
        assert.deepStrictEqual(checked.failures, []);

        const olds = engine.box.open(entry.outputs);
        const tagUnknown = await h.host.diff(entry.id, entry.urn, olds, { __provider: provider, deviceId: FINANCE_1.id, groupTag: UNKNOWN });
        assert.deepStrictEqual([tagUnknown.changes, tagUnknown.replaces], ["some", []]);
        const idUnknown = await h.host.diff(entry.id, entry.urn, olds, { __provider: provider, deviceId: UNKNOWN, groupTag: "Finance" });
        assert.deepStrictEqual([idUnknown.changes, idUnknown.replaces], ["some", ["deviceId"]]);
        const same = await h.host.diff(entry.id, entry.urn, olds, { __provider: provider, deviceId: FINANCE_1.id, groupTag: "Finance" });
        assert.deepStrictEqual([same.changes, same.replaces], ["none", []]);
        assert.deepStrictEqual(h.emu.requests, []);
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
