/**
 * What `__provider` requires inside Pulumi's dynamic-provider host: the stack config from
 * `configure`, one Graph client per process (one connection pool, one token cache), and the
 * lifecycle handler of each resource type. Not part of the program-side API.
 */
import { createTokenSource, resolveAuthConfig } from "./auth";
import { GraphClient } from "./graph";
import { makeHandler, ResourceHandler } from "./lifecycle/handler";
import type { LifecycleContext } from "./lifecycle/spec";
import { specs } from "./resources/registry";

/** Reads one stack config value by its namespaced key (`autopilot:tenantId`). */
export type ConfigGetter = (key: string) => string | undefined;

let getConfig: ConfigGetter = () => undefined;
let client: { key: string; graph: GraphClient } | undefined;
const handlers = new Map<string, ResourceHandler>();

const TUNING_KEYS = ["autopilot:maxConcurrency", "autopilot:maxRetries", "autopilot:timeoutSeconds"];

function positiveInt(key: string, fallback: number): number {
    const raw = getConfig(key) ?? process.env[`AUTOPILOT_${key.split(":")[1].replace(/[A-Z]/g, (c) => "_" + c).toUpperCase()}`];
    if (raw === undefined || raw === "") {
        return fallback;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
        throw new Error(`${key} must be a whole number of at least 0, got ${JSON.stringify(raw)}`);
    }
    return value;
}

/** Called by the host with the stack config (secrets already unwrapped). */
export function configure(config: { get(key: string): string | undefined }): void {
    getConfig = (key) => config.get(key);
}

/** For tests and the lookup functions: config from a plain map. */
export function configureFromMap(values: Record<string, string>): void {
    getConfig = (key) => values[key];
}

function log(line: string): void {
    if (process.env.AUTOPILOT_LOG) {
        process.stderr.write(`[pulumi-autopilot] ${line}\n`);
    }
}

/** The process's Graph client for the current config, made on first use. */
export function graphClient(): GraphClient {
    const auth = resolveAuthConfig(getConfig);
    const tuning = TUNING_KEYS.map((k) => getConfig(k) ?? "").join("|");
    // The key holds no secret values, only which credential kind and where: it is compared, never logged.
    const key = [auth.graphBaseUrl, auth.authorityHost, auth.tenantId, auth.clientId, auth.accessToken ? "token" : auth.clientSecret ? "secret" : "default", tuning].join("|");
    if (!client || client.key !== key) {
        void client?.graph.close();
        client = {
            key,
            graph: new GraphClient({
                baseUrl: auth.graphBaseUrl,
                tokenSource: createTokenSource(auth),
                maxConcurrency: positiveInt("autopilot:maxConcurrency", 8) || 8,
                maxRetries: positiveInt("autopilot:maxRetries", 8),
                timeoutSeconds: positiveInt("autopilot:timeoutSeconds", 100) || 100,
                logger: log,
            }),
        };
    }
    return client.graph;
}

function context(): LifecycleContext {
    return {
        graph: graphClient(),
        log,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: () => Date.now(),
    };
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
