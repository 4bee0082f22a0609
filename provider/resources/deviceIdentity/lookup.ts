import type { GraphSender } from "../../graph";
import { listAll as listPages } from "../../graph/pages";
import type { Props } from "../../lifecycle/values";

const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";

/** Escapes a literal for an OData string ('' doubles a quote). */
export function odataString(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/** Reads every page of a Graph collection, following @odata.nextLink. */
export function listAll(graph: GraphSender, first: { path: string; query?: Record<string, string>; route: string }): Promise<Props[]> {
    return listPages(graph, { method: "GET", apiVersion: "beta", ...first });
}

/**
 * Autopilot devices whose serial equals `serial` (case-insensitive). Graph filters this
 * collection with contains(), so the exact match is made here.
 */
export async function findDevicesBySerial(graph: GraphSender, serial: string): Promise<Props[]> {
    const candidates = await listAll(graph, {
        path: COLLECTION,
        query: { $filter: `contains(serialNumber,${odataString(serial)})` },
        route: `GET ${COLLECTION}?$filter=contains(serialNumber,...)`,
    });
    const wanted = serial.toLowerCase();
    return candidates.filter((d) => String(d.serialNumber ?? "").toLowerCase() === wanted);
}
