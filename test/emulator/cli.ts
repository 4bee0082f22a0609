/**
 * Runs the emulator by hand:
 *   npm run emulator -- --port 8787 --profile live --seed path.json --token T
 * Options: --port N (default 8787; 0 = ephemeral), --profile documented|live, --seed FILE,
 * --token T (repeatable), --import-pending-reads N, --write-delay-ms N, --latency-ms N,
 * --faults FILE (fault modes as JSON, see chaos.ts), --budgets SCALE (Intune's budgets times SCALE).
 * Prints the base URL and the accepted token(s); stops on SIGINT/SIGTERM.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_TOKEN, EmulatorOptions, INTUNE_BUDGETS, startEmulator } from "./index";

const USAGE =
    "usage: npm run emulator -- [--port 8787] [--profile documented|live] [--seed tenant.json] [--token T]... " +
    "[--import-pending-reads 2] [--write-delay-ms 0] [--latency-ms 0] [--faults modes.json] [--budgets 1]";

function number(flag: string, v: string | undefined): number {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number >= 0`);
    return n;
}

/** Parses the command line into emulator options. */
export function parseArgs(argv: string[]): EmulatorOptions {
    const opts: EmulatorOptions = { port: 8787 };
    const tokens: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        switch (flag) {
            case "--port":
                opts.port = number(flag, value);
                break;
            case "--profile":
                if (value !== "documented" && value !== "live") throw new Error("--profile is documented or live");
                opts.profile = value;
                break;
            case "--seed":
                if (!value) throw new Error("--seed needs a file");
                opts.seed = path.resolve(value);
                break;
            case "--token":
                if (!value) throw new Error("--token needs a value");
                tokens.push(value);
                break;
            case "--import-pending-reads":
                opts.importPendingReads = number(flag, value);
                break;
            case "--write-delay-ms":
                opts.writeVisibilityDelayMs = number(flag, value);
                break;
            case "--latency-ms":
                opts.latencyMs = number(flag, value);
                break;
            case "--faults":
                if (!value) throw new Error("--faults needs a JSON file");
                opts.faults = { ...opts.faults, ...JSON.parse(fs.readFileSync(path.resolve(value), "utf8")) };
                break;
            case "--budgets":
                opts.faults = { ...opts.faults, budgets: { ...INTUNE_BUDGETS, scale: number(flag, value) } };
                break;
            case "--help":
            case "-h":
                console.log(USAGE);
                return process.exit(0);
            default:
                throw new Error(`unknown option '${flag}'`);
        }
        i++;
    }
    if (tokens.length) opts.tokens = tokens;
    return opts;
}

async function main(): Promise<void> {
    let opts: EmulatorOptions;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        process.exit(2);
    }
    const emulator = await startEmulator(opts);
    console.log(`Graph emulator (${emulator.profile} profile) listening on ${emulator.url}`);
    console.log(`  Graph endpoint: ${emulator.url}  (append /beta or /v1.0)`);
    // These are test tokens the emulator itself accepts, not credentials: printing them is the point.
    console.log(`  Accepted bearer token(s): ${(opts.tokens ?? [DEFAULT_TOKEN]).join(", ")}`);
    console.log(
        `  Try: curl -H "Authorization: Bearer ${(opts.tokens ?? [DEFAULT_TOKEN])[0]}" ${emulator.url}/beta/deviceManagement/windowsAutopilotDeviceIdentities`,
    );
    const stop = (): void => {
        console.log("stopping");
        emulator.close().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
}
