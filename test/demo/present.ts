/** Words and tables for the demo: what a person reads, not a log. */
import type { RecordedRequest } from "../emulator";

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Graph requests grouped by method and route template (ids replaced by {id}), most frequent first. */
export function requestsByRoute(requests: RecordedRequest[]): string[] {
    const counts = new Map<string, number>();
    for (const r of requests) {
        const route = `${r.method} ${r.path.replace(GUID, "{id}")}`;
        counts.set(route, (counts.get(route) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([route, n]) => `${String(n).padStart(5)}  ${route}`);
}

/** A plain text table: a header, a rule, one line per row. */
export function table(headers: string[], rows: string[][]): string[] {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => (c ?? "").padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** "1,234 bytes" as "1.2 KB" / "498 KB" / "3.4 MB". */
export function bytes(n: number): string {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
