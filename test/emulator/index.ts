/**
 * Microsoft Graph emulator for Windows Autopilot objects: a real HTTP server on 127.0.0.1 that
 * holds a tenant in memory and answers like Graph (DESIGN §5; each module's header says which
 * part of Graph it emulates). Start it with {@link startEmulator}; run it by hand with
 * `npm run emulator` (cli.ts).
 */
import { Authority } from "./authority";
import { FaultEngine } from "./chaos";
import { Consistency } from "./consistency";
import { DOCUMENTED_DEVICE_PATCH_FIELDS } from "./devices";
import { FaultStore } from "./faults";
import { GraphSchema } from "./schema";
import { listen } from "./server";
import type { EmulatorState } from "./state";
import { loadTenant } from "./tenant";
import type { Emulator, EmulatorOptions, EmulatorProfile } from "./types";

export * from "./types";
export { DEFAULT_SEED_PATH } from "./tenant";
export { IMPORT_ERRORS, MIN_HASH_BYTES } from "./imports";
export { DOCUMENTED_DEVICE_PATCH_FIELDS } from "./devices";
export { DOCUMENTED_TARGET_TYPES } from "./assignments";
export { INTUNE_BUDGETS, Budgets, isWrite } from "./budgets";
export type { IntuneBudgetOptions, BudgetName } from "./budgets";
export { STATUSES_BY_METHOD, clientOf } from "./chaos";
export type {
    FaultModes,
    FaultRule,
    FaultStats,
    RandomFaultOptions,
    ResetFaultOptions,
    SlowFaultOptions,
    RetryAfterStyle,
    EarlyRetryScope,
    ProcessedWhen,
} from "./chaos";
export { TOKEN_EXCHANGE_AUDIENCE } from "./authority";
export type { AppRegistration, AuthorityOptions, EmulatorAuthority, FederatedCredential, TokenRequestRecord, TrustedIssuer } from "./authority";

/** The token accepted when `tokens` is not given. */
export const DEFAULT_TOKEN = "emulator-token";

function checkProfile(p: string): EmulatorProfile {
    if (p !== "documented" && p !== "live") throw new Error(`emulator: unknown profile '${p}' (documented | live)`);
    return p;
}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
    const n = v ?? dflt;
    if (!Number.isFinite(n) || n < 0) throw new Error(`emulator: ${name} must be a number >= 0 (got ${v})`);
    return n;
}

/** Starts an emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
    const schema = GraphSchema.load();
    // The documented PATCH list must exist in the schema (or the pages' extras): fail fast on drift.
    const beta = schema.entity("beta", "windowsAutopilotDeviceIdentity", true)!;
    for (const f of DOCUMENTED_DEVICE_PATCH_FIELDS) {
        if (!beta.properties.has(f)) throw new Error(`emulator: schema lacks documented device field '${f}'`);
    }
    const tokens = options.tokens ?? [DEFAULT_TOKEN];
    if (tokens.length === 0 || tokens.some((t) => typeof t !== "string" || t === "")) {
        throw new Error("emulator: tokens must be non-empty strings");
    }
    const state: EmulatorState = {
        schema,
        tenant: loadTenant(schema, options.seed),
        profile: checkProfile(options.profile ?? "documented"),
        baseUrl: "",
        tokens: new Set(tokens),
        importPendingReads: nonNegative("importPendingReads", options.importPendingReads, 2),
        uploadsRemoved: options.uploadsRemoved ?? false,
        writeVisibilityDelayMs: nonNegative("writeVisibilityDelayMs", options.writeVisibilityDelayMs, 0),
        latencyMs: nonNegative("latencyMs", options.latencyMs, 0),
        // Delayed visibility is a trait of the live service only.
        consistency: new Consistency(() => (state.profile === "live" ? state.writeVisibilityDelayMs : 0)),
        faults: new FaultStore(),
        chaos: new FaultEngine(options.faults ?? {}),
        requests: [],
        nextSeq: 1,
    };
    const server = await listen(state, nonNegative("port", options.port, 0));
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("emulator: no TCP address");
    state.baseUrl = `http://127.0.0.1:${address.port}`;

    let tlsServer: Awaited<ReturnType<typeof listen>> | undefined;
    if (options.authority) {
        const authority = new Authority(options.authority);
        state.authority = authority;
        tlsServer = await listen(state, nonNegative("authority.port", options.authority.port, 0), options.authority.tls);
        const tlsAddress = tlsServer.address();
        if (!tlsAddress || typeof tlsAddress === "string") throw new Error("emulator: no TCP address for HTTPS");
        authority.url = `https://127.0.0.1:${tlsAddress.port}`;
        // Tokens are issued for the emulator's Graph, reached over http or https.
        authority.graphOrigins = [state.baseUrl, authority.url];
    }

    let closed: Promise<void> | undefined;
    return {
        get url() {
            return state.baseUrl;
        },
        get profile() {
            return state.profile;
        },
        get requests() {
            return state.requests;
        },
        get tenant() {
            return state.tenant;
        },
        clearRequests: () => {
            state.requests.length = 0;
        },
        injectFault: (f) => state.faults.add(f),
        clearFaults: () => state.faults.clear(),
        setFaultModes: (modes) => state.chaos.configure(modes),
        faultStats: () => state.chaos.stats(),
        setProfile: (p) => {
            state.profile = checkProfile(p);
        },
        setUploadsRemoved: (removed) => {
            state.uploadsRemoved = removed;
        },
        authority: state.authority,
        close: () => {
            const stop = (s: typeof server): Promise<void> =>
                new Promise<void>((resolve, reject) => {
                    s.close((err) => (err ? reject(err) : resolve()));
                    // Keep-alive sockets (fetch keeps them) would hold close() open.
                    s.closeAllConnections();
                });
            closed ??= Promise.all([stop(server), ...(tlsServer ? [stop(tlsServer)] : [])]).then(() => undefined);
            return closed;
        },
    };
}
