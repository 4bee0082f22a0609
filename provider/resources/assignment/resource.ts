import * as pulumi from "@pulumi/pulumi";
import { AutopilotResource, AutopilotResourceOptions } from "../../lifecycle/resource";
import { assignmentSpec } from "./spec";

type In<T> = pulumi.Input<T>;

/** Who a deployment-profile assignment targets; `kind` picks Graph's target type. */
export interface AssignmentTarget {
    kind: In<"group" | "exclusionGroup" | "allDevices" | "allLicensedUsers" | "configurationManagerCollection">;
    /** Entra group id, for group and exclusionGroup. */
    groupId?: In<string>;
    /** Configuration Manager collection id, for configurationManagerCollection. */
    collectionId?: In<string>;
    /** Assignment filter id; needed when the filter type is include or exclude. */
    deviceAndAppManagementAssignmentFilterId?: In<string>;
    deviceAndAppManagementAssignmentFilterType?: In<"none" | "include" | "exclude">;
}

/** Inputs of {@link WindowsAutopilotDeploymentProfileAssignment}. */
export interface WindowsAutopilotDeploymentProfileAssignmentArgs {
    /** Graph id of the Autopilot device (required). */
    deviceId: In<string>;
    /** Adopt an existing assignment by id instead of creating one. */
    assignmentId?: In<string>;
    target?: In<AssignmentTarget>;
    source?: In<"direct" | "policySets">;
    sourceId?: In<string>;
}

/**
 * A deployment-profile assignment (Graph windowsAutopilotDeploymentProfileAssignment, beta) under
 * a device's deploymentProfile: created with POST, or adopted by assignmentId; PATCHed; deleted.
 */
export class WindowsAutopilotDeploymentProfileAssignment extends AutopilotResource {
    /** The spec the runtime looks the type up by. */
    static readonly spec = assignmentSpec;
    declare readonly deviceId: pulumi.Output<string>;
    declare readonly assignmentId: pulumi.Output<string>;
    declare readonly target: pulumi.Output<{ kind: string; groupId?: string; collectionId?: string; deviceAndAppManagementAssignmentFilterId?: string; deviceAndAppManagementAssignmentFilterType?: string } | null>;
    declare readonly source: pulumi.Output<string>;
    declare readonly sourceId: pulumi.Output<string | null>;

    constructor(name: string, args: WindowsAutopilotDeploymentProfileAssignmentArgs, opts?: AutopilotResourceOptions) {
        super(assignmentSpec, name, args as unknown as Record<string, unknown>, opts);
    }
}
