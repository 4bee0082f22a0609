import { CLOUDS, DEFAULT_CLOUD, findCloud, isKnownAuthorityHost, type CloudName } from "./clouds";

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

/** Reads one stack config value by its namespaced key, e.g. `autopilot:tenantId`. */
export type ConfigGet = (key: string) => string | undefined;

/** Each config key and the environment variable read when the key is not set. */
export const CONFIG_KEYS = {
  cloud: ["autopilot:cloud", "AUTOPILOT_CLOUD"],
  graphEndpoint: ["autopilot:graphEndpoint", "AUTOPILOT_GRAPH_ENDPOINT"],
  authorityHost: ["autopilot:authorityHost", "AZURE_AUTHORITY_HOST"],
  tenantId: ["autopilot:tenantId", "AZURE_TENANT_ID"],
  clientId: ["autopilot:clientId", "AZURE_CLIENT_ID"],
  accessToken: ["autopilot:accessToken", "AUTOPILOT_ACCESS_TOKEN"],
  clientSecret: ["autopilot:clientSecret", "AZURE_CLIENT_SECRET"],
  clientCertificatePath: ["autopilot:clientCertificatePath", "AZURE_CLIENT_CERTIFICATE_PATH"],
  clientCertificatePassword: ["autopilot:clientCertificatePassword", "AZURE_CLIENT_CERTIFICATE_PASSWORD"],
  sendCertificateChain: ["autopilot:sendCertificateChain", "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"],
  useOidc: ["autopilot:useOidc", "AUTOPILOT_USE_OIDC"],
  oidcTokenFilePath: ["autopilot:oidcTokenFilePath", "AZURE_FEDERATED_TOKEN_FILE"],
  oidcAudience: ["autopilot:oidcAudience", "AUTOPILOT_OIDC_AUDIENCE"],
  azureDevOpsServiceConnectionId: ["autopilot:azureDevOpsServiceConnectionId", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"],
} as const satisfies Record<string, readonly [string, string]>;

type Key = keyof typeof CONFIG_KEYS;

/** Config keys whose values are secrets (set them with `pulumi config set --secret`). */
export const SECRET_CONFIG_KEYS: readonly string[] = [CONFIG_KEYS.accessToken[0], CONFIG_KEYS.clientSecret[0], CONFIG_KEYS.clientCertificatePassword[0]];

/** The audience GitHub's ID token is requested for; Entra's federated credentials expect it. */
export const DEFAULT_OIDC_AUDIENCE = "api://AzureADTokenExchange";

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
 * - Each key: the stack config value when set, else its environment variable ({@link CONFIG_KEYS}).
 *   An empty value counts as not set.
 * - The credential: the first of accessToken, clientSecret, clientCertificatePath, useOidc set in
 *   **stack config**; when stack config sets none, the first set in the **environment**; else
 *   DefaultAzureCredential. So a credential written into the stack is never overridden by a
 *   variable that happens to be in the runner's environment.
 *
 * Throws an Error naming the key and what is allowed when a value is unusable; messages never
 * contain secret values.
 */
export function resolveAuthConfig(get: ConfigGet, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const present = (v: string | undefined): string | undefined => (v === undefined || v.trim() === "" ? undefined : v.trim());
  const fromConfig = (which: Key): string | undefined => present(get(CONFIG_KEYS[which][0]));
  const fromEnv = (which: Key): string | undefined => present(env[CONFIG_KEYS[which][1]]);
  const read = (which: Key): string | undefined => fromConfig(which) ?? fromEnv(which);
  const label = (which: Key): string => `${CONFIG_KEYS[which][0]} (or ${CONFIG_KEYS[which][1]})`;
  const flag = (which: Key, value: string | undefined): boolean => {
    if (value === undefined) return false;
    const v = value.toLowerCase();
    if (["true", "1", "yes", "on"].includes(v)) return true;
    if (["false", "0", "no", "off"].includes(v)) return false;
    throw new Error(`${label(which)} must be true or false; got ${JSON.stringify(value)}`);
  };

  const cloudName = read("cloud") ?? DEFAULT_CLOUD;
  const cloud = findCloud(cloudName);
  if (!cloud) {
    throw new Error(`${label("cloud")} must be one of ${Object.keys(CLOUDS).join(", ")}; got ${JSON.stringify(cloudName)}`);
  }

  const endpoint = read("graphEndpoint");
  const graphBaseUrl = endpoint === undefined ? cloud.graphBaseUrl : checkEndpoint(label("graphEndpoint"), endpoint, true);
  const authority = read("authorityHost");
  const authorityHost = authority === undefined ? cloud.authorityHost : checkEndpoint(label("authorityHost"), authority, false);

  const config: AuthConfig = {
    cloud: cloud.name,
    graphBaseUrl,
    authorityHost,
    customAuthority: !isKnownAuthorityHost(authorityHost),
    credential: "default",
    credentialSource: "none",
  };
  const tenantId = read("tenantId");
  if (tenantId !== undefined) {
    // A GUID or a domain name; anything else would end up in the authority URL.
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenantId)) {
      throw new Error(`${label("tenantId")} must be a tenant GUID or a domain like contoso.onmicrosoft.com; got ${JSON.stringify(tenantId)}`);
    }
    config.tenantId = tenantId;
  }
  const clientId = read("clientId");
  if (clientId !== undefined) config.clientId = clientId;

  // The credential: stack config first, then the environment (see the doc comment).
  const isOn = (which: Key, value: string | undefined): boolean => (which === "useOidc" ? flag(which, value) : value !== undefined);
  const chosen =
    CREDENTIAL_KEYS.find(([, key]) => isOn(key, fromConfig(key))) ??
    CREDENTIAL_KEYS.find(([, key]) => fromConfig(key) === undefined && isOn(key, fromEnv(key)));
  if (!chosen) return config;
  const [kind, key] = chosen;
  config.credential = kind;
  config.credentialSource = fromConfig(key) !== undefined ? "stack config" : "environment";

  if (kind === "accessToken") {
    config.accessToken = read("accessToken")!.replace(/^Bearer\s+/i, "");
    return config;
  }
  const missing = (["tenantId", "clientId"] as const).filter((k) => config[k] === undefined);
  if (missing.length > 0) {
    const what = config.credentialSource === "stack config" ? CONFIG_KEYS[key][0] : CONFIG_KEYS[key][1];
    throw new Error(`${what} is set, so ${missing.map(label).join(" and ")} must be set too (the app registration's tenant and application (client) id)`);
  }
  if (kind === "clientSecret") {
    config.clientSecret = read("clientSecret");
  } else if (kind === "clientCertificate") {
    config.clientCertificatePath = read("clientCertificatePath");
    const password = read("clientCertificatePassword");
    if (password !== undefined) config.clientCertificatePassword = password;
    if (flag("sendCertificateChain", read("sendCertificateChain"))) config.sendCertificateChain = true;
  } else {
    config.oidc = resolveOidcSource(read, label, env);
  }
  return config;
}

/**
 * The OIDC token source for `useOidc`: a token file, else GitHub Actions' ID-token endpoint,
 * else Azure Pipelines' OIDC endpoint.
 */
function resolveOidcSource(read: (k: Key) => string | undefined, label: (k: Key) => string, env: NodeJS.ProcessEnv): OidcSource {
  const file = read("oidcTokenFilePath");
  if (file !== undefined) return { kind: "tokenFile", path: file };

  const ghUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim();
  const ghToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim();
  if (ghUrl && ghToken) {
    let url: URL;
    try {
      url = new URL(ghUrl);
    } catch {
      throw new Error("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL");
    }
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

  const hints = [`set ${label("oidcTokenFilePath")} to a file holding the token`];
  hints.push(
    ghUrl && !ghToken
      ? "in GitHub Actions, give the job `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing)"
      : "in GitHub Actions, give the job `permissions: id-token: write`",
  );
  const adoMissing = [
    !adoUri && "SYSTEM_OIDCREQUESTURI",
    !serviceConnectionId && label("azureDevOpsServiceConnectionId"),
    !systemAccessToken && "SYSTEM_ACCESSTOKEN (map $(System.AccessToken) into the step's env)",
  ].filter(Boolean);
  hints.push(`in Azure Pipelines, set ${adoMissing.join(", ")}`);
  throw new Error(`${label("useOidc")} is true but no OIDC token was found: ${hints.join("; or ")}`);
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** True for localhost, 127.0.0.0/8 and ::1 (hostname as WHATWG URL spells it). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * For Graph: an https URL, or http on loopback (where no token leaves the machine), without the
 * version segment. For the authority: https only (@azure/identity talks to authorities over https
 * only). Neither may carry credentials, a query or a fragment. Returns it without the trailing slash.
 */
function checkEndpoint(label: string, value: string, isGraph: boolean): string {
  const allowed = isGraph
    ? `must be an https URL, or http on loopback only (localhost, 127.0.0.0/8, ::1), without the version segment, like https://graph.microsoft.com`
    : `must be an https URL, like https://login.microsoftonline.com`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${label} ${allowed}; got ${JSON.stringify(value)}, which is not a URL`);
  }
  if (url.username || url.password) {
    // Do not repeat the value: it holds credentials.
    throw new Error(`${label} ${allowed}; got a URL with credentials in it`);
  }
  const shown = JSON.stringify(value);
  if (url.protocol === "http:" && isGraph && !isLoopbackHost(url.hostname)) {
    throw new Error(`${label} ${allowed}; got ${shown}: http is only allowed on loopback, where no token can leave the machine`);
  }
  if (url.protocol === "http:" && !isGraph) {
    throw new Error(`${label} ${allowed}; got ${shown}: sign-in works over https only`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`${label} ${allowed}; got ${shown}`);
  }
  if (url.search || url.hash) {
    throw new Error(`${label} ${allowed}; got ${shown}, which has a query or fragment`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  if (isGraph && /\/(?:beta|v1\.0)$/i.test(path)) {
    throw new Error(`${label} ${allowed}; got ${shown}: leave out ${path.slice(path.lastIndexOf("/"))}, each resource adds its version`);
  }
  if (!isGraph && path !== "") {
    throw new Error(`${label} ${allowed}; got ${shown}: give the host only, the tenant is autopilot:tenantId`);
  }
  return url.origin + path;
}
