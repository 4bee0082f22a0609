/**
 * The demo's output as a terminal session: commands as a user types them (`$ pulumi ...`), what
 * they print, and the demo's own words as `#` lines, with the checks that decide its exit code.
 */
import { spawn } from "child_process";
import * as path from "path";
import type { PulumiSandbox } from "../pulumi/cli";

/** Lines written in order, and the checks that failed. */
export class Transcript {
    private readonly failures: string[] = [];

    constructor(private readonly write: (line: string) => void) {}

    /** A line as it is (a command's output). */
    line(text = ""): void {
        this.write(text);
    }

    /** The demo's words: each line prefixed with `# `. */
    note(text = ""): void {
        for (const l of text.split("\n")) this.write(l ? `# ${l}` : "#");
    }

    /** A check of a step: `# ok: what`, or `# FAILED: what` (the demo then exits non-zero). */
    check(ok: boolean, what: string): boolean {
        this.note(`${ok ? "ok" : "FAILED"}: ${what}`);
        if (!ok) this.failures.push(what);
        return ok;
    }

    get failed(): readonly string[] {
        return this.failures;
    }
}

/** What a command did. */
export interface CommandResult {
    /** The exit code (null when a signal ended it). */
    code: number | null;
    /** stdout and stderr together, in the order they arrived. */
    output: string;
}

export interface RunOptions {
    /** Written to the command's stdin (then closed). */
    stdin?: string;
    /** Called every `everyMs` while the command runs; a returned line is printed between the command's lines. */
    progress?: { everyMs: number; line: () => string | undefined };
}

function quote(arg: string): string {
    return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs `pulumi` in a project folder with a sandbox's environment, printing the session as it goes. */
export class PulumiShell {
    constructor(
        private readonly sandbox: PulumiSandbox,
        readonly cwd: string,
        private readonly transcript: Transcript,
        private readonly timeoutMs = 300_000,
    ) {}

    run(args: string[], options: RunOptions = {}): Promise<CommandResult> {
        this.transcript.line(`$ ${["pulumi", ...args].map(quote).join(" ")}`);
        const child = spawn(path.join(this.sandbox.cli.binDir, "pulumi"), args, {
            cwd: this.cwd,
            env: { ...process.env, ...this.sandbox.env() },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let output = "";
        // Lines are printed whole, so that progress lines fall between them, never inside one.
        const pending = { stdout: "", stderr: "" };
        const take = (stream: "stdout" | "stderr", chunk: string, flush = false) => {
            output += chunk;
            const lines = (pending[stream] + chunk).split("\n");
            pending[stream] = flush ? "" : lines.pop()!;
            for (const l of lines) if (!(flush && l === "")) this.transcript.line(l.trimEnd());
        };
        child.stdout.setEncoding("utf8").on("data", (c: string) => take("stdout", c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => take("stderr", c));
        child.stdin.end(options.stdin ?? "");
        let last: string | undefined;
        const ticker = options.progress
            ? setInterval(() => {
                  const line = options.progress!.line();
                  if (line !== undefined && line !== last) this.transcript.note(line);
                  last = line ?? last;
              }, options.progress.everyMs)
            : undefined;
        const timer = setTimeout(() => {
            this.transcript.note(`pulumi ${args[0]} ran longer than ${this.timeoutMs / 1000} s: stopping it`);
            child.kill("SIGINT");
        }, this.timeoutMs);
        return new Promise((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (code) => {
                clearTimeout(timer);
                if (ticker) clearInterval(ticker);
                take("stdout", "", true);
                take("stderr", "", true);
                resolve({ code, output });
            });
        });
    }
}
