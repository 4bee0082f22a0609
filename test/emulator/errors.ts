/**
 * Graph error answers: the `{"error":{code,message,innerError}}` body and the errors the
 * emulator's handlers throw.
 */

/** An error a handler throws; the dispatcher turns it into Graph's error body. */
export class GraphError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly headers: Record<string, string> = {},
    ) {
        super(message);
        this.name = "GraphError";
    }
}

/** Graph's error body, with the ids of the answer in `innerError`. */
export function errorBody(code: string, message: string, requestId: string, clientRequestId: string): unknown {
    return {
        error: {
            code,
            message,
            innerError: {
                // Graph prints the date without fraction or zone: "2020-11-19T20:20:47".
                date: new Date().toISOString().slice(0, 19),
                "request-id": requestId,
                "client-request-id": clientRequestId,
            },
        },
    };
}

/** 400 BadRequest. */
export function badRequest(message: string): GraphError {
    return new GraphError(400, "BadRequest", message);
}

/** 404 ResourceNotFound for an unknown key. */
export function notFound(typeName: string, id: string): GraphError {
    return new GraphError(404, "ResourceNotFound", `The ${typeName} with id '${id}' was not found.`);
}

/** 400 for a path segment no route knows (Graph's wording for unknown segments). */
export function segmentNotFound(segment: string): GraphError {
    return badRequest(`Resource not found for the segment '${segment}'.`);
}

/**
 * 400 "No method match route template": what Intune answers for a verb its OData routes do not
 * have (PATCH on device identities on the live service).
 */
export function noMethodMatch(template: string, method: string, odataPath: string): GraphError {
    return new GraphError(
        400,
        "No method match route template",
        `No OData route exists that match template ${template} with http verb ${method} for request ` +
            `/DeviceEnrollmentFE_2011/StatelessDeviceEnrollmentFEService/${odataPath}.`,
    );
}

/** Code and message Graph uses for each fault status. */
export const FAULT_ERRORS: Record<number, { code: string; message: string }> = {
    429: { code: "TooManyRequests", message: "Please retry again later." },
    500: { code: "InternalServerError", message: "An internal server error occurred. Please retry." },
    502: { code: "BadGateway", message: "The gateway received an invalid response. Please retry." },
    503: { code: "ServiceUnavailable", message: "The service is temporarily unavailable. Please retry later." },
    504: { code: "GatewayTimeout", message: "The gateway timed out waiting for the service. Please retry." },
    507: { code: "InsufficientStorage", message: "The service does not have enough storage to complete the request. Please retry later." },
};
