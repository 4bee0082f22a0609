/**
 * The emulator's internal state shared by the server, the dispatcher and the handlers.
 */
import type { Authority } from "./authority";
import type { FaultEngine } from "./chaos";
import type { Consistency } from "./consistency";
import type { FaultStore } from "./faults";
import type { GraphSchema } from "./schema";
import type { EmulatorProfile, RecordedRequest, Tenant } from "./types";

/** Everything a handler may need; one per running emulator. */
export interface EmulatorState {
    schema: GraphSchema;
    tenant: Tenant;
    profile: EmulatorProfile;
    /** Base URL without version, set once the server listens. */
    baseUrl: string;
    tokens: ReadonlySet<string>;
    /** The Entra authority on the HTTPS listener, when `options.authority` was given; Graph accepts its tokens too. */
    authority?: Authority;
    importPendingReads: number;
    /** Upload segments answer "Resource not found for the segment" (EmulatorOptions.uploadsRemoved). */
    uploadsRemoved: boolean;
    writeVisibilityDelayMs: number;
    latencyMs: number;
    consistency: Consistency;
    faults: FaultStore;
    /** Fault modes of the run (chaos.ts). */
    chaos: FaultEngine;
    requests: RecordedRequest[];
    nextSeq: number;
}

/** Appends a request to the log and returns the entry (its status is filled in when answered). */
export function recordRequest(state: EmulatorState, entry: Omit<RecordedRequest, "seq" | "status" | "time">): RecordedRequest {
    const rec: RecordedRequest = { seq: state.nextSeq++, status: 0, time: Date.now(), ...entry };
    state.requests.push(rec);
    return rec;
}

/** Lower-cased headers with the bearer token replaced: the log must never hold a secret. */
export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
        if (v === undefined) continue;
        const name = k.toLowerCase();
        out[name] = name === "authorization" ? "Bearer <redacted>" : Array.isArray(v) ? v.join(", ") : v;
    }
    return out;
}
