// The CI-sized chaos run: 200 devices through the real Pulumi CLI under Graph's failure modes.
// `npm run chaos -- --devices 1000 --fault-rate 0.5` is the full-size run.
import * as assert from "assert";
import { formatReport, runChaos } from "./chaos";

describe("chaos: a 200-device fleet under faults converges in one pulumi up", function () {
    // The run's own bound: about 3.2 min here at --parallel 64 (6.6 min at the engine's default
    // of 8 on 2 cores), on a machine other test runs share.
    this.timeout(600_000);

    it("the tenant matches the state: every object present, none duplicated or orphaned, nothing failed, no early retry; refresh and a preview after it change nothing", async () => {
        const lines: string[] = [];
        // Random 429s ask for 1 s (the full run: 2 s): each one holds the provider's requests that long.
        const report = await runChaos({ devices: 200, faultRate: 0.2, retryAfterSeconds: 1, maxUps: 1, parallel: 64, log: (l) => lines.push(l) });
        const text = `${formatReport(report)}\n${lines.join("\n")}`;
        assert.strictEqual(report.expected, 401, text); // 200 imports, 200 devices, the fleet's one profile assignment
        assert.strictEqual(report.present, 401, text);
        assert.strictEqual(report.duplicated, 0, text);
        assert.strictEqual(report.orphaned, 0, text);
        assert.strictEqual(report.failed, 0, text);
        assert.strictEqual(report.ups, 1, text);
        assert.strictEqual(report.earlyRetries, 0, text);
        assert.strictEqual(report.refreshDrift, 0, text);
        assert.strictEqual(report.secondPlanChanges, 0, text);
        assert.ok(report.converged, text);
        // The faults did happen: each mode struck, and the provider retried.
        const kinds = Object.keys(report.faults).join(", ");
        for (const kind of [/^random 429$/, /^random 50[0234]$/, /^reset before processing$/, /^reset after processing$/, /\(processed\)$/]) {
            assert.ok(
                Object.keys(report.faults).some((k) => kind.test(k)),
                `no ${kind} fault injected (${kinds})`,
            );
        }
        assert.ok(report.retries > 100, text);
    });
});
