// Polls of many waiting imports share listings of states (importPoller.ts): a real Graph client
// against the emulator, whose live profile keeps a record pending for a number of reads.
import * as assert from "assert";
import { randomUUID } from "crypto";
import { Emulator, startEmulator } from "../../emulator";
import { GraphClient } from "../../../provider/graph";
import { DEFAULT_LIMITS } from "../../../provider/lifecycle/bounds";
import type { LifecycleContext } from "../../../provider/lifecycle/spec";
import { resolveTuning, type Tuning } from "../../../provider/settings/table";
import { GraphSession } from "../../../provider/session";
import type { Props } from "../../../provider/lifecycle/values";
import { waitForImport } from "../../../provider/resources/importedIdentity/spec";

const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const HASH = Buffer.alloc(300, 3).toString("base64");

describe("waiting for many imports (importPoller.ts)", function () {
    this.timeout(60_000);
    let emu: Emulator;
    let graph: GraphClient;
    let session: GraphSession;
    const ctx = (settings?: Tuning): LifecycleContext => ({
        ...session.context(),
        sleep: async () => undefined,
        now: () => Date.now(),
        limits: DEFAULT_LIMITS,
        ...(settings ? { settings } : {}),
    });

    /** N pending records, as a bulk import leaves them; returns each as the POST answered it. */
    function pending(n: number, prefix: string): Props[] {
        return Array.from({ length: n }, (_, i) => {
            const id = randomUUID();
            const rec = {
                id,
                serialNumber: `${prefix}${String(i).padStart(4, "0")}`,
                hardwareIdentifier: HASH,
                groupTag: "",
                state: { deviceImportStatus: "pending", deviceRegistrationId: "", deviceErrorCode: 0, deviceErrorName: "" },
            };
            emu.tenant.importedIdentities.set(id, structuredClone(rec));
            emu.tenant.pendingImports.set(id, 0);
            return rec;
        });
    }
    const wait = (recs: Props[], settings?: Tuning) =>
        Promise.all(recs.map((r) => waitForImport(ctx(settings), String(r.id), r, { serialNumber: r.serialNumber, hardwareIdentifier: HASH })));

    beforeEach(async () => {
        // Each record shows pending to 2 answers (an item GET or a listing), then completes.
        emu = await startEmulator({ profile: "live", importPendingReads: 2 });
        graph = new GraphClient({ baseUrl: emu.url, tokenSource: { getToken: async () => "emulator-token" }, maxRetries: 0, batch: true });
        session = new GraphSession({ graph });
    });
    afterEach(async () => {
        await graph.close();
        await emu.close();
    });

    it("polls due together share one listing of ids and states per round, not a GET each", async () => {
        const recs = pending(50, "PL");
        const done = await wait(recs);
        assert.ok(done.every((d) => (d.state as Props).deviceImportStatus === "complete"));
        // The rest of each record is what the POST answered: the listing brings only `state`.
        assert.ok(done.every((d, i) => d.hardwareIdentifier === HASH && d.serialNumber === recs[i].serialNumber && d.id === recs[i].id));
        assert.ok(done.every((d) => typeof (d.state as Props).deviceRegistrationId === "string" && (d.state as Props).deviceRegistrationId !== ""));
        const gets = emu.requests.filter((r) => r.method === "GET");
        assert.strictEqual(gets.filter((r) => r.path.startsWith(`${IMPORTS}/`)).length, 0, "no GET per record");
        const listings = gets.filter((r) => r.path === IMPORTS);
        assert.ok(listings.length >= 2 && listings.length <= 4, `${listings.length} listings`);
        assert.ok(listings.every((r) => r.query.$select === "id,state" && r.query.$top === "1000"));
    });

    it("a few polls GET their records; AUTOPILOT_LIST_READS=0 turns sharing off", async () => {
        await wait(pending(5, "FEW"));
        assert.strictEqual(emu.requests.filter((r) => r.method === "GET" && r.path === IMPORTS).length, 0);
        emu.clearRequests();
        await wait(
            pending(30, "OFF"),
            resolveTuning(() => undefined, { AUTOPILOT_LIST_READS: "0" }),
        );
        assert.strictEqual(emu.requests.filter((r) => r.method === "GET" && r.path === IMPORTS).length, 0);
        assert.ok(emu.requests.filter((r) => r.method === "GET" && r.path.startsWith(`${IMPORTS}/`)).length >= 30);
    });
});
