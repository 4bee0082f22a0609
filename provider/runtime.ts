/**
 * What `__provider` requires inside Pulumi's dynamic-provider host: the stack config from
 * `configure`, the process's session (one Graph client per configuration: one connection pool, one
 * token cache; session.ts) and the lifecycle handler of each resource type. Not part of the
 * program-side API.
 */
import { authFingerprint, resolveAuthConfig } from "./auth";
import type { ResourceHandler } from "./lifecycle/handler";
import { DEFAULT_CONSISTENCY_TIMEOUT_SECONDS, DEFAULT_STEP_TIMEOUT_SECONDS, StepLimits } from "./lifecycle/bounds";
import { ConfigGetter, GraphSession, ProviderObject, ProviderProcess, SessionSettings } from "./session";

export type { ConfigGetter, ProviderObject } from "./session";

const TUNING_KEYS = ["autopilot:maxConcurrency", "autopilot:maxRetries", "autopilot:timeoutSeconds"];
// Also read (per step, no client change): autopilot:stepTimeoutSeconds, autopilot:consistencyTimeoutSeconds (stepLimits).

function readWholeNumber(getConfig: ConfigGetter, key: string, fallback: number): number {
    const raw = getConfig(key) ?? process.env[`AUTOPILOT_${key.split(":")[1].replace(/[A-Z]/g, (c) => "_" + c).toUpperCase()}`];
    if (raw === undefined || raw === "") {
        return fallback;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
        throw new Error(`${key} must be a whole number of at least 0, got ${JSON.stringify(raw)}`);
    }
    return value;
}

function log(line: string): void {
    if (process.env.AUTOPILOT_LOG) {
        process.stderr.write(`[pulumi-autopilot] ${line}\n`);
    }
}

/** The bounds of a step, from config: see lifecycle/bounds.ts. */
export function stepLimits(get: ConfigGetter): StepLimits {
    const stepSeconds = readWholeNumber(get, "autopilot:stepTimeoutSeconds", 0);
    return {
        stepTimeoutMs: (stepSeconds || DEFAULT_STEP_TIMEOUT_SECONDS) * 1000,
        stepTimeoutConfigured: stepSeconds > 0,
        consistencyTimeoutMs: readWholeNumber(get, "autopilot:consistencyTimeoutSeconds", DEFAULT_CONSISTENCY_TIMEOUT_SECONDS) * 1000,
        requestTimeoutSeconds: readWholeNumber(get, "autopilot:timeoutSeconds", 100) || 100,
        maxRetries: readWholeNumber(get, "autopilot:maxRetries", 8),
    };
}

/** Every setting a session is made of, from one config source (and the environment). */
export function sessionSettings(getConfig: ConfigGetter): SessionSettings {
    const auth = resolveAuthConfig(getConfig);
    const limits = stepLimits(getConfig);
    const tuning = TUNING_KEYS.map((k) => getConfig(k) ?? "").join("|");
    return {
        // A hash of the whole auth config (secrets included, never in plain text), the tuning and
        // the step bounds: a changed credential, endpoint or cloud gets a new client and token cache.
        key: `${authFingerprint(auth)}|${tuning}|${Object.values(limits).join("|")}`,
        auth,
        client: {
            maxConcurrency: readWholeNumber(getConfig, "autopilot:maxConcurrency", 8) || 8,
            maxRetries: limits.maxRetries,
            timeoutSeconds: limits.requestTimeoutSeconds,
            // Fleet-scale speed (each can be switched off to measure it: the bench does).
            batch: process.env.AUTOPILOT_BATCH !== "0",
            adaptive: process.env.AUTOPILOT_ADAPTIVE !== "0",
        },
        bulkImportChunk: Number(process.env.AUTOPILOT_BULK_IMPORT_CHUNK) || undefined,
        limits,
    };
}

/** The process's one owner of its Graph state (session.ts). */
const host = new ProviderProcess(sessionSettings, log);

/** Called by the host with the stack config (secrets already unwrapped). */
export function configure(config: { get(key: string): string | undefined }): void {
    host.configure((key) => config.get(key));
}

/** The process's session for a config source (the lookups' and the host's, one at a time). */
export function sessionFor(getConfig: ConfigGetter): GraphSession {
    return host.sessionFor(getConfig);
}

/**
 * The provider methods, in the order of their numbers: the `__provider` that states written
 * before the short text (dynamicProvider.ts) hold calls `dispatch(type, <number>, args)`. It must
 * keep working: an unchanged resource keeps that text in its outputs, and delete and refresh run it.
 */
export const PROVIDER_METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

/**
 * What every `__provider` method calls, with the method's number in {@link PROVIDER_METHODS} (or
 * its name): `configure` takes the host's config, every other method goes to the lifecycle
 * handler of the type.
 */
export async function dispatch(typeName: string, method: number | string, args: any[]): Promise<unknown> {
    const name = typeof method === "number" ? PROVIDER_METHODS[method] : method;
    if (name === "configure") {
        configure(args[0].config);
        return;
    }
    const h = handler(typeName) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    if (name === undefined || typeof h[name] !== "function") {
        throw new Error(`pulumi-autopilot: ${typeName} has no provider method ${method}; is the installed package older than the program's?`);
    }
    return h[name](...args);
}

/**
 * The provider object of a type, which `__provider`'s `handler()` returns inside the host (see
 * lifecycle/dynamicProvider.ts): each method goes to {@link dispatch}. One object per type.
 */
export function provider(typeName: string): ProviderObject {
    return host.providerObject(typeName, () => Object.fromEntries(PROVIDER_METHODS.map((m) => [m, (...args: any[]) => dispatch(typeName, m, args)])) as ProviderObject);
}

/** The lifecycle of one resource type, by the name `__provider` captured. */
export function handler(typeName: string): ResourceHandler {
    return host.handler(typeName);
}
