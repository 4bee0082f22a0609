/**
 * What a stack's state file (the file backend's `<stack>.json`, secrets as ciphertext) holds, by
 * resource type: how many resources, their mean size, and where the bytes of one resource go
 * (each top-level member, and each input and output), so the cost of a device in the state can
 * be read member by member.
 */
import * as fs from "fs";

/** Mean bytes of one resource of a type, member by member. */
export interface TypeComposition {
    type: string;
    count: number;
    meanBytes: number;
    /** Mean bytes of each top-level member (`urn`, `inputs`, `stackTrace`, ...), largest first. */
    members: Record<string, number>;
    /** Mean bytes of each input and output (key and value), largest first. */
    inputs: Record<string, number>;
    outputs: Record<string, number>;
}

export interface StateSummary {
    /** The file's size, bytes (0: no file). */
    bytes: number;
    /**
     * The same state as compact JSON, bytes: what it holds whatever the CLI's formatting (CLIs
     * before 3.238 write the file indented, which adds about 80 %).
     */
    compactBytes: number;
    resources: number;
    /** Pending operations the file records (an interrupted run leaves them). */
    pendingOperations: number;
    /** The largest `__provider` text of any resource, bytes. */
    providerBytes: number;
    byType: TypeComposition[];
}

type Json = Record<string, unknown>;

const size = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? "");

function meanOf(totals: Map<string, number>, count: number): Record<string, number> {
    return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v / count)]));
}

function add(totals: Map<string, number>, bag: Json | undefined): void {
    for (const [k, v] of Object.entries(bag ?? {})) totals.set(k, (totals.get(k) ?? 0) + size(k) + 1 + size(v));
}

/** Reads and measures a state file; an empty summary when there is none. */
export function summarizeState(file: string): StateSummary {
    if (!fs.existsSync(file)) return { bytes: 0, compactBytes: 0, resources: 0, pendingOperations: 0, providerBytes: 0, byType: [] };
    const text = fs.readFileSync(file, "utf8");
    const parsed = JSON.parse(text) as Json;
    const latest = (parsed.checkpoint as Json | undefined)?.latest as Json | undefined;
    const resources = (latest?.resources ?? []) as Json[];
    const groups = new Map<string, { count: number; bytes: number; members: Map<string, number>; inputs: Map<string, number>; outputs: Map<string, number> }>();
    let providerBytes = 0;
    for (const r of resources) {
        const type = String(r.type);
        let g = groups.get(type);
        if (!g) groups.set(type, (g = { count: 0, bytes: 0, members: new Map(), inputs: new Map(), outputs: new Map() }));
        g.count++;
        g.bytes += size(r);
        add(g.members, r);
        add(g.inputs, r.inputs as Json | undefined);
        add(g.outputs, r.outputs as Json | undefined);
        for (const bag of [r.inputs, r.outputs] as Array<Json | undefined>) {
            const p = bag?.__provider;
            if (typeof p === "string") providerBytes = Math.max(providerBytes, Buffer.byteLength(p));
        }
    }
    const byType = [...groups].map(([type, g]) => ({
        type,
        count: g.count,
        meanBytes: Math.round(g.bytes / g.count),
        members: meanOf(g.members, g.count),
        inputs: meanOf(g.inputs, g.count),
        outputs: meanOf(g.outputs, g.count),
    }));
    byType.sort((a, b) => b.count * b.meanBytes - a.count * a.meanBytes);
    return {
        bytes: Buffer.byteLength(text),
        compactBytes: size(parsed),
        resources: resources.length,
        pendingOperations: ((latest?.pending_operations ?? []) as unknown[]).length,
        providerBytes,
        byType,
    };
}
