import { GraphError } from "../../graph";
import { AutopilotError } from "../../lifecycle/errors";

/** The Graph collection of uploads, as the documentation still describes it. */
export const UPLOADS = "/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads";

/** The code of {@link uploadsAbsent}'s error: stable, for scripts and for searching. */
export const UPLOADS_NOT_IN_GRAPH = "AUTOPILOT_UPLOADS_NOT_IN_GRAPH";

/**
 * The error to report when Graph answered a read of an upload route with 400 BadRequest: Graph's
 * current metadata (beta and v1.0) has no `importedWindowsAutopilotDeviceIdentityUploads`, and
 * Graph answers a path through a segment it does not have with 400 BadRequest "Resource not found
 * for the segment '...'". A GET of an upload by a GUID (check validated it) has no body and no
 * query, so nothing else in it can be bad: the branch is on status, code, method and route, never
 * on the message. Any other error: undefined.
 */
export function uploadsAbsent(e: unknown): AutopilotError | undefined {
    if (!GraphError.isGraphError(e) || e.status !== 400 || e.graphCode !== "BadRequest" || e.method !== "GET") return undefined;
    if (!e.route.replace(/^GET /, "").startsWith(UPLOADS)) return undefined;
    return new AutopilotError(
        UPLOADS_NOT_IN_GRAPH,
        `uploadId: this Graph service has no importedWindowsAutopilotDeviceIdentityUploads (${UPLOADS_NOT_IN_GRAPH}): ` +
            `Graph's current metadata (beta and v1.0) no longer has the collection, and Graph answered ${e.route} with 400 BadRequest ` +
            `${JSON.stringify(e.graphMessage ?? "")} (request-id ${e.requestId ?? "none"}). ` +
            `An upload cannot be adopted or managed on this service: remove the ImportedWindowsAutopilotDeviceIdentityUpload resource (deleting it sends no request), ` +
            `and import hardware hashes with ImportedWindowsAutopilotDeviceIdentity without uploadId.`,
    );
}
