// Unit tests of the issue-6 lifecycle pieces: read-back, step bounds, adoption rules.
import * as assert from "assert";
import { getEventListeners } from "events";
import { GraphError, type GraphClient, type GraphRequest } from "../../../provider/graph";
import { beginStep, cancelledBy, DEFAULT_LIMITS, explainFailure, StepLimits, StepStoppedError } from "../../../provider/lifecycle/bounds";
import { lookFor, nextReadBackDelay, readBack } from "../../../provider/lifecycle/consistency";
import { AutopilotError } from "../../../provider/lifecycle/errors";
import type { LifecycleContext } from "../../../provider/lifecycle/spec";
import { GraphSession } from "../../../provider/session";
import type { Props } from "../../../provider/lifecycle/values";
import { sameAssignment, createOrAdoptAssignment } from "../../../provider/resources/assignment/adopt";
import { adoptableRecord, createOrAdoptImport } from "../../../provider/resources/importedIdentity/adopt";

/** A context on a fake clock: sleep advances it. `send` answers requests. */
function fakeContext(
    send: (r: GraphRequest) => Promise<unknown> | unknown,
    limits: Partial<StepLimits> = {},
): LifecycleContext & { slept: number[]; sent: GraphRequest[]; lines: string[] } {
    let now = 1_000_000;
    const slept: number[] = [];
    const sent: GraphRequest[] = [];
    const lines: string[] = [];
    const graph = {
        async send(r: GraphRequest) {
            sent.push(r);
            return { status: 200, headers: {}, body: await send(r), attempts: 1 };
        },
    } as unknown as GraphClient;
    return {
        ...new GraphSession({ graph }).context(),
        log: (l) => lines.push(l),
        sleep: async (ms) => {
            slept.push(ms);
            now += ms;
        },
        now: () => now,
        limits: { ...DEFAULT_LIMITS, ...limits },
        slept,
        sent,
        lines,
    };
}

const ambiguous = () => new GraphError({ code: "GRAPH_AMBIGUOUS_WRITE", method: "POST", route: "/x", attempts: 1, ambiguous: true, networkCode: "ECONNRESET" });

describe("read-back after a write (consistency.ts)", () => {
    it("pauses 200 ms growing by 1.6 up to 5 s", () => {
        const seq: number[] = [];
        for (let d = 0, i = 0; i < 10; i++) seq.push((d = nextReadBackDelay(d)));
        assert.deepStrictEqual(seq, [200, 320, 512, 819, 1310, 2096, 3354, 5000, 5000, 5000]);
    });

    it("probes until Graph shows the write, then returns what it read", async () => {
        const ctx = fakeContext(() => undefined);
        let n = 0;
        const value = await readBack(ctx, "thing", async () => (++n < 4 ? { done: false, why: "old" } : { done: true, value: "new" }));
        assert.strictEqual(value, "new");
        assert.deepStrictEqual(ctx.slept, [200, 320, 512]);
    });

    it("gives up at autopilot:consistencyTimeoutSeconds with an error naming the bound and carrying what it saw", async () => {
        const ctx = fakeContext(() => undefined, { consistencyTimeoutMs: 2000 });
        let probes = 0;
        await assert.rejects(
            readBack(ctx, "device X", async () => {
                probes++;
                return { done: false, why: "the old value of groupTag", seen: { id: "X" } };
            }),
            (e: AutopilotError) => {
                assert.strictEqual(e.code, "AUTOPILOT_NOT_CONSISTENT");
                assert.match(
                    e.message,
                    /^device X: Graph still showed the old value of groupTag after 5 reads .*\[bound hit: autopilot:consistencyTimeoutSeconds=2,/,
                );
                assert.deepStrictEqual(e.graph, { id: "X" });
                return true;
            },
        );
        assert.strictEqual(probes, 5);
        assert.ok(ctx.slept.reduce((a, b) => a + b, 0) <= 2000);
    });

    it("lookFor: undefined when nothing shows up within the bound", async () => {
        const ctx = fakeContext(() => undefined, { consistencyTimeoutMs: 1000 });
        assert.strictEqual(await lookFor(ctx, async () => undefined), undefined);
        assert.deepStrictEqual(ctx.slept, [200, 320]);
        let n = 0;
        assert.strictEqual(await lookFor(ctx, async () => (++n === 2 ? "found" : undefined)), "found");
    });
});

describe("step bounds and cancellation (bounds.ts)", () => {
    // One session for the steps, as in the host: its steps follow each cancel signal with one listener.
    const session = new GraphSession({
        graph: { send: async (r: GraphRequest) => ({ status: 200, headers: {}, body: r.signal, attempts: 1 }) } as unknown as GraphClient,
    });
    const base = (limits: Partial<StepLimits>, signal?: AbortSignal): LifecycleContext => ({
        ...session.context(),
        sleep: async () => undefined,
        now: () => Date.now(),
        signal,
        limits: { ...DEFAULT_LIMITS, ...limits },
    });

    it("a configured step bound stops sleeps and requests, and says it was autopilot:stepTimeoutSeconds", async () => {
        const scope = beginStep(base({ stepTimeoutMs: 50, stepTimeoutConfigured: true }), "X create", 1800);
        try {
            const signal = (await scope.run(() => scope.ctx.graph.send({ method: "GET", apiVersion: "beta", path: "/a" }))).body as AbortSignal;
            assert.ok(signal instanceof AbortSignal && !signal.aborted, "requests carry the step's signal");
            await assert.rejects(
                scope.ctx.sleep(5000),
                (e: StepStoppedError) =>
                    e.code === "AUTOPILOT_STEP_TIMEOUT" &&
                    /X create stopped after 0.05 s: the whole-step time bound, autopilot:stepTimeoutSeconds=0.05, was reached/.test(e.message),
            );
            assert.ok(signal.aborted);
            assert.match(explainFailure(new Error("aborted by the caller"), scope), /^X create stopped after 0.05 s.*Last: aborted by the caller$/);
        } finally {
            scope.end();
        }
    });

    it("the derived bound adds what the step may wait for (e.g. importTimeoutSeconds) and says how to change it", async () => {
        const scope = beginStep(base({ stepTimeoutMs: 20, stepTimeoutConfigured: false }), "Y create", 0.03);
        try {
            await assert.rejects(scope.ctx.sleep(5000), (e: Error) =>
                /stopped after 0.05 s: the whole-step time bound, the default step bound of 0.05 s \(set autopilot:stepTimeoutSeconds to change it\)/.test(
                    e.message,
                ),
            );
        } finally {
            scope.end();
        }
    });

    it("the process's cancel signal stops the step at once", async () => {
        const cancel = new AbortController();
        const scope = beginStep(base({}, cancel.signal), "Z create");
        try {
            const t0 = Date.now();
            const sleeping = scope.ctx.sleep(60_000);
            setTimeout(() => cancel.abort(cancelledBy("SIGTERM")), 20);
            await assert.rejects(sleeping, /cancelled: the provider host received SIGTERM/);
            assert.ok(Date.now() - t0 < 1000);
            assert.strictEqual(scope.stopped()?.code, "AUTOPILOT_CANCELLED");
        } finally {
            scope.end();
        }
    });

    it("an ended step stops following the cancel signal: nothing per step stays on it", async () => {
        const cancel = new AbortController();
        const ended = Array.from({ length: 50 }, (_, i) => beginStep(base({}, cancel.signal), `E${i} read`));
        ended.forEach((s) => s.end());
        const running = beginStep(base({}, cancel.signal), "R read");
        try {
            // One listener for all steps (not one each), and no AbortSignal.any composite left in its sources.
            assert.ok(getEventListeners(cancel.signal, "abort").length <= 1);
            cancel.abort(cancelledBy("SIGINT"));
            assert.strictEqual(running.stopped()?.code, "AUTOPILOT_CANCELLED");
            assert.ok(
                ended.every((s) => s.stopped() === undefined),
                "a step that already answered is not stopped",
            );
        } finally {
            running.end();
        }
        // A step begun after the cancel is stopped from the start.
        const late = beginStep(base({}, cancel.signal), "L read");
        assert.strictEqual(late.stopped()?.code, "AUTOPILOT_CANCELLED");
        late.end();
    });

    it("names the bounds a Graph error hit: retries, per-request timeout, both, or none", () => {
        const timeout = new GraphError({ code: "GRAPH_TIMEOUT", method: "GET", route: "/a", attempts: 1, detail: "no complete answer within 2 s (timeout)" });
        const exhausted = new GraphError({ code: "GRAPH_RETRIES_EXHAUSTED", method: "GET", route: "/a", attempts: 4, status: 503, cause: timeout });
        const limits = { ...DEFAULT_LIMITS, maxRetries: 3, requestTimeoutSeconds: 2 };
        assert.match(explainFailure(timeout, undefined, limits), /\[bound hit: autopilot:timeoutSeconds=2, the limit for one request\]$/);
        assert.match(
            explainFailure(exhausted, undefined, limits),
            /\[bound hit: autopilot:maxRetries=3, the retries of one request; autopilot:timeoutSeconds=2, the limit for one request\]$/,
        );
        const plain = new GraphError({ code: "GRAPH_HTTP_ERROR", method: "GET", route: "/a", attempts: 1, status: 403 });
        assert.strictEqual(explainFailure(plain, undefined, limits), plain.message);
    });
});

describe("adoption rules", () => {
    const rec = (id: string, status: string, hardwareIdentifier?: string): Props => ({
        id,
        serialNumber: "S1",
        hardwareIdentifier,
        state: { deviceImportStatus: status },
    });

    it("import records: same capture only (hash when Graph shows one), complete before pending before error", () => {
        const inputs = { serialNumber: "S1", hardwareIdentifier: "AAAA" };
        assert.strictEqual(adoptableRecord([rec("e", "error", "AAAA"), rec("p", "pending", "AAAA"), rec("c", "complete", "AAAA")], inputs)!.id, "c");
        assert.strictEqual(adoptableRecord([rec("e", "error", "AAAA"), rec("p", "pending", "AAAA")], inputs)!.id, "p");
        assert.strictEqual(adoptableRecord([rec("c", "complete", "BBBB")], inputs), undefined, "another capture");
        assert.strictEqual(adoptableRecord([rec("n", "complete")], inputs)!.id, "n", "Graph did not show a hash");
        assert.strictEqual(adoptableRecord([rec("e", "error", "AAAA")], inputs)!.id, "e");
    });

    it("assignments: same kind, group (any case), filter (none by default) and source when given", () => {
        const graph = (target: Props, source = "direct"): Props => ({ id: "a", source, target });
        const want = { target: { kind: "group", groupId: "abc" } };
        assert.ok(
            sameAssignment(
                graph({ "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: "ABC", deviceAndAppManagementAssignmentFilterType: "none" }),
                want,
            ),
        );
        assert.ok(!sameAssignment(graph({ "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", groupId: "abc" }), want));
        assert.ok(!sameAssignment(graph({ "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: "abd" }), want));
        assert.ok(
            !sameAssignment(
                graph({
                    "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                    groupId: "abc",
                    deviceAndAppManagementAssignmentFilterType: "include",
                    deviceAndAppManagementAssignmentFilterId: "f",
                }),
                want,
            ),
        );
        assert.ok(
            !sameAssignment(graph({ "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: "abc" }, "policySets"), { ...want, source: "direct" }),
        );
    });
});

describe("creates of unknown outcome", () => {
    const inputs = { serialNumber: "S1", hardwareIdentifier: "AAAA" };

    it("looks before the first POST and adopts what an earlier run made: no POST", async () => {
        const ctx = fakeContext(() => ({ value: [{ id: "r1", serialNumber: "s1", hardwareIdentifier: "AAAA", state: { deviceImportStatus: "pending" } }] }));
        let posted = 0;
        const made = await createOrAdoptImport(ctx, inputs, async () => ({ id: String(++posted) }));
        assert.deepStrictEqual([made.how, made.graph.id, posted], ["adopted", "r1", 0]);
        // The listing shows a record of the serial: the serial is then looked up on its own, with hashes.
        assert.deepStrictEqual(
            ctx.sent.map((r) => r.query),
            [{ $select: "id,serialNumber", $top: "1000" }, { $filter: "contains(serialNumber,'S1')" }],
        );
        assert.strictEqual(made.graph.hardwareIdentifier, "AAAA", "the adopted record shows its hash (no write of it follows)");
    });

    it("after an ambiguous POST: adopts the record that shows up late, never POSTs again", async () => {
        let lists = 0;
        const ctx = fakeContext(() => ({ value: ++lists >= 4 ? [{ id: "late", serialNumber: "S1", state: { deviceImportStatus: "pending" } }] : [] }));
        let posted = 0;
        const made = await createOrAdoptImport(ctx, inputs, async () => {
            posted++;
            throw ambiguous();
        });
        assert.deepStrictEqual([made.how, made.graph.id, posted], ["adopted after an ambiguous POST", "late", 1]);
    });

    it("after an ambiguous POST that left nothing: POSTs again once the look is over, at most 1 + maxRetries times", async () => {
        const ctx = fakeContext(() => ({ value: [] }), { consistencyTimeoutMs: 500, maxRetries: 2 });
        let posted = 0;
        const made = await createOrAdoptImport(ctx, inputs, async () => {
            if (++posted < 3) throw ambiguous();
            return { id: "third" };
        });
        assert.deepStrictEqual([made.how, made.graph.id, made.posts], ["posted", "third", 3]);

        const always = fakeContext(() => ({ value: [] }), { consistencyTimeoutMs: 500, maxRetries: 1 });
        await assert.rejects(
            createOrAdoptImport(always, inputs, async () => {
                throw ambiguous();
            }),
            /2 POSTs ended without an answer and no import record of the serial showed up \[bound hit: autopilot:maxRetries=1\]/,
        );
    });

    it("other failures are not looked after: a 400 fails at once", async () => {
        const ctx = fakeContext(() => ({ value: [] }));
        const bad = new GraphError({ code: "GRAPH_HTTP_ERROR", method: "POST", route: "/x", attempts: 1, status: 400 });
        await assert.rejects(
            createOrAdoptImport(ctx, inputs, async () => Promise.reject(bad)),
            (e) => e === bad,
        );
        assert.strictEqual(ctx.sent.length, 1, "only the look before the POST");
    });

    it("assignments: the same, on the profile's assignment list", async () => {
        let lists = 0;
        const target = { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" };
        const ctx = fakeContext(() => ({ value: ++lists >= 3 ? [{ id: "made", source: "direct", target }] : [] }));
        let posted = 0;
        const made = await createOrAdoptAssignment(
            ctx,
            { profileId: "p1", target: { kind: "allDevices" } },
            "p1",
            async () => {
                posted++;
                throw ambiguous();
            },
            { where: "profile p1" },
        );
        assert.deepStrictEqual([made.how, made.graph.id, posted], ["adopted after an ambiguous POST", "made", 1]);
        assert.strictEqual(ctx.sent[0].path, "/deviceManagement/windowsAutopilotDeploymentProfiles/p1/assignments");
    });
});

describe("step bounds from config (bounds.ts stepLimits of the resolved settings)", () => {
    it("reads autopilot:stepTimeoutSeconds, consistencyTimeoutSeconds, timeoutSeconds and maxRetries; unset step bound = derived", () => {
        const { resolveSettings } = require("../../../provider/settings");
        const { stepLimits } = require("../../../provider/lifecycle/bounds");
        const limits = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}) => stepLimits(resolveSettings((k: string) => values[k], env));
        assert.deepStrictEqual(limits({}), {
            stepTimeoutMs: 3_600_000,
            stepTimeoutConfigured: false,
            consistencyTimeoutMs: 60_000,
            requestTimeoutSeconds: 100,
            maxRetries: 8,
        });
        assert.deepStrictEqual(DEFAULT_LIMITS, limits({}));
        assert.deepStrictEqual(
            limits({
                "autopilot:stepTimeoutSeconds": "900",
                "autopilot:consistencyTimeoutSeconds": "5",
                "autopilot:timeoutSeconds": "30",
                "autopilot:maxRetries": "20",
            }),
            { stepTimeoutMs: 900_000, stepTimeoutConfigured: true, consistencyTimeoutMs: 5_000, requestTimeoutSeconds: 30, maxRetries: 20 },
        );
        assert.deepStrictEqual(limits({}, { AUTOPILOT_STEP_TIMEOUT_SECONDS: "120" }).stepTimeoutMs, 120_000);
        assert.throws(
            () => limits({ "autopilot:stepTimeoutSeconds": "soon" }),
            /^Error: autopilot:stepTimeoutSeconds \(or AUTOPILOT_STEP_TIMEOUT_SECONDS\) must be a whole number of at least 0; got "soon"$/,
        );
    });
});
