/** The national clouds `autopilot:cloud` can name (DESIGN section 4). */
export type CloudName = "global" | "usgov" | "usgovdod" | "china";

/** Where Graph and the Entra authority of one cloud live. */
export interface Cloud {
    readonly name: CloudName;
    /** Graph base URL without the version; the token scope is `<this>/.default` (graphScope in tokens.ts). */
    readonly graphBaseUrl: string;
    /** Entra ID authority host for @azure/identity. */
    readonly authorityHost: string;
}

/** The national clouds: each one's Graph host and Entra authority. */
export const CLOUDS: Readonly<Record<CloudName, Cloud>> = {
    global: {
        name: "global",
        graphBaseUrl: "https://graph.microsoft.com",
        authorityHost: "https://login.microsoftonline.com",
    },
    usgov: {
        name: "usgov",
        graphBaseUrl: "https://graph.microsoft.us",
        authorityHost: "https://login.microsoftonline.us",
    },
    // US Gov L5 (DoD) has its own Graph host but shares the US Gov authority.
    usgovdod: {
        name: "usgovdod",
        graphBaseUrl: "https://dod-graph.microsoft.us",
        authorityHost: "https://login.microsoftonline.us",
    },
    china: {
        name: "china",
        graphBaseUrl: "https://microsoftgraph.chinacloudapi.cn",
        authorityHost: "https://login.chinacloudapi.cn",
    },
};

/** The cloud when `autopilot:cloud` is not set. */
export const DEFAULT_CLOUD: CloudName = "global";

/** The cloud of that name (case-insensitive), or undefined. */
export function findCloud(name: string): Cloud | undefined {
    const key = name.trim().toLowerCase();
    return Object.prototype.hasOwnProperty.call(CLOUDS, key) ? CLOUDS[key as CloudName] : undefined;
}

/** True for the authority host of one of the clouds above (MSAL knows their metadata). */
export function isKnownAuthorityHost(authorityHost: string): boolean {
    const origin = URL.parse(authorityHost)?.origin;
    return Object.values(CLOUDS).some((c) => c.authorityHost === origin);
}
