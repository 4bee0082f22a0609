/**
 * Time bounds and cancellation of one provider step (create, read, update, delete).
 *
 * Three bounds, each named in the error that hits it:
 * - one request: `autopilot:timeoutSeconds` (the Graph client's per-attempt limit);
 * - retries of one request: `autopilot:maxRetries`;
 * - the whole step: `autopilot:stepTimeoutSeconds`, by default derived (a base plus what the step
 *   may legitimately wait for, e.g. an import's `importTimeoutSeconds`).
 * Read-backs after a write are bounded by `autopilot:consistencyTimeoutSeconds` (consistency.ts).
 *
 * Cancellation: Pulumi's dynamic-provider host answers the engine's Cancel itself and tells the
 * provider nothing. What reaches the provider is the host process being stopped: the engine sends
 * SIGINT (CTRL_BREAK, SIGBREAK in Node, on Windows) to the plugin's process group when it shuts
 * it down, and CI runners send SIGTERM. runtime.ts turns those into the process's cancel signal,
 * which every running step listens to: waits and retries stop at once, and the step fails with an
 * error that carries the id of any object it already made.
 */
import { AsyncLocalStorage } from "async_hooks";
import { brandClass, type BrandCheck } from "../errors/branded";
import { GraphClient, GraphError } from "../graph";
import { DEFAULT_TUNING, STEP_TIMEOUT_BASE_SECONDS, type Tuning } from "../settings/table";
import type { LifecycleContext } from "./spec";

/** The bounds a step runs under. */
export interface StepLimits {
    /** Whole-step bound, ms. */
    stepTimeoutMs: number;
    /** True when `autopilot:stepTimeoutSeconds` was set (it then wins over the derived bound). */
    stepTimeoutConfigured: boolean;
    /** How long to read back until Graph shows a write, ms. */
    consistencyTimeoutMs: number;
    /** `autopilot:timeoutSeconds`, for messages. */
    requestTimeoutSeconds: number;
    /** `autopilot:maxRetries`: also how often a create whose outcome is unknown is looked for and sent again. */
    maxRetries: number;
}

/** A step's bounds from the settings (table.ts has each default and what it means). */
export function stepLimits(tuning: Tuning): StepLimits {
    return {
        stepTimeoutMs: (tuning.stepTimeoutSeconds || STEP_TIMEOUT_BASE_SECONDS) * 1000,
        stepTimeoutConfigured: tuning.stepTimeoutSeconds > 0,
        consistencyTimeoutMs: tuning.consistencyTimeoutSeconds * 1000,
        requestTimeoutSeconds: tuning.timeoutSeconds,
        maxRetries: tuning.maxRetries,
    };
}

export const DEFAULT_LIMITS: StepLimits = stepLimits(DEFAULT_TUNING);

/** Why a step stopped before it finished: its time bound, or the host being stopped. */
export class StepStoppedError extends Error {
    /** True for a StepStoppedError from any copy of this package; `instanceof` answers the same. */
    static readonly isStepStoppedError: BrandCheck<StepStoppedError> = brandClass(StepStoppedError, "StepStoppedError");

    constructor(
        readonly code: "AUTOPILOT_STEP_TIMEOUT" | "AUTOPILOT_CANCELLED",
        message: string,
    ) {
        super(message);
        this.name = "StepStoppedError";
    }
}

/** The reason the process's cancel signal carries. */
export function cancelledBy(signal: string): StepStoppedError {
    return new StepStoppedError(
        "AUTOPILOT_CANCELLED",
        `cancelled: the provider host received ${signal} (the engine is cancelling or shutting down); waits and retries were stopped`,
    );
}

/** Steps running now (the host waits for them to answer before it exits on a signal). */
let running = 0;
export function runningSteps(): number {
    return running;
}

/** Sleep that ends early (rejecting with the signal's reason) when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = (): void => {
            clearTimeout(timer);
            reject(signal!.reason);
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, Math.max(0, ms));
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/** The signal of the step the current code runs for. */
const stepSignal = new AsyncLocalStorage<AbortSignal>();
const stepClients = new WeakMap<GraphClient, GraphClient>();

/**
 * The client whose requests carry the signal of the step that sends them (unless they carry
 * their own). One per client, so code that keys per-client state on it (the bulk importer)
 * still sees one client.
 */
export function graphForSteps(graph: GraphClient): GraphClient {
    let bound = stepClients.get(graph);
    if (!bound) {
        bound = Object.create(graph) as GraphClient;
        Object.defineProperty(bound, "send", {
            value: (request: Parameters<GraphClient["send"]>[0]) => {
                const signal = request.signal ?? stepSignal.getStore();
                return graph.send(signal ? { ...request, signal } : request);
            },
        });
        stepClients.set(graph, bound);
    }
    return bound;
}

/**
 * The process's client behind a step's view of it ({@link graphForSteps}), or the client itself.
 * Work shared by many steps (a listing others wait for) goes through it, so one step's bound or
 * cancellation does not stop it for the others.
 */
export function processClientOf(graph: GraphClient): GraphClient {
    const proto: unknown = Object.getPrototypeOf(graph);
    return proto instanceof GraphClient ? proto : graph;
}

/** The running steps that follow each cancel signal: one listener per signal, not one per step. */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * Makes `step` abort when `cancel` does, until the returned function is called (at the step's
 * end). Not `AbortSignal.any`: in Node 20 each composite signal leaves a WeakRef in the
 * dependants of its sources that nothing removes, and the process's cancel signal lives as long
 * as the host, so every step (and every request made under it) would leave one behind.
 */
function followCancel(cancel: AbortSignal, step: AbortController): () => void {
    if (cancel.aborted) {
        step.abort(cancel.reason);
        return () => undefined;
    }
    const steps = followers.get(cancel) ?? startFollowing(cancel);
    steps.add(step);
    return () => void steps.delete(step);
}

function startFollowing(cancel: AbortSignal): Set<AbortController> {
    const steps = new Set<AbortController>();
    followers.set(cancel, steps);
    cancel.addEventListener(
        "abort",
        () => {
            for (const step of steps) step.abort(cancel.reason);
            steps.clear();
        },
        { once: true },
    );
    return steps;
}

/** One step's context and how it ended. */
export interface StepScope {
    ctx: LifecycleContext;
    /** Runs `body` as this step: the Graph requests it sends listen to the step's signal. */
    run<T>(body: () => Promise<T>): Promise<T>;
    /** Set when the step was stopped (time bound or cancel). */
    stopped(): StepStoppedError | undefined;
    end(): void;
}

/**
 * Starts a step: a context whose Graph requests and sleeps stop when the process is cancelled
 * or the step's time bound (`limits.stepTimeoutMs`, plus `extraSeconds` unless configured) passes.
 */
export function beginStep(base: LifecycleContext, what: string, extraSeconds = 0): StepScope {
    const limits = base.limits ?? DEFAULT_LIMITS;
    const boundMs = limits.stepTimeoutConfigured ? limits.stepTimeoutMs : limits.stepTimeoutMs + extraSeconds * 1000;
    const bound = new AbortController();
    const boundName = limits.stepTimeoutConfigured
        ? `autopilot:stepTimeoutSeconds=${limits.stepTimeoutMs / 1000}`
        : `the default step bound of ${boundMs / 1000} s (set autopilot:stepTimeoutSeconds to change it)`;
    const timer = setTimeout(
        () => bound.abort(new StepStoppedError("AUTOPILOT_STEP_TIMEOUT", `${what} stopped after ${boundMs / 1000} s: the whole-step time bound, ${boundName}, was reached`)),
        boundMs,
    );
    timer.unref?.();
    const unfollow = base.signal ? followCancel(base.signal, bound) : () => undefined;
    const signal = bound.signal;
    running++;
    let ended = false;
    return {
        run: (body) => stepSignal.run(signal, body),
        ctx: {
            ...base,
            graph: graphForSteps(base.graph),
            sleep: (ms) => abortableSleep(ms, signal),
            signal,
            limits,
        },
        stopped: () => (signal.aborted && StepStoppedError.isStepStoppedError(signal.reason) ? signal.reason : undefined),
        end: () => {
            if (ended) return;
            ended = true;
            running--;
            clearTimeout(timer);
            unfollow();
        },
    };
}

function causes(e: unknown): unknown[] {
    const out: unknown[] = [];
    for (let c = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) out.push(c);
    return out;
}

/**
 * The message a failed step reports: the error's own, plus the bound that was hit, by name.
 * A step stopped by its bound or by cancellation says so first.
 */
export function explainFailure(e: unknown, scope: StepScope | undefined, limits: StepLimits = DEFAULT_LIMITS): string {
    const message = e instanceof Error ? e.message : String(e);
    const stopped = scope?.stopped();
    if (stopped) {
        return message.includes(stopped.message) ? message : `${stopped.message}. Last: ${message}`;
    }
    const chain = causes(e);
    const bounds: string[] = [];
    if (GraphError.isGraphError(e) && e.code === "GRAPH_RETRIES_EXHAUSTED") {
        bounds.push(`autopilot:maxRetries=${limits.maxRetries}, the retries of one request`);
    }
    if (chain.some((c) => GraphError.isGraphError(c) && c.code === "GRAPH_TIMEOUT")) {
        bounds.push(`autopilot:timeoutSeconds=${limits.requestTimeoutSeconds}, the limit for one request`);
    }
    if (bounds.length > 0) {
        return `${message} [bound hit: ${bounds.join("; ")}]`;
    }
    return message;
}
