/**
 * The owner of the process's Graph state. A {@link GraphSession} holds, for one configuration, the
 * Graph client (its token source and connection pool), the step limits, the steps running on it
 * and every mechanism that combines requests (graph/combiner.ts). A {@link ProviderProcess} holds
 * what the process has once: the config the host gave, the session of that config, the lifecycle
 * handler of each resource type and the cancel signal. The host's `__provider` entry (runtime.ts)
 * and the lookups get their session from the process's one `ProviderProcess`; tests make sessions.
 */
import { authFingerprint, createTokenSource, describeAuth } from "./auth";
import { GraphClient, realDelay } from "./graph";
import { cancelledBy, stepLimits, StepTracker } from "./lifecycle/bounds";
import { CollectionReads } from "./lifecycle/collectionReads";
import { makeHandler, type ResourceHandler } from "./lifecycle/handler";
import type { LifecycleContext } from "./lifecycle/spec";
import { recentReads } from "./resources/deviceIdentity/recentReads";
import { BulkImporter } from "./resources/importedIdentity/bulkImport";
import { ImportPoller } from "./resources/importedIdentity/importPoller";
import { ImportRecordIndex, type Collection } from "./resources/importedIdentity/recordIndex";
import { specs } from "./resources/registry";
import { DEFAULT_TUNING, type ConfigGetter, type Settings, type Tuning } from "./settings";

/**
 * Differs whenever the settings do (the credential only as a hash, secrets never in plain text):
 * a changed credential, endpoint, cloud or tuning gets another session, client and token cache.
 */
function sessionKey(settings: Settings): string {
    const { auth, ...tuning } = settings;
    return `${authFingerprint(auth)}|${JSON.stringify(tuning)}`;
}

function writeLog(line: string): void {
    process.stderr.write(`[pulumi-autopilot] ${line}\n`);
}

/** `graph`: the process's client (the session closes it); `signal`: the process's cancel signal. */
export interface SessionOptions {
    graph: GraphClient;
    log?: (line: string) => void;
    signal?: AbortSignal;
    /** The tuning the session's mechanisms and steps follow; default {@link DEFAULT_TUNING}. */
    settings?: Tuning;
}

/** The process's Graph state for one configuration; see the module comment. */
export class GraphSession {
    readonly graph: GraphClient;
    readonly steps: StepTracker;
    /** Concurrent import creates, as bulk import calls. */
    readonly bulkImports: BulkImporter;
    /** Polls of waiting imports, as shared listings of their states. */
    readonly importPolls: ImportPoller;
    /** Bursts of item reads (refresh), answered from listings. */
    readonly collectionReads: CollectionReads;
    /** Devices an import step read, handed to the device step. */
    readonly deviceReads = recentReads();
    private readonly indexes = new Map<string, ImportRecordIndex>();
    private readonly base: LifecycleContext;

    constructor(options: SessionOptions) {
        const { graph, signal } = options;
        const log = options.log ?? (() => undefined);
        this.graph = graph;
        this.steps = new StepTracker(graph);
        // Gathered imports go with the signal of the step that started the gathering (a cancel stops
        // them); shared listings go through the process's client, so one step's end stops none.
        this.bulkImports = new BulkImporter(this.steps.graph, { chunkSize: options.settings?.bulkImportChunk });
        this.importPolls = new ImportPoller(graph);
        this.collectionReads = new CollectionReads(graph, { log });
        const settings = options.settings ?? DEFAULT_TUNING;
        this.base = {
            session: this,
            graph,
            log,
            sleep: (ms) => realDelay(ms, signal),
            now: () => Date.now(),
            signal,
            limits: stepLimits(settings),
            settings,
        };
    }

    /** A session with a client made from resolved settings (its token source and pool). */
    static fromSettings(settings: Settings, signal?: AbortSignal): GraphSession {
        // A configuration's log lines go to stderr when `autopilot:log` is on, else nowhere.
        const log = settings.log ? writeLog : () => undefined;
        log(describeAuth(settings.auth));
        const graph = new GraphClient({
            baseUrl: settings.auth.graphBaseUrl,
            tokenSource: createTokenSource(settings.auth, { logger: log }),
            maxConcurrency: settings.maxConcurrency,
            maxRetries: settings.maxRetries,
            timeoutSeconds: settings.timeoutSeconds,
            batch: settings.batch,
            adaptive: settings.adaptive,
            logger: log,
        });
        return new GraphSession({ graph, log, signal, settings });
    }

    /** The context each step starts from (lifecycle/bounds.ts `beginStep` makes the step's own). */
    context(): LifecycleContext {
        return this.base;
    }

    /** The index of one collection's import records (one per collection path). */
    recordIndex(collection: Collection): ImportRecordIndex {
        let index = this.indexes.get(collection.path);
        if (!index) this.indexes.set(collection.path, (index = new ImportRecordIndex(this.steps.graph, collection)));
        return index;
    }

    close(): Promise<void> {
        return this.graph.close();
    }
}

/** What Pulumi's dynamic-provider host calls on a provider object. */
export type ProviderObject = Record<"configure" | "check" | "diff" | "create" | "read" | "update" | "delete", (...args: unknown[]) => Promise<unknown>>;

/** True when this process is Pulumi's dynamic-provider host (not a program using the lookups). */
function inProviderHost(): boolean {
    return /[\\/]cmd[\\/]dynamic-provider(?:[\\/]index(?:\.js)?)?$/.test(process.argv[1] ?? "");
}

/** What one provider process holds; see the module comment. */
export class ProviderProcess {
    private getConfig: ConfigGetter = () => undefined;
    private current?: { key: string; source: ConfigGetter; settings: Settings; session: GraphSession };
    private readonly handlers = new Map<string, ResourceHandler>();
    private readonly providerObjects = new Map<string, ProviderObject>();
    /**
     * The process's cancel signal. Pulumi's dynamic-provider host answers the engine's Cancel itself
     * and passes nothing on; what reaches this process is its end: the engine sends SIGINT to the
     * plugin's process group when it shuts it down (CTRL_BREAK on Windows, SIGBREAK in Node), a CI
     * runner SIGTERM. Inside the host, those abort every running step at once (waits, retries and
     * polls end; a step that made an object fails with its id, so the engine keeps it), and the
     * process exits once the steps have answered (at most about a second later).
     */
    private readonly cancel = new AbortController();
    private signalsInstalled = false;

    constructor(private readonly settingsFor: (getConfig: ConfigGetter) => Settings) {}

    /** The config source of the host (`configure`) or of a test. */
    configure(getConfig: ConfigGetter): void {
        this.getConfig = getConfig;
    }

    /**
     * The session of a config source: one per endpoint, credential and tuning, reused while they
     * stay the same (one connection pool, one token cache); another config closes the last one.
     */
    sessionFor(getConfig: ConfigGetter = this.getConfig): GraphSession {
        const settings = this.settingsFor(getConfig);
        const key = sessionKey(settings);
        if (!this.current || this.current.key !== key) {
            void this.current?.session.close();
            this.current = { key, source: getConfig, settings, session: GraphSession.fromSettings(settings, this.cancel.signal) };
        }
        this.current.source = getConfig;
        return this.current.session;
    }

    /**
     * The context of the configured session. The config is resolved again only when its source
     * changed: per step, it cost about 60 µs of CPU and a few KB of garbage each time (the auth
     * config resolved and hashed, every tuning key read from config and environment again) for
     * the same answer.
     */
    context(): LifecycleContext {
        const session = this.current?.source === this.getConfig ? this.current.session : this.sessionFor(this.getConfig);
        this.installSignalHandlers(this.current!.settings.handleSignals);
        return session.context();
    }

    /** The lifecycle of one resource type, by the name `__provider` captured. */
    handler(typeName: string): ResourceHandler {
        let h = this.handlers.get(typeName);
        if (!h) {
            const spec = specs[typeName];
            if (!spec) throw new Error(`pulumi-autopilot has no resource type ${typeName}; is the installed package older than the program's?`);
            this.handlers.set(typeName, (h = makeHandler(spec, () => this.context())));
        }
        return h;
    }

    /** The provider object of a type (made by `make` once). */
    providerObject(typeName: string, make: () => ProviderObject): ProviderObject {
        let p = this.providerObjects.get(typeName);
        if (!p) this.providerObjects.set(typeName, (p = make()));
        return p;
    }

    /** `handleSignals`: the setting (on, off, or unset: on inside the provider host); the first configuration's decides. */
    private installSignalHandlers(handleSignals: boolean | undefined): void {
        const running = (): number => this.current?.session.steps.running ?? 0;
        if (this.signalsInstalled || !(handleSignals ?? inProviderHost())) return;
        this.signalsInstalled = true;
        const signals: NodeJS.Signals[] = process.platform === "win32" ? ["SIGINT", "SIGTERM", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
        for (const sig of signals) {
            process.on(sig, () => {
                if (this.cancel.signal.aborted) process.exit(130); // a second signal: leave now
                // The engine shows what the host writes to stderr under the stack, and it ends every
                // run this way: only an interruption that stops work is worth a line.
                if (running() > 0) process.stderr.write(`[pulumi-autopilot] ${sig}: stopping ${running()} running step(s)\n`);
                this.cancel.abort(cancelledBy(sig));
                // Let the stopped steps answer the engine (their errors carry ids), then leave.
                const hardStop = Date.now() + 1000;
                const leave = (): void => {
                    if (running() > 0 && Date.now() < hardStop) setTimeout(leave, 20);
                    else setTimeout(() => process.exit(0), running() === 0 ? 100 : 0);
                };
                setTimeout(leave, 20);
            });
        }
    }
}
