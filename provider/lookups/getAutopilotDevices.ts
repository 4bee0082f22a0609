import * as pulumi from "@pulumi/pulumi";
import { listAll } from "../graph/pages";
import { odataString } from "../resources/deviceIdentity/lookup";
import { sessionFor } from "../runtime";
import type { Props } from "../lifecycle/values";

/** What to look for; every given criterion must match. */
export interface GetAutopilotDevicesArgs {
    /** Exact serial number (case-insensitive). */
    serialNumber?: string;
    /** Serials starting with this (case-insensitive). */
    serialNumberPrefix?: string;
    /** Exact group tag (case-insensitive, as Autopilot compares them). */
    groupTag?: string;
}

/** One Autopilot device as the lookup returns it. */
export interface AutopilotDeviceSummary {
    id: string;
    serialNumber: string;
    groupTag: string | null;
    userPrincipalName: string | null;
    displayName: string | null;
    enrollmentState: string;
    manufacturer: string | null;
    model: string | null;
}

const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";

const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * Finds Autopilot devices from the program, with the same config and credentials as the
 * resources (`autopilot:*` stack config, then the environment), paging through `@odata.nextLink`.
 * Graph filters this collection only with `contains(serialNumber, …)`: a serial criterion is sent
 * as that filter, everything else is matched here.
 *
 * ```ts
 * const sales = await getAutopilotDevices({ groupTag: "Sales" });
 * for (const d of sales) new WindowsAutopilotDeviceIdentity(`device-${d.serialNumber}`, { deviceId: d.id, displayName: ... });
 * ```
 */
export async function getAutopilotDevices(
    args: GetAutopilotDevicesArgs = {},
    options: { config?: (key: string) => string | undefined } = {},
): Promise<AutopilotDeviceSummary[]> {
    const config = options.config ?? ((key: string) => pulumi.runtime.getConfig(key));
    const serialFilter = args.serialNumber ?? args.serialNumberPrefix;
    const found = await listAll<Props>(sessionFor(config).graph, {
        method: "GET",
        apiVersion: "beta",
        path: COLLECTION,
        query: serialFilter ? { $filter: `contains(serialNumber,${odataString(serialFilter)})` } : undefined,
        route: `GET ${COLLECTION}`,
    });
    const lower = (v: unknown) => String(v ?? "").toLowerCase();
    return found
        .filter((d: Props) => args.serialNumber === undefined || lower(d.serialNumber) === lower(args.serialNumber))
        .filter((d: Props) => args.serialNumberPrefix === undefined || lower(d.serialNumber).startsWith(lower(args.serialNumberPrefix)))
        .filter((d: Props) => args.groupTag === undefined || lower(d.groupTag) === lower(args.groupTag))
        .map((d: Props) => ({
            id: String(d.id),
            serialNumber: String(d.serialNumber ?? ""),
            groupTag: text(d.groupTag),
            userPrincipalName: text(d.userPrincipalName),
            displayName: text(d.displayName),
            enrollmentState: String(d.enrollmentState ?? "unknown"),
            manufacturer: text(d.manufacturer),
            model: text(d.model),
        }));
}

/** What {@link getAutopilotDevicesOutput} looks for: {@link GetAutopilotDevicesArgs}, each criterion an Input. */
export type GetAutopilotDevicesOutputArgs = { [K in keyof GetAutopilotDevicesArgs]: pulumi.Input<NonNullable<GetAutopilotDevicesArgs[K]>> };

/**
 * Options of {@link getAutopilotDevicesOutput}: Pulumi's invoke options, of which `dependsOn`
 * applies (the lookup waits for those resources, as an invoke does). `parent`, `version` and
 * `pluginDownloadURL` change nothing: the lookup runs in the program, not in a provider plugin.
 */
export interface GetAutopilotDevicesOutputOptions extends pulumi.InvokeOutputOptions {
    /** Where config is read from (default: the stack config, `autopilot:*`). */
    config?: (key: string) => string | undefined;
}

/**
 * An output that is known once every resource in `dependsOn` has its id (a component: its URN),
 * and depends on them. During preview a resource that is not created yet has no id: the lookup
 * then does not run and its result is unknown, as Pulumi's own invokes behave.
 */
function dependenciesReady(dependsOn: pulumi.InvokeOutputOptions["dependsOn"]): pulumi.Output<unknown[]> {
    if (dependsOn === undefined) return pulumi.output([]);
    // output() leaves Resources as they are and flattens Inputs of Inputs.
    return pulumi.output(dependsOn as pulumi.Input<pulumi.Resource | pulumi.Resource[]>).apply((deps) => {
        const list = Array.isArray(deps) ? deps : [deps];
        return pulumi.all(
            list.map((r) => {
                if (!pulumi.Resource.isInstance(r)) throw new Error("getAutopilotDevicesOutput: dependsOn must hold resources");
                return pulumi.CustomResource.isInstance(r) ? r.id : r.urn;
            }),
        );
    });
}

/**
 * The Output form of {@link getAutopilotDevices}, as Pulumi's generated packages offer it: the
 * criteria may be Outputs (another resource's, a secret config value), `dependsOn` orders the
 * lookup after resources, and the result is an Output that carries the criteria's secrecy and
 * dependencies, so a resource built from it waits for and depends on them.
 *
 * ```ts
 * const tag = new pulumi.Config().requireSecret("groupTag");
 * export const serials = getAutopilotDevicesOutput({ groupTag: tag }).apply((ds) => ds.map((d) => d.serialNumber));
 * ```
 *
 * Built on `pulumi.all(...).apply(...)`: the SDK's `runtime.invokeOutput` calls a function of a
 * provider plugin, and this lookup is not one (it runs in the program, with the resources' config).
 */
export function getAutopilotDevicesOutput(
    args: pulumi.Input<GetAutopilotDevicesOutputArgs> = {},
    opts: GetAutopilotDevicesOutputOptions = {},
): pulumi.Output<AutopilotDeviceSummary[]> {
    if (opts.provider !== undefined) {
        throw new Error(
            "getAutopilotDevicesOutput: the provider option does not apply: the lookup runs in the program with the autopilot:* stack config; give another configuration with the config option",
        );
    }
    return pulumi.all([pulumi.output(args), dependenciesReady(opts.dependsOn)]).apply(([criteria]) =>
        getAutopilotDevices(
            {
                serialNumber: criteria.serialNumber ?? undefined,
                serialNumberPrefix: criteria.serialNumberPrefix ?? undefined,
                groupTag: criteria.groupTag ?? undefined,
            },
            { config: opts.config },
        ),
    );
}
