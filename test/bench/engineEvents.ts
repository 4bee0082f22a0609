/**
 * What one `pulumi` command did to each dynamic resource, from the engine's own events
 * (`--event-log <file>`: one JSON engine event per line, what the Automation API reads).
 */
import * as fs from "fs";
import * as readline from "readline";

const DYNAMIC = "pulumi-nodejs:dynamic/";

export interface EventSummary {
    /** Dynamic resources the engine reported an outcome for, by the step's op (create, same, update, delete, refresh, ...). */
    done: Record<string, number>;
    /** Dynamic resources whose step failed. */
    failed: number;
    /** The first few error diagnostics (a resource's or the run's), one line each. */
    errors: string[];
}

/** Reads an event log written by `pulumi <command> --event-log <file>`. */
export async function summarizeEvents(file: string, keepErrors = 5): Promise<EventSummary> {
    const summary: EventSummary = { done: {}, failed: 0, errors: [] };
    if (!fs.existsSync(file)) return summary;
    const outcome = new Map<string, string>();
    const failed = new Set<string>();
    const lines = readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
    for await (const line of lines) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as {
            resOutputsEvent?: { metadata: { urn: string; op: string } };
            resOpFailedEvent?: { metadata: { urn: string } };
            diagnosticEvent?: { severity: string; message: string; urn?: string };
        };
        if (e.resOutputsEvent && e.resOutputsEvent.metadata.urn.includes(DYNAMIC)) {
            outcome.set(e.resOutputsEvent.metadata.urn, e.resOutputsEvent.metadata.op);
        } else if (e.resOpFailedEvent && e.resOpFailedEvent.metadata.urn.includes(DYNAMIC)) {
            failed.add(e.resOpFailedEvent.metadata.urn);
        } else if (e.diagnosticEvent?.severity === "error" && summary.errors.length < keepErrors) {
            const where = e.diagnosticEvent.urn ? `${e.diagnosticEvent.urn.slice(e.diagnosticEvent.urn.lastIndexOf("::") + 2)}: ` : "";
            summary.errors.push(where + e.diagnosticEvent.message.trim().replace(/\s+/g, " ").slice(0, 400));
        }
    }
    for (const [urn, op] of outcome) {
        if (failed.has(urn)) continue;
        summary.done[op] = (summary.done[op] ?? 0) + 1;
    }
    summary.failed = failed.size;
    return summary;
}
