/**
 * `pulumi` run as a child process in a stack's folder, for what the Automation API cannot do: send
 * it signals as a user or a CI runner does (Ctrl-C, a kill) and read the exact text it prints.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { TestStack } from "../pulumi/stack";

/** How a `pulumi` process ended, with everything it printed. */
export interface PulumiExit {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/** A running `pulumi` command. */
export interface PulumiProcess {
    child: ChildProcess;
    /** What it printed so far. */
    output(): string;
    /** Resolves when it has exited. */
    exited: Promise<PulumiExit>;
}

/**
 * Starts `pulumi <args> --stack <stack>` in the stack's folder with the stack's environment. It
 * leads a process group of its own, as a command started from a shell does (Ctrl-C in a terminal
 * reaches the CLI; Pulumi starts its plugins in process groups of their own).
 */
export function startPulumi(stack: TestStack, args: string[]): PulumiProcess {
    const env = stack.commandEnv();
    const child = spawn("pulumi", [...args, "--stack", stack.stack.name], { cwd: stack.workDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<PulumiExit>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
    return { child, output: () => stdout + stderr, exited };
}

/**
 * Asserts that `pulumi` ended by itself (not by a signal) with a failure. Which non-zero code a
 * failure gets depends on the CLI's release: older ones exit 255 on every error, later ones 1 for
 * a general error and their own codes for some others, so what is checked is "not 0".
 */
export function assertFailedExit(exit: PulumiExit): void {
    const text = exit.stdout + exit.stderr;
    assert.strictEqual(exit.signal, null, `pulumi was ended by ${exit.signal}:\n${text}`);
    assert.ok(exit.code !== null && exit.code !== 0, `pulumi exited with ${exit.code}, expected a failure:\n${text}`);
}

/** Runs `pulumi <args>` to its end. */
export function runPulumi(stack: TestStack, args: string[]): Promise<PulumiExit> {
    return startPulumi(stack, args).exited;
}

/** The state letter of a process in /proc (R, S, Z, ...), or undefined when there is none. */
function processState(pid: number): string | undefined {
    try {
        const stat = fs.readFileSync(path.join("/proc", String(pid), "stat"), "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    } catch {
        return undefined;
    }
}

/** Whether a process still runs (a zombie waiting to be reaped does not). */
export function isRunning(pid: number): boolean {
    const state = processState(pid);
    return state !== undefined && state !== "Z";
}

/** Every live process descended from `pid` (read from /proc), children before grandchildren. */
export function descendants(pid: number): number[] {
    const parents = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
            stat = fs.readFileSync(path.join("/proc", entry, "stat"), "utf8");
        } catch {
            continue; // gone meanwhile
        }
        // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ")".
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    }
    const found: number[] = [];
    const queue = [pid];
    while (queue.length > 0) {
        for (const child of parents.get(queue.shift()!) ?? []) {
            found.push(child);
            queue.push(child);
        }
    }
    return found;
}

/**
 * Ends the CLI as a crash would: SIGKILL, at once, to it and every process it started (its
 * language host, the program, the provider host: each in a process group of its own).
 */
export function crash(proc: PulumiProcess): void {
    const pid = proc.child.pid!;
    const tree = [pid, ...descendants(pid)];
    for (const p of tree) {
        try {
            process.kill(-p, "SIGKILL");
        } catch {
            // not a group leader, or gone
        }
        try {
            process.kill(p, "SIGKILL");
        } catch {
            // gone
        }
    }
}
