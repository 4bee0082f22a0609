/** One device row of a hardware-hash CSV, normalized. */
export interface HardwareHashRow {
    /** "Device Serial Number", trimmed. */
    serialNumber: string;
    /** "Hardware Hash": the base64 hardware hash with all whitespace removed (secret). */
    hardwareIdentifier: string;
    /** "Windows Product ID", trimmed; omitted when empty (secret). */
    productKey?: string;
    /** "Group Tag", trimmed; omitted when empty. */
    groupTag?: string;
    /** "Assigned User" (a UPN), trimmed; omitted when empty. */
    assignedUser?: string;
    /** 1-based physical line of the file where the row starts. */
    line: number;
}

/**
 * Why a row (or the header, or the file) is rejected. The reason describes the problem, never
 * the content of a secret (hardware hash, product key).
 */
export interface CsvProblem {
    /** The file name given in {@link CsvOptions.file} ("<inline>" by default). */
    file: string;
    /** 1-based physical line where the offending row (or the header) starts. */
    line: number;
    /** The column as the file spells it (the canonical name for a missing column); absent for whole-row problems. */
    column?: string;
    /** What is wrong and what is allowed. */
    reason: string;
}

/**
 * What a CSV holds: the good rows, and every problem found. A bad row is never in `rows`; when the
 * header itself has a problem `rows` is empty (a file whose columns are wrong is never partly read).
 */
export interface ParseResult {
    rows: HardwareHashRow[];
    problems: CsvProblem[];
}

/** Options of the hardware-hash CSV reader. */
export interface CsvOptions {
    /** Name used in problems; default "<inline>". {@link readHardwareHashCsv} uses the path as given. */
    file?: string;
    /**
     * Informational only: the reader always reports every problem and returns only good rows;
     * the caller decides whether problems fail the whole import or only skip the bad rows.
     */
    skipBadRows?: boolean;
}
