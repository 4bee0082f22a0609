import { CLOUDS, DEFAULT_CLOUD, findCloud, type CloudName } from "./clouds";

/** Where to send requests and which credential to use; resolved once per configure. */
export interface AuthConfig {
  cloud: CloudName;
  /** Graph base URL without the version and without a trailing slash. */
  graphBaseUrl: string;
  /** Entra ID authority host, without a trailing slash. */
  authorityHost: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  clientCertificatePath?: string;
  /** A bearer token obtained elsewhere; wins over every other credential. */
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
  clientSecret: ["autopilot:clientSecret", "AZURE_CLIENT_SECRET"],
  clientCertificatePath: ["autopilot:clientCertificatePath", "AZURE_CLIENT_CERTIFICATE_PATH"],
  accessToken: ["autopilot:accessToken", "AUTOPILOT_ACCESS_TOKEN"],
} as const satisfies Record<string, readonly [string, string]>;

/**
 * Builds the {@link AuthConfig} from stack config (`get`) with environment fallbacks.
 * An empty value counts as not set. Throws an Error naming the key and what is allowed
 * when a value is unusable; messages never contain secret values.
 */
export function resolveAuthConfig(get: ConfigGet, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const read = (which: keyof typeof CONFIG_KEYS): string | undefined => {
    const [key, envName] = CONFIG_KEYS[which];
    const present = (v: string | undefined): string | undefined => (v === undefined || v.trim() === "" ? undefined : v.trim());
    return present(get(key)) ?? present(env[envName]);
  };
  const label = (which: keyof typeof CONFIG_KEYS): string => `${CONFIG_KEYS[which][0]} (or ${CONFIG_KEYS[which][1]})`;

  const cloudName = read("cloud") ?? DEFAULT_CLOUD;
  const cloud = findCloud(cloudName);
  if (!cloud) {
    throw new Error(`${label("cloud")} must be one of ${Object.keys(CLOUDS).join(", ")}; got ${JSON.stringify(cloudName)}`);
  }

  const endpoint = read("graphEndpoint");
  const graphBaseUrl = endpoint === undefined ? cloud.graphBaseUrl : checkEndpoint(label("graphEndpoint"), endpoint, true);
  const authority = read("authorityHost");
  const authorityHost = authority === undefined ? cloud.authorityHost : checkEndpoint(label("authorityHost"), authority, false);

  const config: AuthConfig = { cloud: cloud.name, graphBaseUrl, authorityHost };
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
  const clientSecret = read("clientSecret");
  if (clientSecret !== undefined) config.clientSecret = clientSecret;
  const clientCertificatePath = read("clientCertificatePath");
  if (clientCertificatePath !== undefined) config.clientCertificatePath = clientCertificatePath;
  const accessToken = read("accessToken");
  if (accessToken !== undefined) config.accessToken = accessToken.replace(/^Bearer\s+/i, "");

  if (!config.accessToken && (config.clientSecret || config.clientCertificatePath)) {
    const missing = (["tenantId", "clientId"] as const).filter((k) => config[k] === undefined);
    if (missing.length > 0) {
      const what = config.clientSecret ? "autopilot:clientSecret" : "autopilot:clientCertificatePath";
      throw new Error(`${what} is set, so ${missing.map(label).join(" and ")} must be set too`);
    }
  }
  return config;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** True for localhost, 127.0.0.0/8 and ::1 (hostname as WHATWG URL spells it). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * An https URL, or http on loopback, without credentials, query or fragment; for Graph also
 * without a version segment. Returns it without the trailing slash.
 */
function checkEndpoint(label: string, value: string, isGraph: boolean): string {
  const allowed =
    `must be an https URL, or http on loopback only (localhost, 127.0.0.0/8, ::1)` +
    (isGraph ? `, without the version segment, like https://graph.microsoft.com` : `, like https://login.microsoftonline.com`);
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
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new Error(`${label} ${allowed}; got ${shown}: http is only allowed on loopback, where no token can leave the machine`);
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
  return url.origin + path;
}
