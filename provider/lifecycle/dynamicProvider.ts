/**
 * The `__provider` text of a type: the module Pulumi's dynamic-provider host loads (with
 * `require-from-string`, resolving from the program's folder) and whose `handler()` gives the
 * provider object. It names the type and requires the installed package by name, nothing else:
 * no credentials, config, paths or code. About 110 bytes, where the closure Pulumi's serializer
 * made of an equivalent object took 2,014: the engine sends this text in every request and the
 * host echoes it in every answer (about seven copies per resource in a plan), and the state keeps
 * it in the inputs and the outputs of every resource.
 *
 * The same text for every resource of a type, so the host parses and configures it once.
 */
export function providerText(typeName: string): string {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(typeName)) {
        throw new Error(`pulumi-autopilot: resource type names are letters and digits, got ${JSON.stringify(typeName)}`);
    }
    return `exports.handler = () => require("pulumi-autopilot/runtime").provider("${typeName}");\n`;
}
