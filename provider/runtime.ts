/**
 * What `__provider` requires inside Pulumi's dynamic-provider host: the stack config from
 * `configure`, one Graph client per process (one connection pool, one token cache), and the
 * lifecycle handler of each resource type. Not part of the program-side API.
 */
import { authFingerprint, createTokenSource, describeAuth } from "./auth";
import { GraphClient } from "./graph";
import { makeHandler, ResourceHandler } from "./lifecycle/handler";
import { abortableSleep, cancelledBy, runningSteps, stepLimits } from "./lifecycle/bounds";
import type { LifecycleContext } from "./lifecycle/spec";
import { specs } from "./resources/registry";
import { resolveSettings, type ConfigGetter, type Settings } from "./settings";

let getConfig: ConfigGetter = () => undefined;
let client: { key: string; graph: GraphClient } | undefined;
const handlers = new Map<string, ResourceHandler>();

/** Called by the host with the stack config (secrets already unwrapped). */
export function configure(config: { get(key: string): string | undefined }): void {
    getConfig = (key) => config.get(key);
}

/** For tests and the lookup functions: config from a plain map. */
export function configureFromMap(values: Record<string, string>): void {
    getConfig = (key) => values[key];
}

function writeLog(line: string): void {
    process.stderr.write(`[pulumi-autopilot] ${line}\n`);
}

/** Where a configuration's log lines go: stderr when `autopilot:log` is on, else nowhere. */
function loggerFor(settings: Settings): (line: string) => void {
    return settings.log ? writeLog : () => undefined;
}

/** The process's Graph client for the current config, made on first use. */
export function graphClient(): GraphClient {
    return graphClientFor(getConfig);
}

/**
 * The process's Graph client for a config source: one per endpoint and credential, reused while
 * the config stays the same (one connection pool, one token cache).
 */
export function graphClientFor(getConfig: ConfigGetter): GraphClient {
    return clientFor(resolveSettings(getConfig));
}

function clientFor(settings: Settings): GraphClient {
    const { auth } = settings;
    // A hash of the whole auth config (secrets included, never in plain text) and the settings the
    // client is made with: a changed credential, endpoint, cloud or tuning gets a new client and token cache.
    const key = [authFingerprint(auth), settings.maxConcurrency, settings.maxRetries, settings.timeoutSeconds, settings.batch, settings.adaptive, settings.log].join("|");
    if (!client || client.key !== key) {
        void client?.graph.close();
        const log = loggerFor(settings);
        log(describeAuth(auth));
        client = {
            key,
            graph: new GraphClient({
                baseUrl: auth.graphBaseUrl,
                tokenSource: createTokenSource(auth, { logger: log }),
                maxConcurrency: settings.maxConcurrency,
                maxRetries: settings.maxRetries,
                timeoutSeconds: settings.timeoutSeconds,
                logger: log,
                batch: settings.batch,
                adaptive: settings.adaptive,
            }),
        };
    }
    return client.graph;
}

/**
 * The process's cancel signal. Pulumi's dynamic-provider host answers the engine's Cancel itself
 * and passes nothing on; what reaches this process is its end: the engine sends SIGINT to the
 * plugin's process group when it shuts it down (CTRL_BREAK on Windows, SIGBREAK in Node), a CI
 * runner SIGTERM. Inside the host, those abort every running step at once (waits, retries and
 * polls end; a step that made an object fails with its id, so the engine keeps it), and the
 * process exits once the steps have answered (at most about a second later).
 */
const cancel = new AbortController();
let signalsInstalled = false;

/** True when this process is Pulumi's dynamic-provider host (not a program using the lookups). */
function inProviderHost(): boolean {
    return /[\\/]cmd[\\/]dynamic-provider(?:[\\/]index(?:\.js)?)?$/.test(process.argv[1] ?? "");
}

function installSignalHandlers(handleSignals: boolean | undefined): void {
    if (signalsInstalled || !(handleSignals ?? inProviderHost())) {
        return;
    }
    signalsInstalled = true;
    const signals: NodeJS.Signals[] = process.platform === "win32" ? ["SIGINT", "SIGTERM", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
    for (const sig of signals) {
        process.on(sig, () => {
            if (cancel.signal.aborted) {
                process.exit(130); // a second signal: leave now
            }
            // The engine shows what the host writes to stderr under the stack, and it ends every
            // run this way: only an interruption that stops work is worth a line.
            if (runningSteps() > 0) process.stderr.write(`[pulumi-autopilot] ${sig}: stopping ${runningSteps()} running step(s)\n`);
            cancel.abort(cancelledBy(sig));
            // Let the stopped steps answer the engine (their errors carry ids), then leave.
            const hardStop = Date.now() + 1000;
            const leave = (): void => {
                if (runningSteps() === 0 || Date.now() >= hardStop) {
                    setTimeout(() => process.exit(0), runningSteps() === 0 ? 100 : 0);
                } else {
                    setTimeout(leave, 20);
                }
            };
            setTimeout(leave, 20);
        });
    }
}

/**
 * The context of the current config, kept until `configure` gives another one (or another
 * config source replaced the process's client). Made per step, it cost about 60 µs of CPU and
 * a few KB of garbage each time (the auth config resolved and hashed, every tuning key read
 * from config and environment again) for the same answer.
 */
let current: { source: ConfigGetter; ctx: LifecycleContext } | undefined;

function context(): LifecycleContext {
    if (!current || current.source !== getConfig || current.ctx.graph !== client?.graph) {
        const settings = resolveSettings(getConfig);
        installSignalHandlers(settings.handleSignals);
        current = {
            source: getConfig,
            ctx: {
                graph: clientFor(settings),
                log: loggerFor(settings),
                sleep: (ms) => abortableSleep(ms, cancel.signal),
                now: () => Date.now(),
                signal: cancel.signal,
                limits: stepLimits(settings),
                settings,
            },
        };
    }
    return current.ctx;
}

/**
 * The provider methods, in the order of their numbers: the `__provider` that states written
 * before the short text (dynamicProvider.ts) hold calls `dispatch(type, <number>, args)`. It must
 * keep working: an unchanged resource keeps that text in its outputs, and delete and refresh run it.
 */
export const PROVIDER_METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

/**
 * What every `__provider` method calls, with the method's number in {@link PROVIDER_METHODS} (or
 * its name): `configure` takes the host's config, every other method goes to the lifecycle
 * handler of the type.
 */
export async function dispatch(typeName: string, method: number | string, args: any[]): Promise<unknown> {
    const name = typeof method === "number" ? PROVIDER_METHODS[method] : method;
    if (name === "configure") {
        configure(args[0].config);
        return;
    }
    const h = handler(typeName) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    if (name === undefined || typeof h[name] !== "function") {
        throw new Error(`pulumi-autopilot: ${typeName} has no provider method ${method}; is the installed package older than the program's?`);
    }
    return h[name](...args);
}

/** What Pulumi's dynamic-provider host calls on a provider object. */
export type ProviderObject = Record<(typeof PROVIDER_METHODS)[number], (...args: any[]) => Promise<unknown>>;

const providerObjects = new Map<string, ProviderObject>();

/**
 * The provider object of a type, which `__provider`'s `handler()` returns inside the host (see
 * lifecycle/dynamicProvider.ts): each method goes to {@link dispatch}. One object per type.
 */
export function provider(typeName: string): ProviderObject {
    let p = providerObjects.get(typeName);
    if (!p) {
        p = Object.fromEntries(PROVIDER_METHODS.map((m) => [m, (...args: any[]) => dispatch(typeName, m, args)])) as ProviderObject;
        providerObjects.set(typeName, p);
    }
    return p;
}

/** The lifecycle of one resource type, by the name `__provider` captured. */
export function handler(typeName: string): ResourceHandler {
    let h = handlers.get(typeName);
    if (!h) {
        const spec = specs[typeName];
        if (!spec) {
            throw new Error(`pulumi-autopilot has no resource type ${typeName}; is the installed package older than the program's?`);
        }
        h = makeHandler(spec, context);
        handlers.set(typeName, h);
    }
    return h;
}
