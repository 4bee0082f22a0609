import * as assert from "assert";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity, ImportedWindowsAutopilotDeviceIdentityArgs } from "../../provider";
import { HostHarness, requestLines, startHarness, stepOf } from "./harness";

const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const UPLOADS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads";
const TYPE = "autopilot:ImportedWindowsAutopilotDeviceIdentity";
const SEED_COMPLETE_IMPORT = { id: "2c0f7647-8d4b-41e0-8b25-bae2fc2d293c", device: "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff" };
const UPLOAD = { id: "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe", identity: "5c092ae9-0a43-47c0-b864-431d1af4200b" };

const hash = () => crypto.randomBytes(3000).toString("base64");

function imported(args: ImportedWindowsAutopilotDeviceIdentityArgs, opts?: pulumi.CustomResourceOptions, name = "imp") {
    return () => {
        new ImportedWindowsAutopilotDeviceIdentity(name, args, opts);
    };
}

for (const profile of ["documented", "live"] as const) {
    describe(`ImportedWindowsAutopilotDeviceIdentity through the real host (${profile} profile)`, function () {
        let h: HostHarness;
        before(async () => {
            h = await startHarness({ profile, importPendingReads: 2 });
        });
        after(async () => h.close());
        beforeEach(() => h.emu.clearRequests());

        it("POSTs the import, waits until complete, and outputs the new Autopilot device id", async () => {
            const hardwareIdentifier = hash();
            const engine = h.engine(imported({ serialNumber: "8CG0000AA1", hardwareIdentifier, groupTag: "Sales", assignedUserPrincipalName: "megan.bowen@contoso.com" }));
            const steps = await engine.up(false);
            assert.strictEqual(stepOf(steps, "imp").op, "create", stepOf(steps, "imp").error);
            // First a look for a record of the serial an interrupted run may have made (issue 6), then the POST.
            assert.deepStrictEqual(requestLines(h.emu).slice(0, 2), [`GET ${IMPORTS}`, `POST ${IMPORTS}`]);
            const post = h.emu.requests[1];
            assert.deepStrictEqual(post.body, {
                "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                serialNumber: "8CG0000AA1",
                hardwareIdentifier,
                groupTag: "Sales",
                assignedUserPrincipalName: "megan.bowen@contoso.com",
            });
            const id = engine.entries()[0].id;
            const polls = requestLines(h.emu).filter((l) => l === `GET ${IMPORTS}/${id}`).length;
            assert.strictEqual(polls, profile === "live" ? 3 : 1, "reads until the import left pending");
            const outs = engine.outputsOf(TYPE, "imp")!;
            assert.strictEqual(outs.importStatus, "complete");
            const device = h.emu.tenant.devices.get(String(outs.autopilotDeviceId))!;
            assert.strictEqual(device.serialNumber, "8CG0000AA1");
            assert.strictEqual(device.groupTag, "Sales");
            // The outputs keep the hash's digest; the hash itself is in the (secret) inputs only.
            assert.strictEqual(outs.hardwareIdentifier, `sha256:${crypto.createHash("sha256").update(hardwareIdentifier).digest("base64")}`);
            h.emu.clearRequests();
            assert.strictEqual(stepOf(await engine.up(true), "imp").op, "same");
            assert.deepStrictEqual(h.emu.requests, [], "a no-change plan against the digest sends nothing");
        });

        it("N imports in one program: shared listings say they have no record and then confirm them, no GET per serial or record", async () => {
            const N = 12;
            const serials = Array.from({ length: N }, (_, i) => `8CG1${profile === "live" ? "L" : "D"}00N${String(i).padStart(2, "0")}`);
            const engine = h.engine(() => {
                serials.forEach((serialNumber, i) => new ImportedWindowsAutopilotDeviceIdentity(`imp${i}`, { serialNumber, hardwareIdentifier: hash() }));
            });
            const steps = await engine.up(false);
            assert.deepStrictEqual(steps.filter((s) => s.op !== "create").map((s) => s.error), []);
            // Listings of ids and serials (the look before each POST); those of states are the polls (importPoller.ts).
            const looks = h.emu.requests.filter((r) => r.method === "GET" && r.path === IMPORTS && r.query.$select !== "id,state");
            assert.deepStrictEqual(looks.filter((r) => r.query.$filter !== undefined), [], "no per-serial lookup");
            // At most a few listings (none when this host listed less than a minute ago: LISTING_REUSE_MS).
            assert.ok(looks.length <= 3, `${looks.length} listings for ${N} creates`);
            assert.ok(looks.every((r) => r.query.$select === "id,serialNumber" && r.query.$top === "1000"));
            // Released together, the creates share bulk import calls too.
            const posts = h.emu.requests.filter((r) => r.method === "POST" && r.path.startsWith(IMPORTS));
            assert.ok(posts.length <= 3, `${posts.length} import POSTs for ${N} creates`);
            for (const serial of serials) {
                assert.strictEqual([...h.emu.tenant.importedIdentities.values()].filter((r) => r.serialNumber === serial).length, 1, serial);
            }
            // Each new record is confirmed (and first polled) by listings of ids and states shared by the
            // records made together, not by a GET each; every import still completed with its device.
            const itemGets = h.emu.requests.filter((r) => r.method === "GET" && r.path.startsWith(`${IMPORTS}/`));
            assert.deepStrictEqual(itemGets.map((r) => r.path), [], "no GET per record");
            const stateListings = h.emu.requests.filter((r) => r.method === "GET" && r.path === IMPORTS && r.query.$select === "id,state");
            assert.ok(stateListings.length >= 1 && stateListings.length <= 2 * (profile === "live" ? 3 : 1) + 2, `${stateListings.length} listings of states`);
            for (let i = 0; i < N; i++) {
                const outs = engine.outputsOf(TYPE, `imp${i}`)!;
                assert.strictEqual(outs.importStatus, "complete", `imp${i}`);
                assert.strictEqual(h.emu.tenant.devices.get(String(outs.autopilotDeviceId))?.serialNumber, serials[i]);
            }
        });

        it("an import that ends in 806 fails with the code and its meaning, and keeps the record in the state", async () => {
            const engine = h.engine(imported({ serialNumber: "5CG1234ABC", hardwareIdentifier: hash() }));
            const step = stepOf(await engine.up(false), "imp");
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /806 ZtdDeviceAlreadyAssigned: the device is already registered in this tenant\. Adopt it with WindowsAutopilotDeviceIdentity/);
            const entry = engine.entries()[0];
            assert.ok(entry && entry.id && entry.initFailed, "the import record is in the state");
            assert.ok(h.emu.tenant.importedIdentities.has(entry.id));
            assert.strictEqual(engine.outputsOf(TYPE, "imp")!.importStatus, "error");
        });

        it("an import that ends in 808 names the other tenant, and keeps the record", async () => {
            const engine = h.engine(imported({ serialNumber: "PF9ZZZZZ", hardwareIdentifier: hash() }));
            const step = stepOf(await engine.up(false), "imp");
            assert.match(step.error!, /808 ZtdDeviceAssignedToOtherTenant: the device is registered to another tenant/);
            assert.strictEqual(engine.entries().length, 1);
        });

        // The documented profile resolves an import at its first read: only the live one can time out.
        const itLive = profile === "live" ? it : () => undefined;
        itLive("times out with how to resume, keeping the record; the next run resumes waiting", async () => {
            const before = new Set(h.emu.tenant.importedIdentities.keys());
            const engine = h.engine(imported({ serialNumber: "8CG0000TO1", hardwareIdentifier: hash(), importTimeoutSeconds: 1 }));
            // Hold the import pending: the emulator resolves it only after this many reads.
            const stop = setInterval(() => {
                for (const id of h.emu.tenant.importedIdentities.keys()) if (!before.has(id)) h.emu.tenant.pendingImports.set(id, 0);
            }, 5);
            let step;
            try {
                step = stepOf(await engine.up(false), "imp");
            } finally {
                clearInterval(stop);
            }
            assert.strictEqual(step.op, "failed");
            assert.match(step.error!, /still pending after importTimeoutSeconds=1\. The import record [0-9a-f-]{36} is in the state: run `pulumi up` again to resume waiting/);
            const id = engine.entries()[0].id;
            h.emu.clearRequests();
            const resumed = stepOf(await engine.up(false), "imp");
            assert.strictEqual(resumed.op, "update", resumed.error);
            assert.ok(!h.emu.requests.some((r) => r.method === "POST"), "no second import");
            assert.strictEqual(engine.outputsOf(TYPE, "imp")!.importStatus, "complete");
            assert.strictEqual(engine.entries()[0].id, id);
        });

        it("adopts an existing import record by importedDeviceId with one GET (and one of the device it registered)", async () => {
            const engine = h.engine(imported({ importedDeviceId: SEED_COMPLETE_IMPORT.id }));
            await engine.up(false);
            assert.deepStrictEqual(requestLines(h.emu), [
                `GET ${IMPORTS}/${SEED_COMPLETE_IMPORT.id}`,
                `GET /beta/deviceManagement/windowsAutopilotDeviceIdentities/${SEED_COMPLETE_IMPORT.device}`,
            ]);
            assert.strictEqual(engine.outputsOf(TYPE, "imp")!.autopilotDeviceId, SEED_COMPLETE_IMPORT.device);
        });

        it("updates with one PATCH of only the changed field (documented) or fails with Graph's code (live)", async () => {
            let orderIdentifier = "ORDER-A";
            const engine = h.engine(() => {
                new ImportedWindowsAutopilotDeviceIdentity("imp", { importedDeviceId: SEED_COMPLETE_IMPORT.id, orderIdentifier });
            });
            const first = stepOf(await engine.up(false), "imp");
            orderIdentifier = "ORDER-B";
            h.emu.clearRequests();
            const step = stepOf(await engine.up(false), "imp");
            const patches = h.emu.requests.filter((r) => r.method === "PATCH");
            assert.strictEqual(patches.length, 1);
            assert.strictEqual(patches[0].path, `${IMPORTS}/${SEED_COMPLETE_IMPORT.id}`);
            assert.deepStrictEqual(patches[0].body, { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", orderIdentifier: "ORDER-B" });
            if (profile === "documented") {
                assert.strictEqual(first.op, "create", first.error);
                assert.strictEqual(step.op, "update", step.error);
            } else {
                assert.strictEqual(step.op, "failed");
                assert.match(step.error!, /writing orderIdentifier failed.*400 No method match route template/s);
            }
        });

        it("replaceOnChanges re-imports: DELETE the old record first, then POST", async () => {
            let serialNumber = "8CG0000RP1";
            const hardwareIdentifier = hash();
            const engine = h.engine(() => {
                new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber, hardwareIdentifier, waitForImport: false }, { replaceOnChanges: ["serialNumber", "hardwareIdentifier"] });
            });
            await engine.up(false);
            const oldId = engine.entries()[0].id;
            serialNumber = "8CG0000RP2";
            h.emu.clearRequests();
            const step = stepOf(await engine.up(false), "imp");
            assert.strictEqual(step.op, "replace", step.error);
            assert.deepStrictEqual(requestLines(h.emu).filter((l) => !l.startsWith("GET")), [`DELETE ${IMPORTS}/${oldId}`, `POST ${IMPORTS}`]);
            assert.notStrictEqual(engine.entries()[0].id, oldId);
        });

        it("deletes the import record; a record already gone counts as deleted", async () => {
            let declared = true;
            const engine = h.engine(() => {
                if (declared) new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG0000DL1", hardwareIdentifier: hash() });
            });
            await engine.up(false);
            const id = engine.entries()[0].id;
            const deviceId = String(engine.outputsOf(TYPE, "imp")!.autopilotDeviceId);
            declared = false;
            h.emu.clearRequests();
            const steps = await engine.up(false);
            assert.strictEqual(stepOf(steps, "imp").op, "delete");
            // The DELETE, then a read until Graph no longer shows the record (issue 6).
            assert.deepStrictEqual(requestLines(h.emu), [`DELETE ${IMPORTS}/${id}`, `GET ${IMPORTS}/${id}`]);
            assert.ok(h.emu.tenant.devices.has(deviceId), "deleting the import keeps the registered device");

            declared = true;
            await engine.up(false);
            const second = engine.entries()[0].id;
            h.emu.tenant.importedIdentities.delete(second);
            declared = false;
            assert.strictEqual(stepOf(await engine.up(false), "imp").op, "delete");
        });
    });
}

describe("ImportedWindowsAutopilotDeviceIdentity inside an upload", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "live" });
    });
    after(async () => h.close());

    it("writes groupTag/importId/assignedUserPrincipalName with the beta upload route, and other fields with the upload-scoped route", async () => {
        let groupTag = "Warehouse";
        let productKey: string | undefined;
        const engine = h.engine(() => {
            new ImportedWindowsAutopilotDeviceIdentity("member", { uploadId: UPLOAD.id, importedDeviceId: UPLOAD.identity, groupTag, productKey, waitForImport: false });
        });
        const first = stepOf(await engine.up(false), "member");
        assert.strictEqual(first.op, "create", first.error);
        const beta = h.emu.requests.find((r) => r.method === "PATCH")!;
        assert.strictEqual(beta.path, "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities");
        assert.deepStrictEqual(beta.body, { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", id: UPLOAD.identity, groupTag: "Warehouse" });
        assert.strictEqual(h.emu.requests[0].path, `${UPLOADS}/${UPLOAD.id}/deviceIdentities/${UPLOAD.identity}`);

        groupTag = "Warehouse-2";
        productKey = "VK7JG-NPHTM-C97JM-9MPGT-3V66T";
        h.emu.clearRequests();
        const step = stepOf(await engine.up(false), "member");
        assert.strictEqual(step.op, "update", step.error);
        const patches = h.emu.requests
            .filter((r) => r.method === "PATCH")
            .map((r) => ({ path: r.path, body: r.body }))
            .sort((a, b) => a.path.localeCompare(b.path));
        assert.deepStrictEqual(patches, [
            { path: "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", body: { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", id: UPLOAD.identity, groupTag: "Warehouse-2" } },
            { path: `${UPLOADS}/${UPLOAD.id}/deviceIdentities/${UPLOAD.identity}`, body: { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", productKey } },
        ]);
    });
});

describe("ImportedWindowsAutopilotDeviceIdentity check", function () {
    let h: HostHarness;
    before(async () => {
        h = await startHarness({ profile: "documented" });
    });
    after(async () => h.close());

    it("rejects every bad input in check, naming the field, with no request", async () => {
        const good = hash();
        const cases: [ImportedWindowsAutopilotDeviceIdentityArgs, RegExp][] = [
            [{ hardwareIdentifier: good }, /serialNumber is required to import a device/],
            [{ serialNumber: "8CG1" }, /hardwareIdentifier \(the base64 hardware hash\) is required/],
            [{ serialNumber: "  ", hardwareIdentifier: good }, /serialNumber must not be empty/],
            [{ serialNumber: "8CG1", hardwareIdentifier: "" }, /hardwareIdentifier must not be empty/],
            [{ serialNumber: "8CG1", hardwareIdentifier: good.slice(0, -1) }, /hardwareIdentifier is not base64: its length is not a multiple of 4/],
            [{ serialNumber: "8CG1", hardwareIdentifier: "ab$d" + good.slice(4) }, /hardwareIdentifier is not base64: it holds characters outside/],
            [{ serialNumber: "8CG1", hardwareIdentifier: Buffer.alloc(40).toString("base64") }, /hardwareIdentifier decodes to 40 bytes; a hardware hash is 256 to 32768 bytes/],
            [{ serialNumber: "8CG1", hardwareIdentifier: good, assignedUserPrincipalName: "megan" }, /assignedUserPrincipalName "megan" is not a user principal name/],
            [{ serialNumber: "8CG1", hardwareIdentifier: good, state: { deviceImportStatus: "done" as "complete" } }, /state.deviceImportStatus "done" is not allowed; allowed values: unknown, pending, partial, complete, error/],
            [{ serialNumber: "8CG1", hardwareIdentifier: good, state: { status: "x" } as never }, /state.status is not a member of state; allowed: deviceImportStatus/],
            [{ serialNumber: "8CG1", hardwareIdentifier: good, importTimeoutSeconds: 0 }, /importTimeoutSeconds must be at least 1/],
            [{ importedDeviceId: "123" }, /importedDeviceId "123" is not a GUID/],
            [{ uploadId: "nope", importedDeviceId: UPLOAD.identity }, /uploadId "nope" is not a GUID/],
        ];
        for (const [args, expected] of cases) {
            const step = stepOf(await h.engine(imported(args)).up(true), "imp");
            assert.strictEqual(step.op, "failed", JSON.stringify(Object.keys(args)));
            assert.match(step.error!, expected);
            assert.ok(!step.error!.includes(good.slice(10, 40)), "no hash in the message");
        }
        assert.deepStrictEqual(h.emu.requests, []);
    });
});
