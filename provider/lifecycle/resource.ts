import * as pulumi from "@pulumi/pulumi";
import { dynamicProviderFor } from "./dynamicProvider";
import type { ResourceSpec } from "./spec";

/** The Pulumi module every class registers under: types read `autopilot:<ClassName>`. */
export const PULUMI_MODULE = "autopilot";

/** Names of a spec's secret fields: wrapped on the way in, listed as additionalSecretOutputs. */
export function secretFields(spec: ResourceSpec): string[] {
    return Object.entries(spec.fields)
        .filter(([, f]) => f.secret)
        .map(([n]) => n);
}

/**
 * Base class of every Autopilot resource: registers a dynamic resource whose provider is the
 * small by-name delegate, with secret inputs wrapped in pulumi.secret (the state stores
 * registered inputs as given) and listed in additionalSecretOutputs.
 */
export abstract class AutopilotResource extends pulumi.dynamic.Resource {
    protected constructor(spec: ResourceSpec, name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
        const secrets = secretFields(spec);
        const props: Record<string, unknown> = {};
        // Every field is registered, so each is readable as an output; absent inputs stay undefined
        // (not sent) and the provider fills the output from Graph.
        for (const name of Object.keys(spec.fields)) {
            props[name] = undefined;
        }
        props[spec.idOutput] = undefined;
        for (const [key, value] of Object.entries(args)) {
            props[key] = value !== undefined && secrets.includes(key) ? pulumi.secret(value as pulumi.Input<unknown>) : value;
        }
        super(
            dynamicProviderFor(spec.typeName),
            name,
            props,
            { ...opts, additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), ...secrets])] },
            PULUMI_MODULE,
            spec.typeName,
        );
    }
}
