import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { brandClass, type BrandCheck } from "../errors/branded";
import { AssignmentTarget, WindowsAutopilotDeploymentProfileAssignment } from "../resources/assignment/spec";
import { WindowsAutopilotDeviceIdentity } from "../resources/deviceIdentity/resource";
import { ImportedWindowsAutopilotDeviceIdentity } from "../resources/importedIdentity/resource";
import { CsvProblem, formatProblems, HardwareHashRow, parseHardwareHashCsv, readHardwareHashCsv } from "./csv";
import { defaultNaming, expandNameTemplate, FleetNaming, serialKey } from "./naming";

/** What a device gets when neither its row nor an override says otherwise. */
export interface FleetDeviceSettings {
    /** Group tag (drives dynamic groups and so the deployment profile). */
    groupTag?: string;
    /** Device name; `%SERIAL%` is replaced by the serial number (at most 15 characters after that). */
    displayName?: string;
    /** Assigned user's UPN. */
    userPrincipalName?: string;
    /** Greeting name shown during OOBE. */
    addressableUserName?: string;
}

/** A per-device override: settings, or `skip` to leave the device out. */
export interface FleetDeviceOverride extends FleetDeviceSettings {
    skip?: boolean;
}

/** Inputs of {@link AutopilotFleet}. Give `csvFile` or `csv`. */
export interface AutopilotFleetArgs {
    /** Path of a hardware-hash CSV (Get-WindowsAutopilotInfo's columns), relative to the program. */
    csvFile?: string;
    /** The CSV text itself (or bytes, e.g. UTF-16LE with BOM). */
    csv?: string | Buffer;
    /** Fleet-wide settings; a row's own Group Tag / Assigned User column wins over them. */
    defaults?: FleetDeviceSettings;
    /** Per-device settings by serial number (case-insensitive); they win over the row and the defaults. */
    overrides?: Record<string, FleetDeviceOverride>;
    /**
     * The deployment profile assigned to a group, declared once for the fleet (optional): a
     * {@link WindowsAutopilotDeploymentProfileAssignment} on `profileId` with `target`. The fleet's
     * devices get the profile through the group (give them the group tag its dynamic rule matches).
     */
    profileAssignment?: { profileId: pulumi.Input<string>; target: AssignmentTarget; source?: pulumi.Input<string>; sourceId?: pulumi.Input<string> };
    /**
     * Whether the fleet may have no devices (default false). A CSV with a header and no device
     * rows, or with only bad rows skipped, is otherwise a problem: the next `pulumi up` would
     * remove every device of the fleet (deregister them, with `deleteBehavior: "deregister"`).
     */
    allowEmpty?: boolean;
    /** Once the device exists: keep the import record (default) or remove it. */
    importRecord?: "keep" | "remove";
    /** Import the good rows of a CSV that has bad ones (each reported as a warning). Default false: a file with errors creates nothing. */
    skipBadRows?: boolean;
    /** Wait for each import (default 1800 s). */
    importTimeoutSeconds?: number;
    /** What happens to device identities when the fleet is destroyed: release (default) or deregister. */
    deleteBehavior?: "release" | "deregister";
    /** Child resource names; default `<fleet>-<import|device>-<SERIAL>`. Must depend on the serial only. */
    naming?: FleetNaming;
    /**
     * Which outputs the child resources expose in the program (`fleet.devices[serial].device.…`):
     * `"fleet"` (default) only those the fleet itself reads and the inputs it gave (import:
     * `autopilotDeviceId`, `importStatus`; device: `deviceId`; assignment: `assignmentId`), or
     * `"all"` every property. Reading a property not exposed throws and says so. Each exposed output
     * costs Pulumi's SDK a few promises per resource: with `"fleet"` a 10,000-device fleet registers
     * in a fraction of the time and memory. The state holds every property either way.
     */
    childOutputs?: "fleet" | "all";
}

/** One device of the fleet as the program resolved it (after defaults and overrides). */
export interface FleetDevice {
    serialNumber: string;
    line: number;
    settings: FleetDeviceSettings;
}

/** Resolves rows + defaults + overrides into the devices the fleet declares. Pure: easy to test. */
export function planFleetDevices(rows: HardwareHashRow[], args: Pick<AutopilotFleetArgs, "defaults" | "overrides">): FleetDevice[] {
    const overrides = new Map(Object.entries(args.overrides ?? {}).map(([serial, o]) => [serialKey(serial), o]));
    const devices: FleetDevice[] = [];
    for (const row of rows) {
        const override = overrides.get(serialKey(row.serialNumber)) ?? {};
        if (override.skip) continue;
        const { skip: _skip, ...overrideSettings } = override;
        const settings: FleetDeviceSettings = {
            ...args.defaults,
            ...(row.groupTag !== undefined ? { groupTag: row.groupTag } : {}),
            ...(row.assignedUser !== undefined ? { userPrincipalName: row.assignedUser } : {}),
            ...Object.fromEntries(Object.entries(overrideSettings).filter(([, v]) => v !== undefined)),
        };
        if (settings.displayName !== undefined) {
            settings.displayName = expandNameTemplate(settings.displayName, row.serialNumber);
        }
        devices.push({ serialNumber: row.serialNumber, line: row.line, settings });
    }
    return devices;
}

// Problems name the file as a person would: relative to the program's folder when inside it.
function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/**
 * Problems in the CSV, as one message (thrown during preview unless skipBadRows). A ResourceError
 * with its stack hidden: Pulumi's Node.js runtime then prints the message under the fleet, where
 * any other error would come out as "unhandled exception" with a stack trace and the problems
 * object dumped after it.
 */
export class FleetCsvError extends pulumi.ResourceError {
    /** True for a FleetCsvError from any copy of this package; `instanceof` answers the same. */
    static readonly isFleetCsvError: BrandCheck<FleetCsvError> = brandClass(FleetCsvError, "FleetCsvError");

    readonly code = "AUTOPILOT_FLEET_CSV_INVALID";

    constructor(
        readonly problems: CsvProblem[],
        fleet?: pulumi.Resource,
    ) {
        super(
            `the hardware-hash CSV has ${problems.length} problem(s); nothing was created (set skipBadRows: true to import the good rows):\n${formatProblems(problems)}`,
            fleet,
            true,
        );
        this.name = "FleetCsvError";
    }
}

/** Rows whose imports register together; each next group waits for a later turn of the event loop. */
export const REGISTRATION_WAVE_ROWS = 250;

/**
 * Gates that let the rows of a large fleet register in waves. Pulumi's SDK prepares all of a
 * program's resources in lockstep (each step of a registration is a promise callback queued
 * behind the same step of every other registration), so with thousands of rows the first import
 * reached the engine only once every import was prepared, and no device could register (its
 * `deviceId` waits for its import) before all imports had: Graph's write budget sat idle while
 * the SDK worked. Gated, a wave's imports go out a turn of the event loop after the last wave's,
 * and between waves the loop takes in finished imports, whose devices then register.
 */
class RegistrationWaves {
    private gate: Promise<void> | undefined;

    /** What row `index` waits for before it registers (undefined: the first wave waits for nothing). */
    gateOf(index: number): Promise<void> | undefined {
        if (index > 0 && index % REGISTRATION_WAVE_ROWS === 0) {
            // setImmediate, not a resolved promise: the next wave must wait until the loop has done I/O.
            this.gate = (this.gate ?? Promise.resolve()).then(() => new Promise<void>((resolve) => setImmediate(resolve)));
        }
        return this.gate;
    }
}

/**
 * A fleet from a hardware-hash CSV: per row, an {@link ImportedWindowsAutopilotDeviceIdentity}
 * that waits for the import, chained on its `autopilotDeviceId` a
 * {@link WindowsAutopilotDeviceIdentity} with the row's (or the fleet's) group tag, name and user,
 * and optionally a {@link WindowsAutopilotDeploymentProfileAssignment}. Child names derive from
 * serial numbers, so reordering or adding rows changes nothing that exists.
 */
export class AutopilotFleet extends pulumi.ComponentResource {
    /** Serial number -> Autopilot device id. */
    declare readonly deviceIds: pulumi.Output<Record<string, string>>;
    /** Import status -> number of devices (complete, pending, error, ...). */
    declare readonly importCounts: pulumi.Output<Record<string, number>>;
    /** The CSV problems that were skipped (skipBadRows), one line each. */
    declare readonly skippedRows: pulumi.Output<string[]>;
    /** The child resources, by serial number. */
    readonly devices: Record<string, { import: ImportedWindowsAutopilotDeviceIdentity; device: WindowsAutopilotDeviceIdentity }> = {};
    /** The profile's group assignment (`profileAssignment`), named `<fleet>-profile-assignment`. */
    readonly profileAssignment?: WindowsAutopilotDeploymentProfileAssignment;

    constructor(name: string, args: AutopilotFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autopilot:index:AutopilotFleet", name, {}, opts);
        if ((args.csvFile === undefined) === (args.csv === undefined)) {
            throw new Error(`AutopilotFleet ${name}: give exactly one of csvFile (a path) or csv (the text)`);
        }
        const parsed =
            args.csvFile !== undefined
                ? readHardwareHashCsv(args.csvFile, { file: displayPath(args.csvFile) })
                : parseHardwareHashCsv(args.csv!, { file: "csv" });
        if (parsed.problems.length > 0) {
            if (!args.skipBadRows) throw new FleetCsvError(parsed.problems, this);
            void pulumi.log.warn(`AutopilotFleet ${name}: skipping ${parsed.problems.length} bad row(s):\n${formatProblems(parsed.problems)}`, this);
        }
        const naming = args.naming ?? defaultNaming;
        const parent = { parent: this };
        if (args.childOutputs !== undefined && args.childOutputs !== "fleet" && args.childOutputs !== "all") {
            throw new Error(`AutopilotFleet ${name}: childOutputs must be "fleet" or "all", got ${JSON.stringify(args.childOutputs)}`);
        }
        const all = args.childOutputs === "all";
        const planned = planFleetDevices(parsed.rows, args);
        if (planned.length === 0 && args.allowEmpty !== true) {
            const why =
                parsed.problems.length > 0 ? `every row was bad and skipped (${parsed.problems.length} problem(s))` : "the CSV has a header and no device rows";
            throw new Error(
                `AutopilotFleet ${name}: no devices: ${why}. An empty fleet would remove every device it manages on the next pulumi up ` +
                    `(deregister them, with deleteBehavior "deregister"). Fix the CSV, or set allowEmpty: true to empty the fleet on purpose.`,
            );
        }
        if (args.profileAssignment && args.profileAssignment.profileId === undefined) {
            throw new Error(
                `AutopilotFleet ${name}: profileAssignment.profileId is required: an assignment belongs to the deployment profile (one for the fleet, not one per device); ` +
                    `give the profile's id (a WindowsAutopilotDeploymentProfile's profileId) and the group its devices are in.`,
            );
        }
        const rowsByLine = new Map(parsed.rows.map((r) => [r.line, r]));
        const waves = new RegistrationWaves();
        for (const [index, row] of planned.entries()) {
            const csvRow = rowsByLine.get(row.line)!;
            const key = serialKey(row.serialNumber);
            // The SDK waits for every input before it registers: a gated serial holds the row's import back.
            const gate = waves.gateOf(index);
            const imported = new ImportedWindowsAutopilotDeviceIdentity(
                naming(name, "import", key),
                {
                    serialNumber: gate ? gate.then(() => row.serialNumber) : row.serialNumber,
                    hardwareIdentifier: csvRow.hardwareIdentifier,
                    productKey: csvRow.productKey,
                    importTimeoutSeconds: args.importTimeoutSeconds,
                    removeRecordWhenComplete: args.importRecord === "remove" ? true : undefined,
                },
                // A new hash for the same serial is a new capture: re-import rather than PATCH.
                { ...parent, replaceOnChanges: ["hardwareIdentifier", "productKey"], outputs: all ? "all" : ["autopilotDeviceId", "importStatus"] },
            );
            const device = new WindowsAutopilotDeviceIdentity(
                naming(name, "device", key),
                {
                    deviceId: imported.autopilotDeviceId.apply((id) => id ?? ""),
                    ...row.settings,
                    deleteBehavior: args.deleteBehavior,
                },
                { ...parent, outputs: all ? "all" : [] },
            );
            this.devices[key] = { import: imported, device };
        }
        if (args.profileAssignment) {
            // One assignment for the fleet: it belongs to the profile. A state written when the fleet
            // declared one per device upgrades without losing it: this one adopts it (same target)
            // and deleting those releases it (assignment/spec.ts).
            this.profileAssignment = new WindowsAutopilotDeploymentProfileAssignment(
                `${name}-profile-assignment`,
                { ...args.profileAssignment },
                { ...parent, outputs: all ? "all" : [] },
            );
        }
        const entries = Object.entries(this.devices);
        const deviceIds = pulumi
            .all(entries.map(([serial, e]) => pulumi.all([serial, e.device.deviceId])))
            .apply((pairs) => Object.fromEntries(pairs) as Record<string, string>);
        const importCounts = pulumi.all(entries.map(([, e]) => e.import.importStatus)).apply((statuses) => {
            const counts: Record<string, number> = {};
            for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
            return counts;
        });
        const skippedRows = pulumi.output(parsed.problems.map((p) => formatProblems([p])));
        Object.assign(this, { deviceIds, importCounts, skippedRows });
        this.registerOutputs({ deviceIds, importCounts, skippedRows });
    }
}
