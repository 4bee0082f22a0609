import { visible } from "../lifecycle/visible";
import type { CsvProblem } from "./csvTypes";

/** The columns in Get-WindowsAutopilotInfo's order and spelling (the order Intune's import page documents), and whether a file needs each. */
export const COLUMNS = [
    { key: "serialNumber", name: "Device Serial Number", required: true },
    { key: "productKey", name: "Windows Product ID", required: false },
    { key: "hardwareIdentifier", name: "Hardware Hash", required: true },
    { key: "groupTag", name: "Group Tag", required: false },
    { key: "assignedUser", name: "Assigned User", required: false },
] as const;

/** The columns a hardware-hash CSV may have, by the row property each one fills. */
export type ColumnKey = (typeof COLUMNS)[number]["key"];

/**
 * The form header names are compared in: lower case, without whitespace or underscores. So
 * "Device Serial Number", " device serial number ", "DeviceSerialNumber" and "device_serial_number"
 * are the same column.
 */
export function normalizeColumnName(name: string): string {
    return name.toLowerCase().replace(/[\s_]+/g, "");
}

const BY_NORMALIZED = new Map(COLUMNS.map((c) => [normalizeColumnName(c.name), c]));

/** Where each known column is in a row, and how the file spells it. */
export interface HeaderLayout {
    /** Field index of each column the header has. */
    index: Partial<Record<ColumnKey, number>>;
    /** The column's name as the header spells it (trimmed), for problems. */
    label: Record<ColumnKey, string>;
    /** Number of fields of the header: every row must have as many. */
    width: number;
    /**
     * False when rows cannot be read reliably (a required column is missing, a known column
     * appears twice, or the line is not a header at all): then rows are not checked.
     */
    usable: boolean;
}

const ALLOWED = `${COLUMNS.map((c) => c.name).join(", ")} (case, spaces and underscores do not matter)`;

/** Reads the header record: where each column is, and every problem with it. */
export function readHeader(fields: string[], line: number, file: string): { layout: HeaderLayout; problems: CsvProblem[] } {
    const problems: CsvProblem[] = [];
    const index: Partial<Record<ColumnKey, number>> = {};
    const label = Object.fromEntries(COLUMNS.map((c) => [c.key, c.name])) as Record<ColumnKey, string>;
    const layout: HeaderLayout = { index, label, width: fields.length, usable: true };
    const known = fields.map((f) => BY_NORMALIZED.get(normalizeColumnName(f)));

    // A file without a header starts with a device row: its values may be a hardware hash or a
    // product key, so they are never echoed; a line of name-like words is shown to help.
    if (known.every((c) => c === undefined) && !fields.every(nameLike)) {
        problems.push({
            file,
            line,
            reason: `is not a header line: ${fields.length === 1 ? "its only value is not" : `none of its ${fields.length} values is`} a known column name; the first line must name the columns: ${ALLOWED}`,
        });
        return { layout: { ...layout, usable: false }, problems };
    }

    fields.forEach((raw, i) => {
        const shown = show(raw, i);
        const column = known[i];
        if (column === undefined) {
            problems.push({ file, line, column: shown, reason: `unknown column "${shown}"; allowed columns: ${ALLOWED}` });
            return;
        }
        const first = index[column.key];
        if (first !== undefined) {
            problems.push({
                file,
                line,
                column: shown,
                reason: `duplicates column "${show(fields[first], first)}" (column ${first + 1}): both are ${column.name}`,
            });
            layout.usable = false;
            return;
        }
        index[column.key] = i;
        label[column.key] = shown;
    });

    for (const column of COLUMNS) {
        if (column.required && index[column.key] === undefined) {
            const found = fields.length === 0 ? "none" : fields.map((f, i) => `"${show(f, i)}"`).join(", ");
            problems.push({
                file,
                line,
                column: column.name,
                reason: `required column "${column.name}" is missing; columns found: ${found}${separatorHint(fields)}`,
            });
            layout.usable = false;
        }
    }
    return { layout, problems };
}

/** A header name as problems show it: trimmed, bounded, and named by position when empty. */
function show(name: string, i: number): string {
    const trimmed = visible(name.trim());
    if (trimmed === "") return `(column ${i + 1}, no name)`;
    return trimmed.length > 60 ? `${trimmed.slice(0, 57)}...` : trimmed;
}

// Words, as column names are (also a whole header line split by ';' or tabs); a hardware hash
// (base64: digits, + and /) or a product key (digit groups) is not.
function nameLike(value: string): boolean {
    return /^[A-Za-z _.()\-;\t]*$/.test(value);
}

// One field holding the whole header line means another separator; only commas are read
// (Intune's import page and Get-WindowsAutopilotInfo use commas).
function separatorHint(fields: string[]): string {
    if (fields.length !== 1) return "";
    const sep = fields[0].includes(";") ? ";" : fields[0].includes("\t") ? "a tab" : undefined;
    return sep === undefined ? "" : ` (the columns seem to be separated by ${sep === ";" ? "';'" : sep}; separate them with commas)`;
}
