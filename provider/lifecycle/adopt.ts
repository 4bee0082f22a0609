import { GraphError } from "../graph";
import { listAll as listPages } from "../graph/pages";
import type { ApiVersion } from "../schema/graphSchema";
import { AutopilotError } from "./errors";
import type { LifecycleContext } from "./spec";
import type { Props } from "./values";

/** Where an object adopted by its Graph id is read, and how a missing one is named. */
export interface AdoptById {
    apiVersion: ApiVersion;
    path: string;
    /** The route template, e.g. `GET /deviceManagement/x/{id}`. */
    route: string;
    /** The input that gave the id (`uploadId`), for the message. */
    input: string;
    /** What the object is, for the message ("upload", "deployment profile"). */
    what: string;
    /** The error code of a missing object, e.g. `AUTOPILOT_UPLOAD_NOT_FOUND`. */
    code: string;
    /** What to do about it, appended to the message. */
    hint?: string;
}

/**
 * Reads the object a program adopts by its Graph id: the object, or an AutopilotError naming the
 * input when Graph answers 404. Every spec that adopts by id comes here.
 */
export async function readToAdopt(ctx: LifecycleContext, id: string, where: AdoptById): Promise<Props> {
    try {
        return (await ctx.graph.send<Props>({ method: "GET", apiVersion: where.apiVersion, path: where.path, route: where.route })).body;
    } catch (e) {
        if (GraphError.isGraphError(e) && e.status === 404) {
            throw new AutopilotError(
                where.code,
                `${where.input}: no ${where.what} with id ${id} (Graph answered 404, request-id ${e.requestId ?? "none"}).${where.hint ? " " + where.hint : ""}`,
            );
        }
        throw e;
    }
}

/** Every object of a collection, following `@odata.nextLink` through every page. */
export function listAll(ctx: LifecycleContext, apiVersion: ApiVersion, path: string, route: string): Promise<Props[]> {
    return listPages(ctx.graph, { method: "GET", apiVersion, path, route });
}
