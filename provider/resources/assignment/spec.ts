import { GraphError } from "../../graph";
import { AutopilotError } from "../../lifecycle/errors";
import type { CheckFailure, FieldSpec } from "../../lifecycle/fields";
import type { ResourceSpec } from "../../lifecycle/spec";
import { isUnknown, Props } from "../../lifecycle/values";
import { createOrAdoptAssignment } from "./adopt";
import { TARGET_TYPES, targetFromGraph, targetToGraph } from "./target";

const DEVICES = "/deviceManagement/windowsAutopilotDeviceIdentities";
const COLLECTION_ROUTE = `${DEVICES}/{deviceId}/deploymentProfile/assignments`;
const ITEM_ROUTE = `${COLLECTION_ROUTE}/{assignmentId}`;
const ODATA_TYPE = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

function collectionPath(props: Props): string {
    return `${DEVICES}/${encodeURIComponent(String(props.deviceId))}/deploymentProfile/assignments`;
}

/** Fields of WindowsAutopilotDeploymentProfileAssignment. */
export const assignmentFields: Record<string, FieldSpec> = {
    deviceId: { kind: { type: "guid" }, write: "key", doc: "Graph id of the Autopilot device whose deployment profile is assigned" },
    assignmentId: { kind: { type: "guid" }, write: "key", doc: "Graph id of an existing assignment to adopt" },
    target: {
        kind: {
            type: "object",
            fields: {
                kind: { kind: { type: "choice", values: Object.keys(TARGET_TYPES) }, write: "patch", doc: "target kind" },
                groupId: { kind: { type: "guid" }, write: "patch", doc: "Entra group id (group, exclusionGroup)" },
                collectionId: { kind: { type: "string" }, write: "patch", doc: "Configuration Manager collection id" },
                deviceAndAppManagementAssignmentFilterId: { kind: { type: "guid" }, write: "patch", doc: "assignment filter id" },
                deviceAndAppManagementAssignmentFilterType: { kind: { type: "enum", api: "beta", name: "deviceAndAppManagementAssignmentFilterType" }, write: "patch", doc: "none, include or exclude" },
            },
        },
        write: "patch",
        doc: "who the assignment targets",
        toGraph: targetToGraph,
        fromGraph: targetFromGraph,
    },
    source: { kind: { type: "enum", api: "beta", name: "deviceAndAppManagementAssignmentSource" }, write: "patch", doc: "direct or policySets" },
    sourceId: { kind: { type: "string" }, write: "patch", doc: "id of the policy set the assignment comes from" },
};

function checkTarget(target: unknown): CheckFailure[] {
    if (target === undefined || target === null || isUnknown(target)) return [];
    const t = target as Props;
    const failures: CheckFailure[] = [];
    const kind = t.kind;
    if (kind === undefined) {
        failures.push({ property: "target.kind", reason: `target.kind is required; allowed: ${Object.keys(TARGET_TYPES).join(", ")}` });
    }
    if ((kind === "group" || kind === "exclusionGroup") && t.groupId === undefined) {
        failures.push({ property: "target.groupId", reason: `target.groupId (a GUID) is required when target.kind is ${kind}` });
    }
    if (kind === "configurationManagerCollection" && (t.collectionId === undefined || t.collectionId === "")) {
        failures.push({ property: "target.collectionId", reason: "target.collectionId is required when target.kind is configurationManagerCollection" });
    }
    if (kind !== undefined && kind !== "group" && kind !== "exclusionGroup" && t.groupId !== undefined) {
        failures.push({ property: "target.groupId", reason: `target.groupId applies only to kind group or exclusionGroup, not ${kind}` });
    }
    if (kind !== undefined && kind !== "configurationManagerCollection" && t.collectionId !== undefined) {
        failures.push({ property: "target.collectionId", reason: `target.collectionId applies only to kind configurationManagerCollection, not ${kind}` });
    }
    const filterType = t.deviceAndAppManagementAssignmentFilterType;
    if ((filterType === "include" || filterType === "exclude") && !t.deviceAndAppManagementAssignmentFilterId) {
        failures.push({
            property: "target.deviceAndAppManagementAssignmentFilterId",
            reason: `target.deviceAndAppManagementAssignmentFilterId is required when the filter type is ${filterType}`,
        });
    }
    return failures;
}

/** WindowsAutopilotDeploymentProfileAssignment: a deployment profile's assignment, created or adopted. */
export const assignmentSpec: ResourceSpec = {
    typeName: "WindowsAutopilotDeploymentProfileAssignment",
    graphType: "microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
    apiVersion: "beta",
    idOutput: "assignmentId",
    fields: assignmentFields,
    permission: "DeviceManagementServiceConfig.ReadWrite.All",

    item: (id, props) => ({ path: `${collectionPath(props)}/${encodeURIComponent(id)}`, route: `GET ${ITEM_ROUTE}` }),

    patchTarget: (id, props) => ({
        method: "PATCH",
        path: `${collectionPath(props)}/${encodeURIComponent(id)}`,
        route: `PATCH ${ITEM_ROUTE}`,
        bodyExtras: { "@odata.type": ODATA_TYPE },
    }),

    validate(inputs) {
        const failures: CheckFailure[] = [];
        if (inputs.deviceId === undefined) {
            failures.push({ property: "deviceId", reason: "deviceId is required: the Graph id of the Autopilot device" });
        }
        if (inputs.assignmentId === undefined && inputs.target === undefined) {
            failures.push({ property: "target", reason: "target is required to create an assignment (or give assignmentId to adopt one)" });
        }
        return [...failures, ...checkTarget(inputs.target)];
    },

    async create(ctx, inputs) {
        if (inputs.assignmentId !== undefined) {
            const id = String(inputs.assignmentId);
            try {
                const res = await ctx.graph.send<Props>({ method: "GET", apiVersion: "beta", path: `${collectionPath(inputs)}/${encodeURIComponent(id)}`, route: `GET ${ITEM_ROUTE}` });
                return { id, graph: res.body, written: [] };
            } catch (e) {
                if (GraphError.isGraphError(e) && e.status === 404) {
                    throw new AutopilotError("AUTOPILOT_ASSIGNMENT_NOT_FOUND", `assignmentId: no assignment ${id} on device ${inputs.deviceId} (Graph answered 404, request-id ${e.requestId ?? "none"}).`);
                }
                throw e;
            }
        }
        const body: Props = { "@odata.type": ODATA_TYPE, target: targetToGraph(inputs.target) };
        const written = ["target"];
        for (const name of ["source", "sourceId"]) {
            if (inputs[name] !== undefined) {
                body[name] = inputs[name];
                written.push(name);
            }
        }
        const post = async (): Promise<Props> =>
            (await ctx.graph.send<Props>({ method: "POST", apiVersion: "beta", path: collectionPath(inputs), route: `POST ${COLLECTION_ROUTE}`, body })).body;
        // Adopts the assignment an interrupted run made; never re-POSTs blindly after an unknown outcome (adopt.ts).
        const made = await createOrAdoptAssignment(ctx, inputs, post);
        return { id: String(made.graph.id), graph: made.graph, written: made.how === "adopted" ? [] : written, fresh: made.how !== "adopted" };
    },

    async delete(ctx, id, props) {
        try {
            await ctx.graph.send({ method: "DELETE", apiVersion: "beta", path: `${collectionPath(props)}/${encodeURIComponent(id)}`, route: `DELETE ${ITEM_ROUTE}` });
        } catch (e) {
            if (GraphError.isGraphError(e) && e.status === 404) return;
            throw e;
        }
    },
};
