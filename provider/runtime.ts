/**
 * What `__provider` requires inside Pulumi's dynamic-provider host: the stack config from
 * `configure`, the process's session (one Graph client per configuration: one connection pool, one
 * token cache; session.ts) and the lifecycle handler of each resource type. Not part of the
 * program-side API.
 */
import type { ResourceHandler } from "./lifecycle/handler";
import { GraphSession, ProviderObject, ProviderProcess } from "./session";
import { resolveSettings, type ConfigGetter } from "./settings";

export type { ProviderObject } from "./session";
export type { ConfigGetter } from "./settings";

/** The process's one owner of its Graph state (session.ts); every setting is resolved by resolveSettings. */
const host = new ProviderProcess((getConfig) => resolveSettings(getConfig));

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
export async function dispatch(typeName: string, method: number | string, args: unknown[]): Promise<unknown> {
    const name = typeof method === "number" ? PROVIDER_METHODS[method] : method;
    if (name === "configure") {
        configure((args[0] as { config: { get(key: string): string | undefined } }).config);
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
    return host.providerObject(
        typeName,
        () => Object.fromEntries(PROVIDER_METHODS.map((m) => [m, (...args: unknown[]) => dispatch(typeName, m, args)])) as ProviderObject,
    );
}

/** The lifecycle of one resource type, by the name `__provider` captured. */
export function handler(typeName: string): ResourceHandler {
    return host.handler(typeName);
}
