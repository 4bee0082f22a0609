import * as pulumi from "@pulumi/pulumi";
import { providerText } from "./dynamicProvider";
import { REPLACE_ON_CHANGES } from "./replaceOnChanges";
import type { ResourceSpec } from "./spec";

/** The Pulumi module every class registers under: types read `autopilot:<ClassName>`. */
export const PULUMI_MODULE = "autopilot";

/** Names of a spec's secret fields: wrapped on the way in, listed as additionalSecretOutputs. */
export function secretFields(spec: ResourceSpec): string[] {
    return Object.keys(spec.fields).filter((n) => spec.fields[n].secret);
}

/**
 * Resource options of every Autopilot resource class: Pulumi's `CustomResourceOptions` plus
 * `outputs`. `replaceOnChanges` works as users expect even though the engine cannot apply it to a
 * dynamic resource: the class hands its paths to the provider, whose diff reports the replacement.
 */
export interface AutopilotResourceOptions extends pulumi.CustomResourceOptions {
    /**
     * Which outputs the object exposes in the program. `"all"` (default): every property. A list:
     * the inputs given, the object's id and the names listed; reading any other property throws.
     * Each exposed output costs Pulumi's SDK a few promises per resource, so a program declaring
     * thousands of devices registers faster and in less memory with only what it reads (the
     * state still holds every property Graph returned).
     */
    outputs?: "all" | readonly string[];
}

/** The property names a resource registers (and so exposes as outputs) for the given inputs. */
export function registeredNames(spec: ResourceSpec, args: Record<string, unknown>, outputs: "all" | readonly string[] = "all"): string[] {
    const given = Object.keys(args).filter((k) => args[k] !== undefined);
    if (outputs === "all") {
        return [...new Set([...Object.keys(spec.fields), spec.idOutput, ...given])];
    }
    for (const name of outputs) {
        if (!(name in spec.fields) && name !== spec.idOutput) {
            throw new Error(
                `${spec.typeName}: outputs names "${name}", which is not a property of ${spec.typeName} (allowed: ${[spec.idOutput, ...Object.keys(spec.fields)].join(", ")})`,
            );
        }
    }
    return [...new Set([...given, spec.idOutput, ...outputs])];
}

/**
 * Base class of every Autopilot resource: registers a dynamic resource (type
 * `pulumi-nodejs:dynamic/autopilot:<ClassName>`, run by Pulumi's dynamic-provider host) whose
 * `__provider` is the small by-name delegate, with secret inputs wrapped in pulumi.secret (the
 * state stores registered inputs as given) and listed in additionalSecretOutputs.
 *
 * It registers what `pulumi.dynamic.Resource` registers, with the `__provider` text written here
 * (see dynamicProvider.ts) instead of one serialized from a provider object's closures.
 */
export abstract class AutopilotResource extends pulumi.CustomResource {
    protected constructor(spec: ResourceSpec, name: string, args: Record<string, unknown>, opts?: AutopilotResourceOptions) {
        const secrets = secretFields(spec);
        const { outputs, ...resourceOptions } = opts ?? {};
        const names = registeredNames(spec, args, outputs);
        if ("__provider" in args || REPLACE_ON_CHANGES in args) {
            throw new Error(`${spec.typeName} ${name}: "__provider" and "${REPLACE_ON_CHANGES}" are not inputs (the resource class sets them)`);
        }
        const props: Record<string, unknown> = {};
        // Registered names absent from the inputs stay undefined (not sent); the provider fills
        // the output from Graph.
        for (const key of names) {
            const value = args[key];
            props[key] = value !== undefined && secrets.includes(key) ? pulumi.secret(value as pulumi.Input<unknown>) : value;
        }
        props.__provider = providerText(spec.typeName);
        if (resourceOptions.replaceOnChanges && resourceOptions.replaceOnChanges.length > 0) {
            // The engine cannot apply the option to a dynamic resource (replaceOnChanges.ts): the provider does.
            props[REPLACE_ON_CHANGES] = [...resourceOptions.replaceOnChanges];
        }
        super(`pulumi-nodejs:dynamic/${PULUMI_MODULE}:${spec.typeName}`, name, props, {
            ...resourceOptions,
            additionalSecretOutputs: [...new Set([...(resourceOptions.additionalSecretOutputs ?? []), ...secrets])],
        });
        if (outputs !== undefined && outputs !== "all") {
            // A property left out must fail loudly where it is read, not turn into `undefined`
            // deep inside an apply. Not enumerable, so Pulumi's own walks over the object skip it.
            for (const field of [...Object.keys(spec.fields), spec.idOutput]) {
                if (names.includes(field)) continue;
                Object.defineProperty(this, field, {
                    enumerable: false,
                    get: () => {
                        throw new Error(
                            `${spec.typeName} ${name}: output "${field}" is not exposed: this resource was declared with outputs [${outputs.join(", ")}]; add "${field}" to its outputs option (or use "all")`,
                        );
                    },
                });
            }
        }
    }
}
