import { GraphError, parseGraphErrorBody, type GraphErrorCode, type GraphErrorInit } from "./errors";
import { permissionHint, permissionsForPath } from "./permissions";
import type { PipelineRequest, PipelineResponse } from "./pipeline";

/** A {@link GraphError} for an HTTP answer: Graph's code, message and ids, and a hint for 401/403. */
export function graphErrorFromResponse(
    request: PipelineRequest,
    response: PipelineResponse,
    code: GraphErrorCode = "GRAPH_HTTP_ERROR",
    retryAfterMs?: number,
): GraphError {
    const body = parseGraphErrorBody(response.bodyText);
    return new GraphError({
        code,
        ...requestFields(request),
        status: response.status,
        graphCode: body.code,
        graphMessage: body.message,
        requestId: response.headers["request-id"] ?? body.requestId,
        clientRequestId: request.headers["client-request-id"] ?? response.headers["client-request-id"] ?? body.clientRequestId,
        retryAfterMs,
        ambiguous: code === "GRAPH_AMBIGUOUS_WRITE",
        hint: hintFor(request, response.status),
        redact: request.redact,
    });
}

function hintFor(request: PipelineRequest, status: number): string | undefined {
    if (status === 403) {
        return permissionHint(request.method, request.permissions ?? permissionsForPath(request.graphPath));
    }
    if (status === 401) {
        return `Graph did not accept the bearer token: it must be issued for ${request.url.origin} in the right tenant and not be expired.`;
    }
    return undefined;
}

/** GRAPH_ABORTED for a request whose caller gave up (its signal aborted) while it waited. */
export function abortedError(request: PipelineRequest, cause: unknown): GraphError {
    return new GraphError({ code: "GRAPH_ABORTED", ...requestFields(request), cause });
}

/** The fields of a {@link GraphError} that name the request it is about. */
export function requestFields(request: PipelineRequest): Pick<GraphErrorInit, "method" | "route" | "attempts" | "clientRequestId"> {
    return {
        method: request.method,
        route: request.route,
        attempts: request.attempts,
        clientRequestId: request.headers["client-request-id"],
    };
}
