/**
 * The fleet bench at CI size: 200 devices through the real Pulumi CLI (a program folder,
 * a file backend, per-step checkpoints) against the emulator behind the bench's front (latency,
 * Intune-style budgets). It checks counts, not times: each resource made once, a no-change plan
 * with no request, refresh reads answered from one listing per collection, bulk imports, one token
 * per host process, few sockets, a small __provider, the state's bytes per device and how often
 * the engine wrote it. The baseline (Graph JS SDK) runs too, so `npm run bench` is known to work
 * on a fresh clone.
 */
import { strict as assert } from "node:assert";
import { BenchResult, runBench, ScenarioResult, SideResult } from "./bench";
import { checkTargets, formatTable } from "./report";

const N = 200;
/** What a device (its import and its device identity) may cost in the state file, bytes. */
const STATE_BYTES_PER_DEVICE = 6_000;
const IMPORT_ACTION = "POST /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/import";
const SINGLE_IMPORT = "POST /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const TAG_WRITE = "POST /beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties";
const DELETE_IMPORT = "DELETE /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}";
const IMPORT_LISTING = "GET /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const IMPORT_LOOKUP = "GET /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities?$filter";
const IMPORT_READ = "GET /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}";
const DEVICE_READ = "GET /beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}";

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
        // Side (a) as users run it (per-step checkpoints); the baseline, which keeps its hash in the
        // state, with the state written once, so the suite stays within a few minutes.
        result = await runBench({
            devices: N,
            latencyMs: 5,
            budgetScale: 10,
            columns: [
                { side: "a", checkpoints: "per-step" },
                { side: "b", checkpoints: "skip" },
            ],
        });
        a = result.sides.find((s) => s.side === "a")!;
        b = result.sides.find((s) => s.side === "b")!;
        if (process.env.BENCH_SMOKE_PRINT) console.log(formatTable(result));
    });

    it("cold apply: every resource made exactly once, imports through the bulk action, one tag write per device", () => {
        const apply = scenario(a, "apply");
        assert.deepEqual([apply.okResources, apply.failedResources], [2 * N, 0], apply.sampleErrors.join("\n"));
        assert.deepEqual(apply.tenant, { importRecords: N, devices: N, distinctImportSerials: N });
        // Concurrent creates share import calls of up to 100 records: no single POST per device.
        // A chunk spans the waves of creates the engine starts (it waits for a quiet gap, at most 2 s).
        const importCalls = apply.byRoute[IMPORT_ACTION] ?? 0;
        assert.ok(importCalls >= Math.ceil(N / 100) && importCalls <= N / 40, `${importCalls} import calls`);
        // A record that arrives alone after its chunk went goes as a single POST; rare with the quiet gap.
        assert.ok((apply.byRoute[SINGLE_IMPORT] ?? 0) <= N / 100, `${apply.byRoute[SINGLE_IMPORT]} single POSTs`);
        // One updateDeviceProperties per device, and a retry only for a write refused with 429.
        assert.ok(
            apply.byRoute[TAG_WRITE] >= N && apply.byRoute[TAG_WRITE] <= N + apply.throttled,
            `${apply.byRoute[TAG_WRITE]} tag writes, ${apply.throttled} 429s`,
        );
        // The look before each import: shared listings of the collection, no $filter GET per create.
        assert.equal(apply.byRoute[IMPORT_LOOKUP] ?? 0, 0, "no per-serial lookup of a new serial");
        assert.ok((apply.byRoute[IMPORT_LISTING] ?? 0) >= 1 && apply.byRoute[IMPORT_LISTING] <= N / 4, `${apply.byRoute[IMPORT_LISTING]} listings`);
        // Import records are confirmed (and their outcome read) by listings of ids and states that the
        // records of one bulk call share (importPoller.ts); one goes by id only when fewer than 10 wait
        // together (a chunk's tail). Each device is read twice: the import step's read until Graph
        // shows it (which the device step adopts), and the read-back of the tag write.
        assert.ok((apply.byRoute[IMPORT_READ] ?? 0) <= N / 10, `${apply.byRoute[IMPORT_READ]} import records read by id`);
        const within = (route: string, least: number) => {
            const n = apply.byRoute[route] ?? 0;
            assert.ok(n >= least && n <= least + apply.throttled, `${route}: ${n}, expected ${least} (+ ${apply.throttled} 429s at most)`);
        };
        within(DEVICE_READ, 2 * N);
        // Reads that meet go in batches. How many meet depends on the engine: with per-step
        // checkpoints it starts steps only as fast as it rewrites the state, one at a time.
        assert.ok(apply.batches > 0 && apply.roundTrips < apply.requests, `${apply.roundTrips} round trips for ${apply.requests} requests`);
    });

    it("no-change plan: 0 requests, nothing to change, no state written", () => {
        for (const side of [a, b]) {
            const plan = scenario(side, "plan");
            assert.equal(plan.requests, 0, `${side.side}: ${JSON.stringify(plan.byRoute)}`);
            assert.equal(plan.roundTrips, 0);
            assert.equal(plan.tokenRequests, 0);
            // A preview writes no checkpoint.
            assert.equal(plan.stateWrites.writes, 0);
        }
        assert.deepEqual([scenario(a, "plan").okResources, scenario(a, "plan").failedResources], [2 * N, 0]);
    });

    it("refresh: each collection listed once (one page); only the reads before the burst go by id, in batches", () => {
        const refresh = scenario(a, "refresh");
        assert.deepEqual([refresh.okResources, refresh.failedResources], [2 * N, 0]);
        const routes = JSON.stringify(refresh.byRoute);
        // provider/lifecycle/collectionReads.ts: the first 99 reads of a collection (its threshold is
        // 100 within 2 s) go by id; from the 100th on, one listing ($top=1000 > N: one page) answers
        // them, plus one GET by id checking the list shows what the item GET does.
        for (const collection of [
            "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
            "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities",
        ]) {
            assert.equal(refresh.byRoute[`GET ${collection}`], 1, routes);
            assert.ok((refresh.byRoute[`GET ${collection}/{id}`] ?? 0) <= 100, routes);
        }
        assert.ok(refresh.requests <= 2 * 101, routes);
        // Those 2 x 100 GETs go in batches (how full depends on timing: at least 5 items each on
        // average even on a loaded machine), plus the two listings. Without listing it would be
        // 2N = 400 reads; without batching 200 round trips.
        const bound = (2 * 100) / 5 + 2;
        assert.ok(refresh.roundTrips <= bound, `${refresh.roundTrips} round trips, at most ${bound}`);
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
            // At most 8 at once; the front closes a connection idle for 5 s, and steps paced by
            // checkpoints leave such gaps, so a few more are opened over a run.
            assert.ok(r!.sockets <= 16, `${r!.scenario}: ${r!.sockets} sockets`);
            if (r!.scenario !== "destroy") assert.ok(r!.providerBytes > 0 && r!.providerBytes <= 2048, `${r!.scenario}: __provider ${r!.providerBytes} bytes`);
        }
    });

    it("the state: what a device costs in it, and how often per-step checkpoints wrote it", () => {
        const apply = scenario(a, "apply");
        const state = a.stateAfterApply!;
        assert.equal(state.resources, 2 * N + 3, "the stack, the fleet component, the provider, and two resources per device");
        // Measured as compact JSON: what the state holds, not how the CLI indents the file.
        const perDevice = Math.round(state.compactBytes / N);
        assert.ok(
            perDevice <= STATE_BYTES_PER_DEVICE,
            `${perDevice} state bytes per device (compact JSON; the file: ${apply.stateBytesPerDevice}), at most ${STATE_BYTES_PER_DEVICE}`,
        );
        // The engine writes the whole file twice per create (the pending operation, then the
        // result) and once more at the end; a no-change refresh once.
        assert.ok(apply.stateWrites.writes >= 2 * 2 * N && apply.stateWrites.writes <= 2 * 2 * N + 10, `${apply.stateWrites.writes} writes`);
        assert.ok(apply.stateWrites.bytesWritten > apply.stateWrites.writes * (apply.stateBytes / 4), "each write is the whole file");
        const update = scenario(a, "update");
        assert.ok(
            update.stateWrites.writes >= 2 * (N / 10) && update.stateWrites.writes <= 2 * (N / 10) + 5,
            `${update.stateWrites.writes} writes in the update`,
        );
        assert.equal(scenario(a, "destroy").stateResources, 0);
    });

    it("the baseline ran through the same path, and the report names every target", () => {
        assert.ok(scenario(b, "apply").okResources > 0);
        assert.ok(scenario(b, "refresh").roundTrips >= scenario(b, "refresh").requests, "the SDK baseline sends one request per read");
        const targets = checkTargets(result).map((t) => t.target);
        for (const t of ["no-change plan", "throttling floor", "round trips", "baseline's throughput", "RSS", "__provider"]) {
            assert.ok(
                targets.some((x) => x.includes(t)),
                `target ${t} missing from ${targets}`,
            );
        }
        assert.match(formatTable(result), /-- refresh --[\s\S]*HTTP round trips/);
        assert.match(formatTable(result), /-- state after the apply, a --/);
        // Each process the CLI starts is measured where it runs: the program in apply, plan and
        // update; the CLI, the language host and the provider host in every scenario.
        for (const name of ["apply", "plan", "update"] as const) assert.ok(scenario(a, name).processes.program.peakRssMB > 0, `${name}: program RSS`);
        for (const r of Object.values(a.scenarios)) {
            const p = r!.processes;
            assert.ok(
                p.cli.cpuS > 0 && p.cli.peakRssMB > 0 && p.providerHost.processes === 1 && p.providerHost.cpuS > 0,
                `${r!.scenario}: ${JSON.stringify(p)}`,
            );
        }
    });
});
