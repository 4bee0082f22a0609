/*
 * The baseline's resource classes (bench-only), copied into the baseline program's folder
 * (project.ts): dynamic resources whose `__provider` requires the user's own module
 * (./baseline/sdkProvider.js) by path from the program's folder and delegates, the usual way to
 * share one Graph client per process. The hardware hash is a secret, as it should be.
 */
"use strict";
const pulumi = require("@pulumi/pulumi");

const importProvider = {
    async configure(req) {
        require("./baseline/sdkProvider").configure(req);
    },
    async create(inputs) {
        return require("./baseline/sdkProvider").imports.create(inputs);
    },
    async diff(id, olds, news) {
        return require("./baseline/sdkProvider").imports.diff(id, olds, news);
    },
    async read(id, props) {
        return require("./baseline/sdkProvider").imports.read(id, props);
    },
    async delete(id, props) {
        return require("./baseline/sdkProvider").imports.delete(id, props);
    },
};

const deviceProvider = {
    async configure(req) {
        require("./baseline/sdkProvider").configure(req);
    },
    async create(inputs) {
        return require("./baseline/sdkProvider").devices.create(inputs);
    },
    async diff(id, olds, news) {
        return require("./baseline/sdkProvider").devices.diff(id, olds, news);
    },
    async update(id, olds, news) {
        return require("./baseline/sdkProvider").devices.update(id, olds, news);
    },
    async read(id, props) {
        return require("./baseline/sdkProvider").devices.read(id, props);
    },
    async delete(id, props) {
        return require("./baseline/sdkProvider").devices.delete(id, props);
    },
};

class SdkImportedDevice extends pulumi.dynamic.Resource {
    constructor(name, args, opts) {
        super(
            importProvider,
            name,
            {
                serialNumber: args.serialNumber,
                hardwareIdentifier: pulumi.secret(args.hardwareIdentifier),
                importStatus: undefined,
                autopilotDeviceId: undefined,
            },
            { ...opts, additionalSecretOutputs: ["hardwareIdentifier"] },
            "sdkbaseline",
            "ImportedDevice",
        );
    }
}

class SdkDevice extends pulumi.dynamic.Resource {
    constructor(name, args, opts) {
        super(deviceProvider, name, { ...args, serialNumber: undefined }, opts, "sdkbaseline", "Device");
    }
}

module.exports = { SdkImportedDevice, SdkDevice };
