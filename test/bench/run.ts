/**
 * `npm run bench -- --devices N [--latency 20] [--budget-scale 10] [--profile documented|live]
 *                  [--sides a,b,a-no-batch,a-no-bulk,a-no-adaptive,a-no-list] [--no-variants] [--parallel P]
 *                  [--import-record keep|remove] [--host-heap-mb M] [--out bench-results]`
 *
 * --parallel is `pulumi up --parallel` (0, the default here, = unbounded; Pulumi's own default is
 * 4 x CPUs). --budget-scale shortens Intune's 20-s windows (default 10: 200 writes per 2 s).
 * --import-record remove: the fleet deletes each import record once its device exists (so a
 * refresh reads one object per device).
 * --host-heap-mb M gives the host `NODE_OPTIONS=--max-old-space-size=M`, as a user does under
 * `pulumi up` to bound its memory (README, Performance); 0, the default, leaves Node's own limit.
 * Diagnostics: BENCH_SCENARIOS=apply,plan (run only these), BENCH_TIMELINE=1 (print per-second
 * admitted reads/writes/429s), BENCH_HOST_LOG=<file> (the provider's log from the host),
 * BENCH_CPU_PROFILE=<scenario> (a V8 CPU profile of the bench process during that scenario, in the temp folder),
 * BENCH_PROGRAM_CPU_PROFILE=<folder> (a V8 CPU profile of each run of the program's process, there),
 * BENCH_HOST_CPU_PROFILE=<folder> (the same for each host process).
 *
 * Prints the table and writes the figures as JSON (bench-results/, git-ignored). By default it runs
 * (a), (b) and the three variants of (a) with one speed feature off each, so every feature's
 * before/after is measured in the same run.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../runner/host";
import { runBench, SideName, SIDES } from "./bench";
import { checkTargets, formatTable } from "./report";

function parseArgs(argv: string[]): Record<string, string | boolean> {
    const out: Record<string, string | boolean> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
        const [k, v] = a.slice(2).split("=", 2);
        if (v !== undefined) out[k] = v;
        else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) out[k] = argv[++i];
        else out[k] = true;
    }
    return out;
}

function number(args: Record<string, string | boolean>, key: string, dflt: number, min: number, max: number): number {
    const raw = args[key];
    if (raw === undefined) return dflt;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${key} must be a number from ${min} to ${max}, got ${raw}`);
    return v;
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
        console.log(fs.readFileSync(__filename, "utf8").split("*/")[0]);
        return;
    }
    const devices = Math.floor(number(args, "devices", 1000, 1, 10_000));
    let sides: SideName[];
    if (typeof args.sides === "string") {
        sides = args.sides.split(",").map((s) => s.trim()) as SideName[];
        for (const s of sides) if (!(s in SIDES)) throw new Error(`--sides: unknown side ${s} (${Object.keys(SIDES).join(", ")})`);
    } else {
        sides = args["no-variants"] ? ["a", "b"] : ["a", "b", "a-no-batch", "a-no-bulk", "a-no-adaptive", "a-no-list"];
    }
    const profile = (args.profile as string) ?? "documented";
    if (profile !== "documented" && profile !== "live") throw new Error("--profile must be documented or live");
    const result = await runBench({
        devices,
        latencyMs: number(args, "latency", 20, 0, 5000),
        budgetScale: number(args, "budget-scale", 10, 0.01, 1000),
        profile,
        sides,
        parallel: Math.floor(number(args, "parallel", 0, 0, 1_000_000)),
        importRecord: args["import-record"] === "remove" ? "remove" : "keep",
        hostHeapMb: Math.floor(number(args, "host-heap-mb", 0, 0, 65_536)),
        log: (line) => console.log(line),
    });
    console.log("\n" + formatTable(result));
    const dir = path.resolve(REPO_ROOT, typeof args.out === "string" ? args.out : "bench-results");
    fs.mkdirSync(dir, { recursive: true });
    const json = JSON.stringify({ ...result, targets: checkTargets(result) }, null, 2);
    const file = path.join(dir, `bench-${devices}-${result.startedAt.replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, json);
    fs.writeFileSync(path.join(dir, "latest.json"), json);
    console.log(`\nfigures: ${path.relative(process.cwd(), file)}`);
}

main().then(
    () => {
        // Pulumi's SDK sets exit code 1 at exit when registrations were left unanswered (the
        // baseline's failed resources): the bench itself succeeded.
        process.on("exit", () => {
            process.exitCode = 0;
        });
        process.exit(0);
    },
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
