import {
    configText,
    DEFAULT_OIDC_AUDIENCE,
    envText,
    parseFlag,
    settingLabel,
    settingValue,
    SIGN_IN_SETTINGS,
    type ConfigGetter,
    type Setting,
} from "../settings/table";
import { CLOUDS, isKnownAuthorityHost, type CloudName } from "./clouds";
import { isLoopbackHost } from "./endpoints";

/**
 * Which credential signs in. Chosen by {@link resolveAuthConfig}; the order is the precedence:
 * `accessToken` > `clientSecret` > `clientCertificate` > `oidc` > `default`.
 */
export type CredentialKind = "accessToken" | "clientSecret" | "clientCertificate" | "oidc" | "default";

/** Where a workload identity federation (OIDC) token comes from. */
export type OidcSource =
    /** A file holding the token (AZURE_FEDERATED_TOKEN_FILE): WorkloadIdentityCredential. */
    | { kind: "tokenFile"; path: string }
    /** GitHub Actions' ID-token endpoint: ClientAssertionCredential with a callback that asks it. */
    | { kind: "githubActions"; requestUrl: string; requestToken: string; audience: string }
    /** Azure Pipelines' OIDC endpoint: AzurePipelinesCredential. */
    | { kind: "azurePipelines"; serviceConnectionId: string; systemAccessToken: string };

/** Where to send requests and which credential to use; resolved from config and environment. */
export interface AuthConfig {
    cloud: CloudName;
    /** Graph base URL without the version and without a trailing slash. */
    graphBaseUrl: string;
    /** Entra ID authority host, without a trailing slash. */
    authorityHost: string;
    /**
     * True when the authority is not one of the four clouds' (a private or test authority): MSAL
     * must not ask login.microsoftonline.com to validate it (`disableInstanceDiscovery`).
     */
    customAuthority: boolean;
    tenantId?: string;
    clientId?: string;
    /** The credential that signs in, and whether stack config or the environment chose it. */
    credential: CredentialKind;
    credentialSource: "stack config" | "environment" | "none";
    clientSecret?: string;
    clientCertificatePath?: string;
    clientCertificatePassword?: string;
    /** Send the certificate chain (x5c) with the assertion, for subject-name/issuer auth. */
    sendCertificateChain?: boolean;
    oidc?: OidcSource;
    /** A bearer token obtained elsewhere. */
    accessToken?: string;
}

type Key = keyof typeof SIGN_IN_SETTINGS;

/** The credential keys in order of precedence (first one set wins). */
const CREDENTIAL_KEYS: ReadonlyArray<[Exclude<CredentialKind, "default">, Key]> = [
    ["accessToken", "accessToken"],
    ["clientSecret", "clientSecret"],
    ["clientCertificate", "clientCertificatePath"],
    ["oidc", "useOidc"],
];

/**
 * Builds the {@link AuthConfig} from stack config (`get`) with environment fallbacks.
 *
 * - Each key: the stack config value when set, else its environment variable ({@link SIGN_IN_SETTINGS}).
 *   An empty value counts as not set.
 * - The credential: the first of accessToken, clientSecret, clientCertificatePath, useOidc set in
 *   **stack config**; when stack config sets none, the first set in the **environment**; else
 *   DefaultAzureCredential. So a credential written into the stack is never overridden by a
 *   variable that happens to be in the runner's environment.
 *
 * Throws an Error naming the key and what is allowed when a value is unusable; messages never
 * contain secret values.
 */
export function resolveAuthConfig(get: ConfigGetter, env: NodeJS.ProcessEnv = process.env): AuthConfig {
    const settings = settingReader(get, env);
    const config = resolveEndpointsAndApp(settings);
    const chosen = chooseCredentialKey(settings);
    if (!chosen) return config;
    const [kind, key] = chosen;
    config.credential = kind;
    config.credentialSource = settings.fromConfig(key) !== undefined ? "stack config" : "environment";
    if (kind !== "accessToken") requireTenantAndClient(config, key, settings.label);
    readCredentialSettings(config, kind, settings);
    return config;
}

/** Reads a sign-in setting's text from stack config or from the environment, its value (config wins), its label. */
function settingReader(get: ConfigGetter, env: NodeJS.ProcessEnv) {
    return {
        env,
        fromConfig: (which: Key): string | undefined => configText(SIGN_IN_SETTINGS[which], get),
        fromEnv: (which: Key): string | undefined => envText(SIGN_IN_SETTINGS[which], env),
        read: <K extends Key>(which: K) =>
            settingValue(SIGN_IN_SETTINGS[which] as Setting<unknown>, get, env) as ReturnType<(typeof SIGN_IN_SETTINGS)[K]["parse"]>,
        label: (which: Key): string => settingLabel(SIGN_IN_SETTINGS[which]),
    };
}

type SettingReader = ReturnType<typeof settingReader>;

/** Where requests go (the cloud's hosts unless set) and the app registration; the credential still "default". */
function resolveEndpointsAndApp({ read }: SettingReader): AuthConfig {
    const cloud = CLOUDS[read("cloud")];
    const graphBaseUrl = read("graphEndpoint") ?? cloud.graphBaseUrl;
    const authorityHost = read("authorityHost") ?? cloud.authorityHost;
    const config: AuthConfig = {
        cloud: cloud.name,
        graphBaseUrl,
        authorityHost,
        customAuthority: !isKnownAuthorityHost(authorityHost),
        credential: "default",
        credentialSource: "none",
    };
    const tenantId = read("tenantId");
    if (tenantId !== undefined) config.tenantId = tenantId;
    const clientId = read("clientId");
    if (clientId !== undefined) config.clientId = clientId;
    return config;
}

/** The credential key that chooses the credential: stack config first, then the environment (see {@link resolveAuthConfig}). */
function chooseCredentialKey({ fromConfig, fromEnv, label }: SettingReader): (typeof CREDENTIAL_KEYS)[number] | undefined {
    const isOn = (which: Key, value: string | undefined): boolean =>
        which === "useOidc" ? value !== undefined && parseFlag(value, label(which)) : value !== undefined;
    return (
        CREDENTIAL_KEYS.find(([, key]) => isOn(key, fromConfig(key))) ??
        CREDENTIAL_KEYS.find(([, key]) => fromConfig(key) === undefined && isOn(key, fromEnv(key)))
    );
}

/** Every credential but a given token signs in as the app registration: its error names the key as it was set. */
function requireTenantAndClient(config: AuthConfig, key: Key, label: (which: Key) => string): void {
    const missing = (["tenantId", "clientId"] as const).filter((k) => config[k] === undefined);
    if (missing.length > 0) {
        const what = config.credentialSource === "stack config" ? SIGN_IN_SETTINGS[key].key : SIGN_IN_SETTINGS[key].env;
        throw new Error(`${what} is set, so ${missing.map(label).join(" and ")} must be set too (the app registration's tenant and application (client) id)`);
    }
}

/** The chosen credential's own settings, into the config. */
function readCredentialSettings(config: AuthConfig, kind: Exclude<CredentialKind, "default">, { read, label, env }: SettingReader): void {
    if (kind === "accessToken") {
        config.accessToken = read("accessToken");
    } else if (kind === "clientSecret") {
        config.clientSecret = read("clientSecret");
    } else if (kind === "clientCertificate") {
        config.clientCertificatePath = read("clientCertificatePath");
        const password = read("clientCertificatePassword");
        if (password !== undefined) config.clientCertificatePassword = password;
        if (read("sendCertificateChain")) config.sendCertificateChain = true;
    } else {
        config.oidc = resolveOidcSource({ read, label, env });
    }
}

/**
 * The OIDC token source for `useOidc`: a token file, else GitHub Actions' ID-token endpoint,
 * else Azure Pipelines' OIDC endpoint.
 */
function resolveOidcSource({ read, label, env }: Pick<SettingReader, "read" | "label" | "env">): OidcSource {
    const file = read("oidcTokenFilePath");
    if (file !== undefined) return { kind: "tokenFile", path: file };

    const ghUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim();
    const ghToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim();
    if (ghUrl && ghToken) {
        const url = URL.parse(ghUrl);
        if (!url) throw new Error("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL");
        if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
            throw new Error("ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL: it is sent the workflow's request token");
        }
        return { kind: "githubActions", requestUrl: ghUrl, requestToken: ghToken, audience: read("oidcAudience") ?? DEFAULT_OIDC_AUDIENCE };
    }

    const adoUri = env.SYSTEM_OIDCREQUESTURI?.trim();
    const serviceConnectionId = read("azureDevOpsServiceConnectionId");
    const systemAccessToken = env.SYSTEM_ACCESSTOKEN?.trim();
    if (adoUri && serviceConnectionId && systemAccessToken) {
        return { kind: "azurePipelines", serviceConnectionId, systemAccessToken };
    }

    const adoMissing = [
        !adoUri && "SYSTEM_OIDCREQUESTURI",
        !serviceConnectionId && label("azureDevOpsServiceConnectionId"),
        !systemAccessToken && "SYSTEM_ACCESSTOKEN (map $(System.AccessToken) into the step's env)",
    ].filter(Boolean);
    const hints = [
        `set ${label("oidcTokenFilePath")} to a file holding the token`,
        `in GitHub Actions, give the job \`permissions: id-token: write\`${ghUrl && !ghToken ? " (ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing)" : ""}`,
        `in Azure Pipelines, set ${adoMissing.join(", ")}`,
    ];
    throw new Error(`${label("useOidc")} is true but no OIDC token was found: ${hints.join("; or ")}`);
}
