import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider object Pulumi serializes into each resource's `__provider`. It captures only the
 * type name: every method requires the installed package by name at run time (inside Pulumi's
 * dynamic-provider host, resolved from the program's folder) and delegates. So the state holds
 * no credentials, config, paths or code beyond these few lines.
 */
export function dynamicProviderFor(typeName: string): pulumi.dynamic.ResourceProvider {
    return {
        async configure(req: pulumi.dynamic.ConfigureRequest) {
            require("pulumi-autopilot/runtime").configure(req.config);
        },
        async check(olds: any, news: any) {
            return require("pulumi-autopilot/runtime").handler(typeName).check(olds, news);
        },
        async diff(id: string, olds: any, news: any) {
            return require("pulumi-autopilot/runtime").handler(typeName).diff(id, olds, news);
        },
        async create(inputs: any) {
            return require("pulumi-autopilot/runtime").handler(typeName).create(inputs);
        },
        async read(id: string, props: any) {
            return require("pulumi-autopilot/runtime").handler(typeName).read(id, props);
        },
        async update(id: string, olds: any, news: any) {
            return require("pulumi-autopilot/runtime").handler(typeName).update(id, olds, news);
        },
        async delete(id: string, props: any) {
            return require("pulumi-autopilot/runtime").handler(typeName).delete(id, props);
        },
    };
}
