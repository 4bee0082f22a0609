import { GraphError } from "../../graph";
import { readToAdopt } from "../../lifecycle/adopt";
import { AutopilotError } from "../../lifecycle/errors";
import type { FieldKind, FieldSpec } from "../../lifecycle/fields";
import type { LifecycleContext, ResourceSpec } from "../../lifecycle/spec";
import type { Props } from "../../lifecycle/values";
import { findDevicesBySerial } from "./lookup";

const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";
const ITEM_ROUTE = `${COLLECTION}/{id}`;
const updateDeviceProperties = { action: "updateDeviceProperties" } as const;

/** A field written with PATCH: its kind, and what else it is (e.g. secret). */
export const patchField = <const K extends FieldKind, const E extends Partial<FieldSpec> = Record<never, never>>(kind: K, extra?: E) => ({
    kind,
    write: "patch" as const,
    ...(extra as E),
});
const computed = { kind: { type: "string" }, write: "computed" } as const;

/** Fields of WindowsAutopilotDeviceIdentity: names, kinds, the route that writes each, and (TSDoc) what each is. */
export const deviceIdentityFields = {
    /** Graph id of the Autopilot device to adopt. A change replaces the resource. */
    deviceId: { kind: { type: "guid" }, write: "key" },
    /**
     * Serial number. Without `deviceId` it finds the device to adopt (exactly one must match; a
     * change replaces the resource); with `deviceId` it is written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    serialNumber: {
        kind: { type: "serial" },
        write: (inputs: Props) => (inputs.deviceId !== undefined ? "patch" : "key"),
    },
    /** Group tag (order ID), used by dynamic groups; written with the updateDeviceProperties action. */
    groupTag: { kind: { type: "string" }, write: updateDeviceProperties },
    /** Device name applied during OOBE (at most 15 characters); written with updateDeviceProperties. */
    displayName: { kind: { type: "string", maxLength: 15 }, write: updateDeviceProperties },
    /** Assigned user's UPN; written with updateDeviceProperties. */
    userPrincipalName: { kind: { type: "upn" }, write: updateDeviceProperties },
    /** Greeting name shown during OOBE; written with updateDeviceProperties. */
    addressableUserName: { kind: { type: "string" }, write: updateDeviceProperties },
    /**
     * Profile assignment status (windowsAutopilotProfileAssignmentStatus); written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    deploymentProfileAssignmentStatus: patchField({ type: "enum", api: "beta", name: "windowsAutopilotProfileAssignmentStatus" }),
    /**
     * When the profile was assigned (ISO 8601 date-time); written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    deploymentProfileAssignedDateTime: patchField({ type: "datetime" }),
    /**
     * Order identifier (on the documented PATCH page; not in Graph's current metadata); written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    orderIdentifier: patchField({ type: "string" }),
    /**
     * Purchase order identifier; written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    purchaseOrderIdentifier: patchField({ type: "string" }),
    /**
     * Windows product key (secret); written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    productKey: patchField({ type: "string", maxLength: 64 }, { secret: true }),
    /**
     * OEM manufacturer; written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    manufacturer: patchField({ type: "string" }),
    /**
     * Model name; written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    model: patchField({ type: "string" }),
    /**
     * Intune enrollment state (enrollmentState); written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    enrollmentState: patchField({ type: "enum", api: "beta", name: "enrollmentState" }),
    /**
     * When Intune last heard from the device (ISO 8601 date-time); written with PATCH.
     * The live service refuses PATCH on device identities (400 "No method match route template"), so on a real tenant a change to it fails; it works where Graph follows the documented update page.
     */
    lastContactedDateTime: patchField({ type: "datetime" }),
    /**
     * Which documented PATCH route to use: `device` (default: the device itself) or
     * `deploymentProfileAssignedDevices` (.../deploymentProfile/assignedDevices/{id}).
     * It matters only for the fields written with PATCH, which the live service refuses.
     */
    patchRoute: {
        kind: { type: "choice", values: ["device", "deploymentProfileAssignedDevices"] },
        write: "setting",
        default: "device",
    },
    /** On delete: `release` (default; forget the device, no request) or `deregister` (DELETE it from Autopilot). */
    deleteBehavior: {
        kind: { type: "choice", values: ["release", "deregister"] },
        write: "setting",
        default: "release",
    },
    /** Entra (Azure AD) device id; read from Graph. */
    azureActiveDirectoryDeviceId: computed,
    /** Intune managed device id; read from Graph. */
    managedDeviceId: computed,
    /** Detailed profile assignment status; read from Graph. */
    deploymentProfileAssignmentDetailedStatus: computed,
    /** SKU number; read from Graph. */
    skuNumber: computed,
    /** System family; read from Graph. */
    systemFamily: computed,
} as const satisfies Record<string, FieldSpec>;

/**
 * The device, to adopt it: the read the import step that registered it made moments ago in this
 * process when there is one (recentReads.ts), else a GET.
 */
async function getDevice(ctx: LifecycleContext, id: string): Promise<Props> {
    const recent = ctx.session.deviceReads.take(id, ctx.now());
    if (recent) {
        ctx.log(`WindowsAutopilotDeviceIdentity ${id}: adopting it as its import step read it (no second GET)`);
        return recent;
    }
    return readToAdopt(ctx, id, {
        apiVersion: "beta",
        ...deviceIdentitySpec.item(id),
        input: "deviceId",
        what: "Autopilot device",
        code: "AUTOPILOT_DEVICE_NOT_FOUND",
        hint: "Check the id, or adopt by serialNumber.",
    });
}

/** WindowsAutopilotDeviceIdentity: adopts an existing Autopilot device and manages its properties. */
export const deviceIdentitySpec = {
    typeName: "WindowsAutopilotDeviceIdentity",
    graphType: "microsoft.graph.windowsAutopilotDeviceIdentity",
    apiVersion: "beta",
    idOutput: "deviceId",
    fields: deviceIdentityFields,
    permission: "DeviceManagementServiceConfig.ReadWrite.All",

    item: (id) => ({ path: `${COLLECTION}/${encodeURIComponent(id)}`, route: `GET ${ITEM_ROUTE}` }),

    patchTarget(id, props) {
        const device = encodeURIComponent(id);
        const viaProfile = props.patchRoute === "deploymentProfileAssignedDevices";
        return {
            method: "PATCH",
            path: viaProfile ? `${COLLECTION}/${device}/deploymentProfile/assignedDevices/${device}` : `${COLLECTION}/${device}`,
            route: viaProfile ? `PATCH ${ITEM_ROUTE}/deploymentProfile/assignedDevices/{id}` : `PATCH ${ITEM_ROUTE}`,
            bodyExtras: { "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity" },
        };
    },

    validate(inputs) {
        if (inputs.deviceId === undefined && inputs.serialNumber === undefined) {
            return [
                { property: "deviceId", reason: "deviceId or serialNumber is required: give the Graph id of the device, or its serial number to look it up" },
            ];
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
        return { id: String(matches[0].id), graph: matches[0], written: [] };
    },

    async delete(ctx, id, props) {
        if (props.deleteBehavior !== "deregister") {
            ctx.log(`WindowsAutopilotDeviceIdentity ${id}: released (deleteBehavior release: no request)`);
            return;
        }
        try {
            await ctx.graph.send({ method: "DELETE", apiVersion: "beta", path: `${COLLECTION}/${encodeURIComponent(id)}`, route: `DELETE ${ITEM_ROUTE}` });
        } catch (e) {
            // 404: already deregistered.
            if (!GraphError.isGraphError(e) || e.status !== 404) throw e;
        }
    },
} as const satisfies ResourceSpec;
