/**
 * OData query options of list routes: the `$filter` forms Intune supports on these collections,
 * `$top` and server-driven paging with `$skiptoken`.
 */
import { badRequest } from "./errors";

/** One `$filter` comparison. */
export interface FilterClause {
    op: "eq" | "contains" | "startswith" | "endswith";
    property: string;
    value: string;
}

const QUOTED = "'((?:[^']|'')*)'";
const EQ = new RegExp(`^([A-Za-z_][A-Za-z0-9_]*)\\s+eq\\s+${QUOTED}$`, "i");
const FN = new RegExp(`^(contains|startswith|endswith)\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*,\\s*${QUOTED}\\s*\\)$`, "i");

/** Default and maximum page sizes. */
export const DEFAULT_TOP = 100;
export const MAX_TOP = 1000;

// Splits on the `and` keyword outside string literals.
function splitAnd(raw: string): string[] {
    const parts: string[] = [];
    let cur = "";
    let inQuote = false;
    for (let i = 0; i < raw.length; i++) {
        const c = raw[i];
        if (c === "'") inQuote = !inQuote;
        if (!inQuote && /\s/.test(c) && /^\s+and\s+/i.test(raw.slice(i))) {
            const m = /^\s+and\s+/i.exec(raw.slice(i))!;
            parts.push(cur);
            cur = "";
            i += m[0].length - 1;
            continue;
        }
        cur += c;
    }
    parts.push(cur);
    return parts.map((p) => p.trim());
}

/**
 * Parses `$filter`. Only `prop eq 'v'`, `contains|startswith|endswith(prop,'v')` joined by `and`
 * are accepted, on the properties the collection supports; anything else is a 400.
 */
export function parseFilter(raw: string | undefined, filterable: readonly string[], collection: string): FilterClause[] {
    if (raw === undefined || raw.trim() === "") return [];
    return splitAnd(raw.trim()).map((part) => {
        let clause: FilterClause | undefined;
        const eq = EQ.exec(part);
        if (eq) clause = { op: "eq", property: eq[1], value: eq[2].replace(/''/g, "'") };
        const fn = FN.exec(part);
        if (fn) clause = { op: fn[1].toLowerCase() as FilterClause["op"], property: fn[2], value: fn[3].replace(/''/g, "'") };
        if (!clause) throw badRequest(`Invalid filter clause '${part}' in $filter '${raw}'.`);
        if (!filterable.includes(clause.property)) {
            throw badRequest(
                `Filtering on property '${clause.property}' is not supported for '${collection}' (supported: ${filterable.join(", ") || "none"}).`,
            );
        }
        return clause;
    });
}

/** Keeps the records matching every clause; string comparison is case-insensitive, as on Graph. */
export function applyFilter<T extends Record<string, unknown>>(items: T[], clauses: FilterClause[]): T[] {
    return items.filter((item) =>
        clauses.every((c) => {
            const v = item[c.property];
            if (typeof v !== "string") return false;
            const a = v.toLowerCase();
            const b = c.value.toLowerCase();
            switch (c.op) {
                case "eq":
                    return a === b;
                case "contains":
                    return a.includes(b);
                case "startswith":
                    return a.startsWith(b);
                case "endswith":
                    return a.endsWith(b);
            }
        }),
    );
}

/** Reads `$top` (default 100, capped at 1000). */
export function parseTop(raw: string | undefined): number {
    if (raw === undefined) return DEFAULT_TOP;
    if (!/^\d+$/.test(raw)) throw badRequest(`Invalid value '${raw}' for $top query option found.`);
    return Math.min(Number(raw), MAX_TOP);
}

function encodeSkipToken(offset: number): string {
    return Buffer.from(`offset:${offset}`).toString("base64url");
}

function decodeSkipToken(raw: string): number {
    const m = /^offset:(\d+)$/.exec(Buffer.from(raw, "base64url").toString("utf8"));
    if (!m) throw badRequest(`The $skiptoken '${raw}' is not valid.`);
    return Number(m[1]);
}

/** A page of results plus the next link when more remain. */
export interface Page<T> {
    value: T[];
    nextLink?: string;
}

/**
 * Cuts one page. `selfUrl` is the absolute URL of the request without query; the next link keeps
 * the other query options and replaces `$skiptoken`.
 */
export function paginate<T>(items: T[], query: Record<string, string>, selfUrl: string): Page<T> {
    const top = parseTop(query["$top"]);
    const offset = query["$skiptoken"] !== undefined ? decodeSkipToken(query["$skiptoken"]) : 0;
    const value = items.slice(offset, offset + top);
    if (offset + top >= items.length || top === 0) return { value };
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== "$skiptoken") next.set(k, v);
    next.set("$top", String(top));
    next.set("$skiptoken", encodeSkipToken(offset + top));
    return { value, nextLink: `${selfUrl}?${next.toString()}` };
}
