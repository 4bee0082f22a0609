/**
 * Answer builders shared by the handlers: single objects, collections with filter and paging,
 * 201/204 answers, and per-route type lookup.
 */
import { applyFilter, paginate, parseFilter } from "./query";
import type { Reply, RouteContext } from "./router";
import type { StructuredType } from "./schema";
import { parseSelect, toGraphObject } from "./shape";

/** Graph type names used by the routes. */
export const TYPES = {
    device: "windowsAutopilotDeviceIdentity",
    imported: "importedWindowsAutopilotDeviceIdentity",
    upload: "importedWindowsAutopilotDeviceIdentityUpload",
    assignment: "windowsAutopilotDeploymentProfileAssignment",
    profile: "windowsAutopilotDeploymentProfile",
} as const;

/** The entity type for this request's version, with the documented pages' extras. */
export function typeFor(ctx: RouteContext, name: string): StructuredType {
    const t = ctx.state.schema.entity(ctx.version, name, true);
    if (!t) throw new Error(`schema has no entity '${name}' in ${ctx.version}`);
    return t;
}

function context(ctx: RouteContext, suffix = ""): string {
    const rel = ctx.path.split("/").filter(Boolean).slice(1).join("/");
    return `${ctx.state.baseUrl}/${ctx.version}/$metadata#${rel}${suffix}`;
}

/** 200 (or `status`) with one object. */
export function objectReply(ctx: RouteContext, type: StructuredType, record: Record<string, unknown>, status = 200): Reply {
    const select = ctx.method === "GET" ? parseSelect(type, ctx.query["$select"]) : undefined;
    return {
        status,
        body: { "@odata.context": context(ctx, "/$entity"), ...toGraphObject(ctx.state.schema, ctx.version, type, record, select) },
    };
}

/** The records a list request selects, before paging (filter applied). */
export function filterRecords<T extends Record<string, unknown>>(ctx: RouteContext, records: T[], filterable: readonly string[]): T[] {
    const collection = ctx.path.split("/").filter(Boolean).pop() ?? "";
    return applyFilter(records, parseFilter(ctx.query["$filter"], filterable, collection));
}

/**
 * 200 with one page of a collection (records already filtered). `typeOf` gives a record's own
 * type where the collection holds several derived types (deployment profiles).
 */
export function listReply(
    ctx: RouteContext,
    type: StructuredType,
    records: Record<string, unknown>[],
    typeOf: (record: Record<string, unknown>) => StructuredType = () => type,
): Reply {
    const select = parseSelect(type, ctx.query["$select"]);
    const page = paginate(records, ctx.query, ctx.selfUrl);
    const body: Record<string, unknown> = { "@odata.context": context(ctx) };
    if (page.nextLink) body["@odata.nextLink"] = page.nextLink;
    body.value = page.value.map((r) => toGraphObject(ctx.state.schema, ctx.version, typeOf(r), r, select));
    return { status: 200, body };
}

/** 204 without body. */
export function noContent(): Reply {
    return { status: 204 };
}

/** 200 without body (Intune's DELETE answer on these collections). */
export function emptyOk(): Reply {
    return { status: 200 };
}
