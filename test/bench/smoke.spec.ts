/**
 * The fleet bench at CI size (issue 7): 200 devices through the real host against the emulator
 * behind the bench's front (latency, Intune-style budgets). It checks request counts, not times:
 * each resource made once, a no-change plan with no request, refresh reads coalesced into full
 * `$batch` requests, bulk imports, one token per host process, few sockets, a small __provider.
 * The baseline (Graph JS SDK) runs too, so `npm run bench` is known to work on a fresh clone.
 */
import { strict as assert } from "node:assert";
import { BenchResult, runBench, ScenarioResult, SideResult } from "./bench";
import { checkTargets, formatTable } from "./report";

const N = 200;
const IMPORT_ACTION = "POST /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/import";
const SINGLE_IMPORT = "POST /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const TAG_WRITE = "POST /beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties";
const DELETE_IMPORT = "DELETE /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}";

describe(`fleet bench smoke (${N} devices, counts not times)`, function () {
    this.timeout(600_000);
    let result: BenchResult;
    let a: SideResult;
    let b: SideResult;
    const scenario = (side: SideResult, name: keyof SideResult["scenarios"]): ScenarioResult => {
        const r = side.scenarios[name];
        assert.ok(r, `${side.side} ran ${name}`);
        return r;
    };

    before(async () => {
        result = await runBench({ devices: N, latencyMs: 5, budgetScale: 10, sides: ["a", "b"] });
        a = result.sides.find((s) => s.side === "a")!;
        b = result.sides.find((s) => s.side === "b")!;
        if (process.env.BENCH_SMOKE_PRINT) console.log(formatTable(result));
    });

    it("cold apply: every resource made exactly once, imports through the bulk action, one tag write per device", () => {
        const apply = scenario(a, "apply");
        assert.deepEqual([apply.okResources, apply.failedResources], [2 * N, 0], apply.sampleErrors.join("\n"));
        assert.deepEqual(apply.tenant, { importRecords: N, devices: N, distinctImportSerials: N });
        // Concurrent creates share import calls of up to 100 records: no single POST per device.
        const importCalls = apply.byRoute[IMPORT_ACTION] ?? 0;
        assert.ok(importCalls >= Math.ceil(N / 100) && importCalls <= N / 10, `${importCalls} import calls`);
        // A record that arrives alone after its window closed goes as a single POST; on a loaded
        // machine a few do. Without coalescing every one of the N would.
        assert.ok((apply.byRoute[SINGLE_IMPORT] ?? 0) <= N / 20, `${apply.byRoute[SINGLE_IMPORT]} single POSTs`);
        // One updateDeviceProperties per device, and a retry only for a write refused with 429.
        assert.ok(apply.byRoute[TAG_WRITE] >= N && apply.byRoute[TAG_WRITE] <= N + apply.throttled, `${apply.byRoute[TAG_WRITE]} tag writes, ${apply.throttled} 429s`);
        // Reads went in batches: far fewer round trips than requests.
        assert.ok(apply.batches > 0 && apply.roundTrips < apply.requests / 2, `${apply.roundTrips} round trips for ${apply.requests} requests`);
    });

    it("no-change plan: 0 requests, nothing to change, through the host", () => {
        for (const side of [a, b]) {
            const plan = scenario(side, "plan");
            assert.equal(plan.requests, 0, `${side.side}: ${JSON.stringify(plan.byRoute)}`);
            assert.equal(plan.roundTrips, 0);
            assert.equal(plan.tokenRequests, 0);
        }
        assert.deepEqual([scenario(a, "plan").okResources, scenario(a, "plan").failedResources], [2 * N, 0]);
    });

    it("refresh: each object read once, in batches of up to 20", () => {
        const refresh = scenario(a, "refresh");
        assert.deepEqual([refresh.okResources, refresh.failedResources], [2 * N, 0]);
        assert.equal(refresh.requests, 2 * N, JSON.stringify(refresh.byRoute));
        // 2N objects (an import record and a device per device) need at least 2N/20 round trips;
        // batches at least two-thirds full on average (one request per read would be 2N).
        const least = Math.ceil((2 * N) / 20);
        assert.ok(refresh.roundTrips <= Math.ceil(least * 1.5), `${refresh.roundTrips} round trips, at least ${least}`);
        assert.equal(refresh.throttled, 0);
    });

    it("update of 10%: one tag write per changed device, nothing else written", () => {
        const update = scenario(a, "update");
        assert.equal(update.failedResources, 0, update.sampleErrors.join("\n"));
        assert.equal(update.byRoute[TAG_WRITE], N / 10);
        const writes = Object.entries(update.byRoute).filter(([route]) => !route.startsWith("GET "));
        assert.deepEqual(writes, [[TAG_WRITE, N / 10]]);
    });

    it("destroy: every import record deleted once (devices released without a request)", () => {
        const destroy = scenario(a, "destroy");
        assert.deepEqual([destroy.okResources, destroy.failedResources], [2 * N, 0]);
        assert.equal(destroy.tenant.importRecords, 0);
        assert.equal(destroy.tenant.devices, N);
        assert.ok(destroy.byRoute[DELETE_IMPORT] >= N && destroy.byRoute[DELETE_IMPORT] <= N + destroy.throttled);
    });

    it("one token per host process, few sockets, __provider <= 2 KB", () => {
        for (const r of Object.values(a.scenarios)) {
            assert.ok(r!.tokenRequests <= 1, `${r!.scenario}: ${r!.tokenRequests} token requests`);
            assert.ok(r!.sockets <= 8, `${r!.scenario}: ${r!.sockets} sockets`);
            assert.ok(r!.providerBytes > 0 && r!.providerBytes <= 2048, `${r!.scenario}: __provider ${r!.providerBytes} bytes`);
        }
    });

    it("the baseline ran through the same path, and the report names every target", () => {
        assert.ok(scenario(b, "apply").okResources > 0);
        assert.ok(scenario(b, "refresh").roundTrips >= scenario(b, "refresh").requests, "the SDK baseline sends one request per read");
        const targets = checkTargets(result).map((t) => t.target);
        for (const t of ["no-change plan", "throttling floor", "round trips", "baseline's throughput", "RSS", "__provider"]) {
            assert.ok(targets.some((x) => x.includes(t)), `target ${t} missing from ${targets}`);
        }
        assert.match(formatTable(result), /-- refresh --[\s\S]*HTTP round trips/);
    });
});
