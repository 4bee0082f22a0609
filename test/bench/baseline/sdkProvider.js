/*
 * The bench's baseline: a Pulumi dynamic provider for the same two objects, written the way a
 * user would with the official Microsoft Graph JS SDK (@microsoft/microsoft-graph-client) and its
 * default middleware (authentication, retry: 3 retries honouring Retry-After, redirect,
 * telemetry; Node's global fetch underneath) and @azure/identity's ClientSecretCredential for the
 * token. One client per process, one Graph call per step, no batching, no concurrency control of
 * its own. Bench-only: not part of
 * the package. Its `__provider` (baseline/resources.js) requires this file by path from the
 * program's folder, as a user's program would require its own module.
 */
"use strict";
const { Client } = require("@microsoft/microsoft-graph-client");
const { TokenCredentialAuthenticationProvider } = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");
const { ClientSecretCredential } = require("@azure/identity");

const IMPORTS = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES = "/deviceManagement/windowsAutopilotDeviceIdentities";
const POLL_MS = Number(process.env.AUTOPILOT_IMPORT_POLL_MS) || 2000;

let config = {};
let client;

function setting(key) {
    const v = config[key];
    return v === undefined || v === "" ? undefined : v;
}

function graph() {
    if (!client) {
        const base = setting("autopilot:graphEndpoint") || "https://graph.microsoft.com";
        const credential = new ClientSecretCredential(setting("autopilot:tenantId"), setting("autopilot:clientId"), setting("autopilot:clientSecret"), {
            authorityHost: setting("autopilot:authorityHost"),
            // A custom authority: MSAL would otherwise ask login.microsoftonline.com about it.
            disableInstanceDiscovery: true,
        });
        client = Client.initWithMiddleware({
            authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [`${new URL(base).origin}/.default`] }),
            baseUrl: base.replace(/\/?$/, "/"),
            customHosts: new Set([new URL(base).hostname]),
            defaultVersion: "v1.0",
        });
    }
    return client;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const statusOf = (rec) => (rec && rec.state && rec.state.deviceImportStatus) || "unknown";

exports.configure = (req) => {
    config = {};
    for (const key of ["autopilot:graphEndpoint", "autopilot:authorityHost", "autopilot:tenantId", "autopilot:clientId", "autopilot:clientSecret"]) {
        config[key] = req.config.get(key);
    }
};

function importOutputs(inputs, rec) {
    const state = rec.state || {};
    return {
        serialNumber: inputs.serialNumber,
        hardwareIdentifier: inputs.hardwareIdentifier,
        importStatus: statusOf(rec),
        autopilotDeviceId: statusOf(rec) === "complete" ? state.deviceRegistrationId || "" : "",
    };
}

exports.imports = {
    async create(inputs) {
        const rec = await graph().api(IMPORTS).post({
            "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            serialNumber: inputs.serialNumber,
            hardwareIdentifier: inputs.hardwareIdentifier,
        });
        let current = rec;
        while (statusOf(current) === "pending" || statusOf(current) === "unknown") {
            await sleep(POLL_MS);
            current = await graph().api(`${IMPORTS}/${rec.id}`).get();
        }
        if (statusOf(current) !== "complete") {
            throw new Error(`import of ${inputs.serialNumber} ended with ${statusOf(current)} (${current.state.deviceErrorName})`);
        }
        return { id: rec.id, outs: importOutputs(inputs, current) };
    },
    async diff(id, olds, news) {
        const replaces = ["serialNumber", "hardwareIdentifier"].filter((k) => olds[k] !== news[k]);
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async read(id, props) {
        const current = await graph().api(`${IMPORTS}/${id}`).get();
        return { id, props: importOutputs(props, current) };
    },
    async delete(id) {
        await graph().api(`${IMPORTS}/${id}`).delete();
    },
};

const DEVICE_FIELDS = ["groupTag", "displayName"];

function deviceOutputs(device) {
    return { deviceId: device.id, serialNumber: device.serialNumber || "", groupTag: device.groupTag || "", displayName: device.displayName || "" };
}

async function writeDevice(id, wanted, current) {
    const changes = {};
    for (const k of DEVICE_FIELDS) {
        if (wanted[k] !== undefined && wanted[k] !== (current[k] || "")) changes[k] = wanted[k];
    }
    if (Object.keys(changes).length === 0) return current;
    await graph().api(`${DEVICES}/${id}/updateDeviceProperties`).version("beta").post(changes);
    return graph().api(`${DEVICES}/${id}`).version("beta").get();
}

exports.devices = {
    async create(inputs) {
        const current = await graph().api(`${DEVICES}/${inputs.deviceId}`).version("beta").get();
        const device = await writeDevice(inputs.deviceId, inputs, current);
        return { id: device.id, outs: deviceOutputs(device) };
    },
    async diff(id, olds, news) {
        const replaces = olds.deviceId !== news.deviceId ? ["deviceId"] : [];
        const changed = DEVICE_FIELDS.filter((k) => news[k] !== undefined && news[k] !== olds[k]);
        return { changes: replaces.length + changed.length > 0, replaces };
    },
    async update(id, olds, news) {
        const device = await writeDevice(id, news, olds);
        return { outs: deviceOutputs(device) };
    },
    async read(id) {
        const device = await graph().api(`${DEVICES}/${id}`).version("beta").get();
        return { id, props: deviceOutputs(device) };
    },
    async delete() {
        // Released: the device stays registered in Autopilot.
    },
};
