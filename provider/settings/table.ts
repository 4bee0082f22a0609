/**
 * Every setting the provider reads, in one table: its stack config key, the environment variable
 * read when the key is not set, its default, what is allowed (and so the error a bad value gets),
 * and the line the README's configuration table shows (`npm run docs:settings` writes it).
 */
import { CLOUDS, DEFAULT_CLOUD, findCloud, type CloudName } from "../auth/clouds";
import { checkEndpoint } from "../auth/endpoints";

/** One setting: where its value comes from, what it may be, and what it does. */
export interface Setting<T> {
    /** The stack config key: `autopilot:` and the setting's name in the table. */
    key: `autopilot:${string}`;
    /** The environment variable read when the key is not set in stack config. */
    env: string;
    /** The value when neither is set. */
    default: T;
    /** The default as the README shows it. */
    defaultText: string;
    /** What the README says the setting does (and what is allowed, where that is not obvious). */
    description: string;
    /** A secret: set it with `pulumi config set --secret`; errors never repeat its value. */
    secret?: boolean;
    /** The value of a set (trimmed, non-empty) text; throws an Error naming `label` and what is allowed. */
    parse(text: string, label: string): T;
}

/** How errors name a setting: its key and its environment variable. */
export function settingLabel(setting: Setting<unknown>): string {
    return `${setting.key} (or ${setting.env})`;
}

function invalid(label: string, allowed: string, text: string): Error {
    return new Error(`${label} must be ${allowed}; got ${JSON.stringify(text)}`);
}

/** A row of the table: a setting without its key, which {@link keyed} derives from the row's name. */
type Row<T> = Omit<Setting<T>, "key">;

type Keyed<R> = { [K in keyof R & string]: R[K] & { key: `autopilot:${K}` } };

/** The rows with their keys: `autopilot:<name>`. */
function keyed<R extends Record<string, Row<unknown>>>(rows: R): Keyed<R> {
    return Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, { key: `autopilot:${name}`, ...row }])) as Keyed<R>;
}

type TextRow = Omit<Row<string | undefined>, "parse" | "default" | "defaultText"> & Partial<Pick<Row<string | undefined>, "parse" | "defaultText">>;

/** Text (any, unless `parse` says otherwise); undefined when not set. */
function text(row: TextRow): Row<string | undefined> {
    return { default: undefined, defaultText: "", parse: (value) => value, ...row };
}

/** A whole number of at least `min`. */
function wholeNumber({ min, ...row }: Omit<Row<number>, "parse" | "defaultText"> & { min: number; defaultText?: string }): Row<number> {
    const parse = (value: string, label: string): number => {
        if (!/^\d+$/.test(value) || Number(value) < min) throw invalid(label, `a whole number of at least ${min}`, value);
        return Number(value);
    };
    return { defaultText: String(row.default), parse, ...row };
}

/** true/1/yes/on or false/0/no/off, any case. */
export function parseFlag(value: string, label: string): boolean {
    const v = value.toLowerCase();
    if (["true", "1", "yes", "on"].includes(v)) return true;
    if (["false", "0", "no", "off"].includes(v)) return false;
    throw invalid(label, "true or false", value);
}

function flag<T extends boolean | undefined>(row: Omit<Row<T>, "parse" | "defaultText"> & { defaultText?: string }): Row<T> {
    return { defaultText: String(row.default), parse: parseFlag as (value: string, label: string) => T, ...row };
}

/** The audience GitHub's ID token is requested for; Entra's federated credentials expect it. */
export const DEFAULT_OIDC_AUDIENCE = "api://AzureADTokenExchange";

/** Base of a step's derived time bound (seconds): generous, as throttling may hold a step in the queue a long time. */
export const STEP_TIMEOUT_BASE_SECONDS = 3600;

/** Where requests go and which credential signs in; auth/config.ts combines them into an AuthConfig. */
export const SIGN_IN_SETTINGS = keyed({
    cloud: {
        env: "AUTOPILOT_CLOUD",
        default: DEFAULT_CLOUD as CloudName,
        defaultText: DEFAULT_CLOUD,
        description: `\`${Object.keys(CLOUDS).join("`, `")}\`: picks the Graph host and the authority`,
        parse(value, label) {
            const cloud = findCloud(value);
            if (!cloud) throw invalid(label, `one of ${Object.keys(CLOUDS).join(", ")}`, value);
            return cloud.name;
        },
    } satisfies Row<CloudName>,
    graphEndpoint: text({
        env: "AUTOPILOT_GRAPH_ENDPOINT",
        defaultText: "the cloud's",
        description: "Graph base URL without `/beta` or `/v1.0`; https, or http on loopback only",
        // The endpoints' rules have their own messages: what exactly is wrong with the URL.
        parse: (value, label) => checkEndpoint(label, value, true),
    }),
    authorityHost: text({
        env: "AZURE_AUTHORITY_HOST",
        defaultText: "the cloud's",
        description: "Entra authority (https)",
        parse: (value, label) => checkEndpoint(label, value, false),
    }),
    tenantId: text({
        env: "AZURE_TENANT_ID",
        description: "the app registration's tenant: a GUID or a domain like contoso.onmicrosoft.com",
        parse(value, label) {
            // A GUID or a domain name; anything else would end up in the authority URL.
            if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(value)) throw invalid(label, "a tenant GUID or a domain like contoso.onmicrosoft.com", value);
            return value;
        },
    }),
    clientId: text({ env: "AZURE_CLIENT_ID", description: "the app registration's application (client) id" }),
    accessToken: text({
        env: "AUTOPILOT_ACCESS_TOKEN",
        secret: true,
        description: "a bearer token obtained elsewhere (never refreshed)",
        parse: (value) => value.replace(/^Bearer\s+/i, ""),
    }),
    clientSecret: text({ env: "AZURE_CLIENT_SECRET", secret: true, description: "client secret" }),
    clientCertificatePath: text({
        env: "AZURE_CLIENT_CERTIFICATE_PATH",
        description: "PEM file with private key and certificate (relative paths: from the program folder)",
    }),
    clientCertificatePassword: text({
        env: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        secret: true,
        description: "its password, if any",
    }),
    sendCertificateChain: flag({
        env: "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
        default: false,
        description: "send the certificate chain (x5c) with the assertion, for subject name/issuer auth",
    }),
    useOidc: flag({
        env: "AUTOPILOT_USE_OIDC",
        default: false,
        description: "workload identity federation (GitHub Actions, Azure DevOps, Kubernetes)",
    }),
    oidcTokenFilePath: text({ env: "AZURE_FEDERATED_TOKEN_FILE", description: "a file holding the OIDC token" }),
    oidcAudience: text({
        env: "AUTOPILOT_OIDC_AUDIENCE",
        defaultText: DEFAULT_OIDC_AUDIENCE,
        description: "audience of the GitHub ID token",
    }),
    azureDevOpsServiceConnectionId: text({
        env: "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
        description: "Azure Pipelines service connection",
    }),
});

/** How hard the provider drives Graph, how long it waits, and the mechanisms that combine requests. */
export const TUNING_SETTINGS = keyed({
    maxConcurrency: wholeNumber({
        env: "AUTOPILOT_MAX_CONCURRENCY",
        default: 8,
        min: 1,
        description: "Graph requests in flight at most",
    }),
    maxRetries: wholeNumber({
        env: "AUTOPILOT_MAX_RETRIES",
        default: 8,
        min: 0,
        description: "retries of one request (throttling, 5xx, dropped connections); also how often a create of unknown outcome is looked for and sent again",
    }),
    timeoutSeconds: wholeNumber({
        env: "AUTOPILOT_TIMEOUT_SECONDS",
        default: 100,
        min: 1,
        description: "seconds one request may take",
    }),
    stepTimeoutSeconds: wholeNumber({
        env: "AUTOPILOT_STEP_TIMEOUT_SECONDS",
        default: 0,
        min: 0,
        defaultText: "0 (derived)",
        description: `seconds one step (create, read, update, delete) may take; 0: ${STEP_TIMEOUT_BASE_SECONDS} plus what the step may wait for (an import's \`importTimeoutSeconds\`)`,
    }),
    consistencyTimeoutSeconds: wholeNumber({
        env: "AUTOPILOT_CONSISTENCY_TIMEOUT_SECONDS",
        default: 60,
        min: 0,
        description: "seconds a read-back waits for Graph to show a write",
    }),
    batch: flag({
        env: "AUTOPILOT_BATCH",
        default: true,
        description: "send GETs that arrive together as `$batch` requests of up to 20",
    }),
    adaptive: flag({
        env: "AUTOPILOT_ADAPTIVE",
        default: true,
        description: "fewer requests in flight while Graph throttles, more (up to `maxConcurrency`) when it stops",
    }),
    bulkImport: flag({
        env: "AUTOPILOT_BULK_IMPORT",
        default: true,
        description: "create hardware-hash imports that arrive together with one `import` action",
    }),
    bulkImportChunk: wholeNumber({
        env: "AUTOPILOT_BULK_IMPORT_CHUNK",
        default: 100,
        min: 1,
        description: "imports per `import` action at most",
    }),
    listReads: flag({
        env: "AUTOPILOT_LIST_READS",
        default: true,
        description: "answer a burst of reads (refresh, import polls) from a listing of the collection instead of a GET each",
    }),
    importPollMs: wholeNumber({
        env: "AUTOPILOT_IMPORT_POLL_MS",
        default: 2000,
        min: 1,
        description: "first wait (ms) between reads of a pending import; each next wait is half as long again, at most 30 s",
    }),
    handleSignals: flag<boolean | undefined>({
        env: "AUTOPILOT_HANDLE_SIGNALS",
        default: undefined,
        defaultText: "in the provider host",
        description: "on SIGINT or SIGTERM, stop the running steps (their errors carry the ids of what they made) and exit",
    }),
    log: flag({
        env: "AUTOPILOT_LOG",
        default: false,
        description: "log to stderr which credential signs in, token renewals, retries, and listings that fell back to GETs (no secrets)",
    }),
});

/** The table: every setting, sign-in first. */
export const SETTINGS: Readonly<Record<string, Setting<unknown>>> = { ...SIGN_IN_SETTINGS, ...TUNING_SETTINGS };

/** Every setting but sign-in, resolved: what the Graph client and the lifecycle read. */
export type Tuning = { readonly [K in keyof typeof TUNING_SETTINGS]: ReturnType<(typeof TUNING_SETTINGS)[K]["parse"]> };

/** Reads one stack config value by its namespaced key (`autopilot:tenantId`). */
export type ConfigGetter = (key: string) => string | undefined;

/** A setting's text: trimmed, and an empty one counts as not set. */
function present(value: string | undefined): string | undefined {
    return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** The setting's text in stack config, if set there. */
export function configText(setting: Setting<unknown>, get: ConfigGetter): string | undefined {
    return present(get(setting.key));
}

/** The setting's text in the environment, if set there. */
export function envText(setting: Setting<unknown>, env: NodeJS.ProcessEnv): string | undefined {
    return present(env[setting.env]);
}

/** A setting's value: stack config wins over the environment; neither set gives the default. */
export function settingValue<T>(setting: Setting<T>, get: ConfigGetter, env: NodeJS.ProcessEnv): T {
    const text = configText(setting, get) ?? envText(setting, env);
    return text === undefined ? setting.default : setting.parse(text, settingLabel(setting));
}

/** Every tuning value read from stack config and the environment. */
export function resolveTuning(get: ConfigGetter, env: NodeJS.ProcessEnv): Tuning {
    return Object.fromEntries(Object.entries(TUNING_SETTINGS).map(([name, setting]) => [name, settingValue(setting as Setting<unknown>, get, env)])) as Tuning;
}

/** The tuning with nothing set: what a lifecycle context without settings (tests) runs with. */
export const DEFAULT_TUNING: Tuning = resolveTuning(() => undefined, {});
