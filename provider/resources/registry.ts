import type { ResourceSpec } from "../lifecycle/spec";
import { assignmentSpec } from "./assignment/spec";
import { deviceIdentitySpec } from "./deviceIdentity/spec";
import { importedIdentitySpec } from "./importedIdentity/spec";
import { uploadSpec } from "./upload/spec";

/** Every resource spec by type name: the runtime looks specs up by the name `__provider` captured. */
export const specs: Record<string, ResourceSpec> = Object.fromEntries(
    [deviceIdentitySpec, importedIdentitySpec, uploadSpec, assignmentSpec].map((s) => [s.typeName, s]),
);
