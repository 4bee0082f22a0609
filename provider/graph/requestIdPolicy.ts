import { randomUUID } from "node:crypto";
import type { PipelinePolicy } from "./pipeline";

/**
 * Sets `client-request-id` (a GUID) unless the caller gave one. It runs outside the retry
 * policy, so every attempt of one logical request carries the same id: Microsoft support
 * finds all attempts of an operation by it, and each attempt still gets its own `request-id`
 * from Graph. (The Graph SDKs and Azure's setClientRequestIdPolicy do the same.)
 */
export function requestIdPolicy(newId: () => string = randomUUID): PipelinePolicy {
    return {
        name: "requestIdPolicy",
        sendRequest(request, next) {
            request.headers["client-request-id"] ||= newId();
            return next(request);
        },
    };
}
