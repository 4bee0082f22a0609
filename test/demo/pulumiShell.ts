/**
 * Runs `pulumi` as a user does in a project folder, with a sandbox's environment (offline, its own
 * PULUMI_HOME and backend), and writes the session to a transcript as it goes.
 */
import { spawn } from "child_process";
import * as path from "path";
import type { PulumiSandbox } from "../pulumi/cli";
import type { Transcript } from "./transcript";

/** What a command did. */
export interface CommandResult {
    /** The exit code (null when a signal ended it). */
    code: number | null;
    /** stdout and stderr together, in the order they arrived. */
    output: string;
}

export interface RunOptions {
    /** Called every `everyMs` while the command runs; a returned line is printed between the command's lines. */
    progress?: { everyMs: number; line: () => string | undefined };
}

const KILL_AFTER_MS = 30_000;

function quote(arg: string): string {
    return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs `pulumi` commands in one project folder. */
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
            stdio: ["ignore", "pipe", "pipe"],
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
        let last: string | undefined;
        const ticker = options.progress
            ? setInterval(() => {
                  const line = options.progress!.line();
                  if (line !== undefined && line !== last) this.transcript.note(line);
                  last = line ?? last;
              }, options.progress.everyMs)
            : undefined;
        // SIGINT first, as Ctrl-C: pulumi then cancels cleanly; SIGKILL if it does not stop.
        let killer: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => {
            this.transcript.note(`pulumi ${args[0]} ran longer than ${this.timeoutMs / 1000} s: stopping it`);
            child.kill("SIGINT");
            killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
        }, this.timeoutMs);
        return new Promise((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (code) => {
                clearTimeout(timer);
                clearTimeout(killer);
                if (ticker) clearInterval(ticker);
                take("stdout", "", true);
                take("stderr", "", true);
                resolve({ code, output });
            });
        });
    }
}
