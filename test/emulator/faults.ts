/**
 * Scripted faults: a queue of {@link FaultSpec}s, each answering a number of matching requests
 * with a Graph error (429/5xx) and an optional Retry-After, or with a connection fault (a reset,
 * a late answer) before or after the request is processed.
 */
import { FAULT_ERRORS, GraphError } from "./errors";
import type { ConnectionFault } from "./chaos";
import type { FaultSpec } from "./types";

interface ActiveFault {
    spec: FaultSpec;
    left: number;
}

/** Holds the injected faults in injection order; the first match wins. */
export class FaultStore {
    private faults: ActiveFault[] = [];

    add(spec: FaultSpec): void {
        const kinds = [spec.status !== undefined, spec.reset !== undefined, spec.delayMs !== undefined].filter(Boolean).length;
        if (kinds !== 1) throw new Error("injectFault: give exactly one of status, reset and delayMs");
        if (spec.status !== undefined && !FAULT_ERRORS[spec.status]) throw new Error(`injectFault: unsupported status ${spec.status}`);
        if (spec.reset !== undefined && spec.reset !== "before" && spec.reset !== "after") throw new Error(`injectFault: reset is "before" or "after"`);
        if (spec.delayMs !== undefined && !(spec.delayMs >= 0)) throw new Error("injectFault: delayMs must be >= 0");
        const times = spec.times ?? 1;
        if (!(times > 0)) throw new Error(`injectFault: times must be > 0 (got ${times})`);
        this.faults.push({ spec, left: times });
    }

    clear(): void {
        this.faults = [];
    }

    /** Consumes one use of the first connection fault (reset, delay) matching the request. */
    takeConnection(method: string, path: string): ConnectionFault | undefined {
        const spec = this.consume(method, path, (s) => s.status === undefined);
        if (!spec) return undefined;
        if (spec.reset) return { kind: "reset", processed: spec.reset === "after", delayMs: 0 };
        return { kind: "slow", processed: spec.processed ?? true, delayMs: spec.delayMs ?? 0 };
    }

    private consume(method: string, path: string, kind: (s: FaultSpec) => boolean): FaultSpec | undefined {
        const i = this.faults.findIndex((f) => kind(f.spec) && matches(f.spec, method, path));
        if (i < 0) return undefined;
        const f = this.faults[i];
        f.left -= 1;
        if (f.left <= 0) this.faults.splice(i, 1);
        return f.spec;
    }

    /** Consumes one use of the first Graph-error fault matching the request and returns its error, if any. */
    take(method: string, path: string): GraphError | undefined {
        const spec = this.consume(method, path, (s) => s.status !== undefined);
        if (!spec || spec.status === undefined) return undefined;
        const { code, message } = FAULT_ERRORS[spec.status];
        const headers: Record<string, string> = {};
        if (spec.retryAfter !== undefined) headers["Retry-After"] = spec.retryAfter;
        return new GraphError(spec.status, code, message, headers);
    }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
    if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) return false;
    if (spec.path === undefined) return true;
    if (typeof spec.path === "string") return path.includes(spec.path);
    spec.path.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
    return spec.path.test(path);
}
