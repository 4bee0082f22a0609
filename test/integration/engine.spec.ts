// What Pulumi's engine does with this provider's resources, through the real `pulumi` CLI and a
// program folder per behaviour (test/projects/), against the emulator's live profile: resource
// options (replaceOnChanges, retainOnDelete, protect), --target, refresh, a create that fails
// after Graph made the object, and how a user's mistakes reach them.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CliHarness, requestLines, startCliHarness, stepOf, TOKEN, holdImportsPending } from "./harness";
import { assertFailedExit, PulumiExit, runPulumi } from "./cliProcess";
import { PulumiRunError } from "../pulumi/stack";

const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORT_TYPE = "autopilot:ImportedWindowsAutopilotDeviceIdentity";
const DEVICE_TYPE = "autopilot:WindowsAutopilotDeviceIdentity";
const SALES_2 = "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff";
const FINANCE_1 = "1cb374d2-6cd6-4ba1-a886-448a9054629d";
const NONE_1 = "ff02d305-3123-45cc-86ed-6ceb6a464ceb";
const ENG_1 = "d7c44078-285c-4e5a-b3ec-a0ab2cf36ffa";
const KIOSK = "5e7a77d9-b175-4684-9ec8-31000cde3679";

const hash = () => crypto.randomBytes(300).toString("base64");

/** Writes to Graph: every request but a read. */
const writes = (h: CliHarness) => requestLines(h.emu).filter((l) => !l.startsWith("GET "));

/** A stack trace line as Node prints one ("    at f (/path/file.js:12:3)"). */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe("engine behaviours through the real Pulumi CLI (live profile)", function () {
    this.timeout(180_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", importPendingReads: 1 });
    });
    after(async () => h?.close());
    beforeEach(() => h.emu.clearRequests());

    const importsOf = (serial: string) => [...h.emu.tenant.importedIdentities.values()].filter((r) => r.serialNumber === serial);

    it("replaceOnChanges on an import re-imports: the preview says replace, the old record is DELETEd first, then the new one POSTed; no PATCH", async () => {
        const stack = await h.project("replace-on-changes", { serialNumber: "8CG0000RP1" }, { hardwareHash: hash() });
        await stack.up();
        const first = (await stack.resource(IMPORT_TYPE, "laptop"))!.id!;

        // A new serial number: the live service refuses PATCH on import records.
        await stack.setConfig({ "autopilot-replace-on-changes:serialNumber": "8CG0000RP2" });
        const plan = await stack.preview();
        assert.deepStrictEqual([stepOf(plan.steps, "laptop").op, stepOf(plan.steps, "laptop").changed], ["replace", ["serialNumber"]]);
        h.emu.clearRequests();
        const replaced = await stack.up();
        assert.strictEqual(stepOf(replaced.steps, "laptop").op, "replace");
        assert.deepStrictEqual(writes(h), [`DELETE ${IMPORTS}/${first}`, `POST ${IMPORTS}`], "deleteBeforeReplace: DELETE, then POST");
        const second = (await stack.resource(IMPORT_TYPE, "laptop"))!.id!;
        assert.notStrictEqual(second, first);
        assert.deepStrictEqual([importsOf("8CG0000RP1").length, importsOf("8CG0000RP2").map((r) => r.id)], [0, [second]]);

        // A new hardware hash (a secret): the same.
        await stack.setConfig({}, { "autopilot-replace-on-changes:hardwareHash": hash() });
        h.emu.clearRequests();
        assert.strictEqual(stepOf((await stack.up()).steps, "laptop").op, "replace");
        assert.deepStrictEqual(writes(h), [`DELETE ${IMPORTS}/${second}`, `POST ${IMPORTS}`]);
        assert.strictEqual(importsOf("8CG0000RP2").length, 1);
        stack.dispose();
    });

    it("protect: destroy refuses and sends nothing; retainOnDelete: destroy forgets the record and keeps it in Intune", async () => {
        const stack = await h.project(
            "retain-and-protect",
            { keptSerial: "8CG0000KP1", guardedSerial: "8CG0000PR1" },
            { keptHash: hash(), guardedHash: hash() },
        );
        await stack.up();
        const kept = (await stack.resource(IMPORT_TYPE, "kept"))!;
        const guarded = (await stack.resource(IMPORT_TYPE, "guarded"))!;
        assert.deepStrictEqual([kept.retainOnDelete, guarded.protect], [true, true]);

        h.emu.clearRequests();
        const refused = await stack.destroy().then(
            () => assert.fail("destroy of a protected resource succeeded"),
            (e: PulumiRunError) => e,
        );
        assert.match(refused.message, /guarded/);
        assert.match(refused.message, /protected/);
        assert.deepStrictEqual(writes(h), [], "nothing deleted");
        assert.ok(h.emu.tenant.importedIdentities.has(guarded.id!) && h.emu.tenant.importedIdentities.has(kept.id!));
        assert.ok(await stack.resource(IMPORT_TYPE, "guarded"), "still in the state");

        // Unprotecting is a state change only; then destroy deletes the guarded record, not the kept one.
        await stack.setConfig({ "autopilot-retain-and-protect:protect": "false" });
        h.emu.clearRequests();
        await stack.up();
        assert.deepStrictEqual(writes(h), []);
        const destroyed = await stack.destroy();
        assert.deepStrictEqual(destroyed.steps.map((s) => [s.name, s.op]).sort(), [
            ["guarded", "delete"],
            ["kept", "delete"],
        ]);
        assert.deepStrictEqual(writes(h), [`DELETE ${IMPORTS}/${guarded.id}`], "the retained record is not deleted");
        assert.ok(h.emu.tenant.importedIdentities.has(kept.id!), "the retained record is still in Intune");
        assert.ok(!h.emu.tenant.importedIdentities.has(guarded.id!));
        assert.deepStrictEqual(
            (await stack.resources()).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")),
            [],
        );
        stack.dispose();
    });

    it("--target touches only the target: the other device's change waits for the next up", async () => {
        const stack = await h.project("target", { firstDevice: SALES_2, firstTag: "Target-A1", secondDevice: FINANCE_1, secondTag: "Target-B1" });
        await stack.up();
        await stack.setConfig({ "autopilot-target:firstTag": "Target-A2", "autopilot-target:secondTag": "Target-B2" });
        const first = (await stack.resource(DEVICE_TYPE, "first"))!;
        h.emu.clearRequests();
        const targeted = await stack.up({ target: [first.urn] });
        assert.deepStrictEqual(
            targeted.steps.filter((s) => s.op !== "same").map((s) => [s.name, s.op]),
            [["first", "update"]],
        );
        assert.deepStrictEqual(writes(h), [`POST ${DEVICES}/${SALES_2}/updateDeviceProperties`]);
        assert.ok(!requestLines(h.emu).some((l) => l.includes(FINANCE_1)), "the other device is not even read");
        assert.strictEqual(h.emu.tenant.devices.get(SALES_2)!.groupTag, "Target-A2");
        assert.strictEqual(h.emu.tenant.devices.get(FINANCE_1)!.groupTag, "Target-B1");
        assert.strictEqual((await stack.resource(DEVICE_TYPE, "second"))!.outputs!.groupTag, "Target-B1");

        const rest = await stack.up();
        assert.deepStrictEqual(
            rest.steps.filter((s) => s.op !== "same").map((s) => [s.name, s.op]),
            [["second", "update"]],
        );
        assert.strictEqual(h.emu.tenant.devices.get(FINANCE_1)!.groupTag, "Target-B2");
        await stack.destroy();
        stack.dispose();
    });

    it("refresh: a group tag changed in Intune shows as drift and the next up puts it back; a deleted import record leaves the state and is imported again", async () => {
        const stack = await h.project("refresh-drift", { deviceId: NONE_1, groupTag: "Refresh-Kept", serialNumber: "8CG0000RF1" }, { hardwareHash: hash() });
        await stack.up();
        const record = (await stack.resource(IMPORT_TYPE, "import"))!.id!;
        // Someone edits the tenant in the Intune portal.
        h.emu.tenant.devices.get(NONE_1)!.groupTag = "Changed-In-Portal";
        h.emu.tenant.importedIdentities.delete(record);

        const refreshed = await stack.refresh();
        assert.deepStrictEqual([stepOf(refreshed.steps, "device").op, stepOf(refreshed.steps, "device").changed], ["update", ["groupTag"]]);
        assert.strictEqual(stepOf(refreshed.steps, "import").op, "drop");
        const device = (await stack.resource(DEVICE_TYPE, "device"))!;
        assert.deepStrictEqual(
            [device.outputs!.groupTag, device.inputs!.groupTag],
            ["Changed-In-Portal", "Changed-In-Portal"],
            "the state holds what Intune holds",
        );
        assert.strictEqual(await stack.resource(IMPORT_TYPE, "import"), undefined, "the deleted record left the state");

        const plan = await stack.preview();
        assert.deepStrictEqual(plan.steps.map((s) => [s.name, s.op]).sort(), [
            ["device", "update"],
            ["import", "create"],
        ]);
        h.emu.clearRequests();
        await stack.up();
        assert.deepStrictEqual(writes(h).sort(), [`POST ${DEVICES}/${NONE_1}/updateDeviceProperties`, `POST ${IMPORTS}`].sort());
        assert.strictEqual(h.emu.tenant.devices.get(NONE_1)!.groupTag, "Refresh-Kept");
        assert.strictEqual(importsOf("8CG0000RF1").length, 1);
        assert.deepStrictEqual(
            (await stack.refresh()).steps.filter((s) => s.op !== "same"),
            [],
            "nothing drifts any more",
        );
        await stack.destroy();
        stack.dispose();
    });

    it("a create that fails after Graph made the object keeps it in the state (initErrors); the next up finishes it with an update, not a second import", async () => {
        const release = holdImportsPending(h);
        const stack = await h.project("slow-import", { serialNumber: "8CG0000IF1", "autopilot:stepTimeoutSeconds": "1" }, { hardwareHash: hash() });
        try {
            const failed = await stack.up().then(
                () => assert.fail("the import finished although Autopilot never did"),
                (e: PulumiRunError) => e,
            );
            const step = stepOf(failed.result.steps, "laptop");
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /autopilot:stepTimeoutSeconds=1/);
            const [made] = importsOf("8CG0000IF1");
            const kept = (await stack.resource(IMPORT_TYPE, "laptop"))!;
            assert.strictEqual(kept.id, made.id, "the record the POST made is in the state");
            assert.ok((kept.initErrors ?? []).length === 1 && kept.initErrors![0].includes("stepTimeoutSeconds"), JSON.stringify(kept.initErrors));
            assert.strictEqual(kept.outputs!.importStatus, "pending");
        } finally {
            release();
        }

        await stack.stack.removeConfig("autopilot:stepTimeoutSeconds");
        const plan = await stack.preview();
        assert.strictEqual(stepOf(plan.steps, "laptop").op, "update", "an object with initErrors is updated");
        h.emu.clearRequests();
        const finished = await stack.up();
        assert.strictEqual(stepOf(finished.steps, "laptop").op, "update");
        assert.deepStrictEqual(writes(h), [], "no second POST: the update waits for the same record");
        const done = (await stack.resource(IMPORT_TYPE, "laptop"))!;
        assert.deepStrictEqual([done.initErrors ?? [], done.outputs!.importStatus], [[], "complete"]);
        assert.strictEqual(importsOf("8CG0000IF1").length, 1);
        assert.strictEqual((await stack.outputs()).importStatus, "complete");
        await stack.destroy();
        stack.dispose();
    });
});

describe("a user's mistakes reach them readably through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    after(async () => h?.close());
    beforeEach(() => h.emu.clearRequests());

    /** `pulumi <command>` in a new stack of the mistakes project; what the user sees. */
    async function attempt(command: "preview" | "up", config: Record<string, string>, secret: Record<string, string> = {}, files: Record<string, string> = {}) {
        const stack = await h.project("mistakes", config, secret);
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(stack.workDir, name), text);
        const run = await runPulumi(stack, command === "up" ? ["up", "--yes", "--skip-preview"] : ["preview"]);
        stack.dispose();
        return { ...run, text: run.stdout + run.stderr };
    }

    /** The checks every mistake's text passes: it failed, holds no stack trace and no secret. */
    function readable(run: PulumiExit & { text: string }, secrets: string[]): void {
        assertFailedExit(run);
        assert.doesNotMatch(run.text, STACK_FRAME, "no stack trace");
        assert.ok(!run.text.includes("\u001b["), "no terminal colour codes");
        for (const s of [TOKEN, ...secrets]) assert.ok(!run.text.includes(s), "no secret in the output");
    }

    it("a program error (a bad CSV): the fleet's name and each bad row with file, line, column and reason; nothing sent", async () => {
        const good = hash();
        const csv = `"Device Serial Number","Windows Product ID","Hardware Hash"\r\n"","","${good}"\r\n"8CG0000MS1","","not base64!"\r\n`;
        const run = await attempt("preview", { mistake: "csv", value: "bad.csv" }, {}, { "bad.csv": csv });
        readable(run, [good]);
        assert.match(run.text, /autopilot:index:AutopilotFleet \(fleet\):\n\s+error: the hardware-hash CSV has 2 problem\(s\); nothing was created/);
        assert.match(run.text, /bad\.csv:2: Device Serial Number: is empty/);
        assert.match(run.text, /bad\.csv:3: Hardware Hash: is not base64/);
        assert.doesNotMatch(run.text, /unhandled exception/);
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("a CheckFailure (a bad serial number; a hash of the wrong size): the resource, the field and what is allowed, at preview; the hash stays hidden", async () => {
        const secretHash = hash();
        const serial = await attempt("preview", { mistake: "serial", value: "NOT A SERIAL!" }, { hardwareHash: secretHash });
        readable(serial, [secretHash]);
        assert.match(
            serial.text,
            /ImportedWindowsAutopilotDeviceIdentity resource 'laptop': property serialNumber .* has a problem: serialNumber "NOT A SERIAL!" is not a serial number: "!" \(U\+0021\) at position 13 is not allowed; a serial starts with A-Z, a-z or 0-9/,
        );

        const shortHash = Buffer.from("a hash far too short to be one").toString("base64");
        const hashRun = await attempt("up", { mistake: "serial", value: "8CG0000MS2" }, { hardwareHash: shortHash });
        readable(hashRun, [shortHash]);
        assert.match(hashRun.text, /resource 'laptop' has a problem: hardwareIdentifier decodes to 30 bytes; a hardware hash is 256 to 32768 bytes/);
        assert.deepStrictEqual(h.emu.requests, [], "refused before any request");
    });

    it("a CheckFailure (a value outside an enum): the field and every allowed value", async () => {
        const run = await attempt("up", { mistake: "enum", value: "everyone", deviceId: KIOSK });
        readable(run, []);
        assert.match(
            run.text,
            /WindowsAutopilotDeploymentProfileAssignment resource 'profile': property target\.kind .* has a problem: target\.kind "everyone" is not allowed; allowed values: group, exclusionGroup, allDevices, allLicensedUsers, configurationManagerCollection/,
        );
        assert.deepStrictEqual(h.emu.requests, []);
    });

    it("a Graph refusal (the live service's 400 on PATCH): the resource, the field, Graph's status and code, and the request ids", async () => {
        const run = await attempt("up", { mistake: "refused", value: "ORDER-MS1", deviceId: ENG_1 });
        readable(run, []);
        assert.match(
            run.text,
            /WindowsAutopilotDeviceIdentity \(device\):\n\s+error: .*\n?.*WindowsAutopilotDeviceIdentity d7c44078-285c-4e5a-b3ec-a0ab2cf36ffa: writing orderIdentifier failed\. Graph PATCH \/deviceManagement\/windowsAutopilotDeviceIdentities\/\{id\} failed: 400 No method match route template/,
        );
        const patch = h.emu.requests.find((r) => r.method === "PATCH")!;
        assert.strictEqual(patch.status, 400);
        assert.ok(run.text.includes(`client-request-id ${patch.headers["client-request-id"]}`), "the request can be found in Graph's logs");
        assert.match(run.text, /\(request-id [0-9a-f-]{36}, client-request-id/);
    });
});
