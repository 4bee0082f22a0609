import type { Props } from "./values";

const INIT_BRAND = Symbol.for("pulumi-autopilot.ResourceInitError");

/**
 * A step failed after Graph made or adopted the object. The dynamic-provider host sends `id`
 * and `properties` to the engine as ErrorResourceInitFailed, so the object stays in the state
 * (and the next `pulumi up` continues from it) instead of being lost.
 */
export class ResourceInitError extends Error {
    readonly code = "AUTOPILOT_RESOURCE_INIT_FAILED";
    readonly [INIT_BRAND] = true;
    constructor(
        message: string,
        readonly id: string,
        readonly properties: Props,
        readonly reasons: string[] = [message],
    ) {
        super(message);
        this.name = "ResourceInitError";
    }

    /** Brand check that works across two copies of this module. */
    static isResourceInitError(e: unknown): e is ResourceInitError {
        return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[INIT_BRAND] === true;
    }
}

/** A problem found at run time (not by check): a device not found, an import that failed. */
export class AutopilotError extends Error {
    constructor(
        readonly code: string,
        message: string,
        /** The Graph object as last read, so the state records what Graph holds. */
        readonly graph?: Props,
    ) {
        super(message);
        this.name = "AutopilotError";
    }
}
