export * from "./types";
export { GraphClient } from "./client";
export { GraphError, parseGraphErrorBody, redactSecrets } from "./errors";
export { parseRetryAfterMs, parseRetryAfterValue } from "./retryAfter";
export { Semaphore } from "./semaphore";
export { realDelay, untilAborted } from "./delay";
