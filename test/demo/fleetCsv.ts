/**
 * What the demo expects from the fleet's CSV: the devices the program should produce (the same
 * reader and rules the fleet uses), and every secret the file holds, to look for in the state.
 */
import * as fs from "fs";
import { parse } from "csv-parse/sync";
import { FleetDeviceSettings, planFleetDevices, readHardwareHashCsv } from "pulumi-autopilot";

/** A device as the fleet should leave it in Graph. */
export interface ExpectedDevice {
    serialNumber: string;
    groupTag?: string;
    displayName?: string;
    userPrincipalName?: string;
}

/** The CSV, read as the fleet reads it, plus the raw secrets of every row (bad rows included). */
export interface FleetCsv {
    devices: ExpectedDevice[];
    /** Problems as the fleet reports them: `devices.csv:8: Hardware Hash: ...`. */
    problemLocations: { line: number; column?: string }[];
    rowCount: number;
    hardwareHashes: string[];
    productKeys: string[];
}

/** Reads `file` with the fleet's defaults (the example's Pulumi.yaml defaults). */
export function readFleetCsv(file: string, defaults: FleetDeviceSettings): FleetCsv {
    const parsed = readHardwareHashCsv(file, { file: "devices.csv" });
    const devices = planFleetDevices(parsed.rows, { defaults }).map((d) => ({ serialNumber: d.serialNumber, ...d.settings }));
    // The raw columns, so that a row the fleet rejects is looked for in the state as well.
    const records = parse(fs.readFileSync(file), { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
    const column = (name: string) => records.map((r) => (r[name] ?? "").replace(/\s+/g, "")).filter((v) => v !== "");
    return {
        devices,
        problemLocations: parsed.problems.map((p) => ({ line: p.line, column: p.column })),
        rowCount: records.length,
        hardwareHashes: column("Hardware Hash"),
        productKeys: column("Windows Product ID"),
    };
}
