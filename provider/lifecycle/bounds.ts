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
 * Cancellation: every running step listens to the process's cancel signal (session.ts, `ProviderProcess`, says what
 * sets it off): waits and retries stop at once, and the step fails with an error that carries the id of any object it made.
 */
import { AsyncLocalStorage } from "async_hooks";
import { brandClass, type BrandCheck } from "../errors/branded";
import { GraphError, realDelay, type GraphSender } from "../graph";
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

/** The step limits with every setting at its default. */
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

/**
 * The steps running on one session (session.ts): how many (the host waits for them to answer
 * before it exits on a signal), the cancel signals they follow, and the session's client as steps
 * see it.
 */
export class StepTracker {
    /** Steps running now. */
    running = 0;
    /** The signal of the step the current code runs for (`run` it as the step of a signal). */
    readonly stepSignal = new AsyncLocalStorage<AbortSignal>();
    /** The running steps that follow each cancel signal: one listener per signal, not one per step. */
    private readonly followers = new WeakMap<AbortSignal, Set<AbortController>>();
    /**
     * The session's client as steps see it: its requests carry the signal of the step that sends
     * them (unless they carry their own). One for all steps: what a combiner sends through it
     * carries the signal of the step that started the gathering.
     */
    readonly graph: GraphSender;

    constructor(processGraph: GraphSender) {
        this.graph = {
            send: (request) => {
                const signal = request.signal ?? this.stepSignal.getStore();
                return processGraph.send(signal ? { ...request, signal } : request);
            },
        };
    }

    /**
     * Makes `step` abort when `cancel` does, until the returned function is called (at the step's
     * end). Not `AbortSignal.any`: in Node 20 each composite signal leaves a WeakRef in the
     * dependants of its sources that nothing removes, and the process's cancel signal lives as long
     * as the host, so every step (and every request made under it) would leave one behind.
     */
    follow(cancel: AbortSignal, step: AbortController): () => void {
        if (cancel.aborted) {
            step.abort(cancel.reason);
            return () => undefined;
        }
        let steps = this.followers.get(cancel);
        if (!steps) {
            const following = new Set<AbortController>();
            this.followers.set(cancel, (steps = following));
            cancel.addEventListener(
                "abort",
                () => {
                    for (const s of following) s.abort(cancel.reason);
                    following.clear();
                },
                { once: true },
            );
        }
        steps.add(step);
        return () => void steps.delete(step);
    }
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
    const timer = setTimeout(() => bound.abort(stepTimedOut(what, limits, boundMs)), boundMs);
    timer.unref?.();
    const steps = base.session.steps;
    const unfollow = base.signal ? steps.follow(base.signal, bound) : () => undefined;
    const signal = bound.signal;
    steps.running++;
    let ended = false;
    return {
        run: (body) => steps.stepSignal.run(signal, body),
        ctx: {
            ...base,
            graph: steps.graph,
            sleep: (ms) => realDelay(ms, signal),
            signal,
            limits,
        },
        stopped: () => (signal.aborted && StepStoppedError.isStepStoppedError(signal.reason) ? signal.reason : undefined),
        end: () => {
            if (ended) return;
            ended = true;
            steps.running--;
            clearTimeout(timer);
            unfollow();
        },
    };
}

/** The reason a step's signal carries when its time bound passed: the bound, by name. */
function stepTimedOut(what: string, limits: StepLimits, boundMs: number): StepStoppedError {
    const boundName = limits.stepTimeoutConfigured
        ? `autopilot:stepTimeoutSeconds=${limits.stepTimeoutMs / 1000}`
        : `the default step bound of ${boundMs / 1000} s (set autopilot:stepTimeoutSeconds to change it)`;
    return new StepStoppedError("AUTOPILOT_STEP_TIMEOUT", `${what} stopped after ${boundMs / 1000} s: the whole-step time bound, ${boundName}, was reached`);
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
    if (stopped) return message.includes(stopped.message) ? message : `${stopped.message}. Last: ${message}`;
    const bounds: string[] = [];
    if (GraphError.isGraphError(e) && e.code === "GRAPH_RETRIES_EXHAUSTED") {
        bounds.push(`autopilot:maxRetries=${limits.maxRetries}, the retries of one request`);
    }
    if (causes(e).some((c) => GraphError.isGraphError(c) && c.code === "GRAPH_TIMEOUT")) {
        bounds.push(`autopilot:timeoutSeconds=${limits.requestTimeoutSeconds}, the limit for one request`);
    }
    return bounds.length > 0 ? `${message} [bound hit: ${bounds.join("; ")}]` : message;
}
