/**
 * The baseline's resource classes (bench-only): dynamic resources whose `__provider` requires the
 * user's own module (sdkProvider.js) by path from the program's folder and delegates, the usual
 * way to share one Graph client per process. The hardware hash is a secret, as it should be.
 */
import * as pulumi from "@pulumi/pulumi";

const importProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        require("./test/bench/baseline/sdkProvider").configure(req);
    },
    async create(inputs) {
        return require("./test/bench/baseline/sdkProvider").imports.create(inputs);
    },
    async diff(id, olds, news) {
        return require("./test/bench/baseline/sdkProvider").imports.diff(id, olds, news);
    },
    async read(id, props) {
        return require("./test/bench/baseline/sdkProvider").imports.read(id, props);
    },
    async delete(id, props) {
        return require("./test/bench/baseline/sdkProvider").imports.delete(id, props);
    },
};

const deviceProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        require("./test/bench/baseline/sdkProvider").configure(req);
    },
    async create(inputs) {
        return require("./test/bench/baseline/sdkProvider").devices.create(inputs);
    },
    async diff(id, olds, news) {
        return require("./test/bench/baseline/sdkProvider").devices.diff(id, olds, news);
    },
    async update(id, olds, news) {
        return require("./test/bench/baseline/sdkProvider").devices.update(id, olds, news);
    },
    async read(id, props) {
        return require("./test/bench/baseline/sdkProvider").devices.read(id, props);
    },
    async delete(id, props) {
        return require("./test/bench/baseline/sdkProvider").devices.delete(id, props);
    },
};

export class SdkImportedDevice extends pulumi.dynamic.Resource {
    declare readonly autopilotDeviceId: pulumi.Output<string>;
    declare readonly importStatus: pulumi.Output<string>;
    constructor(name: string, args: { serialNumber: string; hardwareIdentifier: string }, opts?: pulumi.CustomResourceOptions) {
        super(
            importProvider,
            name,
            { serialNumber: args.serialNumber, hardwareIdentifier: pulumi.secret(args.hardwareIdentifier), importStatus: undefined, autopilotDeviceId: undefined },
            { ...opts, additionalSecretOutputs: ["hardwareIdentifier"] },
            "sdkbaseline",
            "ImportedDevice",
        );
    }
}

export class SdkDevice extends pulumi.dynamic.Resource {
    constructor(name: string, args: { deviceId: pulumi.Input<string>; groupTag?: string; displayName?: string }, opts?: pulumi.CustomResourceOptions) {
        super(deviceProvider, name, { ...args, serialNumber: undefined }, opts, "sdkbaseline", "Device");
    }
}
