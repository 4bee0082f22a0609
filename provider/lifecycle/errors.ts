import { brandClass, type BrandCheck } from "../errors/branded";
import type { Props } from "./values";

/**
 * A step failed after Graph made or adopted the object. The dynamic-provider host sends `id`
 * and `properties` to the engine as ErrorResourceInitFailed, so the object stays in the state
 * (and the next `pulumi up` continues from it) instead of being lost.
 */
export class ResourceInitError extends Error {
    /** True for a ResourceInitError from any copy of this package; `instanceof` answers the same. */
    static readonly isResourceInitError: BrandCheck<ResourceInitError> = brandClass(ResourceInitError, "ResourceInitError");

    readonly code = "AUTOPILOT_RESOURCE_INIT_FAILED";
    constructor(
        message: string,
        readonly id: string,
        readonly properties: Props,
        readonly reasons: string[] = [message],
    ) {
        super(message);
        this.name = "ResourceInitError";
    }
}

/** A problem found at run time (not by check): a device not found, an import that failed. */
export class AutopilotError extends Error {
    /** True for an AutopilotError from any copy of this package; `instanceof` answers the same. */
    static readonly isAutopilotError: BrandCheck<AutopilotError> = brandClass(AutopilotError, "AutopilotError");

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
