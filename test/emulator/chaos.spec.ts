// The emulator's fault modes over real HTTP: each mode injected and seen by a client.
import * as assert from "assert";
import { randomUUID } from "crypto";
import { Emulator, EmulatorOptions, startEmulator } from "./index";

const TOKEN = "emulator-token";
const BETA = "/beta/deviceManagement";
const V1 = "/v1.0/deviceManagement";
const HP_1 = "4b77edd2-0549-4e37-960f-5dcd781c6560";
const HASH = Buffer.alloc(64, 7).toString("base64");

let em: Emulator | undefined;
afterEach(async () => {
    await em?.close();
    em = undefined;
});

async function start(opts: EmulatorOptions): Promise<Emulator> {
    em = await startEmulator(opts);
    return em;
}

interface Answer {
    status: number;
    headers: Headers;

    body: any;
}

async function call(method: string, path: string, opts: { body?: unknown; id?: string; token?: string; timeoutMs?: number } = {}): Promise<Answer> {
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.token ?? TOKEN}` };
    if (opts.id) headers["client-request-id"] = opts.id;
    const init: RequestInit = { method, headers };
    if (opts.body !== undefined) {
        init.body = JSON.stringify(opts.body);
        headers["Content-Type"] = "application/json";
    }
    if (opts.timeoutMs) init.signal = AbortSignal.timeout(opts.timeoutMs);
    const res = await fetch(em!.url + path, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const importBody = (serial: string) => ({
    "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
    serialNumber: serial,
    hardwareIdentifier: HASH,
});
const recordsOf = (e: Emulator, serial: string) => [...e.tenant.importedIdentities.values()].filter((r) => r.serialNumber === serial);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("emulator fault modes: random Graph errors", () => {
    it("fails at the given rate with Dev Proxy's statuses by method, Graph's body and headers, and counts them", async () => {
        const e = await start({ faults: { random: { rate: 1 }, seed: 42, earlyRetry: false } });
        const seen = { GET: new Set<number>(), POST: new Set<number>() };
        for (let i = 0; i < 60; i++) {
            const g = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`, { id: randomUUID() });
            seen.GET.add(g.status);
            const p = await call("POST", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, {
                body: { groupTag: "x" },
                id: randomUUID(),
            });
            seen.POST.add(p.status);
        }
        assert.deepStrictEqual([...seen.GET].sort(), [429, 500, 502, 503, 504], "GET never 507");
        assert.deepStrictEqual([...seen.POST].sort(), [429, 500, 502, 503, 504, 507]);
        assert.notStrictEqual(e.tenant.devices.get(HP_1)!.groupTag, "x", "a failed write is not processed (processedRate 0)");

        const id = randomUUID();
        const a = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, { id });
        assert.ok(a.status >= 429);
        assert.strictEqual(typeof a.body.error.code, "string");
        assert.strictEqual(typeof a.body.error.message, "string");
        assert.strictEqual(a.body.error.innerError["client-request-id"], id);
        assert.strictEqual(a.headers.get("client-request-id"), id);
        assert.match(a.headers.get("request-id")!, /^[0-9a-f-]{36}$/);
        assert.strictEqual(a.headers.get("cache-control"), "no-store");
        assert.ok(a.headers.get("date"));
        const stats = e.faultStats();
        assert.strictEqual(stats.seed, 42);
        const total = Object.values(stats.injected).reduce((s, n) => s + n, 0);
        assert.strictEqual(total, 121);
        assert.strictEqual(e.requests.filter((r) => r.fault?.startsWith("random ")).length, 121, "each injected fault is marked on the request");
    });

    it("429s say when to come back in seconds, fractional seconds, an HTTP date, or not at all", async () => {
        const styles = { seconds: /^3$/, fractional: /^\d\.\d{3}$/, date: /GMT$/, missing: null } as const;
        for (const [style, pattern] of Object.entries(styles)) {
            const e = await start({ faults: { random: { rate: 1, statuses: [429], retryAfter: style as "seconds", retryAfterSeconds: 3 } } });
            const a = await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, { id: randomUUID() });
            assert.strictEqual(a.status, 429);
            assert.strictEqual(a.body.error.code, "TooManyRequests");
            const ra = a.headers.get("retry-after");
            if (pattern === null) assert.strictEqual(ra, null, style);
            else assert.match(ra ?? "", pattern, style);
            if (style === "date") {
                const wait = Date.parse(ra!) - Date.now();
                assert.ok(wait > 2000 && wait <= 4000, `an HTTP date about 3 s ahead (${wait} ms)`);
            }
            if (style === "fractional") assert.ok(Number(ra) >= 1.5 && Number(ra) <= 3);
            await e.close();
            em = undefined;
        }
    });

    it("a write answered 500/502/504 may have been processed (processedRate): the record exists, the client saw an error", async () => {
        const e = await start({ faults: { random: { rate: 1, statuses: [500], processedRate: 1 } } });
        const a = await call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("PROC-1"), id: randomUUID() });
        assert.strictEqual(a.status, 500);
        assert.strictEqual(recordsOf(e, "PROC-1").length, 1);
        assert.strictEqual(e.requests[0].fault, "random 500 (processed)");
        assert.deepStrictEqual(e.faultStats().injected, { "random 500 (processed)": 1 });
    });

    it("per-route rules replace the run's modes for matching requests only", async () => {
        const e = await start({
            faults: {
                random: { rate: 0 },
                routes: [{ method: "POST", path: /importedWindowsAutopilotDeviceIdentities$/, random: { rate: 1, statuses: [503] } }],
            },
        });
        assert.strictEqual((await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities`)).status, 200);
        assert.strictEqual((await call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("R-1") })).status, 503);
        assert.strictEqual(
            (await call("POST", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, { body: { groupTag: "y" } })).status,
            204,
        );
        assert.deepStrictEqual(e.faultStats().injected, { "random 503": 1 });
    });

    it("$batch: the envelope is 200, the items fail, each counted", async () => {
        const e = await start({ faults: { random: { rate: 1, statuses: [503] } } });
        const a = await call("POST", "/beta/$batch", {
            body: { requests: [1, 2, 3].map((i) => ({ id: String(i), method: "GET", url: `/deviceManagement/windowsAutopilotDeviceIdentities/${HP_1}` })) },
        });
        assert.strictEqual(a.status, 200);
        assert.deepStrictEqual(
            a.body.responses.map((r: { status: number }) => r.status),
            [503, 503, 503],
        );
        assert.deepStrictEqual(e.faultStats().injected, { "random 503": 3 });
    });
});

describe("emulator fault modes: connections", () => {
    it("resets before processing: the client sees a reset and nothing happened", async () => {
        const e = await start({ faults: { resets: { rate: 1, when: "before" } } });
        await assert.rejects(call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("RST-B") }));
        assert.strictEqual(recordsOf(e, "RST-B").length, 0);
        assert.strictEqual(e.requests[0].fault, "reset before processing");
        assert.strictEqual(e.requests[0].status, 0);
    });

    it("resets after processing: the write happened but the client sees a reset", async () => {
        const e = await start({ faults: { resets: { rate: 1, when: "after" } } });
        await assert.rejects(call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("RST-A") }));
        assert.strictEqual(recordsOf(e, "RST-A").length, 1);
        assert.strictEqual(e.requests[0].fault, "reset after processing");
        assert.strictEqual(e.requests[0].status, 201, "what the client would have seen");
        assert.deepStrictEqual(e.faultStats().injected, { "reset after processing": 1 });
    });

    it("answers slower than the client waits: processed (the write happened) or not (nothing happened; 504 if the client stays)", async () => {
        let e = await start({ faults: { slow: { rate: 1, delayMs: 400, when: "after" } } });
        await assert.rejects(call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("SLOW-A"), timeoutMs: 100 }));
        assert.strictEqual(recordsOf(e, "SLOW-A").length, 1);
        assert.strictEqual(e.requests[0].fault, "slow after processing");
        await e.close();

        e = await start({ faults: { slow: { rate: 1, delayMs: 400, when: "before" } } });
        await assert.rejects(call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("SLOW-B"), timeoutMs: 100 }));
        await sleep(500);
        assert.strictEqual(recordsOf(e, "SLOW-B").length, 0, "a request the client gave up on is never processed");
        const t0 = Date.now();
        const a = await call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("SLOW-C") });
        assert.ok(Date.now() - t0 >= 380);
        assert.strictEqual(a.status, 504);
        assert.strictEqual(a.body.error.code, "GatewayTimeout");
        assert.strictEqual(recordsOf(e, "SLOW-C").length, 0);
        assert.deepStrictEqual(e.faultStats().injected, { "slow before processing": 2 });
    });

    it("scripted connection faults: injectFault({ reset }) and ({ delayMs, processed }) for the next matching requests", async () => {
        const e = await start({});
        e.injectFault({ method: "POST", path: "importedWindowsAutopilotDeviceIdentities", reset: "after" });
        e.injectFault({ method: "POST", path: "importedWindowsAutopilotDeviceIdentities", delayMs: 300, processed: false });
        await assert.rejects(call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("SCR-1") }));
        const late = await call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("SCR-2") });
        assert.strictEqual(late.status, 504);
        assert.strictEqual((await call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("SCR-3") })).status, 201);
        assert.deepStrictEqual([recordsOf(e, "SCR-1").length, recordsOf(e, "SCR-2").length, recordsOf(e, "SCR-3").length], [1, 0, 1]);
        assert.deepStrictEqual(
            e.requests.map((r) => r.fault ?? ""),
            ["scripted reset after processing", "scripted slow before processing", ""],
        );
        assert.throws(() => e.injectFault({ status: 503, reset: "before" }), /exactly one of status, reset and delayMs/);
        assert.throws(() => e.injectFault({}), /exactly one of status, reset and delayMs/);
    });
});

describe("emulator fault modes: Intune budgets and early retries", () => {
    it("budgets: writes per app, per tenant, and requests, in a sliding window; Retry-After until there is room", async () => {
        const e = await start({ faults: { budgets: { windowMs: 1000, appWrites: 2, tenantWrites: 3, tenantRequests: 6 }, earlyRetry: false } });
        const write = (token = TOKEN) =>
            call("POST", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, { body: { groupTag: "b" }, token });
        assert.strictEqual((await write()).status, 204);
        assert.strictEqual((await write()).status, 204);
        const third = await write();
        assert.strictEqual(third.status, 429, "the app's third write in the window");
        assert.match(third.body.error.message, /limit is 2 per 1 seconds/);
        assert.strictEqual(third.headers.get("retry-after"), "1");
        assert.strictEqual(e.requests[2].fault, "budget appWrites");
        // Another app (a second token) still has room until the tenant's three writes are used.
        await e.close();
        const e2 = await start({
            tokens: [TOKEN, "other-app"],
            faults: { budgets: { windowMs: 1000, appWrites: 2, tenantWrites: 3, tenantRequests: 6 }, earlyRetry: false },
        });
        assert.strictEqual((await write()).status, 204);
        assert.strictEqual((await write()).status, 204);
        assert.strictEqual((await write("other-app")).status, 204);
        assert.strictEqual((await write("other-app")).status, 429, "the tenant's three writes are used");
        assert.strictEqual(e2.requests[3].fault, "budget tenantWrites");
        for (let i = 0; i < 3; i++) assert.strictEqual((await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`)).status, 200);
        assert.strictEqual((await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`)).status, 429, "six admitted requests in the window");
        await sleep(1050);
        assert.strictEqual((await write()).status, 204, "the window moved on");
        assert.deepStrictEqual(e2.faultStats().injected, { "budget tenantWrites": 1, "budget tenantRequests": 1 });
    });

    it("budgets: scale multiplies every limit", async () => {
        const e = await start({ faults: { budgets: { windowMs: 60000, appWrites: 1, scale: 3 }, earlyRetry: false } });
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++)
            statuses.push((await call("POST", `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}/updateDeviceProperties`, { body: { groupTag: "s" } })).status);
        assert.deepStrictEqual(statuses, [204, 204, 204, 429]);
        assert.strictEqual(e.faultStats().injected["budget appWrites"], 1);
    });

    it("a retry before its Retry-After gets another 429 and is counted; a new request or a patient retry is not", async () => {
        const e = await start({});
        e.injectFault({ method: "GET", status: 429, retryAfter: "1" });
        const id = randomUUID();
        const path = `${BETA}/windowsAutopilotDeviceIdentities/${HP_1}`;
        assert.strictEqual((await call("GET", path, { id })).status, 429);
        const early = await call("GET", path, { id });
        assert.strictEqual(early.status, 429);
        assert.match(early.body.error.message, /before waiting for the Retry-After period/);
        assert.strictEqual(early.headers.get("retry-after"), "1");
        assert.strictEqual((await call("GET", path, { id: randomUUID() })).status, 200, "another request is not a retry");
        await sleep(1010);
        assert.strictEqual((await call("GET", path, { id })).status, 200, "after the wait");
        assert.deepStrictEqual(
            e.requests.map((r) => r.fault ?? ""),
            ["scripted 429", "early retry", "", ""],
        );
        assert.strictEqual(e.faultStats().earlyRetries, 1);
    });

    it("early retries by workload (Dev Proxy): any request of the app to the workload within the wait", async () => {
        const e = await start({ tokens: [TOKEN, "other-app"], faults: { earlyRetry: "workload" } });
        e.injectFault({ method: "GET", status: 429, retryAfter: "1" });
        assert.strictEqual((await call("GET", `${BETA}/windowsAutopilotDeviceIdentities`)).status, 429);
        assert.strictEqual((await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities`)).status, 429, "same app, same workload");
        assert.strictEqual((await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities`, { token: "other-app" })).status, 200, "another app");
        assert.strictEqual(e.faultStats().earlyRetries, 1);
    });

    it("a 429 the client never saw (the connection was reset after it) starts no wait", async () => {
        const e = await start({ faults: { resets: { rate: 1, when: "after" } } });
        e.injectFault({ method: "GET", status: 429, retryAfter: "5" });
        const id = randomUUID();
        await assert.rejects(call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, { id }));
        await assert.rejects(call("GET", `${BETA}/windowsAutopilotDeviceIdentities`, { id }));
        assert.deepStrictEqual(
            e.requests.map((r) => [r.status, r.fault]),
            [
                [429, "scripted 429; reset after processing"],
                [200, "reset after processing"],
            ],
            "the retry was answered (then reset), not punished",
        );
        assert.strictEqual(e.faultStats().earlyRetries, 0);
    });
});

describe("emulator: writes become visible late, for every kind of write (live profile)", () => {
    it("creates (including the device an import registers), actions and deletes", async () => {
        await start({ profile: "live", writeVisibilityDelayMs: 300, importPendingReads: 0 });
        const created = await call("POST", `${V1}/importedWindowsAutopilotDeviceIdentities`, { body: importBody("VIS-1") });
        assert.strictEqual(created.status, 201);
        const id = created.body.id;
        assert.strictEqual((await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities/${id}`)).status, 404, "a new record is not visible at once");
        await sleep(320);
        const done = await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities/${id}`);
        assert.strictEqual(done.body.state.deviceImportStatus, "complete");
        const deviceId = done.body.state.deviceRegistrationId;
        assert.strictEqual(
            (await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${deviceId}`)).status,
            404,
            "the device the import registered shows up late too",
        );
        await sleep(320);
        assert.strictEqual((await call("GET", `${BETA}/windowsAutopilotDeviceIdentities/${deviceId}`)).status, 200);
        assert.strictEqual((await call("DELETE", `${V1}/importedWindowsAutopilotDeviceIdentities/${id}`)).status, 200);
        assert.strictEqual(
            (await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities/${id}`)).status,
            200,
            "a deleted record stays visible for a while",
        );
        await sleep(320);
        assert.strictEqual((await call("GET", `${V1}/importedWindowsAutopilotDeviceIdentities/${id}`)).status, 404);
    });
});
