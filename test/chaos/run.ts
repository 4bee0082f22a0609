/**
 * npm run chaos -- --devices 1000 --fault-rate 0.5 [--seed N] [--max-ups 3] [--parallel N]
 *   [--budget-scale 10] [--max-retries 25] [--timeout-seconds 2] [--write-delay-ms 500]
 *   [--consistency-timeout-seconds 4] [--retry-after-seconds 2] [--host-env NAME=value]... [--json]
 * Applies a fleet with the real Pulumi CLI (`pulumi up` on test/projects/fleet) against the
 * emulator under Graph's failure modes, then `pulumi refresh` and `pulumi preview`, and prints what
 * the tenant and the state hold. Exits 1 unless the tenant matches the state with no duplicate,
 * orphan, failure or early retry; 2 on a bad option.
 */
import { ChaosOptions, formatReport, runChaos } from "./chaos";

const USAGE =
    "usage: npm run chaos -- [--devices 1000] [--fault-rate 0.5] [--seed N] [--max-ups 3] [--parallel N] [--budget-scale 10] " +
    "[--max-retries 25] [--timeout-seconds 2] [--write-delay-ms 500] [--consistency-timeout-seconds 4] [--retry-after-seconds 2] " +
    "[--host-env NAME=value]... [--json]";

function parse(argv: string[]): { options: ChaosOptions; json: boolean } {
    const options: ChaosOptions = { devices: 1000, faultRate: 0.5, log: (l) => console.error(l) };
    let json = false;
    const num = (flag: string, v: string | undefined, min = 0): number => {
        const n = Number(v);
        if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number >= ${min}`);
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const v = argv[i + 1];
        switch (flag) {
            case "--devices":
                options.devices = Math.floor(num(flag, v, 1));
                i++;
                break;
            case "--fault-rate":
                options.faultRate = num(flag, v);
                if (options.faultRate > 1) throw new Error("--fault-rate is at most 1");
                i++;
                break;
            case "--seed":
                options.seed = Math.floor(num(flag, v));
                i++;
                break;
            case "--max-ups":
                options.maxUps = Math.floor(num(flag, v, 1));
                i++;
                break;
            case "--parallel":
                options.parallel = Math.floor(num(flag, v, 1));
                i++;
                break;
            case "--budget-scale":
                options.budgetScale = num(flag, v);
                i++;
                break;
            case "--max-retries":
                options.maxRetries = Math.floor(num(flag, v));
                i++;
                break;
            case "--timeout-seconds":
                options.timeoutSeconds = Math.floor(num(flag, v, 1));
                i++;
                break;
            case "--write-delay-ms":
                options.writeDelayMs = num(flag, v);
                i++;
                break;
            case "--consistency-timeout-seconds":
                options.consistencyTimeoutSeconds = Math.floor(num(flag, v, 1));
                i++;
                break;
            case "--retry-after-seconds":
                options.retryAfterSeconds = num(flag, v);
                i++;
                break;
            case "--json":
                json = true;
                break;
            case "--host-env": {
                const [k, ...rest] = String(v ?? "").split("=");
                if (!k || rest.length === 0) throw new Error("--host-env needs NAME=value");
                options.hostEnv = { ...options.hostEnv, [k]: rest.join("=") };
                i++;
                break;
            }
            case "-h":
            case "--help":
                console.log(USAGE);
                return process.exit(0);
            default:
                throw new Error(`unknown option '${flag}'`);
        }
    }
    return { options, json };
}

async function main(): Promise<void> {
    let parsed: ReturnType<typeof parse>;
    try {
        parsed = parse(process.argv.slice(2));
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        process.exit(2);
    }
    const report = await runChaos(parsed.options);
    console.log(parsed.json ? JSON.stringify(report, null, 2) : formatReport(report));
    process.exit(report.converged ? 0 : 1);
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
