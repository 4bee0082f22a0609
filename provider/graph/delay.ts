import type { Delay } from "./types";

// setTimeout fires at once for more than 2^31-1 ms; a far-future Retry-After date must not
// turn into an immediate retry.
const MAX_TIMER_MS = 2_147_483_647;

/** Waits with a real timer; rejects with the signal's reason as soon as it aborts. */
export const realDelay: Delay = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = (): void => {
            clearTimeout(timer);
            reject(signal?.reason);
        };
        const timer = setTimeout(
            () => {
                signal?.removeEventListener("abort", onAbort);
                resolve();
            },
            Math.min(Math.max(0, ms), MAX_TIMER_MS),
        );
        signal?.addEventListener("abort", onAbort, { once: true });
    });

/**
 * `promise`, or a rejection with the signal's reason as soon as it aborts (the promise itself goes
 * on; only the wait for it stops). The listener is removed once either happens.
 */
export function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return promise;
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason ?? new Error("aborted"));
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(
            (v) => {
                signal.removeEventListener("abort", onAbort);
                resolve(v);
            },
            (e: unknown) => {
                signal.removeEventListener("abort", onAbort);
                reject(e);
            },
        );
    });
}
