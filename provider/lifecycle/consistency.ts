/**
 * Read-after-write: Graph (Intune) is eventually consistent, so a read right after a write may
 * still show the object as it was, or not at all. After each write the provider reads back until
 * Graph shows it, with a growing pause, for at most `autopilot:consistencyTimeoutSeconds`; so the
 * outputs and the next `pulumi refresh` agree with what was written.
 */
import { AutopilotError } from "./errors";
import { DEFAULT_LIMITS } from "./bounds";
import type { LifecycleContext } from "./spec";
import type { Props } from "./values";

/** The pause after `previousMs` (0 = first): 200 ms growing by 1.6, at most 5 s. */
export function nextReadBackDelay(previousMs: number): number {
    return previousMs === 0 ? 200 : Math.min(5000, Math.round(previousMs * 1.6));
}

/** What one probe saw: done with a value, or not yet (and why, for the message). */
export type Probe<T> = { done: true; value: T } | { done: false; why: string; seen?: Props };

/**
 * Probes at once, then after growing pauses, until it says done or the read-back bound
 * (autopilot:consistencyTimeoutSeconds) passes. Throws
 * AUTOPILOT_NOT_CONSISTENT naming the bound, with the last object seen (so the state can keep it).
 */
export async function readBack<T>(ctx: LifecycleContext, what: string, probe: () => Promise<Probe<T>>): Promise<T> {
    const timeoutMs = (ctx.limits ?? DEFAULT_LIMITS).consistencyTimeoutMs;
    const deadline = ctx.now() + timeoutMs;
    let delay = 0;
    for (let attempt = 1; ; attempt++) {
        const r = await probe();
        if (r.done) {
            if (attempt > 1) ctx.log(`${what}: Graph showed it after ${attempt} reads`);
            return r.value;
        }
        delay = nextReadBackDelay(delay);
        if (ctx.now() + delay > deadline) {
            throw new AutopilotError(
                "AUTOPILOT_NOT_CONSISTENT",
                `${what}: Graph still showed ${r.why} after ${attempt} reads over ${Math.round(timeoutMs / 100) / 10} s ` +
                    `[bound hit: autopilot:consistencyTimeoutSeconds=${timeoutMs / 1000}, how long to read back after a write]. ` +
                    `The write was sent; run \`pulumi refresh\` and \`pulumi up\` again once Graph shows it.`,
                r.seen,
            );
        }
        await ctx.sleep(delay);
    }
}

/**
 * Like {@link readBack}, but reaching the bound is an answer, not an error: undefined when the
 * probe never said done (used to look for what a create of unknown outcome may have made).
 */
export async function lookFor<T>(ctx: LifecycleContext, probe: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = ctx.now() + (ctx.limits ?? DEFAULT_LIMITS).consistencyTimeoutMs;
    let delay = 0;
    for (;;) {
        const found = await probe();
        if (found !== undefined) return found;
        delay = nextReadBackDelay(delay);
        if (ctx.now() + delay > deadline) return undefined;
        await ctx.sleep(delay);
    }
}
