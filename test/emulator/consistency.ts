/**
 * Live-profile eventual consistency: for `writeVisibilityDelayMs` after a write, reads see the
 * object as it was before the write (absent, for a creation). Writes register the old value here;
 * reads ask for the visible value.
 */

interface Shadow {
    until: number;
    before: unknown;
}

/** Shadows of recently written objects, by key (`kind/id`). */
export class Consistency {
    private shadows = new Map<string, Shadow>();

    /** `delayMs()` is read at each write so profile and options changes apply at once. */
    constructor(private readonly delayMs: () => number) {}

    /** Call before mutating the object at `key`; `current` is its value now (undefined = absent). */
    beforeWrite(key: string, current: unknown): void {
        const delay = this.delayMs();
        if (delay <= 0) return;
        const now = Date.now();
        const existing = this.shadows.get(key);
        if (existing && existing.until > now) {
            // Several writes within the window: readers still see the value from before the first one.
            existing.until = now + delay;
            return;
        }
        this.shadows.set(key, { until: now + delay, before: current === undefined ? undefined : structuredClone(current) });
    }

    /** The value a reader sees: the shadow while it lasts, else `current`. */
    visible<T>(key: string, current: T | undefined): T | undefined {
        const s = this.shadows.get(key);
        if (!s) return current;
        if (s.until <= Date.now()) {
            this.shadows.delete(key);
            return current;
        }
        return s.before as T | undefined;
    }

    /** Ids with a live shadow under `prefix` (objects deleted or created recently). */
    shadowedIds(prefix: string): string[] {
        const now = Date.now();
        const ids: string[] = [];
        for (const [key, s] of this.shadows) {
            if (s.until > now && key.startsWith(prefix)) ids.push(key.slice(prefix.length));
        }
        return ids;
    }

    /**
     * The visible members of a collection: current members and recently deleted ones, each
     * through {@link visible}; creations still in their window are left out.
     */
    visibleList<T>(prefix: string, map: Map<string, T>): T[] {
        const ids = [...map.keys()];
        for (const id of this.shadowedIds(prefix)) if (!map.has(id)) ids.push(id);
        const out: T[] = [];
        for (const id of ids) {
            const v = this.visible(prefix + id, map.get(id));
            if (v !== undefined) out.push(v);
        }
        return out;
    }
}
