/**
 * Public types of the Graph emulator: options, the request log, faults and the in-memory tenant.
 * Tests import these from `test/emulator` (index.ts re-exports them).
 */
import type { AuthorityOptions, EmulatorAuthority } from "./authority";
import type { FaultModes, FaultStats } from "./chaos";

/** Graph API version segment served by the emulator. */
export type ApiVersion = "beta" | "v1.0";

/**
 * How the emulator behaves where the documentation and the live service disagree.
 * - `documented`: PATCH works as the five update pages say (200 with the object), imports resolve at
 *   the first read, deletes take effect at once.
 * - `live`: PATCH on device identities and imported identities answers 400
 *   "No method match route template", imports stay pending for a few reads, deletes of device
 *   identities are asynchronous and writes can become visible only after a delay.
 */
export type EmulatorProfile = "documented" | "live";

/** Options of {@link startEmulator}. Every field is optional. */
export interface EmulatorOptions {
    /** TCP port on 127.0.0.1; 0 (default) picks an ephemeral port. */
    port?: number;
    /** Behaviour profile; default "documented". */
    profile?: EmulatorProfile;
    /** Tenant seed: a JSON file path or an object; default `test/emulator/seed/tenant.json`. */
    seed?: string | TenantSeed;
    /** Accepted bearer tokens; default `["emulator-token"]`. */
    tokens?: string[];
    /** Live profile: how many reads of an import record (or of a deleted device) still show the old state; default 2. */
    importPendingReads?: number;
    /** Live profile: a write becomes visible to reads only after this many milliseconds; default 0. */
    writeVisibilityDelayMs?: number;
    /**
     * Answer as Graph's current metadata (beta and v1.0) is: it has no
     * `importedWindowsAutopilotDeviceIdentityUploads`, so every path through that segment (and the
     * beta page's odd `importedWindowsAutopilotDeviceIdentityUpload/...` route) gets 400 "Resource
     * not found for the segment". Default false: the upload routes the documentation still describes.
     */
    uploadsRemoved?: boolean;
    /** Added before every HTTP answer, in milliseconds; default 0. */
    latencyMs?: number;
    /**
     * Fault modes shaped like Graph's failures (random errors, resets, slow answers, Intune budgets,
     * early-retry punishment), per run and per route; see chaos.ts. Default: none, and early retries
     * (same client-request-id before its Retry-After) are punished.
     */
    faults?: FaultModes;
    /**
     * Also listen on HTTPS (127.0.0.1) with this TLS certificate, serving Graph and an Entra
     * authority whose tokens Graph accepts (authority.ts). Off by default.
     */
    authority?: AuthorityOptions;
}

/** One request as the emulator saw it, with the status it answered. */
export interface RecordedRequest {
    /** 1-based arrival order; keeps counting after {@link Emulator.clearRequests}. */
    seq: number;
    method: string;
    /** Path without query, including the version segment, e.g. `/beta/deviceManagement/...`. */
    path: string;
    /** Query parameters, decoded (`$filter`, `$top`, `$skiptoken`, ...). */
    query: Record<string, string>;
    /** Lower-cased header names. `authorization` is always `"Bearer <redacted>"`: tokens are secrets. */
    headers: Record<string, string>;
    /** Parsed JSON body; the raw text when it was not valid JSON; undefined when empty. */
    body: unknown;
    /** HTTP status the emulator answered (0 while the answer is still being computed). */
    status: number;
    /** Arrival time, `Date.now()`. */
    time: number;
    /** True for an item of a `$batch` request (the envelope is recorded too, before its items). */
    viaBatch?: boolean;
    /** For `$batch` items: the item's `id` inside the batch. */
    batchItemId?: string;
    /**
     * The fault the emulator injected into this request, if any: "random 503", "random 500 (processed)",
     * "reset before processing", "reset after processing", "slow before processing", "slow after processing",
     * "budget appWrites", "early retry", "scripted 429". With a reset, `status` is what the handler
     * answered (0 when it did not run): the client never saw it.
     */
    fault?: string;
}

/** Statuses a scripted fault can answer with. */
export type FaultStatus = 429 | 500 | 502 | 503 | 504 | 507;

/**
 * A scripted failure, checked after authentication and before routing: a Graph error (`status`),
 * or a connection fault: `reset` (before or after the request is processed) or an answer
 * `delayMs` late (`processed` or not; the fault modes of chaos.ts do the same at random).
 */
export interface FaultSpec {
    /** HTTP method to match (case-insensitive); omitted = any. */
    method?: string;
    /**
     * Matched against the path without query (e.g. `/beta/deviceManagement/windowsAutopilotDeviceIdentities/x`):
     * a RegExp is tested, a string matches when the path contains it. Omitted = any path.
     */
    path?: RegExp | string;
    /** The Graph error to answer with. Give exactly one of status, reset and delayMs. */
    status?: FaultStatus;
    /** Reset the connection before the request is processed (nothing happens) or after (the write happens). */
    reset?: "before" | "after";
    /** Answer this many ms late: processed at once when `processed`, else not at all (504 if the client stays). */
    delayMs?: number;
    /** With delayMs: whether the request is processed. Default true. */
    processed?: boolean;
    /** `Retry-After` header value sent verbatim ("2", "0.5", an HTTP date); omitted = no header. */
    retryAfter?: string;
    /** How many matching requests fail; default 1. `Infinity` = until {@link Emulator.clearFaults}. */
    times?: number;
}

/** A running emulator. */
export interface Emulator {
    /** Base URL without version segment, e.g. `http://127.0.0.1:41234`. */
    readonly url: string;
    /** Current profile (see {@link Emulator.setProfile}). */
    readonly profile: EmulatorProfile;
    /** Every request in arrival order, rejected ones included. The array is cleared in place. */
    readonly requests: RecordedRequest[];
    clearRequests(): void;
    /** The in-memory tenant; tests may read and mutate it to simulate out-of-band changes. */
    readonly tenant: Tenant;
    injectFault(f: FaultSpec): void;
    clearFaults(): void;
    /** Replaces the run's fault modes (counters, budgets and early-retry memory start afresh). */
    setFaultModes(modes: FaultModes): void;
    /** What the fault modes did so far: faults by kind, early retries, the generator's seed. */
    faultStats(): FaultStats;
    setProfile(p: EmulatorProfile): void;
    /** Switches {@link EmulatorOptions.uploadsRemoved} (the service changed under an existing stack). */
    setUploadsRemoved(removed: boolean): void;
    /** The Entra authority (and Graph over HTTPS at its `url`), when `options.authority` was given. */
    readonly authority?: EmulatorAuthority;
    close(): Promise<void>;
}

/** Values of `state.deviceImportStatus` (from the schema's enum). */
export type ImportStatus = "unknown" | "pending" | "partial" | "complete" | "error";

/** `microsoft.graph.importedWindowsAutopilotDeviceIdentityState`. */
export interface ImportState {
    deviceImportStatus: ImportStatus | string;
    deviceRegistrationId: string | null;
    deviceErrorCode: number;
    deviceErrorName: string | null;
}

/**
 * A stored Graph object: `id` plus the properties that were set. Properties not present are
 * answered with their schema default (null, the enum default, "0001-01-01T00:00:00Z").
 */
export interface GraphRecord {
    id: string;
    [property: string]: unknown;
}

/** A windowsAutopilotDeviceIdentity. */
export interface DeviceIdentity extends GraphRecord {
    serialNumber?: string | null;
    manufacturer?: string | null;
    model?: string | null;
    groupTag?: string | null;
    enrollmentState?: string;
}

/** An importedWindowsAutopilotDeviceIdentity (top-level or upload-scoped). */
export interface ImportedDeviceIdentity extends GraphRecord {
    serialNumber?: string | null;
    productKey?: string | null;
    /** Base64 (Edm.Binary). */
    hardwareIdentifier?: string | null;
    importId?: string | null;
    groupTag?: string | null;
    assignedUserPrincipalName?: string | null;
    state?: ImportState | null;
}

/** An importedWindowsAutopilotDeviceIdentityUpload with its upload-scoped identities. */
export interface Upload extends GraphRecord {
    createdDateTimeUtc?: string;
    status?: "noUpload" | "pending" | "complete" | "error" | string;
    /** Upload-scoped identities by id (the `deviceIdentities` navigation; not part of the upload's JSON). */
    deviceIdentities: Map<string, ImportedDeviceIdentity>;
}

/**
 * A windowsAutopilotDeploymentProfile (beta): stored with its concrete type in `@odata.type`
 * (`#microsoft.graph.azureADWindowsAutopilotDeploymentProfile` or
 * `#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile`).
 */
export interface DeploymentProfile extends GraphRecord {
    "@odata.type": string;
    displayName?: string | null;
    createdDateTime?: string;
    lastModifiedDateTime?: string;
}

/**
 * An Entra group as far as Autopilot profile assignment needs one: a dynamic device group whose
 * rule matches a group tag, e.g. `(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))`
 * (`groupTag: "Sales"`), or a group with fixed members (`deviceIds`).
 */
export interface EntraGroup {
    id: string;
    displayName?: string;
    /** Autopilot devices whose group tag equals this (case-insensitive) are members. */
    groupTag?: string;
    /** Autopilot device ids that are members. */
    deviceIds?: string[];
}

/** A windowsAutopilotDeploymentProfileAssignment (beta). */
export interface ProfileAssignment extends GraphRecord {
    source?: "direct" | "policySets" | string;
    sourceId?: string | null;
    /** A deviceAndAppManagementAssignmentTarget, with its `@odata.type`. */
    target?: Record<string, unknown> | null;
}

/** The in-memory tenant. Keys are object ids (lower-case GUIDs in the seed). */
export interface Tenant {
    devices: Map<string, DeviceIdentity>;
    importedIdentities: Map<string, ImportedDeviceIdentity>;
    uploads: Map<string, Upload>;
    /** Deployment profiles by id. */
    profiles: Map<string, DeploymentProfile>;
    /**
     * Deployment-profile assignments, by profile id, then by assignment id: `assignments` is a
     * navigation of the profile, so every device that has the profile reaches the same collection.
     */
    assignments: Map<string, Map<string, ProfileAssignment>>;
    /** Entra groups the assignment targets name (membership decides which devices a profile reaches). */
    groups: Map<string, EntraGroup>;
    /** Serial numbers registered to another tenant (imports of these fail with 808). Compared case-insensitively. */
    otherTenantSerials: Set<string>;
    /** Ids of every object deleted through the API (devices once deregistration finished). */
    deletedIds: Set<string>;
    /** Import records still being processed: id -> reads answered while pending. */
    pendingImports: Map<string, number>;
    /** Live profile: devices being deregistered: id -> reads still answered before they vanish. */
    deregistering: Map<string, number>;
}

/** The JSON form of an upload: its identities as an array. */
export interface UploadSeed {
    id: string;
    createdDateTimeUtc?: string;
    status?: string;
    deviceIdentities?: ImportedDeviceIdentity[];
}

/** The JSON form of a tenant (`seed/tenant.json`). */
export interface TenantSeed {
    devices?: DeviceIdentity[];
    /** Records whose `state.deviceImportStatus` is "pending" or "unknown" go through import processing. */
    importedIdentities?: ImportedDeviceIdentity[];
    uploads?: UploadSeed[];
    /** Deployment profiles, each with its group assignments. */
    profiles?: Array<DeploymentProfile & { assignments?: ProfileAssignment[] }>;
    /** Entra groups that assignment targets name. */
    groups?: EntraGroup[];
    otherTenantSerials?: string[];
}
