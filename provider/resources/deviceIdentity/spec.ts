import { GraphError } from "../../graph";
import { readToAdopt } from "../../lifecycle/adopt";
import { AutopilotError } from "../../lifecycle/errors";
import type { FieldSpec } from "../../lifecycle/fields";
import type { LifecycleContext, ResourceSpec } from "../../lifecycle/spec";
import type { Props } from "../../lifecycle/values";
import { findDevicesBySerial } from "./lookup";
import { takeRecentDeviceRead } from "./recentReads";

const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";
const ITEM_ROUTE = `${COLLECTION}/{id}`;
const PERMISSION = "DeviceManagementServiceConfig.ReadWrite.All";
const updateDeviceProperties = { action: "updateDeviceProperties" } as const;

const patchField = (kind: FieldSpec["kind"], doc: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ kind, write: "patch", doc, ...extra });
const computed = (doc: string): FieldSpec => ({ kind: { type: "string" }, write: "computed", doc });

/** Fields of WindowsAutopilotDeviceIdentity: names, kinds, and the route that writes each. */
export const deviceIdentityFields: Record<string, FieldSpec> = {
    deviceId: { kind: { type: "guid" }, write: "key", doc: "Graph id of the Autopilot device to adopt" },
    serialNumber: {
        kind: { type: "serial" },
        // Without deviceId the serial is how the device is found; with it, a PATCHed property.
        write: (inputs) => (inputs.deviceId !== undefined ? "patch" : "key"),
        doc: "serial number: finds the device to adopt, or (with deviceId) is written with PATCH",
    },
    groupTag: { kind: { type: "string" }, write: updateDeviceProperties, doc: "group tag (order ID), used by dynamic groups" },
    displayName: { kind: { type: "string", maxLength: 15 }, write: updateDeviceProperties, doc: "device name applied during OOBE (at most 15 characters)" },
    userPrincipalName: { kind: { type: "upn" }, write: updateDeviceProperties, doc: "assigned user's UPN" },
    addressableUserName: { kind: { type: "string" }, write: updateDeviceProperties, doc: "greeting name shown during OOBE" },
    deploymentProfileAssignmentStatus: patchField({ type: "enum", api: "beta", name: "windowsAutopilotProfileAssignmentStatus" }, "profile assignment status"),
    deploymentProfileAssignedDateTime: patchField({ type: "datetime" }, "when the profile was assigned"),
    orderIdentifier: patchField({ type: "string" }, "order identifier (documented PATCH page)"),
    purchaseOrderIdentifier: patchField({ type: "string" }, "purchase order identifier"),
    productKey: patchField({ type: "string", maxLength: 64 }, "Windows product key (secret)", { secret: true }),
    manufacturer: patchField({ type: "string" }, "OEM manufacturer"),
    model: patchField({ type: "string" }, "model name"),
    enrollmentState: patchField({ type: "enum", api: "beta", name: "enrollmentState" }, "Intune enrollment state"),
    lastContactedDateTime: patchField({ type: "datetime" }, "when Intune last heard from the device"),
    patchRoute: {
        kind: { type: "choice", values: ["device", "deploymentProfileAssignedDevices"] },
        write: "setting",
        default: "device",
        doc: "PATCH route: the device itself, or .../deploymentProfile/assignedDevices/{id}",
    },
    deleteBehavior: {
        kind: { type: "choice", values: ["release", "deregister"] },
        write: "setting",
        default: "release",
        doc: "on delete: release (forget it, no request) or deregister (DELETE the device from Autopilot)",
    },
    azureActiveDirectoryDeviceId: computed("Entra device id"),
    managedDeviceId: computed("Intune managed device id"),
    deploymentProfileAssignmentDetailedStatus: computed("detailed profile assignment status"),
    skuNumber: computed("SKU number"),
    systemFamily: computed("system family"),
};

/**
 * The device, to adopt it: the read the import step that registered it made moments ago in this
 * process when there is one (recentReads.ts), else a GET.
 */
async function getDevice(ctx: LifecycleContext, id: string): Promise<Props> {
    const recent = takeRecentDeviceRead(ctx.graph, id, ctx.now());
    if (recent) {
        ctx.log(`WindowsAutopilotDeviceIdentity ${id}: adopting it as its import step read it (no second GET)`);
        return recent;
    }
    return readToAdopt(ctx, id, {
        apiVersion: "beta",
        path: `${COLLECTION}/${encodeURIComponent(id)}`,
        route: `GET ${ITEM_ROUTE}`,
        input: "deviceId",
        what: "Autopilot device",
        code: "AUTOPILOT_DEVICE_NOT_FOUND",
        hint: "Check the id, or adopt by serialNumber.",
    });
}

/** WindowsAutopilotDeviceIdentity: adopts an existing Autopilot device and manages its properties. */
export const deviceIdentitySpec: ResourceSpec = {
    typeName: "WindowsAutopilotDeviceIdentity",
    graphType: "microsoft.graph.windowsAutopilotDeviceIdentity",
    apiVersion: "beta",
    idOutput: "deviceId",
    fields: deviceIdentityFields,
    permission: PERMISSION,

    item: (id) => ({ path: `${COLLECTION}/${encodeURIComponent(id)}`, route: `GET ${ITEM_ROUTE}` }),

    patchTarget(id, props) {
        const device = encodeURIComponent(id);
        if (props.patchRoute === "deploymentProfileAssignedDevices") {
            return {
                method: "PATCH",
                path: `${COLLECTION}/${device}/deploymentProfile/assignedDevices/${device}`,
                route: `PATCH ${ITEM_ROUTE}/deploymentProfile/assignedDevices/{id}`,
                bodyExtras: { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity" },
            };
        }
        return {
            method: "PATCH",
            path: `${COLLECTION}/${device}`,
            route: `PATCH ${ITEM_ROUTE}`,
            bodyExtras: { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity" },
        };
    },

    validate(inputs) {
        if (inputs.deviceId === undefined && inputs.serialNumber === undefined) {
            return [{ property: "deviceId", reason: "deviceId or serialNumber is required: give the Graph id of the device, or its serial number to look it up" }];
        }
        return [];
    },

    async create(ctx, inputs) {
        if (inputs.deviceId !== undefined) {
            const id = String(inputs.deviceId);
            return { id, graph: await getDevice(ctx, id), written: [] };
        }
        const serial = String(inputs.serialNumber);
        const matches = await findDevicesBySerial(ctx.graph, serial);
        if (matches.length === 0) {
            throw new AutopilotError(
                "AUTOPILOT_SERIAL_NOT_FOUND",
                `serialNumber: no Autopilot device with serial ${serial} in this tenant. Import its hardware hash first (ImportedWindowsAutopilotDeviceIdentity), or check the serial.`,
            );
        }
        if (matches.length > 1) {
            throw new AutopilotError(
                "AUTOPILOT_SERIAL_AMBIGUOUS",
                `serialNumber: ${matches.length} Autopilot devices have serial ${serial} (ids ${matches.map((m) => m.id).join(", ")}); adopt one by deviceId instead.`,
            );
        }
        const device = matches[0];
        return { id: String(device.id), graph: device, written: [] };
    },

    async delete(ctx, id, props) {
        if ((props.deleteBehavior ?? "release") !== "deregister") {
            ctx.log(`WindowsAutopilotDeviceIdentity ${id}: released (deleteBehavior release: no request)`);
            return;
        }
        try {
            await ctx.graph.send({ method: "DELETE", apiVersion: "beta", path: `${COLLECTION}/${encodeURIComponent(id)}`, route: `DELETE ${ITEM_ROUTE}` });
        } catch (e) {
            if (GraphError.isGraphError(e) && e.status === 404) {
                return; // already deregistered
            }
            throw e;
        }
    },
};
