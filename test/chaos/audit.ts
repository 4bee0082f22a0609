/**
 * Compares what a fleet run left in the tenant with what it left in the state: every object the
 * state holds exists, no serial has two import records or two devices, no profile two assignments
 * with the same target, and every object the run made for the fleet's serials is in the state
 * (none orphaned). Other objects in the tenant (another test's) are not looked at.
 */
import type { Emulator } from "../emulator";
import { shortType, StateResource } from "../pulumi/stack";

/** The tenant's objects before the run (the seed): they are not the run's. */
export interface TenantSnapshot {
    imports: Set<string>;
    devices: Set<string>;
    assignments: Set<string>;
}

/** What {@link auditFleet} found. */
export interface FleetAudit {
    /** Objects the fleet wants: an import and a device per serial, and the fleet's one profile assignment. */
    expected: number;
    /** State resources whose object exists in the tenant. */
    present: number;
    /** Objects beyond one per serial (or per profile and target). */
    duplicated: number;
    /** Objects the run made that the state does not hold. */
    orphaned: number;
    /** One line per mismatch. */
    problems: string[];
}

/** The ids of the tenant's objects now (call before the run). */
export function snapshotTenant(emu: Emulator): TenantSnapshot {
    return {
        imports: new Set(emu.tenant.importedIdentities.keys()),
        devices: new Set(emu.tenant.devices.keys()),
        assignments: new Set([...emu.tenant.assignments.values()].flatMap((m) => [...m.keys()])),
    };
}

function counts<T>(items: T[], key: (t: T) => string): Map<string, number> {
    const m = new Map<string, number>();
    for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
    return m;
}

/**
 * Audits a fleet of `serials` (each: import and device; and the fleet's profile assignment unless
 * `withAssignments` is false) against the state's resources (`pulumi stack export`).
 */
export function auditFleet(emu: Emulator, resources: StateResource[], serials: string[], seed: TenantSnapshot, withAssignments = true): FleetAudit {
    const problems: string[] = [];
    const wanted = new Set(serials.map((s) => s.toUpperCase()));
    const custom = resources.filter((r) => r.custom && r.id);
    const byType = (t: string) => custom.filter((r) => shortType(r.type) === `autopilot:${t}`);
    const name = (r: StateResource) => r.urn.slice(r.urn.lastIndexOf("::") + 2);
    let present = 0;
    for (const r of byType("ImportedWindowsAutopilotDeviceIdentity")) {
        if (emu.tenant.importedIdentities.has(r.id!)) present++;
        else problems.push(`import ${name(r)}: record ${r.id} is in the state but not in the tenant`);
    }
    for (const r of byType("WindowsAutopilotDeviceIdentity")) {
        if (emu.tenant.devices.has(r.id!)) present++;
        else problems.push(`device ${name(r)}: ${r.id} is in the state but not in the tenant`);
    }
    for (const r of byType("WindowsAutopilotDeploymentProfileAssignment")) {
        // Assignments belong to the profile; the state records which.
        const profileId = String(r.outputs?.profileId);
        if (emu.tenant.assignments.get(profileId)?.has(r.id!)) present++;
        else problems.push(`assignment ${name(r)}: ${r.id} on profile ${profileId} is in the state but not in the tenant`);
    }

    // The run's objects: those of the fleet's serials the tenant did not hold before, and the
    // assignments made on any profile.
    const runImports = [...emu.tenant.importedIdentities.values()].filter((r) => !seed.imports.has(r.id) && wanted.has(String(r.serialNumber).toUpperCase()));
    const runDevices = [...emu.tenant.devices.values()].filter((d) => !seed.devices.has(d.id) && wanted.has(String(d.serialNumber).toUpperCase()));
    const runAssignments: { profileId: string; id: string; target: string }[] = [];
    for (const [profileId, assignments] of emu.tenant.assignments) {
        for (const a of assignments.values()) {
            if (!seed.assignments.has(a.id)) runAssignments.push({ profileId, id: a.id, target: JSON.stringify(a.target) });
        }
    }

    let duplicated = 0;
    for (const [serial, n] of counts(runImports, (r) => String(r.serialNumber).toUpperCase())) {
        if (n > 1) {
            duplicated += n - 1;
            problems.push(`serial ${serial}: ${n} import records`);
        }
    }
    for (const [serial, n] of counts(runDevices, (d) => String(d.serialNumber).toUpperCase())) {
        if (n > 1) {
            duplicated += n - 1;
            problems.push(`serial ${serial}: ${n} Autopilot devices`);
        }
    }
    for (const [key, n] of counts(runAssignments, (a) => `${a.profileId} ${a.target}`)) {
        if (n > 1) {
            duplicated += n - 1;
            problems.push(`profile ${key.split(" ")[0]}: ${n} assignments with the same target`);
        }
    }

    let orphaned = 0;
    const stateIds = new Set(custom.map((r) => r.id));
    for (const r of runImports) {
        if (!stateIds.has(r.id)) {
            orphaned++;
            problems.push(`import record ${r.id} (serial ${r.serialNumber}) is in the tenant but not in the state`);
        }
    }
    for (const d of runDevices) {
        if (!stateIds.has(d.id)) {
            orphaned++;
            problems.push(`device ${d.id} (serial ${d.serialNumber}) is in the tenant but not in the state`);
        }
    }
    for (const a of runAssignments) {
        if (!stateIds.has(a.id)) {
            orphaned++;
            problems.push(`assignment ${a.id} on profile ${a.profileId} is in the tenant but not in the state`);
        }
    }
    return { expected: serials.length * 2 + (withAssignments ? 1 : 0), present, duplicated, orphaned, problems };
}
