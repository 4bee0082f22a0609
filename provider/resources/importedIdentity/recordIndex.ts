/**
 * The import records of one collection (the tenant's, or an upload's) as this process knows them,
 * for the look before each import's POST (adopt.ts). At fleet scale one listing of the collection
 * (ids and serials only) answers "has this serial no record?" for every create waiting for it,
 * instead of one `$filter` GET per create. A serial the listing shows a record of is still looked
 * up on its own (with hashes), so what is adopted is decided on the lookup alone.
 *
 * Why an answer from a shared listing is as safe as the per-serial GET it replaces:
 * - A create is answered by a listing that started after this process began (so what an
 *   interrupted earlier run made is seen, as far as Graph lists it) and at most
 *   {@link LISTING_REUSE_MS} before the create asked; otherwise it waits for the next listing,
 *   which the creates arriving meanwhile share. What another actor imports for the same serial in
 *   that last minute is not seen before the POST: Graph then fails the import as a duplicate
 *   (ZtdDeviceDuplicated / 806), which the step reports; nothing is imported twice silently.
 * - Records this process made or adopted make the serial be looked up from then on, and count
 *   for `consistencyTimeoutSeconds` even when the lookup does not show them (Graph may list a new
 *   record late).
 * - Records this process deleted do not count from then on, since Graph may list a deleted record
 *   for a while (a replacement deletes the old record, then imports the serial again).
 * - Two creates of one serial in this process never look at once: the second waits until the
 *   first is done (see {@link ImportRecordIndex.exclusive}), then finds its record.
 *
 * Cost: a listing is paged only while its pages stay no more than the creates waiting for it. Past
 * that (a large tenant, few creates) it is abandoned and each waiting create looks its own serial
 * up on its own; later batches smaller than the pages seen skip the listing. So the looks never
 * cost more than twice the per-serial GETs, and at fleet scale far fewer.
 */
import { createHash } from "crypto";
import { untilAborted, type GraphRequest, type GraphSender } from "../../graph";
import { Combiner, Kept } from "../../graph/combiner";
import { pages } from "../../graph/pages";
import type { Props } from "../../lifecycle/values";

/** Page size asked for (Graph's largest for these collections). */
export const LISTING_PAGE_SIZE = 1000;

/**
 * How long a finished listing answers new creates. A fleet's creates arrive in waves over minutes
 * (as imports finish and the engine starts more); a listing per wave cost 121 listings and, once
 * waves got smaller than a listing's pages, a lookup per create (956 of 2,000 devices).
 */
export const LISTING_REUSE_MS = 60_000;

/** A record as kept here: the hardware hash only as a digest (a real hash is 3-4 KB, a fleet has thousands). */
export interface IndexedRecord {
    record: Props;
    /** SHA-256 of the hash without whitespace; undefined when Graph did not show one. */
    hashDigest?: string;
}

/** The key records are grouped by: the serial, trimmed, in lower case. */
export const serialKeyOf = (serial: unknown): string =>
    String(serial ?? "")
        .trim()
        .toLowerCase();

/** SHA-256 of a hardware hash without whitespace; undefined for no hash. */
export function hashDigest(hash: unknown): string | undefined {
    if (hash === undefined || hash === null || hash === "") return undefined;
    return createHash("sha256").update(String(hash).replace(/\s+/g, "")).digest("base64");
}

/** The record without its hardware hash (when it has one), and the hash's digest. */
export function indexed(record: Props): IndexedRecord {
    const digest = hashDigest(record.hardwareIdentifier);
    if (digest === undefined) return { record };
    const { hardwareIdentifier: _hash, ...rest } = record;
    return { record: rest, hashDigest: digest };
}

/** Where and how to list: the collection path and the route for messages and metrics. */
export type Collection = Required<Pick<GraphRequest, "path" | "route">>;

/** One collection's records as this process knows them (see the module comment). */
export class ImportRecordIndex {
    // Creates the engine started together ask within one turn of the event loop: one listing. While
    // it runs, the creates arriving meanwhile gather for the next (a listing must start after the ask).
    private readonly listings = new Combiner<string, Map<string, string[]> | undefined>({
        windowMs: 0,
        capacity: () => 1,
        send: (serials, _key, signal) => this.listFor(serials.length, signal),
    });
    /** The last finished listing, kept from when it started. */
    private readonly recent = new Kept<Map<string, string[]>>({ maxAgeMs: LISTING_REUSE_MS });
    /** Pages a full listing takes, at least (from the last listing, finished or abandoned). */
    private pagesAtLeast = 1;
    /** Records this process made or adopted, by serial key, then id. */
    private readonly made = new Map<string, Map<string, { entry: IndexedRecord; at: number }>>();
    private readonly madeKeys = new Map<string, string>();
    private readonly deleted = new Set<string>();
    private readonly tails = new Map<string, Promise<void>>();
    /** Counters for reports and tests. */
    readonly counters = { listings: 0, pages: 0, abandoned: 0, failed: 0, answered: 0, skipped: 0 };

    constructor(
        private readonly graph: GraphSender,
        private readonly collection: Collection,
    ) {}

    /**
     * False only when a listing that started after this call shows no record of `serial` (other
     * than those this process deleted) and this process made none: the serial is free to import.
     * True when a record may exist: the caller looks the serial up on its own to see which.
     */
    async mayHaveRecords(serial: string, signal?: AbortSignal): Promise<boolean> {
        const key = serialKeyOf(serial);
        if ((this.made.get(key)?.size ?? 0) > 0) return true;
        const recent = this.recent.get("", Date.now());
        if (recent) this.counters.answered++;
        const listed = recent ?? (await this.listings.add(key, "", signal));
        return !listed || (listed.get(key) ?? []).some((id) => !this.deleted.has(id));
    }

    /**
     * `found` (a fresh lookup's answer) plus the records of the serial this process made or adopted
     * less than `lateMs` ago (Graph may not show them yet; past that, Graph's answer stands, so a
     * record someone else deleted since is not adopted), minus those this process deleted.
     */
    withKnown(serial: string, found: Props[], now: number, lateMs: number): IndexedRecord[] {
        const key = serialKeyOf(serial);
        const byId = new Map<string, IndexedRecord>();
        for (const r of found) byId.set(String(r.id), indexed(r));
        for (const [id, r] of this.made.get(key) ?? []) {
            if (!byId.has(id) && now - r.at <= lateMs) byId.set(id, r.entry);
        }
        return [...byId.values()].filter((r) => !this.deleted.has(String(r.record.id)));
    }

    /** A record this process made or adopted at `now`, as indexed. */
    keep(entry: IndexedRecord, now: number): void {
        const { id, serialNumber } = entry.record;
        if (id === undefined || id === null) return;
        const key = serialKeyOf(serialNumber);
        const bySerial = this.made.get(key) ?? new Map<string, { entry: IndexedRecord; at: number }>();
        bySerial.set(String(id), { entry, at: now });
        this.made.set(key, bySerial);
        this.madeKeys.set(String(id), key);
    }

    /** A record this process deleted: left out of every answer from now on. */
    forget(id: string): void {
        this.deleted.add(id);
        const key = this.madeKeys.get(id);
        if (key === undefined) return;
        this.madeKeys.delete(id);
        this.made.get(key)?.delete(id);
    }

    /** Runs `body` once no other call for `serial` runs (creates of one serial take turns). */
    async exclusive<T>(serial: string, signal: AbortSignal | undefined, body: () => Promise<T>): Promise<T> {
        const key = serialKeyOf(serial);
        const before = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        const tail = before.then(() => mine);
        this.tails.set(key, tail);
        try {
            await untilAborted(before, signal);
            return await body();
        } finally {
            release();
            if (this.tails.get(key) === tail) this.tails.delete(key);
        }
    }

    // Answers the creates gathered now with one listing.
    private async listFor(creates: number, signal: AbortSignal): Promise<Array<Map<string, string[]> | undefined>> {
        if (creates < this.pagesAtLeast) {
            // A listing would cost more requests than the creates' own lookups.
            this.counters.skipped += creates;
            return Array(creates).fill(undefined);
        }
        let listed: Map<string, string[]> | undefined;
        const startedAt = Date.now();
        try {
            listed = await this.list(creates, signal);
            if (listed) this.recent.keep("", listed, startedAt);
        } catch {
            // A listing that failed (past the client's retries) fails no create: each
            // looks its serial up on its own, with its own retries.
            this.counters.failed++;
        }
        if (listed) this.counters.answered += creates;
        return Array(creates).fill(listed);
    }

    /**
     * Every page: the ids of each serial's records; undefined when it would take more pages than
     * `worth` (abandoned, so the looks never cost more than the lookups they replace, plus as many).
     */
    private async list(worth: number, signal: AbortSignal): Promise<Map<string, string[]> | undefined> {
        this.counters.listings++;
        const bySerial = new Map<string, string[]>();
        // Only ids and serials: a listing proves a serial has no record; which record to adopt is
        // decided on a lookup of the serial (with hashes, a few KB each).
        let n = 0;
        for await (const page of pages<Props>(this.graph, {
            method: "GET",
            apiVersion: "v1.0",
            ...this.collection,
            query: { $select: "id,serialNumber", $top: String(LISTING_PAGE_SIZE) },
            signal,
        })) {
            n++;
            this.counters.pages++;
            for (const r of page.value ?? []) {
                const key = serialKeyOf(r.serialNumber);
                bySerial.set(key, [...(bySerial.get(key) ?? []), String(r.id)]);
            }
            if (page.more && n + 1 > worth) {
                this.pagesAtLeast = Math.max(this.pagesAtLeast, n + 1);
                this.counters.abandoned++;
                return undefined;
            }
        }
        this.pagesAtLeast = n;
        return bySerial;
    }
}
