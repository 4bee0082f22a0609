// Bounded, read-after-write steps through the real Pulumi CLI and its dynamic-provider host. How a
// waiting step is stopped by a signal (Ctrl-C once or twice, SIGTERM, a crash) is in
// interrupted.spec.ts: the engine decides what reaches the host.
import * as assert from "assert";
import * as crypto from "crypto";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeploymentProfileAssignment, WindowsAutopilotDeviceIdentity } from "../../provider";
import { CliHarness, startCliHarness, stepOf, stepsOf, holdImportsPending } from "./harness";

const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const ENG_1 = { id: "d7c44078-285c-4e5a-b3ec-a0ab2cf36ffa", serial: "PF3ABCDE" };
const KIOSK = { id: "5e7a77d9-b175-4684-9ec8-31000cde3679", serial: "012345678957" };
const DEVICE_TYPE = "autopilot:WindowsAutopilotDeviceIdentity";
const IMPORT_TYPE = "autopilot:ImportedWindowsAutopilotDeviceIdentity";
const ASSIGNMENT_TYPE = "autopilot:WindowsAutopilotDeploymentProfileAssignment";

const hash = () => crypto.randomBytes(300).toString("base64");

describe("faults through the real CLI: after a write, read back until Graph shows it (live profile, late visibility)", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", writeVisibilityDelayMs: 700 });
    });
    after(async () => h.close());
    beforeEach(() => h.emu.clearRequests());

    it("an action's fields: GETs after it until Graph shows the new value; outputs and an immediate refresh agree", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_1.id, groupTag: "Eng-Late" });
        });
        const step = stepOf(await stepsOf(stack.up()), "dev");
        assert.strictEqual(step.op, "create", step.error);
        const action = h.emu.requests.findIndex((r) => r.path.endsWith("/updateDeviceProperties"));
        const after = h.emu.requests.slice(action + 1).filter((r) => r.method === "GET" && r.path === `${DEVICES}/${ENG_1.id}`);
        assert.ok(after.length >= 2, `read back ${after.length} time(s)`);
        assert.ok(after[after.length - 1].time - h.emu.requests[action].time >= 700, "the last read came once Graph showed the write");
        assert.strictEqual((await stack.resource(DEVICE_TYPE, "dev"))!.outputs!.groupTag, "Eng-Late");
        const refreshed = await stack.refresh();
        assert.deepStrictEqual(
            refreshed.steps.map((s) => [s.op, s.changed]),
            [["same", []]],
        );
    });

    it("a created assignment: read back until visible, so a refresh right after keeps it", async () => {
        const stack = await h.stack(() => {
            new WindowsAutopilotDeploymentProfileAssignment("assign", { deviceId: KIOSK.id, target: { kind: "allDevices" } });
        });
        const step = stepOf(await stepsOf(stack.up()), "assign");
        assert.strictEqual(step.op, "create", step.error);
        const id = (await stack.resource(ASSIGNMENT_TYPE, "assign"))!.id;
        const reads = h.emu.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/assignments/${id}`));
        assert.ok(
            reads.length >= 2 && reads.slice(0, -1).every((r) => r.status === 404) && reads[reads.length - 1].status === 200,
            JSON.stringify(reads.map((r) => r.status)),
        );
        const refreshed = await stack.refresh();
        assert.deepStrictEqual(
            refreshed.steps.map((s) => s.op),
            ["same"],
            "not dropped",
        );
    });
});

describe("faults through the real CLI: bounded steps", function () {
    this.timeout(120_000);
    let h: CliHarness | undefined;
    afterEach(async () => {
        await h?.close();
        h = undefined;
    });

    it("a write Graph never shows within autopilot:consistencyTimeoutSeconds fails naming that bound, keeping the object", async () => {
        h = await startCliHarness({ profile: "live", writeVisibilityDelayMs: 5000 });
        const stack = await h.stack(
            () => {
                new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_1.id, groupTag: "Eng-Never" });
            },
            { "autopilot:consistencyTimeoutSeconds": "1" },
        );
        const step = stepOf(await stepsOf(stack.up()), "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(step.error!, /Graph still showed the old value of groupTag .*\[bound hit: autopilot:consistencyTimeoutSeconds=1/);
        // The step's own time, from the action to the give-up (the CLI's start-up is not the step's).
        const action = h.emu.requests.find((r) => r.path.endsWith("/updateDeviceProperties"))!;
        const lastRead = h.emu.requests.filter((r) => r.method === "GET").pop()!;
        assert.ok(lastRead.time - action.time < 3000, `gave up ${lastRead.time - action.time} ms after the write`);
        const kept = (await stack.resource(DEVICE_TYPE, "dev"))!;
        assert.strictEqual(kept.id, ENG_1.id, "the object is in the state");
        assert.strictEqual(kept.initErrors?.length, 1, "kept as unfinished (initErrors)");
    });

    it("autopilot:timeoutSeconds bounds one request and autopilot:maxRetries its retries; the error names both", async () => {
        h = await startCliHarness({ profile: "documented" });
        h.emu.injectFault({ method: "GET", path: `${DEVICES}/${ENG_1.id}`, delayMs: 2500, processed: false, times: 2 });
        const stack = await h.stack(
            () => {
                new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_1.id });
            },
            { "autopilot:timeoutSeconds": "1", "autopilot:maxRetries": "1" },
        );
        const step = stepOf(await stepsOf(stack.up()), "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(step.error!, /gave up after 2 attempts/);
        assert.match(step.error!, /\[bound hit: autopilot:maxRetries=1, the retries of one request; autopilot:timeoutSeconds=1, the limit for one request\]/);
        assert.deepStrictEqual(
            h.emu.requests.map((r) => r.fault),
            ["scripted slow before processing", "scripted slow before processing"],
        );
    });

    it("autopilot:stepTimeoutSeconds bounds the whole step (an import that never finishes); the error names it and keeps the record", async () => {
        h = await startCliHarness({ profile: "live" });
        const release = holdImportsPending(h);
        try {
            const stack = await h.stack(
                () => {
                    new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG6BND001", hardwareIdentifier: hash() });
                },
                { "autopilot:stepTimeoutSeconds": "1" },
            );
            const step = stepOf(await stepsOf(stack.up()), "imp");
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /stopped after 1 s: the whole-step time bound, autopilot:stepTimeoutSeconds=1, was reached/);
            // The step's own time: from its first request to its last (polling stopped at the bound).
            const mine = h.emu.requests;
            assert.ok(mine[mine.length - 1].time - mine[0].time < 3000, `${mine[mine.length - 1].time - mine[0].time} ms`);
            const entry = (await stack.resource(IMPORT_TYPE, "imp"))!;
            assert.ok(entry.initErrors?.length === 1 && h.emu.tenant.importedIdentities.has(entry.id!), "the record is in the state");
        } finally {
            release();
        }
    });
});
