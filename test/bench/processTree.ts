/**
 * CPU and memory of the processes one `pulumi` command starts, read from /proc while it runs: the
 * CLI (the engine), Pulumi's Node.js language host, the program's node process and the
 * dynamic-provider host. A process is known by its command line; each poll keeps the last CPU time
 * (utime + stime) and peak resident memory (VmHWM) it saw, so a process that has exited still
 * counts with what it had used at the last poll before it ended (at most one interval short).
 */
import * as fs from "fs";

/** What a process of the command's tree is. */
export type ProcessRole = "cli" | "languageHost" | "program" | "providerHost" | "other";

export const PROCESS_ROLES: readonly ProcessRole[] = ["cli", "languageHost", "program", "providerHost", "other"];

/** CPU seconds and peak RSS (MB) of one role: summed CPU, largest peak, how many processes. */
export interface RoleUsage {
    cpuS: number;
    peakRssMB: number;
    processes: number;
}

export type TreeUsage = Record<ProcessRole, RoleUsage>;

const TICKS_PER_SECOND = 100;

/** The role of a process from its command line (arguments joined by spaces). */
export function roleOf(commandLine: string, isRoot: boolean): ProcessRole {
    if (isRoot) return "cli";
    if (/(^|\/)pulumi-language-nodejs(\s|$)/.test(commandLine)) return "languageHost";
    if (/[\\/]cmd[\\/]dynamic-provider([\\/]index(\.js)?)?(\s|$)/.test(commandLine)) return "providerHost";
    // The language host runs the program as `node .../@pulumi/pulumi/cmd/run/index.js --monitor ...`.
    if (/[\\/]cmd[\\/]run([\\/]index(\.js)?)?\s/.test(commandLine)) return "program";
    return "other";
}

interface Seen {
    role: ProcessRole;
    cpuTicks: number;
    hwmKB: number;
}

/** One line of /proc/<pid>/stat split after the command name: [state, ppid, ...]. */
function statFields(pid: number): string[] | undefined {
    try {
        const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return text.slice(text.lastIndexOf(") ") + 2).split(" ");
    } catch {
        return undefined;
    }
}

function commandLine(pid: number): string | undefined {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    } catch {
        return undefined;
    }
}

/** Peak resident set (VmHWM) of a process, kB; 0 when it is gone. */
export function peakRssKB(pid: number): number {
    try {
        const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) : 0;
    } catch {
        return 0;
    }
}

/** CPU seconds (user + system) a process used so far; 0 when it is gone. */
export function cpuSecondsOf(pid: number): number {
    const f = statFields(pid);
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the command name.
    return f ? (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND : 0;
}

/**
 * Resets a process's peak resident set to its current one (Linux: `5` to /proc/<pid>/clear_refs),
 * so the next VmHWM is the peak of what follows. False when the kernel does not allow it.
 */
export function resetPeakRss(pid: number): boolean {
    try {
        fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
        return true;
    } catch {
        return false;
    }
}

/** The pids of every process under `rootPid` (and it), wherever their process group: a snapshot. */
export function processTree(rootPid: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        const pid = Number(entry);
        const f = Number.isInteger(pid) ? statFields(pid) : undefined;
        if (f) parents.set(pid, Number(f[1]));
    }
    const inTree = (pid: number): boolean => {
        for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) if (p === rootPid) return true;
        return false;
    };
    return [...parents.keys()].filter(inTree);
}

/** Polls the process tree under `rootPid` until `stop()`. */
export class ProcessTreeSampler {
    /** By pid and start time: a pid the system reuses is another process. */
    private readonly seen = new Map<string, Seen>();
    private timer: NodeJS.Timeout | undefined;

    constructor(
        private readonly rootPid: number,
        private readonly intervalMs = 200,
    ) {}

    start(): this {
        this.poll();
        this.timer = setInterval(() => this.poll(), this.intervalMs);
        return this;
    }

    /** One last poll, then the usage by role. */
    stop(): TreeUsage {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
        this.poll();
        const usage = Object.fromEntries(PROCESS_ROLES.map((r) => [r, { cpuS: 0, peakRssMB: 0, processes: 0 }])) as TreeUsage;
        for (const s of this.seen.values()) {
            const u = usage[s.role];
            u.cpuS = Math.round((u.cpuS + s.cpuTicks / TICKS_PER_SECOND) * 100) / 100;
            u.peakRssMB = Math.max(u.peakRssMB, Math.round(s.hwmKB / 102.4) / 10);
            u.processes++;
        }
        return usage;
    }

    private poll(): void {
        const parents = new Map<number, number>();
        const starts = new Map<number, string>();
        for (const entry of fs.readdirSync("/proc")) {
            const pid = Number(entry);
            if (!Number.isInteger(pid)) continue;
            const f = statFields(pid);
            // Field 4 of the line is the parent pid (1 after the name); 22 the start time (19).
            if (f) {
                parents.set(pid, Number(f[1]));
                starts.set(pid, f[19]);
            }
        }
        const inTree = (pid: number): boolean => {
            for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) {
                if (p === this.rootPid) return true;
            }
            return false;
        };
        for (const [pid, start] of starts) {
            if (!inTree(pid)) continue;
            const key = `${pid}@${start}`;
            let s = this.seen.get(key);
            if (!s) {
                s = { role: "other", cpuTicks: 0, hwmKB: 0 };
                this.seen.set(key, s);
            }
            // The plugin's shell script execs node: the same pid takes its final command line later.
            if (s.role === "other") {
                const cmd = commandLine(pid);
                if (cmd !== undefined) s.role = roleOf(cmd, pid === this.rootPid);
            }
            const f = statFields(pid);
            if (f) s.cpuTicks = Math.max(s.cpuTicks, Number(f[11]) + Number(f[12]));
            s.hwmKB = Math.max(s.hwmKB, peakRssKB(pid));
        }
    }
}
