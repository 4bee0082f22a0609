import type { ResourceSpec } from "../lifecycle/spec";
import * as resources from "./index";

function isResourceClass(value: unknown): value is { spec: ResourceSpec } {
    return typeof value === "function" && typeof (value as { spec?: ResourceSpec }).spec?.typeName === "string";
}

/**
 * Every resource spec by type name: the runtime looks specs up by the name `__provider` captured.
 * Built from the exported classes (resources/index.ts), so an exported class always has its spec here.
 */
export const specs: Record<string, ResourceSpec> = Object.fromEntries(
    Object.values(resources)
        .filter(isResourceClass)
        .map((c) => [c.spec.typeName, c.spec]),
);
