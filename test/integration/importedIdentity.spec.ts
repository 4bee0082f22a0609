import * as assert from "assert";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ImportedWindowsAutopilotDeviceIdentity, ImportedWindowsAutopilotDeviceIdentityArgs } from "../../provider";
import { autopilotResources, CliHarness, failing, outputsOf, requestLines, startCliHarness, stepOf } from "./harness";

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
    describe(`ImportedWindowsAutopilotDeviceIdentity through the real Pulumi CLI (${profile} profile)`, function () {
        this.timeout(120_000);
        let h: CliHarness;
        before(async () => {
            h = await startCliHarness({ profile, importPendingReads: 2 });
        });
        after(async () => h?.close());
        beforeEach(() => h.emu.clearRequests());

        it("POSTs the import, waits until complete, and outputs the new Autopilot device id", async () => {
            const hardwareIdentifier = hash();
            const stack = await h.stack(
                imported({ serialNumber: "8CG0000AA1", hardwareIdentifier, groupTag: "Sales", assignedUserPrincipalName: "megan.bowen@contoso.com" }),
            );
            const { steps } = await stack.up();
            assert.strictEqual(stepOf(steps, "imp").op, "create", stepOf(steps, "imp").error);
            // First a look for a record of the serial an interrupted run may have made, then the POST.
            assert.deepStrictEqual(requestLines(h.emu).slice(0, 2), [`GET ${IMPORTS}`, `POST ${IMPORTS}`]);
            const post = h.emu.requests[1];
            assert.deepStrictEqual(post.body, {
                "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                serialNumber: "8CG0000AA1",
                hardwareIdentifier,
                groupTag: "Sales",
                assignedUserPrincipalName: "megan.bowen@contoso.com",
            });
            const id = stepOf(steps, "imp").id;
            const polls = requestLines(h.emu).filter((l) => l === `GET ${IMPORTS}/${id}`).length;
            assert.strictEqual(polls, profile === "live" ? 3 : 1, "reads until the import left pending");
            const outs = await outputsOf(stack, TYPE, "imp");
            assert.strictEqual(outs.importStatus, "complete");
            const device = h.emu.tenant.devices.get(String(outs.autopilotDeviceId))!;
            assert.strictEqual(device.serialNumber, "8CG0000AA1");
            assert.strictEqual(device.groupTag, "Sales");
            // The outputs keep the hash's digest; the hash itself is in the (secret) inputs only.
            assert.strictEqual(outs.hardwareIdentifier, `sha256:${crypto.createHash("sha256").update(hardwareIdentifier).digest("base64")}`);
            h.emu.clearRequests();
            assert.strictEqual(stepOf((await stack.preview()).steps, "imp").op, "same");
            assert.deepStrictEqual(h.emu.requests, [], "a no-change preview against the digest sends nothing");
        });

        it("N imports in one program: shared listings say they have no record and then confirm them, no GET per serial or record", async () => {
            const N = 12;
            const serials = Array.from({ length: N }, (_, i) => `8CG1${profile === "live" ? "L" : "D"}00N${String(i).padStart(2, "0")}`);
            const stack = await h.stack(() => {
                serials.forEach((serialNumber, i) => new ImportedWindowsAutopilotDeviceIdentity(`imp${i}`, { serialNumber, hardwareIdentifier: hash() }));
            });
            // The engine runs at most --parallel steps at once (4 x GOMAXPROCS by default: 8 on 2 cores),
            // fewer than a shared listing of states answers (MIN_SHARED_POLLS): a fleet runs with a
            // higher --parallel, as the README says.
            const { steps } = await stack.up({ parallel: 64 });
            assert.deepStrictEqual(
                steps.filter((s) => s.op !== "create").map((s) => s.error),
                [],
            );
            // Listings of ids and serials (the look before each POST); those of states are the polls (importPoller.ts).
            const looks = h.emu.requests.filter((r) => r.method === "GET" && r.path === IMPORTS && r.query.$select !== "id,state");
            assert.deepStrictEqual(
                looks.filter((r) => r.query.$filter !== undefined),
                [],
                "no per-serial lookup",
            );
            assert.ok(looks.length >= 1 && looks.length <= 3, `${looks.length} listings for ${N} creates`);
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
            assert.deepStrictEqual(
                itemGets.map((r) => r.path),
                [],
                "no GET per record",
            );
            const stateListings = h.emu.requests.filter((r) => r.method === "GET" && r.path === IMPORTS && r.query.$select === "id,state");
            assert.ok(stateListings.length >= 1 && stateListings.length <= 2 * (profile === "live" ? 3 : 1) + 2, `${stateListings.length} listings of states`);
            const resources = await autopilotResources(stack);
            for (let i = 0; i < N; i++) {
                const outs = resources.find((r) => r.urn.endsWith(`::imp${i}`))!.outputs!;
                assert.strictEqual(outs.importStatus, "complete", `imp${i}`);
                assert.strictEqual(h.emu.tenant.devices.get(String(outs.autopilotDeviceId))?.serialNumber, serials[i]);
            }
        });

        it("an import that ends in 806 fails with the code and its meaning, keeps the record in the state, and can be refreshed and removed", async () => {
            let declared = true;
            const stack = await h.stack(() => {
                if (declared) imported({ serialNumber: "5CG1234ABC", hardwareIdentifier: hash() })();
            });
            const error = await failing(stack.up());
            assert.strictEqual(stepOf(error.result.steps, "imp").op, "failed");
            assert.match(
                error.message,
                /806 ZtdDeviceAlreadyAssigned: the device is already registered in this tenant\. Adopt it with WindowsAutopilotDeviceIdentity/,
            );
            const [entry] = await autopilotResources(stack);
            assert.ok(entry && entry.id, "the import record is in the state");
            assert.match((entry.initErrors ?? []).join("\n"), /806 ZtdDeviceAlreadyAssigned/, "recorded as failed to initialize");
            assert.ok(h.emu.tenant.importedIdentities.has(entry.id!));
            assert.strictEqual((await outputsOf(stack, TYPE, "imp")).importStatus, "error");

            // The host runs the provider the state's outputs name: the failed create's outputs name it too.
            await stack.refresh();
            declared = false;
            h.emu.clearRequests();
            assert.strictEqual(stepOf((await stack.up()).steps, "imp").op, "delete");
            assert.deepStrictEqual(requestLines(h.emu)[0], `DELETE ${IMPORTS}/${entry.id}`);
            assert.ok(!h.emu.tenant.importedIdentities.has(entry.id!));
        });

        it("an import that ends in 808 names the other tenant, and keeps the record", async () => {
            const stack = await h.stack(imported({ serialNumber: "PF9ZZZZZ", hardwareIdentifier: hash() }));
            const error = await failing(stack.up());
            assert.match(stepOf(error.result.steps, "imp").error!, /808 ZtdDeviceAssignedToOtherTenant: the device is registered to another tenant/);
            assert.strictEqual((await autopilotResources(stack)).length, 1);
        });

        // The documented profile resolves an import at its first read: only the live one can time out.
        const itLive = profile === "live" ? it : () => undefined;
        itLive("times out with how to resume, keeping the record; the next run resumes waiting", async () => {
            const before = new Set(h.emu.tenant.importedIdentities.keys());
            const stack = await h.stack(imported({ serialNumber: "8CG0000TO1", hardwareIdentifier: hash(), importTimeoutSeconds: 1 }));
            // Hold the import pending: the emulator resolves it only after this many reads.
            const stop = setInterval(() => {
                for (const id of h.emu.tenant.importedIdentities.keys()) if (!before.has(id)) h.emu.tenant.pendingImports.set(id, 0);
            }, 5);
            let error;
            try {
                error = await failing(stack.up());
            } finally {
                clearInterval(stop);
            }
            assert.strictEqual(stepOf(error.result.steps, "imp").op, "failed");
            assert.match(
                error.message,
                /still pending after importTimeoutSeconds=1\. The import record [0-9a-f-]{36} is in the state: run `pulumi up` again to resume waiting/,
            );
            const [kept] = await autopilotResources(stack);
            h.emu.clearRequests();
            // The engine updates a resource that failed to initialize, though its inputs did not change.
            const resumed = stepOf((await stack.up()).steps, "imp");
            assert.strictEqual(resumed.op, "update", resumed.error);
            assert.ok(!h.emu.requests.some((r) => r.method === "POST"), "no second import");
            assert.strictEqual((await outputsOf(stack, TYPE, "imp")).importStatus, "complete");
            const [after] = await autopilotResources(stack);
            assert.deepStrictEqual([after.id, after.initErrors ?? []], [kept.id, []]);
        });

        it("adopts an existing import record by importedDeviceId with one GET (and one of the device it registered)", async () => {
            const stack = await h.stack(imported({ importedDeviceId: SEED_COMPLETE_IMPORT.id }));
            await stack.up();
            assert.deepStrictEqual(requestLines(h.emu), [
                `GET ${IMPORTS}/${SEED_COMPLETE_IMPORT.id}`,
                `GET /beta/deviceManagement/windowsAutopilotDeviceIdentities/${SEED_COMPLETE_IMPORT.device}`,
            ]);
            assert.strictEqual((await outputsOf(stack, TYPE, "imp")).autopilotDeviceId, SEED_COMPLETE_IMPORT.device);
        });

        it("updates with one PATCH of only the changed field (documented) or fails with Graph's code (live)", async () => {
            let orderIdentifier = "ORDER-A";
            const stack = await h.stack(() => {
                new ImportedWindowsAutopilotDeviceIdentity("imp", { importedDeviceId: SEED_COMPLETE_IMPORT.id, orderIdentifier });
            });
            // Adopting writes orderIdentifier: in the live profile that PATCH fails already (the record stays in the state).
            const first = stepOf((profile === "documented" ? await stack.up() : (await failing(stack.up())).result).steps, "imp");
            orderIdentifier = "ORDER-B";
            h.emu.clearRequests();
            const second = profile === "documented" ? await stack.up() : (await failing(stack.up())).result;
            const step = stepOf(second.steps, "imp");
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
            const stack = await h.stack(() => {
                new ImportedWindowsAutopilotDeviceIdentity(
                    "imp",
                    { serialNumber, hardwareIdentifier, waitForImport: false },
                    { replaceOnChanges: ["serialNumber", "hardwareIdentifier"] },
                );
            });
            const oldId = stepOf((await stack.up()).steps, "imp").id;
            serialNumber = "8CG0000RP2";
            h.emu.clearRequests();
            const step = stepOf((await stack.up()).steps, "imp");
            assert.strictEqual(step.op, "replace", step.error);
            assert.deepStrictEqual(
                requestLines(h.emu).filter((l) => !l.startsWith("GET")),
                [`DELETE ${IMPORTS}/${oldId}`, `POST ${IMPORTS}`],
            );
            const [entry] = await autopilotResources(stack);
            assert.ok(entry.id && entry.id !== oldId);
            assert.strictEqual(h.emu.tenant.importedIdentities.get(entry.id!)?.serialNumber, "8CG0000RP2");
        });

        it("deletes the import record; a record already gone counts as deleted", async () => {
            let declared = true;
            const stack = await h.stack(() => {
                if (declared) new ImportedWindowsAutopilotDeviceIdentity("imp", { serialNumber: "8CG0000DL1", hardwareIdentifier: hash() });
            });
            const id = stepOf((await stack.up()).steps, "imp").id;
            const deviceId = String((await outputsOf(stack, TYPE, "imp")).autopilotDeviceId);
            declared = false;
            h.emu.clearRequests();
            const { steps } = await stack.up();
            assert.strictEqual(stepOf(steps, "imp").op, "delete");
            // The DELETE, then a read until Graph no longer shows the record.
            assert.deepStrictEqual(requestLines(h.emu), [`DELETE ${IMPORTS}/${id}`, `GET ${IMPORTS}/${id}`]);
            assert.ok(h.emu.tenant.devices.has(deviceId), "deleting the import keeps the registered device");

            // The device the first import registered is still there: the new import ends in 806, its record kept.
            declared = true;
            assert.match((await failing(stack.up())).message, /806 ZtdDeviceAlreadyAssigned/);
            const [second] = await autopilotResources(stack);
            h.emu.tenant.importedIdentities.delete(second.id!);
            declared = false;
            assert.strictEqual(stepOf((await stack.up()).steps, "imp").op, "delete");
            assert.deepStrictEqual(await autopilotResources(stack), []);
        });
    });
}

describe("ImportedWindowsAutopilotDeviceIdentity inside an upload, through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live" });
    });
    after(async () => h?.close());

    it("writes groupTag/importId/assignedUserPrincipalName with the beta upload route, and other fields with the upload-scoped route", async () => {
        let groupTag = "Warehouse";
        let productKey: string | undefined;
        const stack = await h.stack(() => {
            new ImportedWindowsAutopilotDeviceIdentity("member", {
                uploadId: UPLOAD.id,
                importedDeviceId: UPLOAD.identity,
                groupTag,
                productKey,
                waitForImport: false,
            });
        });
        const first = stepOf((await stack.up()).steps, "member");
        assert.strictEqual(first.op, "create", first.error);
        const beta = h.emu.requests.find((r) => r.method === "PATCH")!;
        assert.strictEqual(beta.path, "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities");
        assert.deepStrictEqual(beta.body, {
            "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            id: UPLOAD.identity,
            groupTag: "Warehouse",
        });
        assert.strictEqual(h.emu.requests[0].path, `${UPLOADS}/${UPLOAD.id}/deviceIdentities/${UPLOAD.identity}`);

        groupTag = "Warehouse-2";
        productKey = "VK7JG-NPHTM-C97JM-9MPGT-3V66T";
        h.emu.clearRequests();
        const step = stepOf((await stack.up()).steps, "member");
        assert.strictEqual(step.op, "update", step.error);
        const patches = h.emu.requests
            .filter((r) => r.method === "PATCH")
            .map((r) => ({ path: r.path, body: r.body }))
            .sort((a, b) => a.path.localeCompare(b.path));
        assert.deepStrictEqual(patches, [
            {
                path: "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities",
                body: { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", id: UPLOAD.identity, groupTag: "Warehouse-2" },
            },
            {
                path: `${UPLOADS}/${UPLOAD.id}/deviceIdentities/${UPLOAD.identity}`,
                body: { "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", productKey },
            },
        ]);
    });
});

describe("ImportedWindowsAutopilotDeviceIdentity check, through the real Pulumi CLI", function () {
    this.timeout(120_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "documented" });
    });
    after(async () => h?.close());

    it("rejects every bad input at preview, naming the field, with no request and no hash in the message", async () => {
        const good = hash();
        const cases: [ImportedWindowsAutopilotDeviceIdentityArgs, RegExp][] = [
            [{ hardwareIdentifier: good }, /serialNumber is required to import a device/],
            [{ serialNumber: "8CG1" }, /hardwareIdentifier \(the base64 hardware hash\) is required/],
            [{ serialNumber: "  ", hardwareIdentifier: good }, /serialNumber must not be empty/],
            [{ serialNumber: "8CG1", hardwareIdentifier: "" }, /hardwareIdentifier must not be empty/],
            [{ serialNumber: "8CG1", hardwareIdentifier: good.slice(0, -1) }, /hardwareIdentifier is not base64: its length is not a multiple of 4/],
            [{ serialNumber: "8CG1", hardwareIdentifier: "ab$d" + good.slice(4) }, /hardwareIdentifier is not base64: it holds characters outside/],
            [
                { serialNumber: "8CG1", hardwareIdentifier: Buffer.alloc(40).toString("base64") },
                /hardwareIdentifier decodes to 40 bytes; a hardware hash is 256 to 32768 bytes/,
            ],
            [
                { serialNumber: "8CG1", hardwareIdentifier: good, assignedUserPrincipalName: "megan" },
                /assignedUserPrincipalName "megan" is not a user principal name/,
            ],
            [
                { serialNumber: "8CG1", hardwareIdentifier: good, state: { deviceImportStatus: "done" as "complete" } },
                /state.deviceImportStatus "done" is not allowed; allowed values: unknown, pending, partial, complete, error/,
            ],
            [
                { serialNumber: "8CG1", hardwareIdentifier: good, state: { status: "x" } as never },
                /state.status is not a member of state; allowed: deviceImportStatus/,
            ],
            [{ serialNumber: "8CG1", hardwareIdentifier: good, importTimeoutSeconds: 0 }, /importTimeoutSeconds must be at least 1/],
            [{ importedDeviceId: "123" }, /importedDeviceId "123" is not a GUID/],
            [{ uploadId: "nope", importedDeviceId: UPLOAD.identity }, /uploadId "nope" is not a GUID/],
        ];
        let args: ImportedWindowsAutopilotDeviceIdentityArgs = {};
        const stack = await h.stack(() => imported(args)());
        for (const [bad, expected] of cases) {
            args = bad;
            const error = await failing(stack.preview());
            assert.strictEqual(stepOf(error.result.steps, "imp").op, "failed", JSON.stringify(Object.keys(bad)));
            assert.match(error.message, expected);
            const shown = `${error.message}\n${error.result.stdout}\n${error.result.stderr}`;
            // The engine prints the value of a property a CheckFailure names: a hash's failure names none.
            assert.ok(!shown.includes(good.slice(10, 40)) && !shown.includes(good.slice(1000, 1030)), "no hash in the message or the CLI's output");
        }
        assert.deepStrictEqual(h.emu.requests, []);
    });
});
