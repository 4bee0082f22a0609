import * as pulumi from "@pulumi/pulumi";
import { odataString, listAll } from "../resources/deviceIdentity/lookup";
import { graphClientFor } from "../runtime";
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

function text(v: unknown): string | null {
    return typeof v === "string" && v !== "" ? v : null;
}

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
export async function getAutopilotDevices(args: GetAutopilotDevicesArgs = {}, options: { config?: (key: string) => string | undefined } = {}): Promise<AutopilotDeviceSummary[]> {
    const config = options.config ?? ((key: string) => pulumi.runtime.getConfig(key));
    const graph = graphClientFor(config);
    const serialFilter = args.serialNumber ?? args.serialNumberPrefix;
    const found = await listAll(graph, {
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
