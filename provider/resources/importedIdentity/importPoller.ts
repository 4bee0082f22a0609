/**
 * Waiting for many imports at once: the polls of import records that wait at the same
 * time share one listing of the collection's ids and states (`$select=id,state`, `$top=1000`,
 * every page) instead of one GET each. Real Autopilot imports take minutes; 10,000 records polled
 * one by one every 30 s would be 333 requests per second, three times Intune's whole budget of
 * 100; listed, they are 10 requests per round.
 *
 * Only the record's `state` is taken from a listing (the service owns it; the rest of the record
 * does not change while it imports), merged into what the poll already had. A record missing from
 * the listing (lists can lag), a listing that failed, or a round with too few polls to be worth a
 * listing: the caller GETs the record itself. A listing that would take more pages than half
 * the polls it answers is abandoned, so sharing never costs more requests than it saves.
 */
import type { GraphSender } from "../../graph";
import { Combiner } from "../../graph/combiner";
import { pages } from "../../graph/pages";
import type { Props } from "../../lifecycle/values";

/** Fewest polls in one round that a listing answers (below: a GET each, batched). */
export const MIN_SHARED_POLLS = 10;

/** How long the first poll of a round waits for others (against intervals of 2 to 30 s). */
export const ROUND_WINDOW_MS = 100;

const COLLECTION = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/**
 * The polls of the session's tenant collection. It sends through the process's client, not a
 * step's view of it: one step's bound or cancellation does not stop the listing the others wait for.
 */
export class ImportPoller {
    // Polls that come due within the window share the listing (imports POSTed in one bulk call
    // come due within a few ms of each other, later chunks soon after).
    private readonly rounds = new Combiner<string, Props | undefined>({ windowMs: ROUND_WINDOW_MS, send: (ids) => this.round(ids) });
    /** Counters for tests and reports. */
    readonly counters = { listings: 0, pages: 0, answered: 0, abandoned: 0, failed: 0 };

    constructor(private readonly graph: GraphSender) {}

    /** The record's `state` as a shared listing shows it, or undefined (then GET the record). */
    state(id: string): Promise<Props | undefined> {
        return this.rounds.add(id);
    }

    private async round(ids: string[]): Promise<Array<Props | undefined>> {
        if (ids.length < MIN_SHARED_POLLS) return ids.map(() => undefined);
        let states: Map<string, Props> | undefined;
        try {
            states = await this.list(Math.max(1, Math.floor(ids.length / 2)));
        } catch {
            // A failed listing fails no poll: each GETs its record, with its own retries.
            this.counters.failed++;
        }
        return ids.map((id) => {
            const state = states?.get(id);
            if (state) this.counters.answered++;
            return state;
        });
    }

    /** Every page's id -> state; undefined past `maxPages` (abandoned). */
    private async list(maxPages: number): Promise<Map<string, Props> | undefined> {
        this.counters.listings++;
        const states = new Map<string, Props>();
        let n = 0;
        for await (const page of pages<Props>(this.graph, {
            method: "GET",
            apiVersion: "v1.0",
            path: COLLECTION,
            query: { $select: "id,state", $top: "1000" },
            route: `GET ${COLLECTION}?$select=id,state`,
        })) {
            n++;
            this.counters.pages++;
            for (const r of page.value ?? []) {
                if (r.state !== null && typeof r.state === "object") states.set(String(r.id), r.state as Props);
            }
            if (page.more && n >= maxPages) {
                this.counters.abandoned++;
                return undefined;
            }
        }
        return states;
    }
}
