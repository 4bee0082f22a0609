/** What a fleet names per device: the import and the device identity (the profile assignment is one for the fleet, `<fleet>-profile-assignment`). */
export type FleetChild = "import" | "device";

/** Builds a child's name from the fleet name, the child kind and the device's serial only: reordering or adding CSV rows renames nothing. */
export type FleetNaming = (fleetName: string, child: FleetChild, serialNumber: string) => string;

/** Serials are case-insensitive in Autopilot: one device, one name, whatever the CSV's case. */
export function serialKey(serialNumber: string): string {
    return serialNumber.trim().toUpperCase();
}

/** `<fleet>-<child>-<SERIAL>`, e.g. `sales-device-5CG1234ABC`. */
export const defaultNaming: FleetNaming = (fleetName, child, serialNumber) => `${fleetName}-${child}-${serialKey(serialNumber)}`;

/** Expands Intune's `%SERIAL%` in a device-name template. */
export function expandNameTemplate(template: string, serialNumber: string): string {
    return template.replace(/%SERIAL%/gi, serialKey(serialNumber));
}
