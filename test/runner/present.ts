/** Words and tables for the demo: what a person reads, not a log. */
import type { Step } from "./engine";
import type { RecordedRequest } from "../emulator";

const SYMBOL: Record<Step["op"], string> = {
    create: "+",
    update: "~",
    replace: "+-",
    same: " ",
    delete: "-",
    refresh: "r",
    drop: "x",
    failed: "!",
};

const VERB: Record<Step["op"], string> = {
    create: "create",
    update: "update",
    replace: "replace",
    same: "unchanged",
    delete: "delete",
    refresh: "refreshed",
    drop: "gone, dropped",
    failed: "FAILED",
};

/** One line per step: symbol, verb, type, name, and the fields it touches. */
export function stepLine(step: Step): string {
    const fields = step.changed.length > 0 ? `  [${step.changed.join(", ")}]` : "";
    const id = step.id ? `  (${step.id})` : "";
    const error = step.error ? `\n      ${step.error}` : "";
    return `  ${SYMBOL[step.op].padEnd(2)} ${VERB[step.op].padEnd(10)} ${step.type.padEnd(52)} ${step.name}${id}${fields}${error}`;
}

/** "3 to create, 1 to update" style summary. */
export function summary(steps: Step[], preview: boolean): string {
    const counts = new Map<string, number>();
    for (const s of steps) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
    const parts = [...counts.entries()].map(([op, n]) => `${n} ${preview && op !== "same" && op !== "failed" ? `to ${op}` : VERB[op as Step["op"]]}`);
    return parts.join(", ") || "nothing";
}

/** Graph requests grouped by method and route template (ids replaced by {id}). */
export function requestsByRoute(requests: RecordedRequest[]): string[] {
    const counts = new Map<string, number>();
    for (const r of requests) {
        const route = `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "{id}")}`;
        counts.set(route, (counts.get(route) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([route, n]) => `  ${String(n).padStart(5)}  ${route}`);
}

/** A plain text table. */
export function table(headers: string[], rows: string[][]): string[] {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => "  " + cells.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ");
    return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}
