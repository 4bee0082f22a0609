/**
 * The demo's output as a terminal session: commands as a user types them (`$ pulumi ...`) and what
 * they print, the demo's own words as `#` lines, and the checks that decide its exit code.
 */

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
