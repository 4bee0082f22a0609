// A `pulumi up` interrupted while its imports wait for Autopilot: one Ctrl-C, two Ctrl-Cs, and a
// crash (SIGKILL of the CLI and every process it started). Each is followed by what a user runs
// next, and the tenant must then match the state: one import record per serial (no duplicate),
// every object the runs made in the state (no orphan), no pending operation left behind.
//
// The kill lands at a chosen moment, not after a sleep: the emulator holds every new import
// pending, and the signal is sent once each record exists and has been read back once.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { auditFleet, snapshotTenant, TenantSnapshot } from "../chaos/audit";
import { fleetCsv } from "../chaos/fleetCsv";
import { TestStack } from "../pulumi/stack";
import { assertFailedExit, crash, descendants, isRunning, PulumiProcess, runPulumi, startPulumi } from "./cliProcess";
import { CliHarness, startCliHarness } from "./harness";

const IMPORTS = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES_IN_FLEET = 3;
const UP = ["up", "--yes", "--skip-preview"];
const PROFILE_GROUP = "3b2b1a4e-0c53-4d2e-9a39-4b0a3f7c9d11";
const PROFILE = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"; // the seeded "Sales (Entra join)"

async function waitFor(what: string, done: () => boolean, proc?: PulumiProcess, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${proc ? `; the CLI printed:\n${proc.output()}` : ""}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe("an interrupted pulumi up, then what a user runs next, converges (fleet with imports, devices, assignments)", function () {
    this.timeout(240_000);
    let h: CliHarness;
    before(async () => {
        h = await startCliHarness({ profile: "live", importPendingReads: 1 });
    });
    after(async () => h?.close());
    // A failed test must not leave its CLI running or its imports held for the next one.
    const cleanups: (() => void)[] = [];
    beforeEach(() => h.emu.clearRequests());
    afterEach(() =>
        cleanups
            .splice(0)
            .reverse()
            .forEach((c) => c()),
    );

    /** A fleet stack of its own serials; imports made from now on stay pending until `release()`. */
    async function fleet(prefix: string) {
        const { csv, serials } = fleetCsv(DEVICES_IN_FLEET, prefix);
        const stack = await h.project("fleet", { csvFile: "devices.csv", profileId: PROFILE, profileGroupId: PROFILE_GROUP });
        fs.writeFileSync(path.join(stack.workDir, "devices.csv"), csv);
        const seed = snapshotTenant(h.emu);
        const timer = setInterval(() => {
            for (const k of h.emu.tenant.importedIdentities.keys()) if (!seed.imports.has(k)) h.emu.tenant.pendingImports.set(k, 0);
        }, 5);
        const records = () => [...h.emu.tenant.importedIdentities.values()].filter((r) => serials.includes(String(r.serialNumber)));
        const locks = () => {
            const dir = path.join(h.sandbox.backendDir, ".pulumi", "locks", "organization", "autopilot-fleet", stack.stack.name);
            // One <id>.json per lock (the file backend writes an .attrs file beside each).
            return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
        };
        const release = () => clearInterval(timer);
        cleanups.push(release, () => stack.dispose());
        return { stack, serials, seed, records, locks, release };
    }

    /** Starts `pulumi up` and resolves once every import record exists and has been read back (its step is waiting). */
    async function upUntilImportsWait(f: Awaited<ReturnType<typeof fleet>>): Promise<PulumiProcess> {
        const proc = startPulumi(f.stack, UP);
        cleanups.push(() => proc.child.exitCode === null && proc.child.signalCode === null && crash(proc));
        await waitFor(
            "every import record to be made and read back",
            () => {
                const made = f.records();
                return made.length === DEVICES_IN_FLEET && made.every((r) => h.emu.requests.some((q) => q.method === "GET" && q.path === `${IMPORTS}/${r.id}`));
            },
            proc,
        );
        return proc;
    }

    /**
     * Nothing reaches Graph after a signal (beyond a request already on its way): the waiting steps
     * poll every few hundred ms by then, so a host that kept polling would show within a second.
     */
    async function assertQuietAfter(signalledAt: number): Promise<void> {
        await new Promise((r) => setTimeout(r, Math.max(0, signalledAt + 1000 - Date.now())));
        const late = h.emu.requests.filter((r) => r.time > signalledAt + 250);
        assert.deepStrictEqual(
            late.map((r) => `${r.method} ${r.path}`),
            [],
            "nothing is sent once the host is signalled",
        );
    }

    async function assertConverged(stack: TestStack, serials: string[], seed: TenantSnapshot): Promise<void> {
        const audit = auditFleet(h.emu, await stack.resources(), serials, seed);
        assert.deepStrictEqual(audit.problems, []);
        assert.deepStrictEqual([audit.present, audit.duplicated, audit.orphaned], [audit.expected, 0, 0]);
        assert.deepStrictEqual(await stack.pendingOperations(), []);
        const plan = await stack.preview();
        assert.deepStrictEqual(
            plan.steps.filter((s) => s.op !== "same"),
            [],
            "nothing left to do",
        );
    }

    it("SIGKILL of the CLI and its processes (a crash): the lock and pending CREATEs stay; cancel, refresh --clear-pending-creates and up adopt what it made", async () => {
        const f = await fleet("KL");
        const proc = await upUntilImportsWait(f);
        const tree = descendants(proc.child.pid!);
        crash(proc);
        const killed = await proc.exited;
        const killedAt = Date.now();
        assert.strictEqual(killed.signal, "SIGKILL");
        await new Promise((r) => setTimeout(r, 500));
        assert.deepStrictEqual(tree.filter(isRunning), [], "no process of the killed run lives on");
        assert.deepStrictEqual(
            h.emu.requests.filter((r) => r.time > killedAt).map((r) => `${r.method} ${r.path}`),
            [],
            "nothing sent after the crash",
        );
        const made = f.records();
        assert.strictEqual(made.length, DEVICES_IN_FLEET, "Graph made every record before the crash");
        const pending = await f.stack.pendingOperations();
        assert.deepStrictEqual(
            pending.map((o) => [o.type, o.id]),
            made.map(() => ["creating", undefined]),
            "the state knows the creates began, not what they made",
        );
        assert.ok(pending.every((o) => o.name.startsWith("fleet-import-")));
        f.release();

        // What a user who runs `pulumi up` again sees: the DIY backend's lock outlived the CLI.
        assert.strictEqual(f.locks().length, 1, "the killed CLI's lock is still there");
        const locked = await runPulumi(f.stack, UP);
        assert.notStrictEqual(locked.code, 0);
        assert.match(
            locked.stderr,
            /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`/,
        );
        assert.strictEqual((await runPulumi(f.stack, ["cancel", "--yes"])).code, 0);

        // A refresh as CI runs it (non-interactive) reads what the state has and keeps the pending CREATEs.
        assert.strictEqual((await runPulumi(f.stack, ["refresh", "--yes", "--skip-preview"])).code, 0);
        assert.strictEqual((await f.stack.pendingOperations()).length, DEVICES_IN_FLEET, "kept: 3.248 clears pending CREATEs only when asked");
        const cleared = await runPulumi(f.stack, ["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
        assert.strictEqual(cleared.code, 0, cleared.stdout + cleared.stderr);
        assert.deepStrictEqual(await f.stack.pendingOperations(), []);

        // The next up creates the imports again: each finds the record the killed run made and adopts it.
        const up = await runPulumi(f.stack, UP);
        assert.strictEqual(up.code, 0, up.stdout + up.stderr);
        assert.doesNotMatch(up.stdout, /pending operations/);
        assert.deepStrictEqual(
            f
                .records()
                .map((r) => r.id)
                .sort(),
            made.map((r) => r.id).sort(),
            "no second record for any serial",
        );
        await assertConverged(f.stack, f.serials, f.seed);
    });

    it("one Ctrl-C (SIGINT to the CLI): the waiting imports finish, nothing new starts, nothing is pending; the next up does the rest", async () => {
        const f = await fleet("IN");
        const proc = await upUntilImportsWait(f);
        process.kill(proc.child.pid!, "SIGINT");
        await waitFor("the CLI to say it is cancelling", () => proc.output().includes("^C received; cancelling."), proc);
        const signalledAt = Date.now();
        // The provider host is not told (the dynamic-provider host ignores the engine's Cancel): its steps keep waiting.
        await waitFor(
            "the imports to be read again after the Ctrl-C",
            () => f.records().every((r) => h.emu.requests.some((q) => q.time > signalledAt && q.method === "GET" && q.path === `${IMPORTS}/${r.id}`)),
            proc,
        );
        assert.strictEqual(proc.child.exitCode, null, "the CLI waits for the running steps");
        f.release();
        const cancelled = await proc.exited;
        assertFailedExit(cancelled);
        assert.match(cancelled.stdout, /error: update canceled/);
        assert.doesNotMatch(cancelled.stdout, /pulumi-autopilot\] SIGINT: stopping/, "no step was running when the host was stopped");

        const state = await f.stack.resources();
        const byName = (prefix: string) => state.filter((r) => r.urn.includes(`::${prefix}`));
        assert.strictEqual(byName("fleet-import-").length, DEVICES_IN_FLEET, "the imports that were running finished");
        // The profile's assignment does not wait for any device: it may have been made before the Ctrl-C.
        assert.strictEqual(byName("fleet-device-").length, 0, "no device step started");
        assert.ok(!h.emu.requests.some((r) => r.path.endsWith("/updateDeviceProperties")));
        assert.deepStrictEqual(await f.stack.pendingOperations(), []);

        const made = f
            .records()
            .map((r) => r.id)
            .sort();
        const up = await runPulumi(f.stack, UP);
        assert.strictEqual(up.code, 0, up.stdout + up.stderr);
        assert.deepStrictEqual(
            f
                .records()
                .map((r) => r.id)
                .sort(),
            made,
        );
        await assertConverged(f.stack, f.serials, f.seed);
    });

    it("two Ctrl-Cs: the CLI ends at once, the provider host stops its steps and sends nothing more; pending CREATEs as after a crash, and refresh --clear-pending-creates and up converge", async () => {
        const f = await fleet("TW");
        const proc = await upUntilImportsWait(f);
        const tree = descendants(proc.child.pid!);
        process.kill(proc.child.pid!, "SIGINT");
        await waitFor("the CLI to say it is cancelling", () => proc.output().includes("^C received; cancelling."), proc);
        process.kill(proc.child.pid!, "SIGINT");
        const signalledAt = Date.now();
        const terminated = await proc.exited;
        const exitedAfterMs = Date.now() - signalledAt;
        // The imports are still held pending: only the second signal ended the run.
        assert.ok(exitedAfterMs < 10_000, `the CLI took ${exitedAfterMs} ms to end`);
        assert.notStrictEqual(terminated.code, 0);
        assert.match(terminated.stdout, /\^C received; terminating/);
        assert.match(terminated.stdout, /\[pulumi-autopilot\] SIGINT: stopping 3 running step\(s\)/, "the host was signalled while its steps waited");
        await waitFor("every process of the run to end", () => !tree.some(isRunning), undefined, 5_000);
        await assertQuietAfter(signalledAt);
        // The CLI did not wait for the stopped steps' answers: the state has the creates as pending, with no ids.
        const made = f.records();
        assert.deepStrictEqual(
            (await f.stack.pendingOperations()).map((o) => [o.type, o.id]),
            made.map(() => ["creating", undefined]),
        );
        assert.deepStrictEqual(f.locks(), [], "no lock left: the CLI released it");
        f.release();

        const cleared = await runPulumi(f.stack, ["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
        assert.strictEqual(cleared.code, 0, cleared.stdout + cleared.stderr);
        const up = await runPulumi(f.stack, UP);
        assert.strictEqual(up.code, 0, up.stdout + up.stderr);
        assert.deepStrictEqual(
            f
                .records()
                .map((r) => r.id)
                .sort(),
            made.map((r) => r.id).sort(),
            "each record adopted, none made again",
        );
        await assertConverged(f.stack, f.serials, f.seed);
    });

    it("SIGTERM to every process of the run (a runner's service stopped): the host answers each waiting step with its record's id at once, the engine keeps them (initErrors), nothing is pending; the next up finishes them", async () => {
        const f = await fleet("TM");
        const proc = await upUntilImportsWait(f);
        const tree = descendants(proc.child.pid!);
        const signalledAt = Date.now();
        for (const pid of [proc.child.pid!, ...tree]) process.kill(pid, "SIGTERM");
        const stopped = await proc.exited;
        const exitedAfterMs = Date.now() - signalledAt;
        assert.ok(exitedAfterMs < 10_000, `the CLI took ${exitedAfterMs} ms to end`);
        assertFailedExit(stopped);
        assert.match(stopped.stdout, /SIGTERM received; cancelling/);
        assert.match(stopped.stdout, /\[pulumi-autopilot\] SIGTERM: stopping 3 running step\(s\)/);
        assert.match(stopped.stdout, /fleet-import-TM000001\):\n\s+error: 1 error occurred:\n\s+\* cancelled: the provider host received SIGTERM/);
        await waitFor("every process of the run to end", () => !tree.some(isRunning), undefined, 5_000);
        await assertQuietAfter(signalledAt);

        // The engine waited for the answers: each record is in the state, marked unfinished, and nothing is pending.
        const made = f.records();
        const imports = (await f.stack.resources()).filter((r) => r.urn.includes("::fleet-import-"));
        assert.deepStrictEqual(imports.map((r) => r.id).sort(), made.map((r) => r.id).sort());
        assert.ok(
            imports.every((r) => r.initErrors?.length === 1 && /cancelled: the provider host received SIGTERM/.test(r.initErrors[0])),
            JSON.stringify(imports.map((r) => r.initErrors)),
        );
        assert.deepStrictEqual(await f.stack.pendingOperations(), []);
        assert.deepStrictEqual(f.locks(), []);
        f.release();

        h.emu.clearRequests();
        const up = await f.stack.up();
        assert.deepStrictEqual(
            up.steps.filter((s) => s.name.startsWith("fleet-import-")).map((s) => s.op),
            ["update", "update", "update"],
            "the imports' waits resume",
        );
        assert.ok(!h.emu.requests.some((r) => r.method === "POST" && r.path.startsWith(IMPORTS)), "no import sent again");
        await assertConverged(f.stack, f.serials, f.seed);
    });
});
