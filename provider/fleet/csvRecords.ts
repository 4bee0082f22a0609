// CsvError from the same entry point: "csv-parse" and "csv-parse/sync" are separate bundles with separate classes.
import { CsvError, type CsvErrorCode, parse } from "csv-parse/sync";
import type { CsvProblem } from "./csvTypes";

/** One CSV record (header or row) and the physical line where it starts. */
export interface CsvRecord {
    /** Field values, with unquoted surrounding whitespace trimmed. */
    fields: string[];
    /** 1-based physical line of the record's first character. */
    line: number;
}

/** Text csv-parse could not read as CSV, at the line where the broken record starts. */
export type RecordError = Pick<CsvProblem, "line" | "reason">;

/**
 * Splits CSV text into records with their starting line numbers. Blank lines (also lines of
 * spaces) are skipped; records may have any number of fields (the caller compares them with the
 * header). A quoting error does not stop the reading: the broken record is reported and reading
 * resumes on the line after the one where it starts.
 */
export function readRecords(text: string): { records: CsvRecord[]; errors: RecordError[] } {
    // csv-parse counts positions in UTF-8 bytes, so lines are counted in the same bytes.
    const bytes = Buffer.from(text, "utf8");
    const starts = lineStarts(bytes);
    const records: CsvRecord[] = [];
    const errors: RecordError[] = [];
    let offset = 0;
    while (offset < bytes.length) {
        // End of the last record read in this pass, as an absolute byte offset.
        let end = offset;
        const base = offset;
        try {
            parse(bytes.subarray(base), {
                relax_column_count: true,
                skip_empty_lines: true,
                trim: true,
                on_record: (fields: string[], context) => {
                    // csv-parse's own `lines` is where a record ends (and it counts a CRLF inside
                    // quotes twice), so the start line comes from the byte offset instead.
                    records.push({ fields, line: lineOf(starts, firstNonSpace(bytes, end)) });
                    end = base + context.bytes;
                    return null;
                },
            });
            break;
        } catch (err) {
            if (!(err instanceof CsvError)) throw err;
            const start = firstNonSpace(bytes, end);
            const line = lineOf(starts, start);
            errors.push({ line, reason: describeCsvError(err.code) });
            // Resume on the next physical line; the loop ends when there is none.
            offset = line < starts.length ? starts[line] : bytes.length;
        }
    }
    return { records, errors };
}

/** Byte offsets where each physical line starts; CRLF, LF and a lone CR each end a line. */
function lineStarts(bytes: Buffer): number[] {
    const starts = [0];
    for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) i++;
        if (bytes[i] === 0x0a || bytes[i] === 0x0d) starts.push(i + 1);
    }
    return starts;
}

/** The 1-based line holding the byte at `offset`. */
function lineOf(starts: number[], offset: number): number {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= offset) lo = mid;
        else hi = mid - 1;
    }
    return lo + 1;
}

/** The first byte at or after `offset` that is not whitespace: blank lines before a record do not count. */
function firstNonSpace(bytes: Buffer, offset: number): number {
    let i = offset;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d || bytes[i] === 0x0a)) i++;
    return Math.min(i, Math.max(bytes.length - 1, 0));
}

// csv-parse's own messages quote the characters around the error, which may be part of a
// hardware hash or product key: only the code is used, with a description written here.
function describeCsvError(code: CsvErrorCode): string {
    switch (code) {
        case "CSV_QUOTE_NOT_CLOSED":
            return 'a quoted value is never closed: a closing " is missing';
        case "CSV_INVALID_CLOSING_QUOTE":
        case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
            return 'a quoted value is followed by other characters before the next comma: a " inside a quoted value must be doubled ("")';
        case "INVALID_OPENING_QUOTE": // sic: csv-parse's code has no CSV_ prefix
            return 'a " appears inside an unquoted value: quote the whole value and double the inner " ("")';
        default:
            return `is not valid CSV (${code})`;
    }
}
