import type { GraphRequest, GraphSender } from "../../graph";
import { listAll } from "../../graph/pages";
import type { Props } from "../../lifecycle/values";

const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";

/** Escapes a literal for an OData string ('' doubles a quote). */
export function odataString(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The objects of a collection whose serial equals `serial` (case-insensitive), every page. Graph
 * filters these collections with contains(), so the exact match is made here.
 */
export async function findBySerial(graph: GraphSender, serial: string, where: Pick<GraphRequest, "apiVersion" | "path" | "route">): Promise<Props[]> {
    const candidates = await listAll<Props>(graph, { method: "GET", ...where, query: { $filter: `contains(serialNumber,${odataString(serial)})` } });
    const wanted = serial.toLowerCase();
    return candidates.filter((d) => String(d.serialNumber ?? "").toLowerCase() === wanted);
}

/** Autopilot devices whose serial equals `serial` (case-insensitive). */
export function findDevicesBySerial(graph: GraphSender, serial: string): Promise<Props[]> {
    return findBySerial(graph, serial, { apiVersion: "beta", path: COLLECTION, route: `GET ${COLLECTION}?$filter=contains(serialNumber,...)` });
}
