/**
 * The bench's Pulumi programs: N devices from a hardware-hash CSV, imported and then tagged and
 * named. (a) uses this package's `AutopilotFleet`; (b) the same two objects per device with the
 * baseline's resource classes (Graph JS SDK). The "update" variant changes the group tag of every
 * tenth device.
 */
import * as crypto from "crypto";
// As a user's program does: the installed package (compiled JS), not this repo's TS sources.
import { AutopilotFleet } from "pulumi-autopilot";
import { SdkDevice, SdkImportedDevice } from "./baseline/resources";

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

/** (a): one AutopilotFleet; `importRecord: "remove"` deletes each import record once its device exists. */
export function fleetProgram(devices: BenchDevice[], csv: string, updated: boolean, importRecord: "keep" | "remove" = "keep"): () => void {
    return () => {
        const overrides: Record<string, { groupTag: string }> = {};
        if (updated) devices.forEach((d, i) => isUpdated(i) && (overrides[d.serial] = { groupTag: UPDATED_GROUP_TAG }));
        new AutopilotFleet("bench", { csv, defaults: { groupTag: GROUP_TAG, displayName: DISPLAY_NAME }, overrides, importRecord });
    };
}

/** (b): per device, the baseline's import and device resources. */
export function baselineProgram(devices: BenchDevice[], updated: boolean): () => void {
    return () => {
        devices.forEach((d, i) => {
            const imported = new SdkImportedDevice(`bench-import-${d.serial}`, { serialNumber: d.serial, hardwareIdentifier: d.hash });
            new SdkDevice(`bench-device-${d.serial}`, {
                deviceId: imported.autopilotDeviceId,
                groupTag: updated && isUpdated(i) ? UPDATED_GROUP_TAG : GROUP_TAG,
                displayName: DISPLAY_NAME.replace("%SERIAL%", d.serial),
            });
        });
    };
}
