export * from "./types";
export { GraphClient } from "./client";
export { GraphError, parseGraphErrorBody, redactSecrets } from "./errors";
export type { GraphErrorCode, GraphErrorInit, GraphErrorBody } from "./errors";
export { parseRetryAfterMs, parseRetryAfterValue, RETRY_AFTER_HEADERS } from "./retryAfter";
export {
    throttlingRetryStrategy,
    exponentialRetryStrategy,
    retryPolicy,
    isTransientError,
    wasRefusedBeforeProcessing,
    RETRYABLE_STATUSES,
    REFUSED_STATUSES,
    MAYBE_SENT_NETWORK_CODES,
    NOT_SENT_NETWORK_CODES,
    DEFAULT_MIN_DELAY_MS,
    DEFAULT_BASE_DELAY_MS,
    DEFAULT_MAX_DELAY_MS,
} from "./retry";
export type { RetryState, RetryStrategy, RetryPolicyOptions, ExponentialRetryOptions } from "./retry";
export { permissionsForPath, permissionHint, ROUTE_PERMISSIONS } from "./permissions";
export { Semaphore } from "./semaphore";
export type { Release } from "./semaphore";
export { realDelay, untilAborted } from "./delay";
export { composePipeline } from "./pipeline";
export type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "./pipeline";
