/**
 * WindowsAutopilotDeploymentProfile (beta, `/deviceManagement/windowsAutopilotDeploymentProfiles`):
 * the whole object in one file. Graph's type is abstract; `joinType` picks the concrete one
 * (`azureADWindowsAutopilotDeploymentProfile` for Entra join, `activeDirectoryWindowsAutopilotDeploymentProfile`
 * for hybrid join). The class, its Args and its outputs follow from the fields below (define.ts).
 *
 * Graph still lists deprecated twins of four properties (schema/autopilot-schema.json,
 * `deprecatedFor`): the provider writes the current ones, reads the current one and falls back
 * to its twin, so a profile made before May 2024 reads right and an echoed twin is never a diff.
 */
import { GraphError } from "../../graph";
import { listAll, readToAdopt } from "../../lifecycle/adopt";
import { lookFor } from "../../lifecycle/consistency";
import { ArgsOf, resourceClass } from "../../lifecycle/define";
import { AutopilotError } from "../../lifecycle/errors";
import type { CheckFailure, FieldKind, FieldSpec } from "../../lifecycle/fields";
import type { LifecycleContext, ResourceSpec } from "../../lifecycle/spec";
import { isUnknown, Props } from "../../lifecycle/values";
import { isAmbiguousCreate } from "../importedIdentity/adopt";

const COLLECTION = "/deviceManagement/windowsAutopilotDeploymentProfiles";
const ITEM_ROUTE = `${COLLECTION}/{id}`;

/** `joinType` -> Graph's concrete `@odata.type`. */
export const PROFILE_TYPES = {
    entraJoined: "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
    hybridJoined: "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
} as const;
const JOIN_TYPE_OF = Object.fromEntries(Object.entries(PROFILE_TYPES).map(([k, t]) => [t.slice(1).toLowerCase(), k]));

/** The current property first, else its deprecated twin (the beta pages: deprecated since May 2024). */
const currentOrTwin =
    (current: string, twin: string) =>
    (graph: Props): unknown =>
        graph[current] ?? graph[twin] ?? undefined;

// The deprecated outOfBoxExperienceSettings' member names -> the current type's.
const OOBE_FROM_TWIN: Record<string, string> = {
    hidePrivacySettings: "privacySettingsHidden",
    hideEULA: "eulaHidden",
    skipKeyboardSelectionPage: "keyboardSelectionPageSkipped",
    hideEscapeLink: "escapeLinkHidden",
    userType: "userType",
    deviceUsageType: "deviceUsageType",
};

/** A complex value as the outputs keep it: without `@odata.type` and null members. */
function plain(value: unknown): Props | undefined {
    if (value === null || typeof value !== "object") return undefined;
    return Object.fromEntries(Object.entries(value as Props).filter(([k, v]) => !k.startsWith("@") && v !== null && v !== undefined));
}

function readOobe(graph: Props): unknown {
    const current = plain(graph.outOfBoxExperienceSetting);
    if (current) return current;
    const twin = plain(graph.outOfBoxExperienceSettings);
    if (!twin) return undefined;
    return Object.fromEntries(
        Object.entries(twin)
            .filter(([k]) => k in OOBE_FROM_TWIN)
            .map(([k, v]) => [OOBE_FROM_TWIN[k], v]),
    );
}

const patch = <const K extends FieldKind>(kind: K, extra: Partial<FieldSpec> = {}) => ({ ...extra, kind, write: "patch" as const });
const flag = (extra?: Partial<FieldSpec>) => patch({ type: "boolean" }, extra);

/** Fields of WindowsAutopilotDeploymentProfile: names, kinds, the route that writes each, and (TSDoc) what each is. */
export const profileFields = {
    /** Graph id of an existing profile to adopt instead of creating one. A change replaces the resource. */
    profileId: { kind: { type: "guid" }, write: "key" },
    /** Adopt the one existing profile whose displayName is exactly `displayName` instead of creating one (default false). */
    adoptByDisplayName: {
        kind: { type: "boolean" },
        write: "setting",
        default: false,
    },
    /**
     * `entraJoined` (azureADWindowsAutopilotDeploymentProfile) or `hybridJoined`
     * (activeDirectoryWindowsAutopilotDeploymentProfile); a change replaces the profile.
     */
    joinType: {
        kind: { type: "choice", values: ["entraJoined", "hybridJoined"] },
        write: "create",
        readFrom: (graph: Props) =>
            JOIN_TYPE_OF[
                String(graph["@odata.type"] ?? "")
                    .replace(/^#/, "")
                    .toLowerCase()
            ],
    },
    /** The profile's name (at most 200 characters). With `adoptByDisplayName`, how the profile is found. */
    displayName: {
        kind: { type: "string", maxLength: 200 },
        // With adoptByDisplayName the name is how the profile is found: a change adopts another.
        write: (inputs: Props) => (inputs.adoptByDisplayName === true ? "key" : "patch"),
    },
    /** Description (at most 1500 characters). */
    description: patch({ type: "string", maxLength: 1500 }),
    /** Language of the out-of-box experience, e.g. en-US, or os-default. */
    locale: patch({ type: "string", maxLength: 64 }, { readFrom: currentOrTwin("locale", "language") }),
    /** Device name template: letters, digits, hyphens, %SERIAL% and %RAND:n%; at most 15 characters once expanded. */
    deviceNameTemplate: patch({ type: "string", maxLength: 64 }),
    /** The Windows device type the profile applies to (windowsAutopilotDeviceType). */
    deviceType: patch({ type: "enum", api: "beta", name: "windowsAutopilotDeviceType" }),
    /** Convert every targeted device to Autopilot (register its hardware hash). */
    hardwareHashExtractionEnabled: flag({
        readFrom: currentOrTwin("hardwareHashExtractionEnabled", "extractHardwareHash"),
    }),
    /** Allow pre-provisioned deployment (formerly white glove). */
    preprovisioningAllowed: flag({ readFrom: currentOrTwin("preprovisioningAllowed", "enableWhiteGlove") }),
    /** Out-of-box experience settings. */
    outOfBoxExperienceSetting: patch(
        {
            type: "object",
            fields: {
                /** Hide the privacy settings. */
                privacySettingsHidden: flag(),
                /** Hide the license terms. */
                eulaHidden: flag(),
                /** administrator or standard. */
                userType: patch({ type: "enum", api: "beta", name: "windowsUserType" }),
                /** singleUser or shared (self-deploying). */
                deviceUsageType: patch({ type: "enum", api: "beta", name: "windowsDeviceUsageType" }),
                /** Skip the keyboard page when language and region are set. */
                keyboardSelectionPageSkipped: flag(),
                /** Hide "start over with a different account". */
                escapeLinkHidden: flag(),
            },
        },
        { readFrom: readOobe },
    ),
    /** Enrollment status screen settings. */
    enrollmentStatusScreenSettings: patch(
        {
            type: "object",
            fields: {
                /** Hide the installation progress. */
                hideInstallationProgress: flag(),
                /** Allow use before profiles and apps are installed. */
                allowDeviceUseBeforeProfileAndAppInstallComplete: flag(),
                /** Block the user from retrying setup. */
                blockDeviceSetupRetryByUser: flag(),
                /** Allow log collection on failure. */
                allowLogCollectionOnInstallFailure: flag(),
                /** Message shown on failure. */
                customErrorMessage: patch({ type: "string" }),
                /** Minutes before the installation times out. */
                installProgressTimeoutInMinutes: patch({ type: "integer", min: 1 }),
                /** Allow use after a failure. */
                allowDeviceUseOnInstallFailure: flag(),
            },
        },
        { readFrom: (graph: Props) => plain(graph.enrollmentStatusScreenSettings) },
    ),
    /** Role scope tag ids. */
    roleScopeTagIds: patch({ type: "stringList" }),
    /** Entra management service app id used for enrollment discovery. */
    managementServiceAppId: patch({ type: "guid" }),
    /** hybridJoined only: continue without domain controller connectivity during OOBE. */
    hybridAzureADJoinSkipConnectivityCheck: flag(),
    /** When the profile was created; read from Graph. */
    createdDateTime: { kind: { type: "datetime" }, write: "computed" },
    /** When the profile last changed; read from Graph. */
    lastModifiedDateTime: { kind: { type: "datetime" }, write: "computed" },
} as const satisfies Record<string, FieldSpec>;

const MACRO = /%SERIAL%|%RAND:(\d+)%/g;
const MAX_NAME = 15;

/**
 * Why a device name template is not one Intune takes, or undefined. The rule is Graph's ("The total
 * length of the text generated by the template can be no more than 15 characters") with the two
 * macros the property describes (the serial number, or random digits), and Windows computer names'
 * characters (letters, digits, hyphens; not digits alone). `%SERIAL%` counts as one character:
 * how long a device's serial is cannot be known from the profile.
 */
export function deviceNameTemplateProblem(template: string): string | undefined {
    const literal = template.replace(MACRO, "");
    const stray = /%[^%]*%?/.exec(literal);
    if (stray) return `holds ${JSON.stringify(stray[0])}: the only macros are %SERIAL% and %RAND:n% (n random digits), in capitals`;
    const bad = /[^A-Za-z0-9-]/.exec(literal);
    if (bad) return `holds ${JSON.stringify(bad[0])}: a device name has letters A-Z, digits and hyphens only`;
    let length = literal.length;
    const macros = [...template.matchAll(MACRO)];
    for (const m of macros) {
        const adds = m[1] === undefined ? 1 : Number(m[1]);
        if (adds < 1) return `${m[0]} adds no digits: give n of at least 1`;
        length += adds;
    }
    if (length > MAX_NAME) return `expands to at least ${length} characters; a device name is at most ${MAX_NAME}`;
    if (macros.length === 0 && /^\d+$/.test(literal)) return "is digits only; a device name needs a letter or a hyphen";
    if (template === "") return "is empty";
    return undefined;
}

const item = (id: string) => ({ path: `${COLLECTION}/${encodeURIComponent(id)}`, route: `GET ${ITEM_ROUTE}` });

/** Profiles whose displayName is exactly this (Graph cannot $filter profiles: every page is read). */
async function profilesNamed(ctx: LifecycleContext, name: string): Promise<Props[]> {
    return (await listAll(ctx, "beta", COLLECTION, `GET ${COLLECTION}`)).filter((p) => p.displayName === name);
}

async function adoptByName(ctx: LifecycleContext, name: string): Promise<Props> {
    const found = await profilesNamed(ctx, name);
    if (found.length === 1) return found[0];
    if (found.length === 0) {
        throw new AutopilotError(
            "AUTOPILOT_PROFILE_NOT_FOUND",
            `displayName: no deployment profile is named exactly ${JSON.stringify(name)} (adoptByDisplayName). Check the name (case and spaces count), or leave adoptByDisplayName out to create it.`,
        );
    }
    throw new AutopilotError(
        "AUTOPILOT_PROFILE_AMBIGUOUS",
        `displayName: ${found.length} deployment profiles are named ${JSON.stringify(name)} (ids ${found.map((p) => p.id).join(", ")}); adopt one by profileId instead.`,
    );
}

function checkJoinType(inputs: Props, graph: Props): void {
    const have = profileFields.joinType.readFrom(graph);
    if (inputs.joinType !== undefined && have !== undefined && have !== inputs.joinType) {
        throw new AutopilotError(
            "AUTOPILOT_PROFILE_JOIN_TYPE",
            `joinType: profile ${graph.id} (${JSON.stringify(graph.displayName)}) is ${have}, the program says ${inputs.joinType}; Graph cannot change a profile's type: fix joinType, or create a new profile.`,
        );
    }
}

/**
 * Why Graph refused to delete the profile, when it is in use: Intune answers 400 BadRequest
 * with its generic "An error has occurred" for a profile that still has group assignments or
 * assigned devices (seen on the live service; the delete page documents only 204).
 */
async function inUseReason(ctx: LifecycleContext, id: string, refusal: GraphError): Promise<AutopilotError | undefined> {
    const base = `${COLLECTION}/${encodeURIComponent(id)}`;
    const [assignments, devices] = await Promise.all([
        listAll(ctx, "beta", `${base}/assignments`, `GET ${ITEM_ROUTE}/assignments`),
        listAll(ctx, "beta", `${base}/assignedDevices`, `GET ${ITEM_ROUTE}/assignedDevices`),
    ]);
    if (assignments.length === 0 && devices.length === 0) return undefined;
    const parts: string[] = [];
    if (assignments.length > 0) parts.push(`${assignments.length} group assignment(s) (${assignments.map((a) => a.id).join(", ")})`);
    if (devices.length > 0) {
        const serials = devices.slice(0, 5).map((d) => d.serialNumber ?? d.id);
        parts.push(`${devices.length} assigned device(s) (${serials.join(", ")}${devices.length > 5 ? ", ..." : ""})`);
    }
    return new AutopilotError(
        "AUTOPILOT_PROFILE_IN_USE",
        `deployment profile ${id} still has ${parts.join(" and ")}: Graph refuses to delete a profile in use (${refusal.status} ${refusal.graphCode ?? refusal.code}, request-id ${refusal.requestId ?? "none"}). ` +
            `Remove its WindowsAutopilotDeploymentProfileAssignment resources (or its assignments in the Intune portal) first; its devices leave it once no assignment reaches them. Then run the command again.`,
    );
}

/** WindowsAutopilotDeploymentProfile: a deployment profile, created, adopted by id or by its exact name. */
export const profileSpec = {
    typeName: "WindowsAutopilotDeploymentProfile",
    graphType: "microsoft.graph.windowsAutopilotDeploymentProfile",
    apiVersion: "beta",
    idOutput: "profileId",
    fields: profileFields,
    permission: "DeviceManagementServiceConfig.ReadWrite.All",

    item,

    patchTarget: (id, props) => ({
        method: "PATCH",
        path: item(id).path,
        route: `PATCH ${ITEM_ROUTE}`,
        // The update pages name the concrete type; without joinType (an adopted profile) Graph
        // keeps the one it has.
        bodyExtras:
            typeof props.joinType === "string" && props.joinType in PROFILE_TYPES
                ? { "@odata.type": PROFILE_TYPES[props.joinType as keyof typeof PROFILE_TYPES] }
                : {},
    }),

    validate(inputs) {
        const failures: CheckFailure[] = [];
        const adopting = inputs.profileId !== undefined || inputs.adoptByDisplayName === true;
        if (!adopting && inputs.joinType === undefined) {
            failures.push({
                property: "joinType",
                reason: "joinType is required to create a profile: entraJoined or hybridJoined (or give profileId to adopt one)",
            });
        }
        if (inputs.displayName === undefined && (!adopting || inputs.adoptByDisplayName === true)) {
            failures.push({ property: "displayName", reason: "displayName is required to create a profile or to adopt one by its name" });
        }
        if (
            inputs.hybridAzureADJoinSkipConnectivityCheck !== undefined &&
            inputs.joinType !== undefined &&
            inputs.joinType !== "hybridJoined" &&
            !isUnknown(inputs.joinType)
        ) {
            failures.push({
                property: "hybridAzureADJoinSkipConnectivityCheck",
                reason: "hybridAzureADJoinSkipConnectivityCheck applies only to joinType hybridJoined",
            });
        }
        const template = inputs.deviceNameTemplate;
        if (typeof template === "string" && !isUnknown(template)) {
            const problem = deviceNameTemplateProblem(template);
            if (problem) failures.push({ property: "deviceNameTemplate", reason: `deviceNameTemplate ${JSON.stringify(template)} ${problem}` });
        }
        return failures;
    },

    async create(ctx, inputs) {
        if (inputs.profileId !== undefined) {
            const id = String(inputs.profileId);
            const graph = await readToAdopt(ctx, id, {
                apiVersion: "beta",
                ...item(id),
                input: "profileId",
                what: "deployment profile",
                code: "AUTOPILOT_PROFILE_NOT_FOUND",
            });
            checkJoinType(inputs, graph);
            return { id, graph, written: [] };
        }
        if (inputs.adoptByDisplayName === true) {
            const graph = await adoptByName(ctx, String(inputs.displayName));
            checkJoinType(inputs, graph);
            return { id: String(graph.id), graph, written: [] };
        }
        const written = (Object.entries(profileFields) as Array<[string, FieldSpec]>)
            .filter(([name, field]) => (field.write === "patch" || name === "displayName") && inputs[name] !== undefined)
            .map(([name]) => name);
        const body: Props = { "@odata.type": PROFILE_TYPES[inputs.joinType as keyof typeof PROFILE_TYPES] };
        for (const name of written) body[name] = inputs[name];
        const started = new Date(ctx.now() - 60_000).toISOString();
        try {
            const res = await ctx.graph.send<Props>({ method: "POST", apiVersion: "beta", path: COLLECTION, route: `POST ${COLLECTION}`, body });
            return { id: String(res.body.id), graph: res.body, written, fresh: true };
        } catch (e) {
            if (!isAmbiguousCreate(e, ctx)) throw e;
            // The POST may have made it: look for the one profile of that name made since this step began.
            ctx.log(`deployment profile ${JSON.stringify(inputs.displayName)}: the POST's outcome is unknown (${e.message}); looking for it`);
            const found = await lookFor(ctx, async () => {
                const made = (await profilesNamed(ctx, String(inputs.displayName))).filter((p) => String(p.createdDateTime ?? "") >= started);
                return made.length === 1 ? made[0] : undefined;
            });
            if (!found) throw e;
            return { id: String(found.id), graph: found, written, fresh: true };
        }
    },

    async delete(ctx, id) {
        try {
            await ctx.graph.send({ method: "DELETE", apiVersion: "beta", path: item(id).path, route: `DELETE ${ITEM_ROUTE}` });
        } catch (e) {
            if (GraphError.isGraphError(e) && e.status === 404) return;
            if (GraphError.isGraphError(e) && e.status === 400) throw (await inUseReason(ctx, id, e)) ?? e;
            throw e;
        }
    },
} as const satisfies ResourceSpec;

/**
 * A Windows Autopilot deployment profile (Graph windowsAutopilotDeploymentProfile, beta): created
 * with POST (`joinType` picks the concrete type), adopted by `profileId` or by its exact
 * `displayName` (`adoptByDisplayName`), PATCHed with only what changed, deleted with DELETE.
 */
export const WindowsAutopilotDeploymentProfile = resourceClass(profileSpec);
export type WindowsAutopilotDeploymentProfile = InstanceType<typeof WindowsAutopilotDeploymentProfile>;
/** Inputs of {@link WindowsAutopilotDeploymentProfile}. */
export type WindowsAutopilotDeploymentProfileArgs = ArgsOf<typeof profileFields>;
