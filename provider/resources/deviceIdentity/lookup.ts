import type { GraphSender } from "../../graph";
import type { Props } from "../../lifecycle/values";

const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";

/** Escapes a literal for an OData string ('' doubles a quote). */
export function odataString(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/** Reads every page of a Graph collection, following @odata.nextLink. */
export async function listAll(graph: GraphSender, first: { path: string; query?: Record<string, string>; route: string }): Promise<Props[]> {
    const items: Props[] = [];
    let res = await graph.send<{ value?: Props[]; "@odata.nextLink"?: string }>({ method: "GET", apiVersion: "beta", path: first.path, query: first.query, route: first.route });
    for (;;) {
        items.push(...(res.body.value ?? []));
        const next = res.body["@odata.nextLink"];
        if (!next) {
            return items;
        }
        res = await graph.send({ method: "GET", apiVersion: "beta", path: first.path, absoluteUrl: next, route: first.route });
    }
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
