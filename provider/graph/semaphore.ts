/** Gives back a permit; calling it more than once does nothing. */
export type Release = () => void;

/** A counting semaphore with a FIFO queue whose waits can be aborted. */
export class Semaphore {
    private active = 0;
    private readonly queue: Array<(release: Release) => void> = [];

    constructor(readonly limit: number) {
        if (!Number.isInteger(limit) || limit < 1) {
            throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
        }
    }

    /** Permits held now. */
    get inUse(): number {
        return this.active;
    }

    /** Callers waiting for a permit. */
    get waiting(): number {
        return this.queue.length;
    }

    /**
     * Resolves with a release function once a permit is free. Rejects with the signal's
     * reason if the signal aborts first (then it holds no permit).
     */
    acquire(signal?: AbortSignal): Promise<Release> {
        if (signal?.aborted) return Promise.reject(signal.reason);
        if (this.active < this.limit) {
            this.active++;
            return Promise.resolve(this.releaser());
        }
        return new Promise<Release>((resolve, reject) => {
            const onAbort = (): void => {
                const i = this.queue.indexOf(grant);
                if (i >= 0) this.queue.splice(i, 1);
                reject(signal?.reason);
            };
            const grant = (release: Release): void => {
                signal?.removeEventListener("abort", onAbort);
                resolve(release);
            };
            this.queue.push(grant);
            signal?.addEventListener("abort", onAbort, { once: true });
        });
    }

    private releaser(): Release {
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const next = this.queue.shift();
            // Hand the permit straight to the next waiter: `active` stays the same, and no
            // newcomer can overtake the queue between the release and the wake-up.
            if (next) next(this.releaser());
            else this.active--;
        };
    }
}
