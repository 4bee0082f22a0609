/**
 * The bench engine's resource monitor: the gRPC service a Pulumi program's SDK registers its
 * resources with (`PULUMI_NODEJS_MONITOR`), as the Pulumi engine serves it during `pulumi up`.
 * The program runs in a process of its own (programChild.ts), as Pulumi's language host runs it,
 * so the SDK's work and the engine's share the machine's cores instead of one event loop.
 *
 * Values cross as the SDK's own mock monitor passes them (`runtime/mocks.js`): inputs through the
 * SDK's `deserializeProperties` (secret envelopes kept), the state back through `serializeProperties`.
 */
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/* eslint-disable @typescript-eslint/no-var-requires */
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const resrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const rpc = require("@pulumi/pulumi/runtime/rpc");

/** What the program asked to register, as the engine needs it. */
export interface Registration {
    type: string;
    name: string;
    /** Inputs as the SDK's mock monitor hands them (`deserializeProperties`: secret envelopes and unknowns kept). */
    inputs: Record<string, unknown>;
    /** Names of the resources this one depends on. */
    deps: string[];
    additionalSecretOutputs: string[];
}

/** The engine's answer: the id and the state (secret outputs in envelopes). */
export type RegisterAnswer = { id: string | undefined; state: Record<string, unknown> };

export interface Monitor {
    /** host:port for `PULUMI_NODEJS_MONITOR`. */
    address: string;
    /** Who answers registrations from now on (one program run at a time). */
    onRegister(handler: (reg: Registration) => Promise<RegisterAnswer>): void;
    close(): Promise<void>;
}

// Features the SDK asks for; the answers of the SDK's own mock monitor (setMocks).
const SUPPORTED = new Set(["secrets", "resourceReferences", "deletedWith", "replaceWith", "aliasSpecs", "parameterization", "resourceHooks", "errorHooks"]);

const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;

function urnOf(parent: string, type: string, name: string, project: string, stack: string): string {
    // As the engine composes it: the parent's type chain, then this type.
    const chain = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${chain}::${name}`;
}

/** Starts the monitor on a free loopback port. */
export async function startMonitor(project: string, stack: string): Promise<Monitor> {
    let handler: ((reg: Registration) => Promise<RegisterAnswer>) | undefined;
    const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024, "grpc.max_send_message_length": 64 * 1024 * 1024 });
    const unimplemented = (what: string) => (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.UNIMPLEMENTED, details: `the bench's monitor does not serve ${what}` } as grpc.ServiceError, null);
    const service: Record<string, unknown> = {};
    for (const method of Object.keys(resrpc.ResourceMonitorService)) service[method] = unimplemented(method);
    Object.assign(service, {
        supportsFeature(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
            const res = new resproto.SupportsFeatureResponse();
            res.setHassupport(SUPPORTED.has(call.request.getId()));
            cb(null, res);
        },
        registerResourceOutputs(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
            cb(null, new emptyproto.Empty());
        },
        registerPackage(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
            const res = new resproto.RegisterPackageResponse();
            res.setRef("bench-package");
            cb(null, res);
        },
        registerResource(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
            const req = call.request;
            const urn = urnOf(req.getParent(), req.getType(), req.getName(), project, stack);
            const reg: Registration = {
                type: req.getType(),
                name: req.getName(),
                inputs: rpc.deserializeProperties(req.getObject(), true),
                deps: [...new Set<string>(req.getDependenciesList().map(nameOf))],
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            };
            const answer = handler ? handler(reg) : Promise.reject(new Error("no program run is in progress"));
            answer
                .then(async ({ id, state }) => {
                    const res = new resproto.RegisterResourceResponse();
                    res.setUrn(urn);
                    res.setId(id ?? "");
                    res.setObject(Struct.fromJavaScript(await rpc.serializeProperties("", state)));
                    cb(null, res);
                })
                .catch((e: unknown) => cb({ code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e) } as grpc.ServiceError, null));
        },
    });
    server.addService(resrpc.ResourceMonitorService, service as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    return {
        address: `127.0.0.1:${port}`,
        onRegister(h) {
            handler = h;
        },
        close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    };
}
