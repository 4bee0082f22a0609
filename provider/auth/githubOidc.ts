import type * as Undici from "undici";

/**
 * Asks GitHub Actions' ID-token endpoint for an OIDC token (a JWT signed by
 * https://token.actions.githubusercontent.com) for `audience`. This is GitHub's endpoint, not an
 * Entra one: the token it returns is the client assertion that ClientAssertionCredential hands to
 * Entra's token endpoint (workload identity federation).
 *
 * GitHub puts ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN into the job's
 * environment when the workflow grants `permissions: id-token: write`. ID tokens are short-lived,
 * so this is called for each Entra token request.
 */
export async function fetchGitHubIdToken(requestUrl: string, requestToken: string, audience: string, timeoutMs = 30_000): Promise<string> {
    const url = new URL(requestUrl);
    url.searchParams.set("audience", audience);
    let status: number;
    let text: string;
    try {
        // Required here, not at the top: most runs never ask GitHub for a token (see graph/client.ts).
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use on purpose
        const { request } = require("undici") as typeof Undici;
        const res = await request(url, {
            method: "GET",
            headers: {
                authorization: `bearer ${requestToken}`,
                accept: "application/json; api-version=2.0",
                "user-agent": "pulumi-autopilot",
            },
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
            // undici's request follows no redirect: the request token goes to this URL only.
        });
        status = res.statusCode;
        text = await res.body.text();
    } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new Error(`GitHub Actions' ID-token endpoint (${url.origin}) could not be reached: ${typeof code === "string" ? code : (err as Error).message}`, {
            cause: err,
        });
    }
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        // Not JSON: the error below gives the status only.
    }
    const { value, message } = (body ?? {}) as { value?: unknown; message?: unknown };
    if (status !== 200 || typeof value !== "string" || value === "") {
        // GitHub's message is short ("Bad credentials"); the body never holds the request token.
        const said = typeof message === "string" ? `: ${message.slice(0, 200)}` : "";
        throw new Error(
            `GitHub Actions' ID-token endpoint (${url.origin}) answered ${status}${said}; ` +
                "the job needs `permissions: id-token: write`, and the token is only valid while the job runs",
        );
    }
    return value;
}
