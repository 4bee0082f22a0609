/**
 * The bench's Pulumi program in a process of its own, as Pulumi's language host runs a program:
 * the SDK reads its settings from the environment the engine gives it (`PULUMI_NODEJS_MONITOR`,
 * `PULUMI_NODEJS_PROJECT`, `PULUMI_NODEJS_STACK`, `PULUMI_NODEJS_DRY_RUN`, `PULUMI_CONFIG`, ...)
 * and registers every resource with the engine's monitor over gRPC (monitor.ts).
 *
 * `BENCH_PROGRAM` (JSON, {@link ProgramJob}) says which program. With `mocks: true` there is no
 * engine: the SDK's mock monitor answers each registration at once, and the process reports how
 * long the SDK alone took (the plan's lower bound).
 */
import * as fs from "fs";
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { baselineProgram, BenchDevice, fleetCsv, fleetProgram } from "./program";

/** Which program to run, and how. */
export interface ProgramJob {
    /** JSON file with the devices ({@link BenchDevice}[]). */
    devicesFile: string;
    kind: "autopilot" | "sdk";
    /** The update scenario's program (every tenth device's group tag changed). */
    updated: boolean;
    importRecord: "keep" | "remove";
    /** No engine: the SDK's mock monitor; report the registration time. */
    mocks?: boolean;
}

/** What the child reports over IPC when it is done. */
export interface ProgramReport {
    wallMs: number;
    cpuS: number;
    /** The process's peak resident memory, MB (what `nodeargs` must leave it room for). */
    peakRssMB: number;
    /** Dynamic resources registered (mocks only). */
    resources: number;
    /** The first few messages of rejections nothing awaited inside the SDK, but for failed registrations (the engine reports those). */
    errors: string[];
}

async function main(): Promise<void> {
    const job = JSON.parse(process.env.BENCH_PROGRAM ?? "") as ProgramJob;
    const devices = JSON.parse(fs.readFileSync(job.devicesFile, "utf8")) as BenchDevice[];
    const program = job.kind === "autopilot" ? fleetProgram(devices, fleetCsv(devices), job.updated, job.importRecord) : baselineProgram(devices, job.updated);
    const report: ProgramReport = { wallMs: 0, cpuS: 0, peakRssMB: 0, resources: 0, errors: [] };
    // A failed step rejects that resource's registration inside the SDK, where nothing awaits it
    // (the engine counts the failure): count it, do not end the program.
    process.on("unhandledRejection", (e) => {
        const message = String((e as Error)?.message ?? e);
        if (!/failed to register new resource|error serializing property/.test(message) && report.errors.length < 5) report.errors.push(message);
    });
    if (job.mocks) {
        await pulumi.runtime.setMocks(
            {
                call: () => ({}),
                newResource: async (args) => {
                    if (args.type.startsWith("pulumi-nodejs:dynamic/")) report.resources++;
                    // The fleet chains each device on its import's autopilotDeviceId: give one.
                    return { id: `${args.name}-id`, state: { ...args.inputs, autopilotDeviceId: `${args.name}-device` } };
                },
            },
            process.env.PULUMI_NODEJS_PROJECT,
            process.env.PULUMI_NODEJS_STACK,
            true,
        );
    }
    // The SDK takes a stack trace for every promise it makes (its leak detector), and under ts-node
    // each one is source-mapped; the bench has measured without them since the program shared the
    // engine's process, and keeps doing so, so figures stay comparable.
    Error.stackTraceLimit = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (job.mocks) await program();
    else await pulumi.runtime.runInPulumiStack(async () => program());
    await pulumi.runtime.disconnect().catch(() => undefined);
    const cpu = process.cpuUsage(cpu0);
    report.wallMs = performance.now() - t0;
    report.cpuS = (cpu.user + cpu.system) / 1e6;
    report.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    process.send!(report, () => process.exit(0));
}

main().catch((e) => {
    process.stderr.write(`bench program: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
