// Tests of the Graph emulator over real HTTP (Node's fetch against an ephemeral port).
import * as assert from "assert";
import { Emulator, EmulatorOptions, startEmulator } from "./index";

const TOKEN = "emulator-token";
const BETA = "/beta/deviceManagement";
const V1 = "/v1.0/deviceManagement";

// Seed ids and serials (seed/tenant.json).
const HP_1 = "4b77edd2-0549-4e37-960f-5dcd781c6560"; // 5CG1234ABC, groupTag Sales, has an assignment
const HP_2 = "9abeb69b-dda7-44b2-83c6-f5c6c09f36ff"; // 5CG2345BCD
const DELL_OPTIPLEX = "ff02d305-3123-45cc-86ed-6ceb6a464ceb"; // 7HQ2BN3, nothing optional set
const ASSIGNMENT = "a979a3cd-8d8c-4be2-8cca-9193cb7ba682"; // on SALES_PROFILE, to the Sales group
const SALES_PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"; // reaches HP_1 and HP_2 (group tag Sales)
const LEGACY_PROFILE = "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c"; // holds only the deprecated twins
const PILOT_GROUP = "6b0f7c2e-1d3a-4e5f-8a9b-7c6d5e4f3a21"; // no members
const IMPORT_COMPLETE = "2c0f7647-8d4b-41e0-8b25-bae2fc2d293c";
const UPLOAD = "ed4a63b2-b47c-45a7-88d2-241adc7a4dfe";
const UPLOAD_IDENTITY = "5c092ae9-0a43-47c0-b864-431d1af4200b";
const UNKNOWN_ID = "00000000-0000-0000-0000-000000000000";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// 64 bytes: a hash long enough for the emulator's check.
const HASH = Buffer.alloc(64, 7).toString("base64");

interface Answer {
    status: number;
    headers: Headers;

    body: any;
}

let em: Emulator;

async function start(opts: EmulatorOptions = {}): Promise<Emulator> {
    em = await startEmulator(opts);
    return em;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Promise<Answer> {
    const url = path.startsWith("http") ? path : em.url + path;
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    }
    const res = await fetch(url, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

function assertGraphError(a: Answer, status: number, code: string, messageIncludes: string[] = []): void {
    assert.strictEqual(a.status, status, JSON.stringify(a.body));
    assert.strictEqual(a.body.error.code, code);
    for (const m of messageIncludes) assert.ok(a.body.error.message.includes(m), `'${a.body.error.message}' lacks '${m}'`);
    assert.match(a.body.error.innerError["request-id"], GUID);
    assert.match(a.body.error.innerError.date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
}

async function listAll(path: string): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let next: string | undefined = path;
    let pages = 0;
    while (next) {
        const a = await call("GET", next);
        assert.strictEqual(a.status, 200, JSON.stringify(a.body));
        ids.push(...a.body.value.map((v: { id: string }) => v.id));
        next = a.body["@odata.nextLink"];
        pages++;
        assert.ok(pages < 20, "paging does not end");
    }
    return { ids, pages };
}

afterEach(async () => {
    await em?.close();
});

describe("emulator: authentication and headers", () => {
    beforeEach(() => start());

    it("answers 401 InvalidAuthenticationToken without or with a wrong token", async () => {
        const missing = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, undefined, {});
        assertGraphError(missing, 401, "InvalidAuthenticationToken", ["Access token is empty."]);
        const wrong = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, undefined, { Authorization: "Bearer nope" });
        assertGraphError(wrong, 401, "InvalidAuthenticationToken", ["Access token validation failure."]);
        assert.deepStrictEqual(
            em.requests.map((r) => r.status),
            [401, 401],
        );
    });

    it("sends request-id, echoes client-request-id, and Date", async () => {
        const a = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`, undefined, {
            Authorization: `Bearer ${TOKEN}`,
            "client-request-id": "c0ffee00-0000-4000-8000-000000000001",
        });
        assert.strictEqual(a.status, 200);
        assert.match(a.headers.get("request-id") ?? "", GUID);
        assert.strictEqual(a.headers.get("client-request-id"), "c0ffee00-0000-4000-8000-000000000001");
        assert.ok(a.headers.get("date"));
        assert.strictEqual(a.headers.get("content-type"), "application/json");
        const b = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${UNKNOWN_ID}`);
        assert.strictEqual(b.headers.get("client-request-id"), b.headers.get("request-id"));
        assert.strictEqual(b.body.error.innerError["client-request-id"], b.headers.get("request-id"));
    });

    it("answers an unknown segment with 400 'Resource not found for the segment'", async () => {
        assertGraphError(await call("GET", `${BETA}/windowsAutopilotDevices`), 400, "BadRequest", [
            "Resource not found for the segment 'windowsAutopilotDevices'",
        ]);
    });
});

describe("emulator: device identities", () => {
    beforeEach(() => start());

    it("lists with each $filter form, case-insensitively", async () => {
        const serials = async (filter: string): Promise<string[]> => {
            const a = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities?$filter=${encodeURIComponent(filter)}`);
            assert.strictEqual(a.status, 200, JSON.stringify(a.body));
            return a.body.value.map((d: { serialNumber: string }) => d.serialNumber).sort();
        };
        assert.deepStrictEqual(await serials("serialNumber eq '5cg1234abc'"), ["5CG1234ABC"]);
        assert.deepStrictEqual(await serials("contains(serialNumber,'BCD')"), ["5CG2345BCD", "PF3ABCDE", "PF4BCDEF"]);
        assert.deepStrictEqual(await serials("startswith(serialNumber, '5CG')"), ["5CG1234ABC", "5CG2345BCD"]);
        assert.deepStrictEqual(await serials("startswith(serialNumber,'CG')"), []);
        assert.deepStrictEqual(await serials("groupTag eq 'Engineering'"), ["PF3ABCDE", "PF4BCDEF"]);
        assert.deepStrictEqual(await serials("groupTag eq 'Sales' and startswith(serialNumber,'5CG2')"), ["5CG2345BCD"]);
        const bad = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities?$filter=${encodeURIComponent("model eq 'x'")}`);
        assertGraphError(bad, 400, "BadRequest", ["model"]);
    });

    it("pages with $top and an absolute @odata.nextLink", async () => {
        const first = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities?$top=3`);
        assert.strictEqual(first.body.value.length, 3);
        assert.ok(first.body["@odata.nextLink"].startsWith(`${em.url}/beta/deviceManagement/windowsAutopilotDeviceIdentities?`));
        assert.ok(first.body["@odata.nextLink"].includes("skiptoken"));
        const { ids, pages } = await listAll(`${BETA}/windowsAutopilotDeviceIdentities?$top=3`);
        assert.strictEqual(pages, 3);
        assert.strictEqual(new Set(ids).size, 8);
        const all = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`);
        assert.strictEqual(all.body.value.length, 8);
        assert.strictEqual(all.body["@odata.nextLink"], undefined);
    });

    it("answers GET with every property of the version's table and Graph's defaults", async () => {
        const a = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${DELL_OPTIPLEX}`);
        assert.strictEqual(a.status, 200);
        const d = a.body;
        assert.strictEqual(d["@odata.type"], "#microsoft.graph.windowsAutopilotDeviceIdentity");
        assert.strictEqual(d.id, DELL_OPTIPLEX);
        assert.strictEqual(d.serialNumber, "7HQ2BN3");
        assert.strictEqual(d.enrollmentState, "notContacted");
        assert.strictEqual(d.deploymentProfileAssignmentStatus, "notAssigned");
        assert.strictEqual(d.deploymentProfileAssignedDateTime, "0001-01-01T00:00:00Z");
        assert.strictEqual(d.lastContactedDateTime, "0001-01-01T00:00:00Z");
        assert.strictEqual(d.groupTag, null);
        assert.strictEqual(d.userlessEnrollmentStatus, "unknown");
        assert.ok(!("deploymentProfile" in d), "navigation properties are not inlined");
        assert.ok(!("orderIdentifier" in d), "orderIdentifier appears only once stored");
        const v1 = await call("GET", `${V1}/windowsAutopilotDeviceIdentities/${DELL_OPTIPLEX}`);
        assert.ok(!("deploymentProfileAssignmentStatus" in v1.body), "v1.0 has no deploymentProfile* fields");
        assert.strictEqual(v1.body.addressableUserName, null);
        assertGraphError(await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${UNKNOWN_ID}`), 404, "ResourceNotFound", ["not found"]);
    });

    it("documented PATCH answers 200 with the object and stores orderIdentifier", async () => {
        const a = await call("PATCH", `${BETA}/windowsAutopilotDeviceIdentities/${HP_2}`, {
            "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity",
            orderIdentifier: "ORD-42",
            enrollmentState: "blocked",
            deploymentProfileAssignedDateTime: "2024-07-01T10:00:00Z",
        });
        assert.strictEqual(a.status, 200, JSON.stringify(a.body));
        assert.strictEqual(a.body.orderIdentifier, "ORD-42");
        assert.strictEqual(a.body.enrollmentState, "blocked");
        assert.strictEqual(a.body.groupTag, "Sales", "untouched fields stay");
        const g = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_2}`);
        assert.strictEqual(g.body.orderIdentifier, "ORD-42");
        assert.strictEqual(g.body.deploymentProfileAssignedDateTime, "2024-07-01T10:00:00Z");
    });

    it("documented PATCH through deploymentProfile/assignedDevices updates the second key's device", async () => {
        const a = await call("PATCH", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/deploymentProfile/assignedDevices/${HP_2}`, {
            model: "HP ProBook 450 G10",
        });
        assert.strictEqual(a.status, 200, JSON.stringify(a.body));
        assert.strictEqual(em.tenant.devices.get(HP_2)?.model, "HP ProBook 450 G10");
        assert.strictEqual(em.tenant.devices.get(HP_1)?.model, "HP EliteBook 840 G8 Notebook PC");
    });

    it("live PATCH answers 400 'No method match route template' and changes nothing", async () => {
        em.setProfile("live");
        const a = await call("PATCH", `${BETA}/windowsAutopilotDeviceIdentities/${HP_2}`, { model: "X" });
        assertGraphError(a, 400, "No method match route template");
        assert.strictEqual(
            a.body.error.message,
            "No OData route exists that match template ~/singleton/navigation/key with http verb PATCH for request " +
                `/DeviceEnrollmentFE_2011/StatelessDeviceEnrollmentFEService/deviceManagement/windowsAutopilotDeviceIdentities(${HP_2}).`,
        );
        const nested = await call("PATCH", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/deploymentProfile/assignedDevices/${HP_2}`, {
            model: "X",
        });
        assertGraphError(nested, 400, "No method match route template");
        assert.strictEqual(em.tenant.devices.get(HP_2)?.model, "HP ProBook 450 G9 Notebook PC");
    });

    it("rejects unknown properties, read-only properties, bad enums and bad values, naming them", async () => {
        const path = `${BETA}/windowsAutopilotDeviceIdentities/${HP_2}`;
        assertGraphError(await call("PATCH", path, { foo: 1 }), 400, "BadRequest", ["'foo'", "microsoft.graph.windowsAutopilotDeviceIdentity"]);
        assertGraphError(await call("PATCH", path, { groupTag: "X" }), 400, "BadRequest", ["'groupTag'", "updateDeviceProperties"]);
        assertGraphError(await call("PATCH", path, { id: HP_2 }), 400, "BadRequest", ["'id'"]);
        assertGraphError(await call("PATCH", path, { enrollmentState: "sleeping" }), 400, "BadRequest", ["'sleeping'", "microsoft.graph.enrollmentState"]);
        assertGraphError(await call("PATCH", path, { lastContactedDateTime: "yesterday" }), 400, "BadRequest", ["lastContactedDateTime"]);
        assertGraphError(await call("PATCH", path, { enrollmentState: null }), 400, "BadRequest", ["enrollmentState"]);
        assertGraphError(await call("PATCH", path, "{not json"), 400, "BadRequest", ["JSON"]);
        // v1.0 has no deploymentProfileAssignmentStatus at all.
        assertGraphError(
            await call("PATCH", `${V1}/windowsAutopilotDeviceIdentities/${HP_2}`, { deploymentProfileAssignmentStatus: "pending" }),
            400,
            "BadRequest",
            ["'deploymentProfileAssignmentStatus' does not exist"],
        );
        assert.strictEqual(em.tenant.devices.get(HP_2)?.groupTag, "Sales");
    });

    it("updateDeviceProperties sets only the given parameters (null clears), per version's parameter list", async () => {
        const path = `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`;
        const a = await call("POST", path, { groupTag: "Finance", displayName: null, deviceAccountUpn: "room1@contoso.com" });
        assert.strictEqual(a.status, 204);
        assert.strictEqual(a.body, undefined);
        const d = (await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`)).body;
        assert.strictEqual(d.groupTag, "Finance");
        assert.strictEqual(d.displayName, null);
        assert.strictEqual(d.deviceAccountUpn, "room1@contoso.com");
        assert.strictEqual(d.userPrincipalName, "adele.vance@contoso.com");
        assert.strictEqual(d.addressableUserName, "Adele Vance");
        // deviceAccountUpn is a beta-only parameter.
        assertGraphError(
            await call("POST", `${V1}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, { deviceAccountUpn: "x" }),
            400,
            "BadRequest",
            ["'deviceAccountUpn'"],
        );
        assertGraphError(await call("POST", path, { model: "x" }), 400, "BadRequest", ["'model'"]);
        em.setProfile("live");
        assert.strictEqual((await call("POST", path, { groupTag: "Live" })).status, 204);
        assert.strictEqual(em.tenant.devices.get(HP_1)?.groupTag, "Live");
    });

    it("assignUserToDevice and unassignUserFromDevice answer 204 and set/clear the user", async () => {
        const base = `${V1}/windowsAutopilotDeviceIdentities/${HP_2}`;
        const a = await call("POST", `${base}/assignUserToDevice`, {
            userPrincipalName: "diego@contoso.com",
            addressableUserName: "Diego",
        });
        assert.strictEqual(a.status, 204);
        assert.strictEqual(em.tenant.devices.get(HP_2)?.userPrincipalName, "diego@contoso.com");
        assertGraphError(await call("POST", `${base}/assignUserToDevice`, { addressableUserName: "x" }), 400, "BadRequest", ["userPrincipalName"]);
        assert.strictEqual((await call("POST", `${base}/unassignUserFromDevice`)).status, 204);
        assert.strictEqual(em.tenant.devices.get(HP_2)?.userPrincipalName, null);
        assert.strictEqual(em.tenant.devices.get(HP_2)?.addressableUserName, null);
    });

    it("DELETE removes at once (documented) or after importPendingReads reads (live)", async () => {
        const path = `${BETA}/windowsAutopilotDeviceIdentities/${HP_2}`;
        assert.strictEqual((await call("DELETE", path)).status, 200);
        assert.strictEqual((await call("GET", path)).status, 404);
        assert.ok(em.tenant.deletedIds.has(HP_2));

        em.setProfile("live");
        const live = `${BETA}/windowsAutopilotDeviceIdentities/${DELL_OPTIPLEX}`;
        assert.strictEqual((await call("DELETE", live)).status, 200);
        assert.strictEqual((await call("GET", live)).status, 200);
        assert.strictEqual((await call("GET", live)).status, 200);
        assert.strictEqual((await call("GET", live)).status, 404);
        assert.ok(!em.tenant.devices.has(DELL_OPTIPLEX));
    });
});

describe("emulator: imported identities and the import state machine", () => {
    const IMPORTS = `${V1}/importedWindowsAutopilotDeviceIdentities`;

    it("live: pending for importPendingReads reads, then complete with a new device", async () => {
        await start({ profile: "live", importPendingReads: 2 });
        const created = await call("POST", IMPORTS, {
            "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            serialNumber: "NEW-SERIAL-1",
            hardwareIdentifier: HASH,
            groupTag: "Lab",
            assignedUserPrincipalName: "alex@contoso.com",
            orderIdentifier: "ORD-7",
        });
        assert.strictEqual(created.status, 201, JSON.stringify(created.body));
        assert.match(created.body.id, GUID);
        assert.deepStrictEqual(created.body.state, {
            deviceImportStatus: "pending",
            deviceRegistrationId: "",
            deviceErrorCode: 0,
            deviceErrorName: "",
        });
        assert.strictEqual(created.body.hardwareIdentifier, HASH);
        const path = `${IMPORTS}/${created.body.id}`;
        assert.strictEqual((await call("GET", path)).body.state.deviceImportStatus, "pending");
        assert.strictEqual((await call("GET", path)).body.state.deviceImportStatus, "pending");
        const done = (await call("GET", path)).body.state;
        assert.strictEqual(done.deviceImportStatus, "complete");
        assert.match(done.deviceRegistrationId, GUID);
        const device = (await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${done.deviceRegistrationId}`)).body;
        assert.strictEqual(device.serialNumber, "NEW-SERIAL-1");
        assert.strictEqual(device.groupTag, "Lab");
        assert.strictEqual(device.userPrincipalName, "alex@contoso.com");
        assert.strictEqual(device.enrollmentState, "notContacted");
        assert.strictEqual(device.manufacturer, null);
    });

    it("documented: resolves at the first read; errors 806, 808 and InvalidZtdHardwareHash", async () => {
        await start();
        const outcome = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
            const c = await call("POST", IMPORTS, body);
            assert.strictEqual(c.status, 201, JSON.stringify(c.body));
            return (await call("GET", `${IMPORTS}/${c.body.id}`)).body.state;
        };
        assert.strictEqual((await outcome({ serialNumber: "FRESH-1", hardwareIdentifier: HASH })).deviceImportStatus, "complete");
        assert.deepStrictEqual(await outcome({ serialNumber: "5cg1234abc", hardwareIdentifier: HASH }), {
            deviceImportStatus: "error",
            deviceRegistrationId: "",
            deviceErrorCode: 806,
            deviceErrorName: "ZtdDeviceAlreadyAssigned",
        });
        const other = await outcome({ serialNumber: "PF9ZZZZZ", hardwareIdentifier: HASH });
        assert.strictEqual(other.deviceErrorCode, 808);
        assert.strictEqual(other.deviceErrorName, "ZtdDeviceAssignedToOtherTenant");
        const short = await outcome({ serialNumber: "FRESH-2", hardwareIdentifier: Buffer.alloc(8).toString("base64") });
        assert.strictEqual(short.deviceImportStatus, "error");
        assert.strictEqual(short.deviceErrorName, "InvalidZtdHardwareHash");
        assert.strictEqual((await outcome({ serialNumber: "FRESH-3" })).deviceErrorName, "InvalidZtdHardwareHash");
        assert.strictEqual([...em.tenant.devices.values()].filter((d) => d.serialNumber === "FRESH-2" || d.serialNumber === "FRESH-3").length, 0);
    });

    it("validates bodies: base64 hardwareIdentifier, unknown property, state enum", async () => {
        await start();
        assertGraphError(await call("POST", IMPORTS, { hardwareIdentifier: "not base64!" }), 400, "BadRequest", ["hardwareIdentifier"]);
        assertGraphError(await call("POST", IMPORTS, { manufacturer: "HP" }), 400, "BadRequest", [
            "'manufacturer'",
            "microsoft.graph.importedWindowsAutopilotDeviceIdentity",
        ]);
        assertGraphError(await call("POST", IMPORTS, { state: { deviceImportStatus: "done" } }), 400, "BadRequest", [
            "'done'",
            "microsoft.graph.importedWindowsAutopilotDeviceIdentityImportStatus",
        ]);
        assert.strictEqual(em.tenant.importedIdentities.size, 2);
    });

    it("bulk import answers 200 with every record; list filters by serialNumber", async () => {
        await start();
        const a = await call("POST", `${IMPORTS}/import`, {
            importedWindowsAutopilotDeviceIdentities: [
                { serialNumber: "BULK-1", hardwareIdentifier: HASH },
                { serialNumber: "BULK-2", hardwareIdentifier: HASH, groupTag: "G" },
            ],
        });
        assert.strictEqual(a.status, 200, JSON.stringify(a.body));
        assert.deepStrictEqual(
            a.body.value.map((r: { serialNumber: string; state: { deviceImportStatus: string } }) => [r.serialNumber, r.state.deviceImportStatus]),
            [
                ["BULK-1", "pending"],
                ["BULK-2", "pending"],
            ],
        );
        const l = await call("GET", `${IMPORTS}?$filter=${encodeURIComponent("startswith(serialNumber,'bulk-')")}`);
        assert.strictEqual(l.body.value.length, 2);
        assertGraphError(await call("POST", `${IMPORTS}/import`, { devices: [] }), 400, "BadRequest", ["'devices'"]);
    });

    it("PATCH: documented 200 with the record, live 400; DELETE removes only the record", async () => {
        await start();
        const path = `${IMPORTS}/${IMPORT_COMPLETE}`;
        const p = await call("PATCH", path, { groupTag: "Marketing", orderIdentifier: "ORD-1" });
        assert.strictEqual(p.status, 200, JSON.stringify(p.body));
        assert.strictEqual(p.body.groupTag, "Marketing");
        assert.strictEqual(p.body.orderIdentifier, "ORD-1");
        em.setProfile("live");
        assertGraphError(await call("PATCH", path, { groupTag: "X" }), 400, "No method match route template", [
            `importedWindowsAutopilotDeviceIdentities(${IMPORT_COMPLETE})`,
        ]);
        assert.strictEqual((await call("DELETE", path)).status, 200);
        assert.strictEqual((await call("GET", path)).status, 404);
        assert.strictEqual((await call("DELETE", path)).status, 404);
        assert.ok(em.tenant.devices.has(HP_2), "the registered device stays");
    });
});

describe("emulator: uploads", () => {
    beforeEach(() => start());
    const UPLOADS = `${V1}/importedWindowsAutopilotDeviceIdentityUploads`;

    it("with uploadsRemoved answers every upload path as Graph's current metadata does: the segment does not exist", async () => {
        em.setUploadsRemoved(true);
        for (const [method, path] of [
            ["GET", `${UPLOADS}/${UPLOAD}`],
            ["GET", `/beta/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads`],
            ["PATCH", `${UPLOADS}/${UPLOAD}/deviceIdentities/${UPLOAD_IDENTITY}`],
        ]) {
            assertGraphError(await call(method, path, method === "PATCH" ? { groupTag: "x" } : undefined), 400, "BadRequest", [
                "Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'.",
            ]);
        }
        assertGraphError(
            await call("PATCH", "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", { id: UPLOAD_IDENTITY }),
            400,
            "BadRequest",
            ["Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUpload'."],
        );
        em.setUploadsRemoved(false);
        assert.strictEqual((await call("GET", `${UPLOADS}/${UPLOAD}`)).status, 200);
    });

    it("lists, reads and PATCHes an upload", async () => {
        const l = await call("GET", UPLOADS);
        assert.deepStrictEqual(
            l.body.value.map((u: { id: string }) => u.id),
            [UPLOAD],
        );
        const g = await call("GET", `${UPLOADS}/${UPLOAD}`);
        assert.strictEqual(g.body.status, "complete");
        assert.ok(!("deviceIdentities" in g.body));
        const p = await call("PATCH", `${UPLOADS}/${UPLOAD}`, { status: "pending" });
        assert.strictEqual(p.status, 200);
        assert.strictEqual(p.body.status, "pending");
        assertGraphError(await call("PATCH", `${UPLOADS}/${UPLOAD}`, { status: "done" }), 400, "BadRequest", ["'done'"]);
    });

    it("serves upload-scoped deviceIdentities: list, PATCH, POST, DELETE", async () => {
        const base = `${UPLOADS}/${UPLOAD}/deviceIdentities`;
        assert.strictEqual((await call("GET", base)).body.value.length, 2);
        const p = await call("PATCH", `${base}/${UPLOAD_IDENTITY}`, { groupTag: "Front desk", importId: "imp-2", assignedUserPrincipalName: "a@contoso.com" });
        assert.strictEqual(p.status, 200, JSON.stringify(p.body));
        assert.strictEqual(p.body.groupTag, "Front desk");
        assert.strictEqual(p.body.assignedUserPrincipalName, "a@contoso.com");
        const c = await call("POST", base, { serialNumber: "UP-3", hardwareIdentifier: HASH });
        assert.strictEqual(c.status, 201);
        assert.strictEqual((await call("GET", base)).body.value.length, 3);
        assert.strictEqual((await call("DELETE", `${base}/${c.body.id}`)).status, 200);
        assert.strictEqual((await call("GET", `${base}/${c.body.id}`)).status, 404);
        assert.strictEqual((await call("GET", `${UPLOADS}/${UNKNOWN_ID}/deviceIdentities`)).status, 404);
    });

    it("serves the beta page's odd route PATCH /importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", async () => {
        const a = await call("PATCH", "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", {
            id: UPLOAD_IDENTITY,
            groupTag: "Odd",
            state: { deviceImportStatus: "error", deviceErrorCode: 806, deviceErrorName: "ZtdDeviceAlreadyAssigned" },
        });
        assert.strictEqual(a.status, 200, JSON.stringify(a.body));
        assert.strictEqual(a.body.id, UPLOAD_IDENTITY);
        assert.strictEqual(a.body.groupTag, "Odd");
        assert.strictEqual(a.body.state.deviceErrorCode, 806);
        assert.strictEqual(a.body.state.deviceRegistrationId, null, "an unset nullable field in a replaced complex value is null");
        assert.strictEqual(em.tenant.uploads.get(UPLOAD)?.deviceIdentities.get(UPLOAD_IDENTITY)?.groupTag, "Odd");
        assertGraphError(
            await call("PATCH", "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", { id: UNKNOWN_ID, groupTag: "x" }),
            404,
            "ResourceNotFound",
        );
        assertGraphError(await call("PATCH", "/beta/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", { groupTag: "x" }), 400, "BadRequest", [
            "'id'",
        ]);
        assertGraphError(
            await call("PATCH", "/v1.0/importedWindowsAutopilotDeviceIdentityUpload/deviceIdentities", { id: UPLOAD_IDENTITY }),
            400,
            "BadRequest",
            ["segment"],
        );
    });
});

describe("emulator: deployment profile assignments (beta)", () => {
    beforeEach(() => start());
    const base = `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/deploymentProfile/assignments`;

    it("creates, reads, patches and deletes an assignment", async () => {
        const c = await call("POST", base, {
            target: { "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", groupId: "g-1" },
            source: "direct",
        });
        assert.strictEqual(c.status, 201, JSON.stringify(c.body));
        assert.match(c.body.id, GUID);
        assert.deepStrictEqual(c.body.target, {
            "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
            deviceAndAppManagementAssignmentFilterId: null,
            deviceAndAppManagementAssignmentFilterType: "none",
            groupId: "g-1",
        });
        const p = await call("PATCH", `${base}/${c.body.id}`, {
            target: {
                "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                deviceAndAppManagementAssignmentFilterId: "f-1",
                deviceAndAppManagementAssignmentFilterType: "include",
            },
        });
        assert.strictEqual(p.status, 200, JSON.stringify(p.body));
        assert.strictEqual(p.body.target["@odata.type"], "#microsoft.graph.allDevicesAssignmentTarget");
        assert.strictEqual((await call("GET", base)).body.value.length, 2);
        assert.strictEqual((await call("DELETE", `${base}/${c.body.id}`)).status, 204);
        assert.strictEqual((await call("GET", `${base}/${c.body.id}`)).status, 404);
        assert.strictEqual((await call("GET", `${base}/${ASSIGNMENT}`)).body.target.groupId, "4feb833d-fd1e-48eb-ad7e-9e4843bc2207");
    });

    it("rejects a target without or with an unknown @odata.type, bad properties and enums", async () => {
        assertGraphError(await call("POST", base, { target: { groupId: "g" } }), 400, "BadRequest", ["@odata.type"]);
        assertGraphError(await call("POST", base, { target: { "@odata.type": "#microsoft.graph.userTarget" } }), 400, "BadRequest", [
            "microsoft.graph.userTarget",
        ]);
        // A subtype the schema knows but the assignment page does not list.
        assertGraphError(
            await call("POST", base, { target: { "@odata.type": "#microsoft.graph.androidFotaDeploymentAssignmentTarget", groupId: "g" } }),
            400,
            "BadRequest",
            ["androidFotaDeploymentAssignmentTarget"],
        );
        assertGraphError(
            await call("POST", base, { target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", groupId: "g" } }),
            400,
            "BadRequest",
            ["'groupId'", "microsoft.graph.allDevicesAssignmentTarget"],
        );
        assertGraphError(
            await call("POST", base, {
                target: { "@odata.type": "#microsoft.graph.groupAssignmentTarget", deviceAndAppManagementAssignmentFilterType: "only" },
            }),
            400,
            "BadRequest",
            ["'only'", "deviceAndAppManagementAssignmentFilterType"],
        );
        assertGraphError(
            await call("POST", base, { target: { "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget" }, source: "inherited" }),
            400,
            "BadRequest",
            ["'inherited'"],
        );
        assertGraphError(
            await call("POST", `${BETA}/windowsAutopilotDeviceIdentities/${UNKNOWN_ID}/deploymentProfile/assignments`, {
                target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" },
            }),
            404,
            "ResourceNotFound",
        );
        assertGraphError(await call("GET", `${V1}/windowsAutopilotDeviceIdentities/${HP_1}/deploymentProfile/assignments`), 400, "BadRequest", [
            "'deploymentProfile'",
        ]);
        assert.strictEqual(em.tenant.assignments.get(SALES_PROFILE)?.size, 1);
    });

    it("keeps assignments on the profile: two devices with one profile reach one collection", async () => {
        const viaHp2 = `${BETA}/windowsAutopilotDeviceIdentities/${HP_2}/deploymentProfile/assignments`;
        const made = await call("POST", viaHp2, { target: { "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: PILOT_GROUP } });
        assert.strictEqual(made.status, 201);
        const ids = async (path: string) => ((await call("GET", path)).body.value as Array<{ id: string }>).map((a) => a.id).sort();
        assert.deepStrictEqual(await ids(base), await ids(viaHp2));
        assert.deepStrictEqual(await ids(`${BETA}/windowsAutopilotDeploymentProfiles/${SALES_PROFILE}/assignments`), [ASSIGNMENT, made.body.id].sort());
        // Deleting it through one device removes it for the other: it is one object.
        assert.strictEqual((await call("DELETE", `${base}/${made.body.id}`)).status, 204);
        assert.deepStrictEqual(await ids(viaHp2), [ASSIGNMENT]);
    });

    it("a device no profile reaches has no deploymentProfile to go through (404)", async () => {
        assertGraphError(await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${DELL_OPTIPLEX}/deploymentProfile/assignments`), 404, "ResourceNotFound");
        assertGraphError(await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${DELL_OPTIPLEX}/deploymentProfile`), 404, "ResourceNotFound");
        assert.strictEqual((await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/deploymentProfile`)).body.id, SALES_PROFILE);
    });

    it("one profile per all-devices target in the tenant", async () => {
        const all = { target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" } };
        assert.strictEqual((await call("POST", `${BETA}/windowsAutopilotDeploymentProfiles/${SALES_PROFILE}/assignments`, all)).status, 201);
        assertGraphError(await call("POST", `${BETA}/windowsAutopilotDeploymentProfiles/${LEGACY_PROFILE}/assignments`, all), 400, "BadRequest", [
            `Another Profile ${SALES_PROFILE} is already assigned to All Devices.`,
        ]);
    });
});

describe("emulator: deployment profiles (beta)", () => {
    beforeEach(() => start());
    const profiles = `${BETA}/windowsAutopilotDeploymentProfiles`;
    const entra = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";

    it("creates a concrete profile (201), patches it (200) and deletes it (204); lists and reads both concrete types", async () => {
        const c = await call("POST", profiles, { "@odata.type": entra, displayName: "Pilot", locale: "fr-FR", preprovisioningAllowed: true });
        assert.strictEqual(c.status, 201);
        assert.strictEqual(c.body["@odata.type"], entra);
        assert.ok(GUID.test(c.body.id));
        assert.strictEqual(c.body.language, "fr-FR", "the deprecated twin echoes the current one");
        assert.strictEqual(c.body.enableWhiteGlove, true);
        const p = await call("PATCH", `${profiles}/${c.body.id}`, { "@odata.type": entra, description: "pilot ring" });
        assert.strictEqual(p.status, 200);
        assert.strictEqual(p.body.description, "pilot ring");
        assert.strictEqual(p.body.locale, "fr-FR");
        const types = ((await call("GET", profiles)).body.value as Array<Record<string, unknown>>).map((v) => v["@odata.type"]);
        assert.ok(types.includes("#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile") && types.includes(entra), types.join());
        assert.strictEqual((await call("DELETE", `${profiles}/${c.body.id}`)).status, 204);
        assertGraphError(await call("GET", `${profiles}/${c.body.id}`), 404, "ResourceNotFound");
    });

    it("rejects the abstract type, unknown, read-only and deprecated properties, bad enums and $filter", async () => {
        assertGraphError(await call("POST", profiles, { displayName: "x" }), 400, "BadRequest", ["abstract"]);
        assertGraphError(await call("POST", profiles, { "@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfile" }), 400, "BadRequest");
        assertGraphError(await call("POST", profiles, { "@odata.type": entra, colour: "red" }), 400, "BadRequest", ["'colour' does not exist"]);
        assertGraphError(await call("POST", profiles, { "@odata.type": entra, createdDateTime: "2024-01-01T00:00:00Z" }), 400, "BadRequest", ["read-only"]);
        assertGraphError(await call("POST", profiles, { "@odata.type": entra, enableWhiteGlove: true }), 400, "BadRequest", ["preprovisioningAllowed"]);
        assertGraphError(await call("POST", profiles, { "@odata.type": entra, outOfBoxExperienceSetting: { userType: "guest" } }), 400, "BadRequest", [
            "'guest'",
        ]);
        assertGraphError(await call("POST", profiles, { "@odata.type": entra, hybridAzureADJoinSkipConnectivityCheck: true }), 400, "BadRequest", [
            "hybridAzureADJoinSkipConnectivityCheck",
        ]);
        assertGraphError(
            await call("PATCH", `${profiles}/${SALES_PROFILE}`, { "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile" }),
            400,
            "BadRequest",
        );
        assertGraphError(await call("GET", `${profiles}?$filter=displayName eq 'x'`), 400, "BadRequest");
    });

    it("a profile made before the twins were deprecated reads with both; its assigned devices follow its groups", async () => {
        const legacy = (await call("GET", `${profiles}/${LEGACY_PROFILE}`)).body;
        assert.strictEqual(legacy.locale, "de-DE");
        assert.strictEqual(legacy.hardwareHashExtractionEnabled, true);
        assert.strictEqual(legacy.outOfBoxExperienceSetting.deviceUsageType, "shared");
        assert.strictEqual(legacy.outOfBoxExperienceSettings.hideEscapeLink, false);
        const devices = (await call("GET", `${profiles}/${SALES_PROFILE}/assignedDevices`)).body.value.map((d: { id: string }) => d.id).sort();
        assert.deepStrictEqual(devices, [HP_1, HP_2].sort());
    });

    it("refuses to delete a profile that has assignments or assigned devices (Intune's generic 400)", async () => {
        assertGraphError(await call("DELETE", `${profiles}/${SALES_PROFILE}`), 400, "BadRequest", ["An error has occurred"]);
        assert.ok(em.tenant.profiles.has(SALES_PROFILE));
    });
});

describe("emulator: faults, $batch, request log", () => {
    it("injects 429 with Retry-After for `times` matching requests, then answers normally", async () => {
        await start();
        em.injectFault({ method: "GET", path: "/windowsAutopilotDeviceIdentities", status: 429, retryAfter: "0.5", times: 2 });
        const path = `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`;
        assert.strictEqual((await call("PATCH", path, {})).status, 200, "other methods are not matched");
        for (let i = 0; i < 2; i++) {
            const a = await call("GET", path);
            assertGraphError(a, 429, "TooManyRequests", ["Please retry again later."]);
            assert.strictEqual(a.headers.get("retry-after"), "0.5");
        }
        assert.strictEqual((await call("GET", path)).status, 200);
        em.injectFault({ path: /importedWindowsAutopilotDeviceIdentities$/, status: 503 });
        const s = await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities`);
        assertGraphError(s, 503, "ServiceUnavailable");
        assert.strictEqual(s.headers.get("retry-after"), null);
        em.injectFault({ status: 504, times: Infinity });
        em.clearFaults();
        assert.strictEqual((await call("GET", path)).status, 200);
    });

    it("$batch: envelope 200, per-item status, faults per item, limits", async () => {
        await start();
        em.injectFault({ path: `/${HP_2}`, status: 429, retryAfter: "3" });
        const a = await call("POST", "/beta/$batch", {
            requests: [
                { id: "1", method: "GET", url: `/deviceManagement/windowsAutopilotDeviceIdentities/${HP_1}` },
                { id: "2", method: "GET", url: `/deviceManagement/windowsAutopilotDeviceIdentities/${UNKNOWN_ID}` },
                {
                    id: "3",
                    method: "PATCH",
                    url: `/deviceManagement/windowsAutopilotDeviceIdentities/${HP_1}`,
                    headers: { "Content-Type": "application/json" },
                    body: { enrollmentState: "sleeping" },
                },
                { id: "4", method: "GET", url: `/deviceManagement/windowsAutopilotDeviceIdentities/${HP_2}` },
                {
                    id: "5",
                    method: "POST",
                    url: `/deviceManagement/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`,
                    headers: { "Content-Type": "application/json" },
                    body: { groupTag: "Batched" },
                    dependsOn: ["1"],
                },
                { id: "6", method: "GET", url: `/deviceManagement/windowsAutopilotDeviceIdentities/${HP_1}`, dependsOn: ["2"] },
            ],
        });
        assert.strictEqual(a.status, 200, JSON.stringify(a.body));
        const byId = Object.fromEntries(a.body.responses.map((r: { id: string }) => [r.id, r]));
        assert.strictEqual(byId["1"].status, 200);
        assert.strictEqual(byId["1"].body.serialNumber, "5CG1234ABC");
        assert.strictEqual(byId["2"].status, 404);
        assert.strictEqual(byId["2"].body.error.code, "ResourceNotFound");
        assert.strictEqual(byId["3"].status, 400);
        assert.ok(byId["3"].body.error.message.includes("'sleeping'"));
        assert.strictEqual(byId["4"].status, 429);
        assert.strictEqual(byId["4"].headers["Retry-After"], "3");
        assert.strictEqual(byId["5"].status, 204);
        assert.strictEqual(em.tenant.devices.get(HP_1)?.groupTag, "Batched");
        assert.strictEqual(byId["6"].status, 424, "an item depending on a failed one fails");
        const items = em.requests.filter((r) => r.viaBatch);
        assert.deepStrictEqual(
            items.map((r) => [r.batchItemId, r.status, r.path.startsWith("/beta/deviceManagement/")]),
            [
                ["1", 200, true],
                ["2", 404, true],
                ["3", 400, true],
                ["4", 429, true],
                ["5", 204, true],
                ["6", 424, true],
            ],
        );
        const tooMany = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/deviceManagement/windowsAutopilotDeviceIdentities" }));
        assertGraphError(await call("POST", "/beta/$batch", { requests: tooMany }), 400, "BadRequest", ["20"]);
        const dup = [
            { id: "a", method: "GET", url: "/deviceManagement/windowsAutopilotDeviceIdentities" },
            { id: "a", method: "GET", url: "/deviceManagement/windowsAutopilotDeviceIdentities" },
        ];
        assertGraphError(await call("POST", "/v1.0/$batch", { requests: dup }), 400, "BadRequest", ["'a'"]);
    });

    it("records every request with path, query, body and status, never the bearer token", async () => {
        const secret = "s3cr3t-token-value-123";
        await start({ tokens: [secret] });
        const auth = { Authorization: `Bearer ${secret}` };
        await call("GET", `${BETA}/windowsAutopilotDeviceIdentities?$filter=${encodeURIComponent("groupTag eq 'Sales'")}&$top=5`, undefined, auth);
        await call("POST", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, { groupTag: "X" }, auth);
        await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, undefined, { Authorization: "Bearer wrong-secret-456" });
        await call("POST", "/beta/$batch", { requests: [{ id: "1", method: "GET", url: "/deviceManagement/windowsAutopilotDeviceIdentities" }] }, auth);
        assert.deepStrictEqual(
            em.requests.map((r) => [r.seq, r.method, r.path, r.status, r.viaBatch ?? false]),
            [
                [1, "GET", "/beta/deviceManagement/windowsAutopilotDeviceIdentities", 200, false],
                [2, "POST", `/beta/deviceManagement/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, 204, false],
                [3, "GET", "/beta/deviceManagement/windowsAutopilotDeviceIdentities", 401, false],
                [4, "POST", "/beta/$batch", 200, false],
                [5, "GET", "/beta/deviceManagement/windowsAutopilotDeviceIdentities", 200, true],
            ],
        );
        assert.deepStrictEqual(em.requests[0].query, { $filter: "groupTag eq 'Sales'", $top: "5" });
        assert.deepStrictEqual(em.requests[1].body, { groupTag: "X" });
        assert.strictEqual(em.requests[0].headers.authorization, "Bearer <redacted>");
        const log = JSON.stringify(em.requests);
        assert.ok(!log.includes(secret) && !log.includes("wrong-secret-456"), "a token reached the request log");
        em.clearRequests();
        assert.strictEqual(em.requests.length, 0);
    });
});

describe("emulator: live consistency, latency and seeds", () => {
    it("live writeVisibilityDelayMs: reads within the delay see the object before the write", async () => {
        await start({ profile: "live", writeVisibilityDelayMs: 150 });
        const path = `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`;
        assert.strictEqual((await call("POST", `${path}/updateDeviceProperties`, { groupTag: "Later" })).status, 204);
        assert.strictEqual((await call("GET", path)).body.groupTag, "Sales");
        const list = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities?$filter=${encodeURIComponent("groupTag eq 'Later'")}`);
        assert.strictEqual(list.body.value.length, 0);
        await new Promise((r) => setTimeout(r, 200));
        assert.strictEqual((await call("GET", path)).body.groupTag, "Later");
    });

    it("adds latencyMs to every answer", async () => {
        await start({ latencyMs: 80 });
        const t0 = Date.now();
        await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`);
        assert.ok(Date.now() - t0 >= 75, `answered after ${Date.now() - t0} ms`);
    });

    it("takes a seed object and rejects a seed that breaks the schema", async () => {
        await start({ seed: { devices: [{ id: "d-1", serialNumber: "S1" }], otherTenantSerials: ["S2"] } });
        const l = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`);
        assert.deepStrictEqual(
            l.body.value.map((d: { id: string }) => d.id),
            ["d-1"],
        );
        await em.close();
        await assert.rejects(startEmulator({ seed: { devices: [{ id: "d-2", enrollmentState: "asleep" }] } }), /asleep/);
    });
});
