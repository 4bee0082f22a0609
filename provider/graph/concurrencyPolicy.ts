import { abortedError } from "./httpError";
import type { PipelinePolicy } from "./pipeline";
import type { Semaphore } from "./semaphore";

/**
 * Holds a permit of `semaphore` while one attempt is on the wire. It sits inside the retry
 * policy, so a request waiting out a Retry-After does not keep others from running.
 */
export function concurrencyPolicy(semaphore: Semaphore): PipelinePolicy {
    return {
        name: "concurrencyPolicy",
        async sendRequest(request, next) {
            let release: () => void;
            try {
                release = await semaphore.acquire(request.signal);
            } catch (err) {
                throw abortedError(request, err);
            }
            try {
                return await next(request);
            } finally {
                release();
            }
        },
    };
}
