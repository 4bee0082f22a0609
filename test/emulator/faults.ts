/**
 * Scripted faults: a queue of {@link FaultSpec}s, each answering a number of matching requests
 * with a Graph error (429/5xx) and an optional Retry-After.
 */
import { FAULT_ERRORS, GraphError } from "./errors";
import type { FaultSpec } from "./types";

interface ActiveFault {
  spec: FaultSpec;
  left: number;
}

/** Holds the injected faults in injection order; the first match wins. */
export class FaultStore {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    if (!FAULT_ERRORS[spec.status]) throw new Error(`injectFault: unsupported status ${spec.status}`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error(`injectFault: times must be > 0 (got ${times})`);
    this.faults.push({ spec, left: times });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes one use of the first fault matching the request and returns its error, if any. */
  take(method: string, path: string): GraphError | undefined {
    const i = this.faults.findIndex((f) => matches(f.spec, method, path));
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.left -= 1;
    if (f.left <= 0) this.faults.splice(i, 1);
    const { code, message } = FAULT_ERRORS[f.spec.status];
    const headers: Record<string, string> = {};
    if (f.spec.retryAfter !== undefined) headers["Retry-After"] = f.spec.retryAfter;
    return new GraphError(f.spec.status, code, message, headers);
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) return false;
  if (spec.path === undefined) return true;
  if (typeof spec.path === "string") return path.includes(spec.path);
  spec.path.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
  return spec.path.test(path);
}
