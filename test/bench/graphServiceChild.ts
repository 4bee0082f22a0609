/** The child process of graphService.ts: the emulator and the front, driven over IPC. */
import { DEFAULT_TOKEN, Emulator, startEmulator } from "../emulator";
import { GraphFront } from "./front";
import type { GraphServiceOptions, GraphServiceReport, TenantContents } from "./graphService";

interface AuthorityInternals {
    url: string;
    graphOrigins: string[];
    tokenRequests: unknown[];
    validate(token: string, origin: string): string | undefined;
}

let emu: Emulator | undefined;
let front: GraphFront | undefined;
let authority: AuthorityInternals | undefined;
let cpuMark = process.cpuUsage();

async function start(o: GraphServiceOptions): Promise<{ url: string; authorityUrl: string }> {
    emu = await startEmulator({
        profile: o.profile,
        seed: {},
        latencyMs: 0,
        authority: { tls: { certPem: o.tls.cert, keyPem: o.tls.key }, tenantId: o.tenantId, apps: [{ clientId: o.clientId, clientSecrets: [o.clientSecret] }] },
    });
    // The emulator's Entra authority issues tokens for the front's origin, and the front checks them.
    authority = emu.authority as unknown as AuthorityInternals;
    const a = authority;
    front = await GraphFront.start({
        target: emu.url,
        latencyMs: o.latencyMs,
        limits: o.limits,
        tls: o.tls,
        validateToken: (token, origin) => a.validate(token, origin),
        upstreamToken: DEFAULT_TOKEN,
    });
    authority.graphOrigins.push(front.url);
    return { url: front.url, authorityUrl: authority.url };
}

function reset(): GraphServiceReport {
    const tenant = emu!.tenant;
    const cpu = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    const report: GraphServiceReport = {
        cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100,
        counters: front!.reset(),
        tokenRequests: authority!.tokenRequests.length,
        tenant: {
            importRecords: tenant.importedIdentities.size,
            devices: tenant.devices.size,
            distinctImportSerials: new Set([...tenant.importedIdentities.values()].map((r) => String(r.serialNumber).toLowerCase())).size,
        },
    };
    authority!.tokenRequests.length = 0;
    emu!.clearRequests();
    return report;
}

/** What the tenant holds now, without resetting anything: counts, and the ids of import records and devices. */
function peek(): TenantContents {
    const tenant = emu!.tenant;
    return {
        importIds: [...tenant.importedIdentities.keys()],
        importSerials: [...tenant.importedIdentities.values()].map((r) => String(r.serialNumber).toLowerCase()),
        deviceIds: [...tenant.devices.keys()],
        taggedDevices: [...tenant.devices.values()].filter((d) => typeof d.groupTag === "string" && d.groupTag !== "").length,
    };
}

async function close(): Promise<void> {
    await front?.close();
    await emu?.close();
}

type Command = { id: number; cmd: string; args?: unknown };

async function answer(m: Command): Promise<void> {
    try {
        let value: unknown;
        if (m.cmd === "start") value = await start(m.args as GraphServiceOptions);
        else if (m.cmd === "reset") value = reset();
        else if (m.cmd === "peek") value = peek();
        else if (m.cmd === "close") value = await close();
        else throw new Error(`unknown command ${m.cmd}`);
        process.send!({ id: m.id, ok: true, value });
    } catch (e) {
        process.send!({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
}
process.on("message", (m: Command) => void answer(m));
process.on("disconnect", () => {
    void close().finally(() => process.exit(0));
});
