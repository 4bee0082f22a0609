// Graph's failure modes through the real Pulumi CLI and its dynamic-provider host: retries within
// the budget and never early, creates of unknown outcome looked for before any second POST,
// adoption of what an interrupted run made. Each test asserts the exact requests the emulator saw.
import * as assert from "assert";
import * as crypto from "crypto";
import {
    ImportedWindowsAutopilotDeviceIdentity,
    ImportedWindowsAutopilotDeviceIdentityArgs,
    WindowsAutopilotDeploymentProfileAssignment,
    WindowsAutopilotDeviceIdentity,
} from "../../provider";
import type { Emulator, RecordedRequest } from "../emulator";
import { TestStack } from "../pulumi/stack";
import { crash, runPulumi, startPulumi } from "./cliProcess";
import { CliHarness, requestLines, startCliHarness, stepOf, stepsOf } from "./harness";

const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const PROFILE_ASSIGNMENTS = (profile: string) => `/beta/deviceManagement/windowsAutopilotDeploymentProfiles/${profile}/assignments`;
const KIOSK_PROFILE = "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c";
const SALES_2 = { id: "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff", serial: "5CG2345BCD" };
const ENG_1 = { id: "d7c44078-285c-4e5a-b3ec-a0ab2cf36ffa", serial: "PF3ABCDE" };
const ENG_2 = { id: "c96ef2b0-1043-4ed0-b6ac-a1775ae4b8f0", serial: "PF4BCDEF" };
const KIOSK = { id: "5e7a77d9-b175-4684-9ec8-31000cde3679", serial: "012345678957" };
const NONE_1 = { id: "cfa1f41b-c60f-4636-88bd-e3e36e0dc3eb", serial: "023456789153" };
const SALES_1 = { id: "4b77edd2-0549-4e37-960f-5dcd781c6560", serial: "5CG1234ABC" };
const GROUP = "0d5d7d4e-52a3-4e1f-9a6c-0d7c1a0b7e21";
const IMPORT_TYPE = "autopilot:ImportedWindowsAutopilotDeviceIdentity";
const ASSIGNMENT_TYPE = "autopilot:WindowsAutopilotDeploymentProfileAssignment";

const hash = () => crypto.randomBytes(300).toString("base64");
const importsOf = (emu: Emulator, serial: string) => [...emu.tenant.importedIdentities.values()].filter((r) => r.serialNumber === serial);
const posts = (emu: Emulator, path: string) => emu.requests.filter((r) => r.method === "POST" && r.path === path);

/** The attempts of each logical request (same client-request-id), in order. */
function attempts(emu: Emulator, match: (r: RecordedRequest) => boolean): RecordedRequest[][] {
    const by = new Map<string, RecordedRequest[]>();
    for (const r of emu.requests.filter(match)) {
        const id = r.headers["client-request-id"];
        by.set(id, [...(by.get(id) ?? []), r]);
    }
    return [...by.values()];
}

function importer(name: string, args: ImportedWindowsAutopilotDeviceIdentityArgs) {
    return () => {
        new ImportedWindowsAutopilotDeviceIdentity(name, args);
    };
}

/** The id the state holds for a resource. */
async function stateId(stack: TestStack, type: string, name: string): Promise<string | undefined> {
    return (await stack.resource(type, name))?.id;
}

describe("faults through the real CLI: idempotent steps are retried, never before Retry-After", function () {
    this.timeout(180_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" });
    });
    after(async () => h.close());
    beforeEach(() => {
        h.emu.clearRequests();
        h.emu.clearFaults();
    });

    it("GET, the updateDeviceProperties action, PATCH and DELETE: each sent again with its client-request-id after a 5xx or 429", async () => {
        h.emu.injectFault({ method: "GET", path: `${DEVICES}/${ENG_1.id}`, status: 503 });
        h.emu.injectFault({ method: "POST", path: /updateDeviceProperties$/, status: 500 });
        h.emu.injectFault({ method: "PATCH", path: `${DEVICES}/${ENG_1.id}`, status: 429, retryAfter: "1" });
        h.emu.injectFault({ method: "DELETE", path: `${DEVICES}/${ENG_1.id}`, status: 502 });
        let declared = true;
        const stack = await h.stack(() => {
            if (declared)
                new WindowsAutopilotDeviceIdentity("dev", {
                    deviceId: ENG_1.id,
                    groupTag: "Eng-Retry",
                    orderIdentifier: "PO-RETRY",
                    deleteBehavior: "deregister",
                });
        });
        const created = stepOf(await stepsOf(stack.up()), "dev");
        assert.strictEqual(created.op, "create", created.error);
        declared = false;
        assert.strictEqual(stepOf(await stepsOf(stack.up()), "dev").op, "delete");

        for (const [method, path] of [
            ["GET", `${DEVICES}/${ENG_1.id}`],
            ["POST", `${DEVICES}/${ENG_1.id}/updateDeviceProperties`],
            ["PATCH", `${DEVICES}/${ENG_1.id}`],
            ["DELETE", `${DEVICES}/${ENG_1.id}`],
        ]) {
            const retried = attempts(h.emu, (r) => r.method === method && r.path === path).filter((a) => a.length > 1);
            assert.strictEqual(retried.length, 1, `${method} ${path}: one request retried`);
            assert.deepStrictEqual(
                retried[0].map((r) => r.status > 299),
                [true, false],
                `${method}: failed once, then succeeded`,
            );
            assert.ok(retried[0][1].time - retried[0][0].time >= 100, "never retried at once");
        }
        const patch = attempts(h.emu, (r) => r.method === "PATCH")[0];
        assert.ok(patch[1].time - patch[0].time >= 1000, `the PATCH waited its Retry-After (${patch[1].time - patch[0].time} ms)`);
        assert.ok(!h.emu.tenant.devices.has(ENG_1.id), "deregistered");
        assert.strictEqual(h.emu.faultStats().earlyRetries, 0);
    });

    it("429 with Retry-After in fractional seconds, as an HTTP date, and missing: each waited out, no early retry", async () => {
        const at = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000);
        h.emu.injectFault({ method: "GET", path: `${DEVICES}/${ENG_2.id}`, status: 429, retryAfter: "0.6" });
        h.emu.injectFault({ method: "GET", path: `${DEVICES}/${ENG_2.id}`, status: 429, retryAfter: at.toUTCString() });
        h.emu.injectFault({ method: "GET", path: `${DEVICES}/${ENG_2.id}`, status: 429 });
        const stack = await h.stack(() => {
            new WindowsAutopilotDeviceIdentity("dev", { deviceId: ENG_2.id });
        });
        assert.strictEqual(stepOf(await stepsOf(stack.up()), "dev").op, "create");
        const [tries] = attempts(h.emu, (r) => r.path === `${DEVICES}/${ENG_2.id}`);
        assert.deepStrictEqual(
            tries.map((r) => r.status),
            [429, 429, 429, 200],
        );
        assert.ok(tries[1].time - tries[0].time >= 600, `fractional: ${tries[1].time - tries[0].time} ms`);
        assert.ok(tries[2].time >= at.getTime(), `HTTP date: came back ${at.getTime() - tries[2].time} ms early`);
        assert.ok(tries[3].time - tries[2].time >= 100, "missing: backoff, never at once");
        assert.strictEqual(h.emu.faultStats().earlyRetries, 0);
    });

    it("Intune budgets: writes over the app's budget are waited out, every write lands, no early retry", async () => {
        h.emu.setFaultModes({ budgets: { windowMs: 1000, appWrites: 2 } });
        try {
            const devices = [ENG_2, KIOSK, NONE_1, SALES_2, SALES_1];
            const stack = await h.stack(() => {
                devices.forEach((d, i) => new WindowsAutopilotDeviceIdentity(`dev${i}`, { deviceId: d.id, groupTag: "Budget" }));
            });
            const steps = await stepsOf(stack.up());
            assert.deepStrictEqual(
                steps.filter((s) => s.op === "failed"),
                [],
            );
            const writes = attempts(h.emu, (r) => r.method === "POST" && r.path.endsWith("/updateDeviceProperties"));
            assert.strictEqual(writes.length, 5);
            assert.ok(h.emu.faultStats().injected["budget appWrites"] >= 1, JSON.stringify(h.emu.faultStats()));
            for (const tries of writes) {
                for (let i = 1; i < tries.length; i++) {
                    if (tries[i - 1].status === 429) {
                        assert.ok(tries[i].time - tries[i - 1].time >= 1000, "waited the budget's Retry-After");
                    }
                }
                assert.strictEqual(tries[tries.length - 1].status, 204);
            }
            for (const d of devices) assert.strictEqual(h.emu.tenant.devices.get(d.id)!.groupTag, "Budget");
            assert.strictEqual(h.emu.faultStats().earlyRetries, 0);
        } finally {
            h.emu.setFaultModes({});
        }
    });
});

describe("faults through the real CLI: a create of unknown outcome is looked for, never blindly sent again", function () {
    this.timeout(180_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", importPendingReads: 1, writeVisibilityDelayMs: 300 });
    });
    after(async () => h.close());
    beforeEach(() => {
        h.emu.clearRequests();
        h.emu.clearFaults();
    });
    const config = { "autopilot:consistencyTimeoutSeconds": "2", "autopilot:timeoutSeconds": "1" };

    it("import: reset after Graph made the record -> one POST, the record is found by serial and adopted", async () => {
        h.emu.injectFault({ method: "POST", path: IMPORTS, reset: "after" });
        const stack = await h.stack(importer("imp", { serialNumber: "8CG6FLT001", hardwareIdentifier: hash() }), config);
        const step = stepOf(await stepsOf(stack.up()), "imp");
        assert.strictEqual(step.op, "create", step.error);
        assert.strictEqual(posts(h.emu, IMPORTS).length, 1, "no second POST");
        const records = importsOf(h.emu, "8CG6FLT001");
        assert.strictEqual(records.length, 1);
        assert.strictEqual(await stateId(stack, IMPORT_TYPE, "imp"), records[0].id, "the state holds the record the POST made");
        const lines = requestLines(h.emu);
        const postAt = lines.indexOf(`POST ${IMPORTS}`);
        assert.deepStrictEqual(lines.slice(0, postAt), [`GET ${IMPORTS}`], "looked before the first POST");
        assert.ok(lines.slice(postAt + 1).filter((l) => l === `GET ${IMPORTS}`).length >= 1, "looked again after the reset");
        assert.strictEqual(h.emu.requests[postAt].fault, "scripted reset after processing");
        assert.strictEqual((await stack.resource(IMPORT_TYPE, "imp"))!.outputs!.importStatus, "complete");
    });

    it("import: timeout after Graph made the record (slow answer) -> found and adopted, one POST", async () => {
        h.emu.injectFault({ method: "POST", path: IMPORTS, delayMs: 2500, processed: true });
        const stack = await h.stack(importer("imp", { serialNumber: "8CG6FLT002", hardwareIdentifier: hash() }), config);
        const step = stepOf(await stepsOf(stack.up()), "imp");
        assert.strictEqual(step.op, "create", step.error);
        assert.strictEqual(posts(h.emu, IMPORTS).length, 1);
        assert.strictEqual(importsOf(h.emu, "8CG6FLT002").length, 1);
        assert.strictEqual(await stateId(stack, IMPORT_TYPE, "imp"), importsOf(h.emu, "8CG6FLT002")[0].id);
    });

    it("import: reset before Graph saw it -> looked for over consistencyTimeoutSeconds, nothing found, POSTed once more", async () => {
        h.emu.injectFault({ method: "POST", path: IMPORTS, reset: "before" });
        const stack = await h.stack(importer("imp", { serialNumber: "8CG6FLT003", hardwareIdentifier: hash() }), config);
        const step = stepOf(await stepsOf(stack.up()), "imp");
        assert.strictEqual(step.op, "create", step.error);
        const sent = posts(h.emu, IMPORTS);
        assert.deepStrictEqual(
            sent.map((r) => r.fault ?? r.status),
            ["scripted reset before processing", 201],
        );
        assert.notStrictEqual(sent[0].headers["client-request-id"], sent[1].headers["client-request-id"], "a new create, not a retry");
        const between = h.emu.requests.filter((r) => r.seq > sent[0].seq && r.seq < sent[1].seq);
        assert.ok(between.length >= 2 && between.every((r) => `${r.method} ${r.path}` === `GET ${IMPORTS}`), "only looks in between");
        assert.ok(sent[1].time - sent[0].time >= 1500, `looked for ${sent[1].time - sent[0].time} ms before sending again`);
        assert.strictEqual(importsOf(h.emu, "8CG6FLT003").length, 1);
    });

    it("assignment: 504 after Graph made it -> the profile's assignments are listed, the one with the target adopted, one POST", async () => {
        h.emu.setFaultModes({
            routes: [
                { method: "POST", path: /windowsAutopilotDeploymentProfiles\/[^/]+\/assignments$/, random: { rate: 1, statuses: [504], processedRate: 1 } },
            ],
        });
        try {
            const stack = await h.stack(() => {
                new WindowsAutopilotDeploymentProfileAssignment("assign", { profileId: KIOSK_PROFILE, target: { kind: "group", groupId: GROUP } });
            }, config);
            const step = stepOf(await stepsOf(stack.up()), "assign");
            assert.strictEqual(step.op, "create", step.error);
            const sent = posts(h.emu, PROFILE_ASSIGNMENTS(KIOSK_PROFILE));
            assert.deepStrictEqual(
                sent.map((r) => [r.status, r.fault]),
                [[504, "random 504 (processed)"]],
                "one POST",
            );
            const made = [...(h.emu.tenant.assignments.get(KIOSK_PROFILE)?.values() ?? [])].filter(
                (a) => (a.target as { groupId?: string })?.groupId === GROUP,
            );
            assert.strictEqual(made.length, 1);
            assert.strictEqual(await stateId(stack, ASSIGNMENT_TYPE, "assign"), made[0].id);
            assert.ok(requestLines(h.emu).filter((l) => l === `GET ${PROFILE_ASSIGNMENTS(KIOSK_PROFILE)}`).length >= 2, "listed before and after the POST");
        } finally {
            h.emu.setFaultModes({});
        }
    });
});

describe("faults through the real CLI: what an interrupted run made is adopted, not duplicated", function () {
    this.timeout(180_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", importPendingReads: 1 });
    });
    after(async () => h.close());
    beforeEach(() => h.emu.clearRequests());

    // Every `pulumi up` starts a provider host of its own: nothing the provider learned in an
    // earlier run (a listing of import records) carries over, as for a user's next run.

    it("a pending import record of the same serial and hash is adopted: no POST, the wait resumes", async () => {
        const hardwareIdentifier = hash();
        const id = crypto.randomUUID();
        h.emu.tenant.importedIdentities.set(id, {
            id,
            serialNumber: "8CG6ADP001",
            hardwareIdentifier,
            state: { deviceImportStatus: "pending", deviceRegistrationId: "", deviceErrorCode: 0, deviceErrorName: "" },
        });
        h.emu.tenant.pendingImports.set(id, 0);
        const stack = await h.stack(importer("imp", { serialNumber: "8cg6adp001", hardwareIdentifier }));
        const step = stepOf(await stepsOf(stack.up()), "imp");
        assert.strictEqual(step.op, "create", step.error);
        assert.strictEqual(posts(h.emu, IMPORTS).length, 0);
        const state = (await stack.resource(IMPORT_TYPE, "imp"))!;
        assert.strictEqual(state.id, id);
        assert.strictEqual(state.outputs!.importStatus, "complete");
        assert.strictEqual(importsOf(h.emu, "8CG6ADP001").length, 1);
    });

    it("an error record of the same capture is adopted and fails with its error (no POST); another capture's record is left alone", async () => {
        const hardwareIdentifier = hash();
        const id = crypto.randomUUID();
        h.emu.tenant.importedIdentities.set(id, {
            id,
            serialNumber: "8CG6ADP002",
            hardwareIdentifier,
            state: { deviceImportStatus: "error", deviceRegistrationId: "", deviceErrorCode: 808, deviceErrorName: "ZtdDeviceAssignedToOtherTenant" },
        });
        const same = await h.stack(importer("imp", { serialNumber: "8CG6ADP002", hardwareIdentifier }));
        const failed = stepOf(await stepsOf(same.up()), "imp");
        assert.strictEqual(failed.op, "failed");
        assert.match(failed.error!, /808 ZtdDeviceAssignedToOtherTenant/);
        assert.strictEqual(await stateId(same, IMPORT_TYPE, "imp"), id, "the record is in the state");
        assert.strictEqual(posts(h.emu, IMPORTS).length, 0);

        h.emu.clearRequests();
        const other = await h.stack(importer("imp", { serialNumber: "8CG6ADP002", hardwareIdentifier: hash() }));
        const created = stepOf(await stepsOf(other.up()), "imp");
        assert.strictEqual(created.op, "create", created.error);
        assert.strictEqual(posts(h.emu, IMPORTS).length, 1, "a new capture is imported");
        assert.ok(h.emu.tenant.importedIdentities.has(id), "the other capture's record is left alone");
    });

    it("an import whose run crashed after its POST (the CLI and its processes killed): the next run adopts the record (one record, one POST)", async () => {
        const hardwareIdentifier = hash();
        // Hold the import pending so the first run is still waiting when it dies.
        const before = new Set(h.emu.tenant.importedIdentities.keys());
        const hold = setInterval(() => {
            for (const k of h.emu.tenant.importedIdentities.keys()) if (!before.has(k)) h.emu.tenant.pendingImports.set(k, 0);
        }, 5);
        const stack = await h.project("slow-import", { serialNumber: "8CG6INT001" }, { hardwareHash: hardwareIdentifier });
        try {
            const run = startPulumi(stack, ["up", "--yes", "--skip-preview"]);
            const polled = () => importsOf(h.emu, "8CG6INT001").some((r) => h.emu.requests.some((q) => q.method === "GET" && q.path === `${IMPORTS}/${r.id}`));
            for (const deadline = Date.now() + 60_000; !polled(); await new Promise((r) => setTimeout(r, 20))) {
                if (Date.now() > deadline) {
                    crash(run);
                    throw new Error(`the import was never polled; the CLI printed:\n${run.output()}`);
                }
            }
            crash(run);
            assert.strictEqual((await run.exited).signal, "SIGKILL");
        } finally {
            clearInterval(hold);
        }
        assert.strictEqual(
            (await stack.resources()).filter((r) => r.custom && r.id && !r.type.startsWith("pulumi:providers:")).length,
            0,
            "the dead run saved nothing",
        );
        assert.strictEqual(posts(h.emu, IMPORTS).length, 1);

        // What a user runs after a crash (see interrupted.spec.ts): the lock, the pending CREATE, then up.
        assert.strictEqual((await runPulumi(stack, ["cancel", "--yes"])).code, 0);
        assert.strictEqual((await runPulumi(stack, ["refresh", "--clear-pending-creates", "--yes", "--skip-preview"])).code, 0);
        h.emu.clearRequests();
        const step = stepOf((await stack.up()).steps, "laptop");
        assert.strictEqual(step.op, "create", step.error);
        assert.strictEqual(posts(h.emu, IMPORTS).length, 0, "the second run POSTed nothing");
        assert.strictEqual(importsOf(h.emu, "8CG6INT001").length, 1);
        assert.strictEqual(await stateId(stack, IMPORT_TYPE, "laptop"), importsOf(h.emu, "8CG6INT001")[0].id);
    });

    it("an assignment with the same target already on the profile is adopted: no POST", async () => {
        const id = crypto.randomUUID();
        const map = h.emu.tenant.assignments.get(KIOSK_PROFILE) ?? new Map();
        map.set(id, {
            id,
            source: "direct",
            target: {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                groupId: GROUP.toUpperCase(),
                deviceAndAppManagementAssignmentFilterType: "none",
            },
        });
        h.emu.tenant.assignments.set(KIOSK_PROFILE, map);
        const stack = await h.stack(() => {
            new WindowsAutopilotDeploymentProfileAssignment("assign", { profileId: KIOSK_PROFILE, target: { kind: "group", groupId: GROUP } });
        });
        const step = stepOf(await stepsOf(stack.up()), "assign");
        assert.strictEqual(step.op, "create", step.error);
        assert.deepStrictEqual(requestLines(h.emu), [`GET ${PROFILE_ASSIGNMENTS(KIOSK_PROFILE)}`]);
        assert.strictEqual(await stateId(stack, ASSIGNMENT_TYPE, "assign"), id);
    });

    it("806 with removeRecordWhenComplete: the registered device is adopted and the error record removed; without it, refused", async () => {
        const stack = await h.stack(importer("imp", { serialNumber: SALES_1.serial, hardwareIdentifier: hash(), removeRecordWhenComplete: true }));
        const step = stepOf(await stepsOf(stack.up()), "imp");
        assert.strictEqual(step.op, "create", step.error);
        const outs = (await stack.resource(IMPORT_TYPE, "imp"))!.outputs!;
        assert.strictEqual(outs.autopilotDeviceId, SALES_1.id);
        assert.strictEqual(outs.recordRemoved, true);
        assert.strictEqual(importsOf(h.emu, SALES_1.serial).length, 0, "the error record was removed");
        const lines = requestLines(h.emu);
        assert.ok(lines.includes(`GET ${DEVICES}`), "looked the serial up among devices");
        assert.ok(lines.some((l) => l.startsWith(`DELETE ${IMPORTS}/`)));

        const refused = await h.stack(importer("imp", { serialNumber: SALES_1.serial, hardwareIdentifier: hash() }));
        const failed = stepOf(await stepsOf(refused.up()), "imp");
        assert.strictEqual(failed.op, "failed");
        assert.match(failed.error!, /806 ZtdDeviceAlreadyAssigned/);
        assert.strictEqual(importsOf(h.emu, SALES_1.serial).length, 1, "the error record is kept, in the state");
        // Tidy up so other tests importing this serial start clean.
        h.emu.tenant.importedIdentities.delete((await stateId(refused, IMPORT_TYPE, "imp"))!);
    });
});
