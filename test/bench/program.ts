/**
 * The bench's Pulumi programs: N devices from a hardware-hash CSV, imported and then tagged and
 * named. (a) is a user's program with this package's `AutopilotFleet` reading the CSV; (b) the
 * same two objects per device with the baseline's resource classes (Graph JS SDK). With
 * `BENCH_UPDATED=1` in the environment (the update scenario) every tenth device gets another
 * group tag. Each is written as the `index.js` of a program folder (project.ts).
 */
import * as crypto from "crypto";

export interface BenchDevice {
    serial: string;
    /** Base64 hardware hash. */
    hash: string;
}

/** A real 4K hardware hash is about 4,000 bytes. */
export const HASH_BYTES = 4000;
export const GROUP_TAG = "Bench";
export const UPDATED_GROUP_TAG = "Bench-Updated";
export const DISPLAY_NAME = "BN-%SERIAL%";
/** The environment variable the update scenario sets. */
export const UPDATED_ENV = "BENCH_UPDATED";

/** N devices with unique serials (BN00000001 ...) and random hashes. */
export function makeDevices(n: number, hashBytes = HASH_BYTES): BenchDevice[] {
    return Array.from({ length: n }, (_, i) => ({
        serial: `BN${String(i + 1).padStart(8, "0")}`,
        hash: crypto.randomBytes(hashBytes).toString("base64"),
    }));
}

/** The devices as Get-WindowsAutopilotInfo writes them. */
export function fleetCsv(devices: BenchDevice[]): string {
    const lines = ["Device Serial Number,Windows Product ID,Hardware Hash"];
    for (const d of devices) lines.push(`${d.serial},,${d.hash}`);
    return lines.join("\r\n") + "\r\n";
}

/** Whether the update scenario changes this device (every tenth). */
export const isUpdated = (index: number): boolean => index % 10 === 0;

/** The serials the update scenario retags. */
export function updatedSerials(devices: BenchDevice[]): string[] {
    return devices.filter((_, i) => isUpdated(i)).map((d) => d.serial);
}

const UPDATED_LIST = `const updated = process.env.${UPDATED_ENV} === "1" ? JSON.parse(fs.readFileSync(path.join(__dirname, "updated.json"), "utf8")) : [];`;

/** (a): one AutopilotFleet from the CSV; `importRecord: "remove"` deletes each import record once its device exists. */
export function fleetProgramSource(importRecord: "keep" | "remove"): string {
    return `// The bench's side (a): a fleet from a hardware-hash CSV, as a user writes it.
const fs = require("fs");
const path = require("path");
const { AutopilotFleet } = require("pulumi-autopilot");

${UPDATED_LIST}
new AutopilotFleet("bench", {
    csvFile: path.join(__dirname, "devices.csv"),
    defaults: { groupTag: ${JSON.stringify(GROUP_TAG)}, displayName: ${JSON.stringify(DISPLAY_NAME)} },
    overrides: Object.fromEntries(updated.map((serial) => [serial, { groupTag: ${JSON.stringify(UPDATED_GROUP_TAG)} }])),
    importRecord: ${JSON.stringify(importRecord)},
});
`;
}

/** (b): per CSV row, the baseline's import and device resources. */
export function baselineProgramSource(): string {
    return `// The bench's side (b): per CSV row an import and a device, with resource classes written on the Graph JS SDK.
const fs = require("fs");
const path = require("path");
const { SdkDevice, SdkImportedDevice } = require("./baseline/resources");

${UPDATED_LIST}
const retag = new Set(updated);
const rows = fs.readFileSync(path.join(__dirname, "devices.csv"), "utf8").split(/\\r?\\n/).slice(1).filter(Boolean);
for (const row of rows) {
    const [serial, , hash] = row.split(",");
    const imported = new SdkImportedDevice(\`bench-import-\${serial}\`, { serialNumber: serial, hardwareIdentifier: hash });
    new SdkDevice(\`bench-device-\${serial}\`, {
        deviceId: imported.autopilotDeviceId,
        groupTag: retag.has(serial) ? ${JSON.stringify(UPDATED_GROUP_TAG)} : ${JSON.stringify(GROUP_TAG)},
        displayName: ${JSON.stringify(DISPLAY_NAME)}.replace("%SERIAL%", serial),
    });
}
`;
}
