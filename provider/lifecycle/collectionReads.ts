/**
 * Refresh at fleet scale: many concurrent `read`s of one collection are answered from
 * one listing of that collection (`$top=1000`, every `@odata.nextLink` page) instead of one GET
 * each. A stack of a few resources never lists: only a burst of reads (`threshold` within
 * `windowMs`, per collection) does. Anything the listing cannot vouch for goes to the per-item GET:
 * an id the listing lacks (lists can lag; only the GET's 404 says "gone"), an id this process
 * wrote to, a listing that failed or grew too long for the reads it serves.
 *
 * Only `read` (refresh, import) asks here; the read-backs after writes always GET the item.
 * Writes are seen through the process client's `onWrite` from the first read on (from any
 * module). A listing holds the objects until read, each as the outputs will keep it (an import
 * record's hardware hash, KBs, as its digest: see {@link keptForState}): each answer lets its
 * object go, and an idle listing is dropped after 5 s (graph/combiner.ts `Kept`).
 * `autopilot:listReads` false switches it off.
 */
import { GraphClient, GraphError, untilAborted } from "../graph";
import type { ApiVersion, GraphRequest } from "../graph";
import { Kept, realTimers } from "../graph/combiner";
import { pages } from "../graph/pages";
import { DEFAULT_TUNING } from "../settings/table";
import { storedValue } from "./fields";
import type { LifecycleContext, ResourceSpec } from "./spec";
import type { Props } from "./values";

/** A collection whose listing answers the item reads of a resource type. */
export interface ListedCollection {
    apiVersion: ApiVersion;
    /** Collection path without the version, e.g. `/deviceManagement/windowsAutopilotDeviceIdentities`. */
    path: string;
}

/**
 * Which resource type reads from which collection (undefined: that object is never listed).
 * Kept here, not in the specs: a row only applies while the spec's item path is `path/{id}` in the
 * same API version (checked at each read), so a spec that moves its reads elsewhere is not misanswered.
 */
export const LISTED_COLLECTIONS: Record<string, (props: Props) => ListedCollection | undefined> = {
    WindowsAutopilotDeviceIdentity: () => ({ apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" }),
    // An identity inside an upload is read through the upload's route: not this listing.
    ImportedWindowsAutopilotDeviceIdentity: (props) =>
        props.uploadId === undefined || props.uploadId === null
            ? { apiVersion: "v1.0", path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities" }
            : undefined,
};

/** Tuning of {@link CollectionReads}; the defaults fit Graph. */
export interface CollectionReadOptions {
    /** Reads of one collection within `windowMs` that start a listing. Default 100. */
    threshold?: number;
    /** Default 2000 ms. */
    windowMs?: number;
    /** `$top` of each page (Graph's most for these collections). Default 1000. */
    pageSize?: number;
    /** Pages any listing may take. Default 10. */
    minPages?: number;
    /**
     * Beyond `minPages`, a listing may take one page per this many reads of the collection seen
     * so far (one `$batch` carries 20 GETs: more pages than that would cost more round trips than
     * it saves). Default 20.
     */
    readsPerPage?: number;
    now?: () => number;
    log?: (line: string) => void;
}

interface Snapshot {
    /** Ids reads are waiting for (the shape check GETs one of them). */
    waiting: string[];
    /** The listing by id; undefined when it failed or was given up (reads GET the item). */
    done: Promise<Map<string, Props> | undefined>;
    settled: boolean;
}

interface CollectionState {
    arrivals: number[];
    /** Reads of the collection seen by this process. */
    reads: number;
    /**
     * Ids read in this round (a refresh reads each object once): a second read of one starts a
     * new round, which a listing of the last round must not answer.
     */
    seen: Set<string>;
    /** No listing before this time (after a failed one). */
    retryAt: number;
    /** No listing before this many reads (after one given up as too long). */
    retryAtReads: number;
    /** The list answer carries what the item GET does (checked once). */
    verified: boolean;
    /** The list answer lacks properties the item GET has: never list this collection. */
    unlistable: boolean;
}

/** Answers bursts of item reads from listings; see the module comment. One per session. */
export class CollectionReads {
    /** Path segments of every write sent (ids among them): such ids are never answered from a listing. */
    private readonly written = new Set<string>();
    private watching = false;
    private readonly collections = new Map<string, CollectionState>();
    /** The listing of each collection, while it answers reads. */
    private readonly snapshots: Kept<Snapshot>;
    private readonly tuning: Required<CollectionReadOptions>;
    /** Counters since construction (for tests). */
    readonly stats = { listings: 0, pages: 0, answered: 0, failed: 0, givenUp: 0 };

    /** `graph`: the process's client, not a step's: one step ending must not stop a listing others wait for. */
    constructor(
        private readonly graph: Pick<GraphClient, "send" | "onWrite">,
        options: CollectionReadOptions = {},
    ) {
        this.tuning = { threshold: 100, windowMs: 2000, pageSize: 1000, minPages: 10, readsPerPage: 20, now: Date.now, log: () => undefined, ...options };
        // A listing is dropped 5 s after the last read it answered, and 60 s after it started, whatever.
        this.snapshots = new Kept({ maxAgeMs: 60000, idleMs: 5000, timers: { ...realTimers, now: this.tuning.now } });
    }

    /**
     * The object as a listing of its collection shows it, or undefined: then the caller GETs the
     * item (not in a burst, not listed, written by this process, listing failed). Never says
     * "gone": an id missing from a listing is the GET's to judge.
     */
    async read(ctx: LifecycleContext, spec: ResourceSpec, id: string, props: Props): Promise<Props | undefined> {
        const collection = Object.hasOwn(LISTED_COLLECTIONS, spec.typeName) ? LISTED_COLLECTIONS[spec.typeName](props) : undefined;
        if (!collection || !(ctx.settings ?? DEFAULT_TUNING).listReads) return undefined;
        // The table only holds while the spec reads the item at `path/{id}` in that version.
        if (spec.apiVersion !== collection.apiVersion || spec.item(id, props).path !== `${collection.path}/${encodeURIComponent(id)}`) return undefined;
        this.watchWrites();
        if (this.written.has(id)) return undefined;
        const key = `${collection.apiVersion} ${collection.path}`;
        let state = this.collections.get(key);
        if (!state) {
            state = { arrivals: [], reads: 0, seen: new Set(), retryAt: 0, retryAtReads: 0, verified: false, unlistable: false };
            this.collections.set(key, state);
        }
        const now = this.tuning.now();
        this.arrive(state, now);
        let snap = this.snapshots.get(key, now);
        // A second read of an object: a new round of reads (another refresh), listed afresh.
        const newRound = state.seen.has(id);
        if (newRound) state.seen.clear();
        state.seen.add(id);
        if (snap && newRound && snap.settled) {
            this.snapshots.drop(key);
            snap = undefined;
        }
        if (!snap) {
            if (state.unlistable || now < state.retryAt || state.reads < state.retryAtReads || state.arrivals.length < this.tuning.threshold) return undefined;
            snap = this.startListing(key, state, collection, spec, props);
        }
        if (!snap.settled) snap.waiting.push(id);
        const listed = await untilAborted(snap.done, ctx.signal);
        // Written while the listing ran (or since): the listing may show it as it was.
        if (!listed || this.written.has(id)) return undefined;
        const graph = listed.get(id);
        if (!graph) return undefined;
        // Each object is read once per refresh: let the memory go as the reads come.
        listed.delete(id);
        this.snapshots.get(key, this.tuning.now());
        this.stats.answered++;
        return graph;
    }

    /** Counts a read; keeps the arrivals of the last `windowMs` only. */
    private arrive(state: CollectionState, now: number): void {
        state.reads++;
        const arrivals = state.arrivals;
        arrivals.push(now);
        let old = 0;
        while (old < arrivals.length && arrivals[old] <= now - this.tuning.windowMs) old++;
        if (old > 0) arrivals.splice(0, old);
    }

    /** Every write through the client, from any module (handler, specs, bulk import), marks the ids in its path. */
    private watchWrites(): void {
        if (this.watching) return;
        this.watching = true;
        this.graph.onWrite((request) => noteWrite(this.written, request));
    }

    private startListing(key: string, state: CollectionState, collection: ListedCollection, spec: ResourceSpec, props: Props): Snapshot {
        const snap: Snapshot = { waiting: [], settled: false, done: Promise.resolve(undefined) };
        this.snapshots.keep(key, snap, this.tuning.now(), false);
        this.stats.listings++;
        const settle = (listed: Map<string, Props> | undefined) => {
            snap.settled = true;
            snap.waiting = [];
            if (listed) this.snapshots.ready(key, snap);
            else this.snapshots.drop(key, snap);
            return listed;
        };
        snap.done = this.list(state, collection, spec, props, snap).then(settle, (e: unknown) => {
            this.stats.failed++;
            settle(undefined);
            // Reads go one by one for a while; a later burst lists again.
            state.retryAt = this.tuning.now() + 30000;
            this.tuning.log(
                `listing ${collection.apiVersion} ${collection.path} failed, reading items one by one: ${e instanceof Error ? e.message : String(e)}`,
            );
            return undefined;
        });
        return snap;
    }

    /** All pages of the collection by id; undefined when given up or not shaped as the item GET. */
    private async list(state: CollectionState, collection: ListedCollection, spec: ResourceSpec, props: Props, snap: Snapshot) {
        const route = `GET ${collection.path}`;
        const byId = new Map<string, Props>();
        let n = 0;
        for await (const page of pages<Props>(this.graph, {
            method: "GET",
            apiVersion: collection.apiVersion,
            path: collection.path,
            query: { $top: String(this.tuning.pageSize) },
            route,
        })) {
            n++;
            this.stats.pages++;
            if (!Array.isArray(page.value)) throw new Error(`${route} answered without a 'value' array`);
            for (const item of page.value) {
                if (item && typeof item.id === "string") byId.set(item.id, keptForState(spec, item));
            }
            // A tenant far larger than the burst of reads: per-item reads cost fewer round trips.
            if (page.more && n >= Math.max(this.tuning.minPages, Math.ceil(state.reads / this.tuning.readsPerPage))) {
                this.stats.givenUp++;
                state.retryAtReads = Math.max(2 * state.reads, (n + 1) * this.tuning.readsPerPage);
                this.tuning.log(`listing ${collection.path}: more than ${n} pages for ${state.reads} reads; reading items one by one`);
                return undefined;
            }
        }
        if (!state.verified && !(await this.sameShape(state, spec, props, snap, byId))) return undefined;
        return byId;
    }

    /**
     * Once per collection: GETs one listed object and checks the listing shows every property the
     * GET does (Graph leaves some out of lists on some collections; such a listing would read as drift).
     */
    private async sameShape(state: CollectionState, spec: ResourceSpec, props: Props, snap: Snapshot, byId: Map<string, Props>): Promise<boolean> {
        const candidates = [...new Set(snap.waiting)].filter((id) => byId.has(id) && !this.written.has(id)).slice(0, 3);
        for (const id of candidates) {
            const item = spec.item(id, props);
            let got: Props;
            try {
                got = (await this.graph.send<Props>({ method: "GET", apiVersion: spec.apiVersion, path: item.path, route: item.route })).body;
            } catch (e) {
                if (GraphError.isGraphError(e) && e.status === 404) continue;
                throw e;
            }
            const listed = byId.get(id)!;
            const missing = Object.keys(got ?? {}).filter((k) => k !== "@odata.context" && !(k in listed));
            if (missing.length > 0) {
                state.unlistable = true;
                this.tuning.log(`listing ${spec.typeName}: the list leaves out ${missing.join(", ")}; reading items one by one`);
                return false;
            }
            state.verified = true;
            return true;
        }
        // Nothing to compare with (every candidate gone): no answers from this listing.
        return false;
    }
}

/**
 * A listed object as the resource's outputs will keep it: each `stateDigest` field's Graph
 * property as its digest (the same object when there is none). A listing of 10,000 import records
 * otherwise held 10,000 hardware hashes (about 53 MB of text) until its reads were answered.
 */
export function keptForState(spec: ResourceSpec, item: Props): Props {
    let kept = item;
    for (const [name, field] of Object.entries(spec.fields)) {
        // A field Graph shows in another shape is converted first, in toOutputs: leave it.
        if (!field.stateDigest || field.fromGraph) continue;
        const key = field.graphName ?? name;
        const value = item[key];
        if (typeof value !== "string" || value === "") continue;
        if (kept === item) kept = { ...item };
        kept[key] = storedValue(field, value);
    }
    return kept;
}

/** Adds the decoded path segments of a write (the ids it touched among them). */
function noteWrite(written: Set<string>, request: GraphRequest): void {
    let path = request.path ?? "";
    if (request.absoluteUrl !== undefined) {
        try {
            path = new URL(request.absoluteUrl).pathname;
        } catch {
            return;
        }
    }
    for (const segment of path.split("/")) {
        if (segment === "") continue;
        try {
            written.add(decodeURIComponent(segment));
        } catch {
            written.add(segment);
        }
    }
}
