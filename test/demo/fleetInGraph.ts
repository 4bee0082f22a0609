/**
 * The fleet as Graph (the emulator's tenant) holds it: per device its import record, the Autopilot
 * device it became, and the deployment profile it has; and a one-line count of how far the fleet got,
 * which the demo prints while `pulumi up` runs.
 */
import type { Emulator, ImportedDeviceIdentity } from "../emulator";
import { profileOfDevice } from "../emulator/profileModel";
import type { ExpectedDevice } from "./fleetCsv";

/** One device of the fleet in Graph. */
export interface DeviceInGraph {
    serialNumber: string;
    /** The import record's `state.deviceImportStatus` ("" when there is no record). */
    importStatus: string;
    /** The Autopilot device the import registered ("" until it is complete). */
    deviceId: string;
    groupTag: string;
    displayName: string;
    userPrincipalName: string;
    /** The display name of the deployment profile the device has ("" for none). */
    profile: string;
    /** The device has the fleet's profile (its group tag puts it in the group the profile is assigned to). */
    hasFleetProfile: boolean;
    /** Group tag, name and user are the ones the CSV and the defaults ask for. */
    configured: boolean;
}

/** How far the fleet got. */
export interface FleetCounts {
    imports: Record<string, number>;
    configured: number;
    /** Devices that have the fleet's deployment profile. */
    withProfile: number;
}

// The order an import goes through; other statuses come last.
const STATUS_ORDER = ["unknown", "pending", "complete", "partial", "error"];

const text = (v: unknown) => (typeof v === "string" ? v : "");

/** Reads the fleet's devices out of the emulator's tenant. */
export class FleetInGraph {
    constructor(
        private readonly emu: Emulator,
        private readonly expected: ExpectedDevice[],
        private readonly profileId: string,
    ) {}

    devices(): DeviceInGraph[] {
        const tenant = this.emu.tenant;
        const imports = new Map<string, ImportedDeviceIdentity>();
        for (const rec of tenant.importedIdentities.values()) imports.set(text(rec.serialNumber).toUpperCase(), rec);
        return this.expected.map((want) => {
            const rec = imports.get(want.serialNumber.toUpperCase());
            const importStatus = text(rec?.state?.deviceImportStatus);
            const deviceId = importStatus === "complete" ? text(rec?.state?.deviceRegistrationId) : "";
            const device = deviceId ? tenant.devices.get(deviceId.toLowerCase()) : undefined;
            const profile = device ? profileOfDevice(tenant, device) : undefined;
            const found = {
                groupTag: text(device?.groupTag),
                displayName: text(device?.displayName),
                userPrincipalName: text(device?.userPrincipalName),
            };
            return {
                serialNumber: want.serialNumber,
                importStatus,
                deviceId,
                ...found,
                profile: text(profile?.[1].displayName),
                hasFleetProfile: profile?.[0] === this.profileId,
                configured:
                    !!device &&
                    found.groupTag === (want.groupTag ?? "") &&
                    found.displayName === (want.displayName ?? "") &&
                    found.userPrincipalName === (want.userPrincipalName ?? ""),
            };
        });
    }

    counts(): FleetCounts {
        const devices = this.devices();
        const imports: Record<string, number> = {};
        for (const d of devices) if (d.importStatus) imports[d.importStatus] = (imports[d.importStatus] ?? 0) + 1;
        return { imports, configured: devices.filter((d) => d.configured).length, withProfile: devices.filter((d) => d.hasFleetProfile).length };
    }

    /** "imports: 8 pending, 3 complete; 3 of 23 devices tagged, named, given their user; 3 with the fleet's profile". */
    static describe(c: FleetCounts, total: number): string {
        const order = (status: string) => (STATUS_ORDER.includes(status) ? STATUS_ORDER.indexOf(status) : STATUS_ORDER.length);
        const imports = Object.entries(c.imports)
            .sort((a, b) => order(a[0]) - order(b[0]))
            .map(([status, n]) => `${n} ${status}`);
        return `imports: ${imports.join(", ") || "none yet"}; ${c.configured} of ${total} devices tagged, named, given their user; ${c.withProfile} with the fleet's profile`;
    }
}
