/**
 * Starts Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) and calls it
 * over gRPC as the engine does. Test tooling only: real deployments run `pulumi up`.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { Bag, fromStruct, toStruct } from "./wire";

const grpc = require("@grpc/grpc-js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

export const REPO_ROOT = path.resolve(__dirname, "../..");

/** A provider error as the engine sees it; `initFailed` when the object exists (id kept). */
export class HostCallError extends Error {
    constructor(
        message: string,
        readonly grpcCode: number,
        readonly initFailed?: { id: string; properties: Bag; reasons: string[] },
    ) {
        super(message);
    }
}

export interface DiffResult {
    changes: "none" | "some" | "unknown";
    replaces: string[];
    deleteBeforeReplace: boolean;
}

export interface HostOptions {
    /** The program's folder: the host's working directory (requires resolve from it). */
    cwd: string;
    project?: string;
    env?: Record<string, string | undefined>;
    /** Node flags for the host alone, added to its `NODE_OPTIONS` (as a user sets them under `pulumi up`). */
    nodeOptions?: string[];
    /** Called with each line the host writes to stderr (the provider's log, when enabled). */
    onStderrLine?: (line: string) => void;
}

/** One running host process and a typed client for it. */
export class Host {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        readonly address: string,
        readonly stderr: string[],
    ) {}

    static async start(opts: HostOptions): Promise<Host> {
        const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
        const env = { ...process.env, ...opts.env };
        env.PULUMI_NODEJS_PROJECT = opts.project ?? env.PULUMI_NODEJS_PROJECT ?? "autopilot-test";
        // BENCH_HOST_NODE_OPTIONS (diagnostics, opt-in): more node flags for the host alone, e.g.
        // `--heap-prof`, without passing them to the test or bench process itself.
        const nodeOptions = [env.NODE_OPTIONS, ...(opts.nodeOptions ?? []), process.env.BENCH_HOST_NODE_OPTIONS].filter(Boolean);
        if (nodeOptions.length > 0) env.NODE_OPTIONS = nodeOptions.join(" ");
        // Diagnostics: BENCH_HOST_CPU_PROFILE=<folder> writes a V8 CPU profile of each host there (a flag NODE_OPTIONS refuses).
        const profile = process.env.BENCH_HOST_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_HOST_CPU_PROFILE}`] : [];
        const child = spawn(process.execPath, [...profile, entry, "127.0.0.1:1"], { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        const stderr: string[] = [];
        let partial = "";
        child.stderr!.setEncoding("utf8").on("data", (d: string) => {
            stderr.push(d);
            if (opts.onStderrLine) {
                const lines = (partial + d).split("\n");
                partial = lines.pop()!;
                lines.forEach((l) => opts.onStderrLine!(l));
            }
        });
        const port = await new Promise<string>((resolve, reject) => {
            let buf = "";
            const onData = (d: Buffer) => {
                buf += d.toString();
                const nl = buf.indexOf("\n");
                if (nl >= 0) {
                    child.stdout!.off("data", onData);
                    child.stdout!.resume();
                    resolve(buf.slice(0, nl).trim());
                }
            };
            child.stdout!.on("data", onData);
            child.once("exit", (code) => reject(new Error(`dynamic-provider host exited (${code}) before printing its port: ${stderr.join("")}`)));
        });
        const address = `127.0.0.1:${port}`;
        const client = new provrpc.ResourceProviderClient(address, grpc.credentials.createInsecure());
        return new Host(child, client, address, stderr);
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) => {
            this.client[method](req, (err: any, res: T) => {
                if (err) {
                    reject(toHostError(err));
                } else {
                    resolve(res);
                }
            });
        });
    }

    async configure(config: Record<string, string>): Promise<void> {
        const req = new provproto.ConfigureRequest();
        req.setArgs(toStruct(config));
        req.setAcceptsecrets(true);
        await this.call("configure", req);
    }

    async check(urn: string, olds: Bag, news: Bag): Promise<{ inputs: Bag; failures: { property: string; reason: string }[] }> {
        const req = new provproto.CheckRequest();
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const res: any = await this.call("check", req);
        return {
            inputs: fromStruct(res.getInputs()),
            failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(id: string, urn: string, olds: Bag, news: Bag): Promise<DiffResult> {
        const req = new provproto.DiffRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const res: any = await this.call("diff", req);
        const C = provproto.DiffResponse.DiffChanges;
        const changes = res.getChanges() === C.DIFF_SOME ? "some" : res.getChanges() === C.DIFF_NONE ? "none" : "unknown";
        return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    }

    async create(urn: string, properties: Bag): Promise<{ id: string; properties: Bag }> {
        const req = new provproto.CreateRequest();
        req.setUrn(urn);
        req.setProperties(toStruct(properties));
        const res: any = await this.call("create", req);
        return { id: res.getId(), properties: fromStruct(res.getProperties()) };
    }

    async read(id: string, urn: string, properties: Bag): Promise<{ id: string; properties: Bag; inputs: Bag }> {
        const req = new provproto.ReadRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setProperties(toStruct(properties));
        const res: any = await this.call("read", req);
        return { id: res.getId(), properties: fromStruct(res.getProperties()), inputs: fromStruct(res.getInputs()) };
    }

    async update(id: string, urn: string, olds: Bag, news: Bag): Promise<{ properties: Bag }> {
        const req = new provproto.UpdateRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const res: any = await this.call("update", req);
        return { properties: fromStruct(res.getProperties()) };
    }

    async delete(id: string, urn: string, properties: Bag): Promise<void> {
        const req = new provproto.DeleteRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setProperties(toStruct(properties));
        await this.call("delete", req);
    }

    async pluginInfo(): Promise<string> {
        const res: any = await this.call("getPluginInfo", new Empty());
        return res.getVersion();
    }

    async close(): Promise<void> {
        this.client.close();
        if (this.child.exitCode === null && this.child.signalCode === null) {
            const exited = new Promise((r) => this.child.once("exit", r));
            this.child.kill();
            await exited;
        }
    }
}

function toHostError(err: any): HostCallError {
    const details = err.metadata?.get?.("grpc-status-details-bin")?.[0];
    let initFailed: HostCallError["initFailed"];
    if (details) {
        const status = statusproto.Status.deserializeBinary(new Uint8Array(details));
        for (const any of status.getDetailsList()) {
            if (any.getTypeName() === "pulumirpc.ErrorResourceInitFailed") {
                const d = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
                initFailed = { id: d.getId(), properties: fromStruct(d.getProperties()), reasons: d.getReasonsList() };
            }
        }
    }
    return new HostCallError(err.details ?? err.message, err.code, initFailed);
}
