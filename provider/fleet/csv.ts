import { readFileSync } from "node:fs";
import { decodeCsvInput } from "./csvDecode";
import { DuplicateFinder } from "./csvDuplicates";
import { COLUMNS, readHeader } from "./csvHeader";
import { readRecords } from "./csvRecords";
import { readRow } from "./csvRow";
import type { CsvOptions, CsvProblem, HardwareHashRow, ParseResult } from "./csvTypes";

export type { CsvOptions, CsvProblem, HardwareHashRow, ParseResult } from "./csvTypes";
export { COLUMNS, normalizeColumnName } from "./csvHeader";

/**
 * Reads a hardware-hash CSV as Get-WindowsAutopilotInfo writes it (and as Intune's import page
 * takes it): a header naming the columns "Device Serial Number", "Hardware Hash" (required),
 * "Windows Product ID", "Group Tag", "Assigned User" (optional), in any order, case, spacing
 * (see {@link normalizeColumnName}), then one device per row. Quoted or not, CRLF or LF, UTF-8
 * with or without BOM, UTF-16LE/BE with BOM; blank lines are ignored.
 *
 * Every problem is reported at once, each with its line and column; bad rows are left out of
 * `rows`. Never throws for bad content.
 */
export function parseHardwareHashCsv(input: string | Buffer, options: CsvOptions = {}): ParseResult {
    const file = options.file ?? "<inline>";
    const decoded = decodeCsvInput(input);
    const { records, errors } = readRecords(decoded.text);
    const problems: CsvProblem[] = errors.map((e) => ({ file, ...e }));

    // Excel leaves lines of bare commas under the data: a record without any value is a blank line.
    const filled = records.filter((r) => r.fields.some((f) => f !== ""));
    // Windows PowerShell's Export-Csv without -NoTypeInformation writes "#TYPE <class>" first.
    const skip = filled.length > 0 && filled[0].fields[0].startsWith("#TYPE") ? 1 : 0;
    const headerRecord = filled[skip];
    if (headerRecord === undefined) {
        if (problems.length === 0) {
            problems.push({ file, line: 1, reason: `has no header line: the first line must name the columns ${COLUMNS.map((c) => c.name).join(", ")}` });
        }
        return { rows: [], problems: sortByLine(problems) };
    }
    if (errors.some((e) => e.line < headerRecord.line)) {
        // The real header could not be read, so what follows cannot be matched to columns.
        return { rows: [], problems: sortByLine(problems) };
    }

    const header = readHeader(headerRecord.fields, headerRecord.line, file);
    problems.push(...header.problems);
    const rows: HardwareHashRow[] = [];
    if (header.layout.usable) {
        const duplicates = new DuplicateFinder(header.layout, file);
        for (const record of filled.slice(skip + 1)) {
            const result = readRow(record, header.layout, file, decoded.lossy);
            const repeated = duplicates.check(record, result.problems);
            problems.push(...result.problems, ...repeated);
            if (result.row !== undefined && repeated.length === 0) rows.push(result.row);
        }
    }
    // A file whose header is wrong is never partly imported, even when bad rows may be skipped.
    return { rows: header.problems.length === 0 ? rows : [], problems: sortByLine(problems) };
}

/**
 * Reads the file at `path` (bytes, decoded by {@link parseHardwareHashCsv}); problems name the
 * path as given unless `options.file` says otherwise. Throws only when the file cannot be read.
 */
export function readHardwareHashCsv(path: string, options: CsvOptions = {}): ParseResult {
    let bytes: Buffer;
    try {
        bytes = readFileSync(path);
    } catch (err) {
        // Node's message names the path and the cause (e.g. "ENOENT: no such file or directory").
        throw new Error(`cannot read the hardware-hash CSV: ${(err as Error).message}`, { cause: err });
    }
    return parseHardwareHashCsv(bytes, { ...options, file: options.file ?? path });
}

/**
 * One line per problem, `<file>:<line>: <column>: <reason>` (without the column part for a
 * whole-row problem), ordered by file (first seen first) then line; problems on one line keep
 * their order. Empty string for no problems.
 */
export function formatProblems(problems: CsvProblem[]): string {
    return sortByLine(problems)
        .map((p) => (p.column === undefined ? `${p.file}:${p.line}: ${p.reason}` : `${p.file}:${p.line}: ${p.column}: ${p.reason}`))
        .join("\n");
}

function sortByLine(problems: CsvProblem[]): CsvProblem[] {
    const fileOrder = new Map<string, number>();
    for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
    // Array.prototype.sort is stable, so problems of one line keep the order they were found in.
    return [...problems].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line);
}
