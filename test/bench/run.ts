/**
 * `npm run bench -- --devices N [--latency 20] [--budget-scale 10] [--profile documented|live]
 *                  [--sides a,b,a-no-batch,a-no-bulk,a-no-adaptive,a-no-list] [--checkpoints per-step|skip|both]
 *                  [--parallel P] [--import-record keep|remove] [--host-heap-mb M] [--scenarios apply,plan,...]
 *                  [--cli-profile <scenario>] [--compare <checkout>] [--keep] [--out bench-results]`
 *
 * Every scenario is one `pulumi` command of the real CLI (`npm run pulumi-cli` makes it) in a
 * program folder under .test-work/, with a file backend in a temporary folder.
 * --parallel is `pulumi up --parallel` (0, the default here, = unbounded; Pulumi's own default is
 * 4 x CPUs). --budget-scale shortens Intune's 20-s windows (default 10: 200 writes per 2 s).
 * --checkpoints: per-step (Pulumi's default, the default here), skip (PULUMI_SKIP_CHECKPOINTS=true:
 * one state write at the end) or both (a column each, in the same run).
 * --import-record remove: the fleet deletes each import record once its device exists (so a
 * refresh reads one object per device).
 * --host-heap-mb M sets `NODE_OPTIONS=--max-old-space-size=M` for `pulumi`, which reaches every node
 * process it starts: the provider host and the program alike. 0, the default, leaves Node's own limit.
 * --cli-profile <scenario>: a Go CPU profile of the CLI in that scenario (`pulumi --profiling`), with
 * the seconds spent saving checkpoints; the profiler slows that scenario down.
 * --compare <checkout>: another checkout of this repository, built with `npm ci` (e.g.
 * `git worktree add ../before <commit> && (cd ../before && npm ci)`): every (a) column runs again
 * with that checkout's package right after this one's, same Graph service and CLI, and the table's
 * ratio column is (a)/(a@<its commit>) when (b) is not run. A change's before and after in one run.
 * --keep: keep the program folders, event logs and the state backend (their paths are printed).
 * Diagnostics: BENCH_TIMELINE=1 (print per-second admitted reads/writes/429s), BENCH_CLI_OUTPUT=1
 * (print what the CLI prints), BENCH_HOST_LOG=1 (the provider's log, shown by the CLI).
 *
 * Prints the table and writes the figures as JSON (bench-results/, git-ignored). By default it runs
 * (a) and (b) with per-step checkpoints.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../pulumi/cli";
import { CheckpointMode, runBench, Scenario, SCENARIOS, SideName, SIDES } from "./bench";
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
        sides = ["a", "b"];
    }
    const checkpointArg = typeof args.checkpoints === "string" ? args.checkpoints : "per-step";
    const checkpoints: CheckpointMode[] =
        checkpointArg === "both" ? ["per-step", "skip"] : checkpointArg === "skip" ? ["skip"] : checkpointArg === "per-step" ? ["per-step"] : [];
    if (checkpoints.length === 0) throw new Error(`--checkpoints must be per-step, skip or both, got ${checkpointArg}`);
    let scenarios: Scenario[] | undefined;
    if (typeof args.scenarios === "string") {
        scenarios = args.scenarios.split(",").map((s) => s.trim()) as Scenario[];
        for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`--scenarios: unknown scenario ${s} (${SCENARIOS.join(", ")})`);
    }
    const cliProfile = typeof args["cli-profile"] === "string" ? (args["cli-profile"] as Scenario) : undefined;
    if (cliProfile && !SCENARIOS.includes(cliProfile)) throw new Error(`--cli-profile: unknown scenario ${cliProfile} (${SCENARIOS.join(", ")})`);
    const importRecord = (args["import-record"] as string) ?? "keep";
    if (importRecord !== "keep" && importRecord !== "remove") throw new Error("--import-record must be keep or remove");
    const profile = (args.profile as string) ?? "documented";
    if (profile !== "documented" && profile !== "live") throw new Error("--profile must be documented or live");
    let compare: { root: string; label: string } | undefined;
    if (typeof args.compare === "string") {
        const root = path.resolve(args.compare);
        const head = require("child_process").execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
        compare = { root, label: head };
    } else if (args.compare !== undefined) throw new Error("--compare needs the path of another checkout of this repository");
    const result = await runBench({
        compare,
        devices,
        latencyMs: number(args, "latency", 20, 0, 5000),
        budgetScale: number(args, "budget-scale", 10, 0.01, 1000),
        profile,
        sides,
        parallel: Math.floor(number(args, "parallel", 0, 0, 2_147_483_647)),
        importRecord,
        hostHeapMb: Math.floor(number(args, "host-heap-mb", 0, 0, 65_536)),
        checkpoints,
        scenarios,
        cliProfile,
        keepWork: args.keep === true,
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
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
