/** Where requests may go: the Graph endpoint and the authority a setting names. */
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
export function checkEndpoint(label: string, value: string, isGraph: boolean): string {
    const allowed = isGraph
        ? `must be an https URL, or http on loopback only (localhost, 127.0.0.0/8, ::1), without the version segment, like https://graph.microsoft.com`
        : `must be an https URL, like https://login.microsoftonline.com`;
    const url = URL.parse(value);
    if (!url) throw new Error(`${label} ${allowed}; got ${JSON.stringify(value)}, which is not a URL`);
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
