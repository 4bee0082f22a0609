import * as assert from "assert";
import { nextPollDelay, waitForImport } from "../../../provider/resources/importedIdentity/spec";
import type { GraphClient } from "../../../provider/graph";
import type { LifecycleContext } from "../../../provider/lifecycle/spec";
import { GraphSession } from "../../../provider/session";

/** A context whose clock only moves when the code sleeps, and whose Graph answers from a script. */
function fakeContext(statuses: string[]) {
    let now = 0;
    const sleeps: number[] = [];
    const gets: string[] = [];
    const graph = {
        async send(req: { method: string; path: string }) {
            gets.push(`${req.method} ${req.path}`);
            const status = statuses.shift() ?? "pending";
            return {
                status: 200,
                headers: {},
                attempts: 1,
                body: {
                    id: "imp-1",
                    serialNumber: "8CG1",
                    state: {
                        deviceImportStatus: status,
                        deviceRegistrationId: status === "complete" ? "dev-1" : "",
                        deviceErrorCode: status === "error" ? 806 : 0,
                        deviceErrorName: status === "error" ? "ZtdDeviceAlreadyAssigned" : "",
                    },
                },
            };
        },
    } as unknown as GraphClient;
    const ctx = {
        ...new GraphSession({ graph }).context(),
        async sleep(ms: number) {
            sleeps.push(ms);
            now += ms;
        },
        now: () => now,
    } as unknown as LifecycleContext;
    return { ctx, sleeps, gets, elapsed: () => now };
}

const pending = { id: "imp-1", serialNumber: "8CG1", state: { deviceImportStatus: "pending" } };

describe("waiting for an import", () => {
    it("polls with growing intervals (2 s, x1.5, at most 30 s) until complete", async () => {
        const { ctx, sleeps, gets } = fakeContext(["pending", "pending", "pending", "complete"]);
        const done = await waitForImport(ctx, "imp-1", pending, { importTimeoutSeconds: 1800 });
        assert.strictEqual((done.state as Record<string, unknown>).deviceRegistrationId, "dev-1");
        assert.deepStrictEqual(sleeps, [2000, 3000, 4500, 6750]);
        assert.deepStrictEqual(gets, Array(4).fill("GET /deviceManagement/importedWindowsAutopilotDeviceIdentities/imp-1"));
        assert.strictEqual(nextPollDelay(25000, 2000), 30000);
    });

    it("fails with the device error and its meaning, carrying the record's last state", async () => {
        const { ctx } = fakeContext(["error"]);
        await assert.rejects(waitForImport(ctx, "imp-1", pending, {}), (e: Error & { graph?: Record<string, unknown> }) => {
            assert.match(e.message, /ended with status error: 806 ZtdDeviceAlreadyAssigned: the device is already registered in this tenant/);
            assert.strictEqual((e.graph!.state as Record<string, unknown>).deviceImportStatus, "error");
            return true;
        });
    });

    it("times out without sleeping past the deadline, and says how to resume", async () => {
        const { ctx, elapsed } = fakeContext([]);
        await assert.rejects(
            waitForImport(ctx, "imp-1", pending, { importTimeoutSeconds: 60 }),
            /still pending after importTimeoutSeconds=60\. The import record imp-1 is in the state: run `pulumi up` again to resume waiting/,
        );
        assert.ok(elapsed() <= 60000, `slept ${elapsed()} ms`);
    });
});
