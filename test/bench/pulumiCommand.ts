/**
 * Runs one `pulumi` command in a program folder as a user's pipeline does, and measures it: wall
 * time, the CPU and peak memory of every process it starts (processTree.ts), the state file's
 * writes (stateWrites.ts) and what happened to each resource (the engine's events).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { performance } from "perf_hooks";
import { EventSummary, summarizeEvents } from "./engineEvents";
import { ProcessTreeSampler, TreeUsage } from "./processTree";
import { StateWriteCounts, StateWriteWatcher } from "./stateWrites";

export interface PulumiCommandOptions {
    /** The `pulumi` binary. */
    bin: string;
    /** `["up", "--yes", ...]`; `--event-log` is added. */
    args: string[];
    /** The program folder. */
    cwd: string;
    env: Record<string, string>;
    /** The stack's state file, whose writes are counted. */
    stateFile: string;
    /** Where the event log goes (removed afterwards unless `keepEventLog`); none for commands without one (`cancel`). */
    eventLog?: string;
    keepEventLog?: boolean;
    /** Gets the CLI's output as it comes (for a log). */
    onOutput?: (text: string) => void;
    /** Called with the CLI's pid once it runs (to interrupt it). */
    onStart?: (pid: number) => void;
}

export interface PulumiCommandResult {
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    wallMs: number;
    usage: TreeUsage;
    stateWrites: StateWriteCounts;
    events: EventSummary;
    /** The last 4 KB of what the CLI printed (stdout and stderr). */
    outputTail: string;
}

export async function runPulumiCommand(o: PulumiCommandOptions): Promise<PulumiCommandResult> {
    if (o.eventLog) fs.rmSync(o.eventLog, { force: true });
    const watcher = new StateWriteWatcher(o.stateFile);
    const t0 = performance.now();
    // The CLI takes --event-log only with its debug commands on, as the Automation API runs it.
    const env = { ...o.env, PULUMI_DEBUG_COMMANDS: "true" };
    const args = o.eventLog ? [...o.args, "--event-log", o.eventLog] : o.args;
    const child = spawn(o.bin, args, { cwd: o.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const sampler = new ProcessTreeSampler(child.pid!).start();
    o.onStart?.(child.pid!);
    let tail = "";
    const take = (d: Buffer): void => {
        const text = d.toString();
        tail = (tail + text).slice(-4096);
        o.onOutput?.(text);
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code, sig) => resolve([code, sig]));
    });
    const wallMs = performance.now() - t0;
    const usage = sampler.stop();
    // The last rename's event may still be on its way.
    await new Promise((r) => setTimeout(r, 50));
    const stateWrites = watcher.stop();
    const events = o.eventLog ? await summarizeEvents(o.eventLog) : { done: {}, failed: 0, errors: [] };
    if (o.eventLog && !o.keepEventLog) fs.rmSync(o.eventLog, { force: true });
    return { exitCode, signal, wallMs, usage, stateWrites, events, outputTail: tail };
}
