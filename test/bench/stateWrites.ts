/**
 * Counts the writes of a stack's state file while a `pulumi` command runs. Pulumi's file (DIY)
 * backend writes a checkpoint as a whole new file renamed over `<stack>.json` (gocloud's fileblob:
 * a temporary file, then rename), so each rename onto that name is one checkpoint written; inotify
 * reports each rename on its own (every move has its own cookie, so none is merged with another).
 * The size at each write is read from the file as it is then.
 */
import * as fs from "fs";
import * as path from "path";

export interface StateWriteCounts {
    /** Checkpoints written (renames onto the state file). */
    writes: number;
    /** Sum of the file's size at each write, bytes (what the backend wrote, backups not counted). */
    bytesWritten: number;
    /** The largest size seen, bytes. */
    largestBytes: number;
    /** Milliseconds from `start` to the first and the last write (-1: none). */
    firstWriteMs: number;
    lastWriteMs: number;
}

/** Watches the folder of `stateFile` from now until `stop()`. */
export class StateWriteWatcher {
    private watcher: fs.FSWatcher | undefined;
    private readonly t0 = Date.now();
    private readonly counts: StateWriteCounts = { writes: 0, bytesWritten: 0, largestBytes: 0, firstWriteMs: -1, lastWriteMs: -1 };

    constructor(private readonly stateFile: string) {
        fs.mkdirSync(path.dirname(stateFile), { recursive: true });
        const name = path.basename(stateFile);
        this.watcher = fs.watch(path.dirname(stateFile), (event, file) => {
            if (event !== "rename" || file !== name) return;
            let size: number;
            try {
                size = fs.statSync(stateFile).size;
            } catch {
                return; // the rename took it away (a stack removed)
            }
            const ms = Date.now() - this.t0;
            const c = this.counts;
            c.writes++;
            c.bytesWritten += size;
            c.largestBytes = Math.max(c.largestBytes, size);
            if (c.firstWriteMs < 0) c.firstWriteMs = ms;
            c.lastWriteMs = ms;
        });
    }

    stop(): StateWriteCounts {
        this.watcher?.close();
        this.watcher = undefined;
        return { ...this.counts };
    }
}
