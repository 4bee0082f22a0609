import type * as pulumi from "@pulumi/pulumi";

/** One provider object per type: `dynamic.Resource` caches the serialized text per object. */
const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * The provider object Pulumi serializes into each resource's `__provider`. It captures only the
 * type name and one small dispatcher: every method requires the installed package by name at run
 * time (inside Pulumi's dynamic-provider host, resolved from the program's folder) and delegates.
 * So the state holds no credentials, config, paths or code beyond these few lines (about 1 KB,
 * which the engine sends with every call and the host parses once per distinct text).
 *
 * The same object is returned for a type every time, so the program serializes it once per type
 * rather than once per resource.
 */
export function dynamicProviderFor(typeName: string): pulumi.dynamic.ResourceProvider {
    let provider = providers.get(typeName);
    if (!provider) {
        provider = makeProvider(typeName);
        providers.set(typeName, provider);
    }
    return provider;
}

function makeProvider(t: string): pulumi.dynamic.ResourceProvider {
    // Kept terse on purpose: this text is what `__provider` holds. The numbers index
    // PROVIDER_METHODS (runtime.ts): configure, check, diff, create, read, update, delete.
    const d = (...a: [number, any[]]): Promise<any> => require("pulumi-autopilot/runtime").dispatch(t, ...a);
    return {
        configure: (...a: any[]) => d(0, a),
        check: (...a: any[]) => d(1, a),
        diff: (...a: any[]) => d(2, a),
        create: (...a: any[]) => d(3, a),
        read: (...a: any[]) => d(4, a),
        update: (...a: any[]) => d(5, a),
        delete: (...a: any[]) => d(6, a),
    };
}
