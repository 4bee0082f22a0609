// Bounded, cancellable, read-after-write steps through the real dynamic-provider host (issue 6).
import * as assert from "assert";
import * as crypto from "crypto";
import { ImportedWindowsAutopilotDeviceIdentity, WindowsAutopilotDeploymentProfileAssignment, WindowsAutopilotDeviceIdentity } from "../../provider";
import { HostHarness, startHarness, stepOf } from "./harness";

const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const ENG_1 = { id: "d7c44078-285c-4e5a-b3ec-a0ab2cf36ffa", serial: "PF3ABCDE" };
const KIOSK = { id: "5e7a77d9-b175-4684-9ec8-31000cde3679", serial: "012345678957" };
const GROUP = "7f3c2b1a-52a3-4e1f-9a6c-0d7c1a0b7e21";
const DEVICE_TYPE = "autopilot:WindowsAutopilotDeviceIdentity";

const hash = () => crypto.randomBytes(300).toString("base64");

/** Keeps every import record made after now pending (the service never finishes them). */
function holdImportsPending(h: HostHarness): () => void {
    const before = new Set(h.emu.tenant.importedIdentities.keys());
    const timer = setInterval(() => {
        for (const k of h.emu.tenant.importedIdentities.keys()) if (!before.has(k)) h.emu.tenant.pendingImports.set(k, 0);
    }, 5);
    return () => clearInterval(timer);
}

describe("faults through the real host: after a write, read back until Graph shows it (live profile, late visibility)", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "live", writeVisibilityDelayMs: 700 });
    });
    after(async () => h.close());
    beforeEach(() => h.emu.clearRequests());

    it("an action's fields: GETs after it until Graph shows the new value; outputs and an immediate refresh agree", async () => {
        const engine = h.engine(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_1.id, groupTag: "Eng-Late" });
        });
        const step = stepOf(await engine.up(false), "dev");
        assert.strictEqual(step.op, "create", step.error);
        const action = h.emu.requests.findIndex((r) => r.path.endsWith("/updateDeviceProperties"));
        const after = h.emu.requests.slice(action + 1).filter((r) => r.method === "GET" && r.path === `${DEVICES}/${ENG_1.id}`);
        assert.ok(after.length >= 2, `read back ${after.length} time(s)`);
        assert.ok(after[after.length - 1].time - h.emu.requests[action].time >= 700, "the last read came once Graph showed the write");
        assert.strictEqual(engine.outputsOf(DEVICE_TYPE, "dev")!.groupTag, "Eng-Late");
        const refreshed = await engine.refresh();
        assert.deepStrictEqual(refreshed.map((s) => [s.op, s.changed]), [["refresh", []]]);
    });

    it("a created assignment: read back until visible, so a refresh right after keeps it", async () => {
        const engine = h.engine(() => {
            new WindowsAutopilotDeploymentProfileAssignment("assign", { deviceId: KIOSK.id, target: { kind: "allDevices" } });
        });
        const step = stepOf(await engine.up(false), "assign");
        assert.strictEqual(step.op, "create", step.error);
        const id = engine.entries()[0].id;
        const reads = h.emu.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/assignments/${id}`));
        assert.ok(reads.length >= 2 && reads.slice(0, -1).every((r) => r.status === 404) && reads[reads.length - 1].status === 200, JSON.stringify(reads.map((r) => r.status)));
        const refreshed = await engine.refresh();
        assert.deepStrictEqual(refreshed.map((s) => s.op), ["refresh"], "not dropped");
    });

});

describe("faults through the real host: bounded and cancellable steps", function () {
    let h: HostHarness | undefined;
    afterEach(async () => {
        await h?.close();
        h = undefined;
    });

    it("a write Graph never shows within autopilot:consistencyTimeoutSeconds fails naming that bound, keeping the object", async () => {
        h = await startHarness({ profile: "live", writeVisibilityDelayMs: 5000 });
        const engine = h.engine(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_1.id, groupTag: "Eng-Never" });
        }, { "autopilot:consistencyTimeoutSeconds": "1" });
        const t0 = Date.now();
        const step = stepOf(await engine.up(false), "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(step.error!, /Graph still showed the old value of groupTag .*\[bound hit: autopilot:consistencyTimeoutSeconds=1/);
        assert.ok(Date.now() - t0 < 4000);
        assert.strictEqual(engine.entries()[0].id, ENG_1.id, "the object is in the state");
        assert.strictEqual(engine.entries()[0].initFailed, true);
    });

    it("autopilot:timeoutSeconds bounds one request and autopilot:maxRetries its retries; the error names both", async () => {
        h = await startHarness({ profile: "documented" });
        h.emu.injectFault({ method: "GET", path: `${DEVICES}/${ENG_1.id}`, delayMs: 2500, processed: false, times: 2 });
        const engine = h.engine(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_1.id });
        }, { "autopilot:timeoutSeconds": "1", "autopilot:maxRetries": "1" });
        const step = stepOf(await engine.up(false), "dev");
        assert.strictEqual(step.op, "failed");
        assert.match(step.error!, /gave up after 2 attempts/);
        assert.match(step.error!, /\[bound hit: autopilot:maxRetries=1, the retries of one request; autopilot:timeoutSeconds=1, the limit for one request\]/);
        assert.deepStrictEqual(h.emu.requests.map((r) => r.fault), ["scripted slow before processing", "scripted slow before processing"]);
    });

    it("autopilot:stepTimeoutSeconds bounds the whole step (an import that never finishes); the error names it and keeps the record", async () => {
        h = await startHarness({ profile: "live" });
        const release = holdImportsPending(h);
        try {
            const engine = h.engine(() => {
                new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG6BND001", hardwareIdentifier: hash() });
            }, { "autopilot:stepTimeoutSeconds": "1" });
            const t0 = Date.now();
            const step = stepOf(await engine.up(false), "imp");
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /stopped after 1 s: the whole-step time bound, autopilot:stepTimeoutSeconds=1, was reached/);
            assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
            const entry = engine.entries()[0];
            assert.ok(entry.initFailed && h.emu.tenant.importedIdentities.has(entry.id), "the record is in the state");
        } finally {
            release();
        }
    });

    it("the host's SIGINT (the engine shutting it down) stops a waiting step at once: it fails with the record's id, nothing more is sent, the host exits 0", async () => {
        h = await startHarness({ profile: "live" });
        const release = holdImportsPending(h);
        try {
            const child = (h.host as unknown as { child: import("child_process").ChildProcess }).child;
            const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
            const engine = h.engine(() => {
                new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG6CNL001", hardwareIdentifier: hash() });
            });
            const run = engine.up(false);
            while (!h.emu.requests.some((r) => r.method === "POST")) await new Promise((r) => setTimeout(r, 20));
            await new Promise((r) => setTimeout(r, 300)); // polling now
            const signalledAt = Date.now();
            child.kill("SIGINT");
            const step = stepOf(await run, "imp");
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /cancelled: the provider host received SIGINT/);
            const entry = engine.entries()[0];
            assert.ok(entry?.initFailed && h.emu.tenant.importedIdentities.has(entry.id), "the record made before the signal is in the state");
            assert.strictEqual(await exited, 0);
            const late = h.emu.requests.filter((r) => r.time > signalledAt + 20);
            assert.deepStrictEqual(late.map((r) => `${r.method} ${r.path}`), [], "nothing sent after the signal");
            assert.ok(h.emu.requests.some((r) => r.method === "GET" && r.path === `${IMPORTS}/${entry.id}`), "it was polling when stopped");
        } finally {
            release();
        }
    });
});
