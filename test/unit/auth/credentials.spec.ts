import { strict as assert } from "node:assert";
import { MockAgent } from "undici";
import { chooseCredential, createTokenSource, fetchGitHubIdToken, resolveAuthConfig, type CredentialOptions } from "../../../provider/auth";
import { GraphClient } from "../../../provider/graph";
import { recordingDelay, startServer, type ScriptedServer } from "../graph/helpers";

const TENANT = "5b2e4c1a-7f3d-4e8b-9a61-0c2d3e4f5a6b";
const CLIENT = "0e9c6a7b-3d2f-4c1e-8b5a-9f8e7d6c5b4a";
const SECRET = "Qx8Q~Zr7vN2pLk4Wd9tYc3Hs6Fj1Mb5Ge0Ua~Vo";

type HttpClient = NonNullable<CredentialOptions["httpClient"]>;

/** Headers as @azure/core-rest-pipeline's HttpHeaders look to the credentials. */
function headers(
    init: Record<string, string>,
): ReturnType<HttpClient["sendRequest"]> extends Promise<infer R> ? (R extends { headers: infer H } ? H : never) : never {
    const m = new Map(Object.entries(init).map(([k, v]) => [k.toLowerCase(), v]));
    return {
        get: (n: string) => m.get(n.toLowerCase()),
        has: (n: string) => m.has(n.toLowerCase()),
        set: (n: string, v: string | number | boolean) => void m.set(n.toLowerCase(), String(v)),
        delete: (n: string) => void m.delete(n.toLowerCase()),
        toJSON: () => Object.fromEntries(m),
        [Symbol.iterator]: () => m.entries(),
    } as never;
}

interface Seen {
    method: string;
    url: URL;
    form: URLSearchParams;
}

/**
 * The credential's network, answered like Entra: OpenID metadata for any tenant, a token for the
 * token endpoint. Records what @azure/identity (MSAL) sent, so the test sees the real requests
 * without leaving the process.
 */
function fakeEntra(): { httpClient: HttpClient; seen: Seen[] } {
    const seen: Seen[] = [];
    const httpClient: HttpClient = {
        async sendRequest(req) {
            const url = new URL(req.url);
            seen.push({ method: req.method, url, form: new URLSearchParams(typeof req.body === "string" ? req.body : "") });
            let body: unknown = {};
            if (url.pathname.endsWith("/.well-known/openid-configuration")) {
                const base = `${url.origin}/${url.pathname.split("/")[1]}`;
                body = {
                    token_endpoint: `${base}/oauth2/v2.0/token`,
                    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
                    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
                    issuer: `${base}/v2.0`,
                    jwks_uri: `${base}/discovery/v2.0/keys`,
                };
            } else if (url.pathname.endsWith("/oauth2/v2.0/token")) {
                body = { token_type: "Bearer", expires_in: 3599, access_token: `token-from-${url.host}` };
            }
            return { request: req, status: 200, headers: headers({ "content-type": "application/json" }), bodyAsText: JSON.stringify(body) };
        },
    };
    return { httpClient, seen };
}

const secretConfig = (extra: Record<string, string>) =>
    resolveAuthConfig((k) => ({ "autopilot:tenantId": TENANT, "autopilot:clientId": CLIENT, "autopilot:clientSecret": SECRET, ...extra })[k], {});

describe("credentials on the wire (@azure/identity with a recorded network)", () => {
    const clouds = [
        // China's authority is login.chinacloudapi.cn; MSAL sends to its preferred alias.
        { cloud: "global", graph: "graph.microsoft.com", authority: "login.microsoftonline.com" },
        { cloud: "usgov", graph: "graph.microsoft.us", authority: "login.microsoftonline.us" },
        { cloud: "usgovdod", graph: "dod-graph.microsoft.us", authority: "login.microsoftonline.us" },
        { cloud: "china", graph: "microsoftgraph.chinacloudapi.cn", authority: "login.partner.microsoftonline.cn" },
    ];
    for (const c of clouds) {
        it(`${c.cloud}: token from ${c.authority} for https://${c.graph}/.default, sent to https://${c.graph} only`, async () => {
            const { httpClient, seen } = fakeEntra();
            const cfg = secretConfig({ "autopilot:cloud": c.cloud });
            const tokenSource = createTokenSource(cfg, { httpClient });
            const mock = new MockAgent();
            mock.disableNetConnect();
            const graphSeen: Array<{ origin: string; path: string; auth: string | undefined }> = [];
            mock.get(`https://${c.graph}`)
                .intercept({ path: (p) => p.startsWith("/beta/"), method: "GET" })
                .reply((opts) => {
                    graphSeen.push({ origin: String(opts.origin), path: opts.path, auth: (opts.headers as Record<string, string>)["authorization"] });
                    return { statusCode: 200, data: { value: [] }, responseOptions: { headers: { "content-type": "application/json" } } };
                });
            const client = new GraphClient({ baseUrl: cfg.graphBaseUrl, tokenSource, dispatcher: mock, delay: recordingDelay().delay });
            try {
                await client.send({ method: "GET", apiVersion: "beta", path: "/deviceManagement/windowsAutopilotDeviceIdentities" });
            } finally {
                await client.close();
                await mock.close();
            }

            // Known clouds: MSAL has their metadata built in, so the token request is all it sends.
            assert.deepEqual(
                seen.map((s) => `${s.method} ${s.url.origin}${s.url.pathname}`),
                [`POST https://${c.authority}/${TENANT}/oauth2/v2.0/token`],
            );
            const form = seen[0].form;
            assert.equal(form.get("scope"), `https://${c.graph}/.default`);
            assert.equal(form.get("grant_type"), "client_credentials");
            assert.equal(form.get("client_id"), CLIENT);
            assert.deepEqual(graphSeen, [
                { origin: `https://${c.graph}`, path: "/beta/deviceManagement/windowsAutopilotDeviceIdentities", auth: `Bearer token-from-${c.authority}` },
            ]);
        });
    }

    it("a custom authority (an emulator, a private cloud) is used as given, without asking login.microsoftonline.com", async () => {
        const { httpClient, seen } = fakeEntra();
        const cfg = secretConfig({ "autopilot:authorityHost": "https://login.entra.test:8443", "autopilot:graphEndpoint": "https://graph.entra.test" });
        assert.equal(cfg.customAuthority, true);
        assert.equal(await createTokenSource(cfg, { httpClient }).getToken(), "token-from-login.entra.test:8443");
        assert.deepEqual(
            seen.map((s) => `${s.method} ${s.url.origin}${s.url.pathname}`),
            [
                `GET https://login.entra.test:8443/${TENANT}/v2.0/.well-known/openid-configuration`,
                `POST https://login.entra.test:8443/${TENANT}/oauth2/v2.0/token`,
            ],
        );
        assert.equal(seen[1].form.get("scope"), "https://graph.entra.test/.default");
    });

    it("describes each credential without its secrets", () => {
        const ids = { "autopilot:tenantId": TENANT, "autopilot:clientId": CLIENT };
        const describe = (c: Record<string, string>, env: NodeJS.ProcessEnv = {}) => chooseCredential(resolveAuthConfig((k) => c[k], env)).description;
        assert.equal(describe({ ...ids, "autopilot:clientSecret": SECRET }), `ClientSecretCredential (tenant ${TENANT}, client ${CLIENT})`);
        assert.equal(
            describe({ ...ids, "autopilot:clientCertificatePath": "/certs/app.pem", "autopilot:clientCertificatePassword": "pw-123456" }),
            `ClientCertificateCredential (tenant ${TENANT}, client ${CLIENT}, certificate /certs/app.pem)`,
        );
        assert.equal(
            describe(
                { ...ids, "autopilot:useOidc": "true" },
                { ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/idtoken", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "ghs_secret123" },
            ),
            `ClientAssertionCredential (tenant ${TENANT}, client ${CLIENT}, GitHub Actions ID token for api://AzureADTokenExchange)`,
        );
        const choice = chooseCredential(
            resolveAuthConfig((k) => ({ ...ids, "autopilot:useOidc": "true" })[k], {
                ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/idtoken",
                ACTIONS_ID_TOKEN_REQUEST_TOKEN: "ghs_secret123",
            }),
        );
        assert.deepEqual(choice.secrets, ["ghs_secret123"], "the request token is redacted from errors");
        assert.equal(describe({}), "DefaultAzureCredential");
    });
});

describe("GitHub Actions' ID token as the client assertion", () => {
    let gh: ScriptedServer | undefined;
    afterEach(async () => {
        await gh?.close();
        gh = undefined;
    });

    it("asks ACTIONS_ID_TOKEN_REQUEST_URL for the audience with the request token, and hands the ID token to Entra", async () => {
        gh = await startServer(() => ({
            status: 200,
            body: { count: 1, value: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmNvbnRvc28vYTplbnZpcm9ubWVudDpwcm9kIn0.sig" },
        }));
        const { httpClient, seen } = fakeEntra();
        const cfg = resolveAuthConfig((k) => ({ "autopilot:tenantId": TENANT, "autopilot:clientId": CLIENT, "autopilot:useOidc": "true" })[k], {
            ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.origin}/_apis/idtoken?api-version=2.0`,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req-token-123",
        });
        assert.equal(await createTokenSource(cfg, { httpClient }).getToken(), "token-from-login.microsoftonline.com");
        const asked = new URL(gh.requests[0].url, gh.origin);
        assert.equal(asked.pathname, "/_apis/idtoken");
        assert.equal(asked.searchParams.get("api-version"), "2.0");
        assert.equal(asked.searchParams.get("audience"), "api://AzureADTokenExchange");
        assert.equal(gh.requests[0].headers["authorization"], "bearer req-token-123");
        const token = seen.find((s) => s.url.pathname.endsWith("/token"))!.form;
        assert.equal(token.get("client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        assert.match(token.get("client_assertion")!, /^eyJhbGciOiJSUzI1NiJ9\./);
        assert.equal(token.get("client_secret"), null);
    });

    it("says what is missing when GitHub refuses, without the request token", async () => {
        gh = await startServer(() => ({ status: 401, body: { message: "Bad credentials" } }));
        await assert.rejects(fetchGitHubIdToken(`${gh.origin}/idtoken`, "req-token-456", "api://AzureADTokenExchange"), (e: Error) => {
            assert.match(
                e.message,
                /GitHub Actions' ID-token endpoint \(http:\/\/127\.0\.0\.1:\d+\) answered 401: Bad credentials; the job needs `permissions: id-token: write`/,
            );
            assert.ok(!e.message.includes("req-token-456"));
            return true;
        });
    });
});
