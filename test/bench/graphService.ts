/**
 * The bench's Graph side (the emulator with its Entra authority, and the front with latency and
 * budgets) in a process of its own, so that its CPU and memory are measured apart from the bench's
 * and every HTTP answer Graph gives is served off the bench's event loop. The parent talks to it
 * over IPC: start, reset (returns the counters), close.
 */
import { ChildProcess, fork } from "child_process";
import type { EmulatorProfile } from "../emulator";
import type { BudgetLimits } from "./budget";
import type { FrontCounters } from "./front";

export interface GraphServiceOptions {
    profile: EmulatorProfile;
    latencyMs: number;
    limits: BudgetLimits;
    tls: { cert: string; key: string };
    tenantId: string;
    clientId: string;
    clientSecret: string;
}

/** What a scenario left behind: the front's counters, token requests, and the tenant. */
export interface GraphServiceReport {
    counters: FrontCounters;
    tokenRequests: number;
    tenant: { importRecords: number; devices: number; distinctImportSerials: number };
    /** CPU seconds the Graph service (emulator and front) used since the last reset. */
    cpuS: number;
}

/** The tenant's import records (ids and serials, lower case) and device ids, as they are now. */
export interface TenantContents {
    importIds: string[];
    importSerials: string[];
    deviceIds: string[];
    /** Devices with a group tag (the fleet's device step has written them). */
    taggedDevices: number;
}

export interface GraphService {
    /** Graph's base URL (the front, https). */
    url: string;
    /** The Entra authority (https). */
    authorityUrl: string;
    /** The service's process id (for its CPU and memory). */
    pid: number;
    /** Counters since the last reset, and a fresh budget and logs from now on. */
    reset(): Promise<GraphServiceReport>;
    /** What the tenant holds now; counters and budget untouched. */
    peek(): Promise<TenantContents>;
    close(): Promise<void>;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export async function startGraphService(options: GraphServiceOptions): Promise<GraphService> {
    const child: ChildProcess = fork(require.resolve("./graphServiceChild"), [], {
        execArgv: ["-r", "ts-node/register/transpile-only", "--max-old-space-size=8192"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let nextId = 1;
    const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    child.on("message", (m: Reply) => {
        const w = waiting.get(m.id);
        if (!w) return;
        waiting.delete(m.id);
        if (m.ok) w.resolve(m.value);
        else w.reject(new Error(m.error));
    });
    child.on("exit", (code) => {
        for (const w of waiting.values()) w.reject(new Error(`the bench's Graph service exited (${code})`));
        waiting.clear();
    });
    const call = <T>(cmd: string, args?: unknown): Promise<T> =>
        new Promise<T>((resolve, reject) => {
            const id = nextId++;
            waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
            child.send({ id, cmd, args });
        });
    const started = await call<{ url: string; authorityUrl: string }>("start", options);
    return {
        url: started.url,
        authorityUrl: started.authorityUrl,
        pid: child.pid!,
        reset: () => call<GraphServiceReport>("reset"),
        peek: () => call<TenantContents>("peek"),
        async close() {
            if (child.exitCode !== null) return;
            const exited = new Promise((r) => child.once("exit", r));
            await call("close").catch(() => undefined);
            child.disconnect();
            await exited;
        },
    };
}
