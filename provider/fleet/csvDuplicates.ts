import type { HeaderLayout } from "./csvHeader";
import type { CsvRecord } from "./csvRecords";
import type { CsvProblem } from "./csvTypes";

/**
 * Finds devices listed twice in one file: the same serial number (case-insensitive, as Autopilot
 * compares them) or the same hardware hash. The later row is the one reported, naming the line of
 * the first; the first keeps its own verdict. Rows of the wrong width are not compared (their
 * values may be in the wrong columns).
 */
export class DuplicateFinder {
    private readonly serials = new Map<string, number>();
    private readonly hashes = new Map<string, number>();

    constructor(
        private readonly layout: HeaderLayout,
        private readonly file: string,
    ) {}

    /**
     * Records this row and returns the problems of it repeating an earlier one. A value with a
     * problem in `rowProblems` (the row's own checks) is not compared: one damaged hash copied onto
     * 12 rows is 12 problems, not 12 plus 11 "same hash as line n".
     */
    check(record: CsvRecord, rowProblems: CsvProblem[]): CsvProblem[] {
        const { fields, line } = record;
        if (fields.length !== this.layout.width) return [];
        const bad = (key: "serialNumber" | "hardwareIdentifier") => rowProblems.some((p) => p.column === this.layout.label[key]);
        const problems: CsvProblem[] = [];
        const serial = bad("serialNumber") ? "" : this.value(fields, "serialNumber").toLowerCase();
        const first = this.remember(this.serials, serial, line);
        if (first !== undefined) {
            problems.push({
                file: this.file,
                line,
                column: this.layout.label.serialNumber,
                reason: `duplicates the serial number of line ${first} (serial numbers are compared ignoring case)`,
            });
        }
        const hash = bad("hardwareIdentifier") ? "" : this.value(fields, "hardwareIdentifier").replace(/\s+/g, "");
        const firstHash = this.remember(this.hashes, hash, line);
        if (firstHash !== undefined) {
            problems.push({ file: this.file, line, column: this.layout.label.hardwareIdentifier, reason: `is the same hardware hash as line ${firstHash}` });
        }
        return problems;
    }

    private value(fields: string[], key: "serialNumber" | "hardwareIdentifier"): string {
        const i = this.layout.index[key];
        return i === undefined ? "" : fields[i].trim();
    }

    /** The line of the first row with this value, or undefined (and remembers this row) when it is new. */
    private remember(seen: Map<string, number>, value: string, line: number): number | undefined {
        if (value === "") return undefined; // an empty value is its own problem, not a duplicate
        const first = seen.get(value);
        if (first === undefined) seen.set(value, line);
        return first;
    }
}
