/**
 * An Entra ID (Azure AD) authority for the emulator, served on its HTTPS listener so that
 * @azure/identity's real credentials run against it (they refuse http authorities):
 *
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` and `GET /common/discovery/instance`:
 *   the metadata MSAL reads before it asks for a token.
 * - `POST /{tenant}/oauth2/v2.0/token`, grant `client_credentials`, with
 *   - `client_secret` (checked against the app registration),
 *   - `client_assertion` signed by the app's certificate (x5t / x5t#S256 names the registered
 *     certificate; signature, `aud` = this token endpoint, `iss` = `sub` = client id, `exp`/`nbf`),
 *   - `client_assertion` from an external OIDC issuer (workload identity federation: signature by a
 *     trusted issuer's key, then a federated credential of the app with that issuer, subject and
 *     audience).
 *   It answers like Entra (`{token_type, expires_in, access_token}` or `{error, error_description,
 *   error_codes}`) and issues tokens that expire after a configurable lifetime.
 * - Stand-ins for the CI systems' ID-token endpoints: GitHub Actions'
 *   (`GET /_github/idtoken?audience=...`, ACTIONS_ID_TOKEN_REQUEST_URL) and Azure DevOps'
 *   (`POST /_ado/oidctoken?serviceConnectionId=...`, SYSTEM_OIDCREQUESTURI).
 *
 * The Graph side accepts exactly the tokens issued here (while they are valid, and only for the
 * Graph origin they were requested for) besides the emulator's static test tokens.
 */
import * as crypto from "crypto";
import type * as http from "http";
import { decodeJwt, signJwt, verifyJwtSignature, type JwtPayload } from "./jwt";

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Clock skew Entra tolerates on assertion times. */
const SKEW_SECONDS = 300;

/** A trust between an app and an external identity provider's tokens. */
export interface FederatedCredential {
    issuer: string;
    subject: string;
    /** Default `["api://AzureADTokenExchange"]`. */
    audiences?: string[];
}

/** An app registration (service principal) in the emulated tenant. */
export interface AppRegistration {
    clientId: string;
    clientSecrets?: string[];
    /** PEM certificates whose keys may sign client assertions. */
    certificates?: string[];
    federatedCredentials?: FederatedCredential[];
}

/** An external OIDC issuer Entra trusts (instead of fetching its JWKS, the key is given). */
export interface TrustedIssuer {
    issuer: string;
    publicKey: crypto.KeyObject | string;
}

/** Options of the emulator's authority (`EmulatorOptions.authority`). */
export interface AuthorityOptions {
    /** TLS certificate and key (PEM) of the HTTPS listener, e.g. `createTestPki().server`. */
    tls: { certPem: string; keyPem: string };
    /** Tenant id (GUID) the authority serves; the domain `tenantDomain` names it too. */
    tenantId?: string;
    tenantDomain?: string;
    apps?: AppRegistration[];
    issuers?: TrustedIssuer[];
    /** Lifetime of issued access tokens; default 3600. */
    tokenLifetimeSeconds?: number;
    /** GitHub Actions' ID-token endpoint: the request token it expects and how to mint the ID token. */
    github?: { requestToken: string; mint: (audience: string) => string };
    /** Azure DevOps' OIDC endpoint: the System.AccessToken it expects and how to mint the ID token. */
    azureDevOps?: { systemAccessToken: string; serviceConnectionId: string; mint: () => string };
    /** HTTPS port on 127.0.0.1; default 0 (ephemeral). */
    port?: number;
}

/** One token request as the authority saw it (never a secret or an assertion). */
export interface TokenRequestRecord {
    seq: number;
    time: number;
    tenant: string;
    clientId: string;
    grantType: string;
    /** How the client authenticated. */
    credential: "client_secret" | "certificate" | "federated" | "none";
    scope: string;
    status: number;
    /** `AADSTS...` code of a refusal. */
    error?: string;
    /** For federated assertions: the external token's subject. */
    subject?: string;
}

/** Any request to the authority's routes (metadata, token, ID-token stand-ins). */
export interface AuthorityRequestRecord {
    method: string;
    path: string;
    status: number;
}

interface IssuedToken {
    expiresAtMs: number;
    /** Origin of the Graph resource it was issued for. */
    audience: string;
    clientId: string;
}

/** The authority of a running emulator (`emulator.authority`). */
export interface EmulatorAuthority {
    /** `https://127.0.0.1:<port>`: the authority host, and Graph over HTTPS on the same listener. */
    readonly url: string;
    readonly tenantId: string;
    readonly tokenRequests: TokenRequestRecord[];
    readonly requests: AuthorityRequestRecord[];
    /** Tokens issued so far (the log above may have been cleared). */
    readonly issuedCount: number;
    /** Answers to ID-token requests of the CI stand-ins. */
    readonly idTokenRequests: { system: "github" | "azureDevOps"; status: number }[];
    clear(): void;
    setTokenLifetime(seconds: number): void;
    /** Makes every token issued so far expired: Graph answers them with 401 (an "expired token" fault). */
    expireTokens(): number;
    /**
     * While on, Graph refuses every token this authority issued, new ones too (sign-ins revoked,
     * a Conditional Access block): a 401 that a fresh token does not cure.
     */
    refuseTokens(on: boolean): void;
    /** Every access token issued so far (tests scan logs and messages for them). */
    readonly issuedTokens: string[];
}

function entraError(status: number, error: string, code: number, description: string): { status: number; body: unknown } {
    const traceId = crypto.randomUUID();
    const correlationId = crypto.randomUUID();
    return {
        status,
        body: {
            error,
            error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${new Date().toISOString().replace("T", " ").slice(0, 19)}Z`,
            error_codes: [code],
            timestamp: new Date().toISOString(),
            trace_id: traceId,
            correlation_id: correlationId,
        },
    };
}

class Refusal extends Error {
    constructor(
        readonly status: number,
        readonly error: string,
        readonly code: number,
        description: string,
    ) {
        super(description);
    }
}

/** The authority's state and routes. */
export class Authority implements EmulatorAuthority {
    url = "";
    readonly tenantId: string;
    readonly tenantDomain: string;
    readonly tokenRequests: TokenRequestRecord[] = [];
    readonly requests: AuthorityRequestRecord[] = [];
    readonly idTokenRequests: { system: "github" | "azureDevOps"; status: number }[] = [];
    private readonly apps: Map<string, AppRegistration>;
    private readonly issuers: Map<string, crypto.KeyObject>;
    private readonly issued = new Map<string, IssuedToken>();
    private readonly signingKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    private lifetimeSeconds: number;
    private refusing = false;
    private seq = 1;
    private issuedTotal = 0;

    /** Origins whose `/.default` scope this authority issues tokens for (the emulator's Graph). */
    graphOrigins: string[] = [];

    constructor(private readonly options: AuthorityOptions) {
        this.tenantId = options.tenantId ?? "72f988bf-0000-4000-8000-000000000001";
        this.tenantDomain = (options.tenantDomain ?? "contoso.onmicrosoft.com").toLowerCase();
        this.apps = new Map((options.apps ?? []).map((a) => [a.clientId.toLowerCase(), a]));
        this.issuers = new Map(
            (options.issuers ?? []).map((i) => [i.issuer, typeof i.publicKey === "string" ? crypto.createPublicKey(i.publicKey) : i.publicKey]),
        );
        this.lifetimeSeconds = positive("tokenLifetimeSeconds", options.tokenLifetimeSeconds ?? 3600);
    }

    get issuedCount(): number {
        return this.issuedTotal;
    }

    get issuedTokens(): string[] {
        return [...this.issued.keys()];
    }

    refuseTokens(on: boolean): void {
        this.refusing = on;
    }

    clear(): void {
        this.tokenRequests.length = 0;
        this.requests.length = 0;
        this.idTokenRequests.length = 0;
    }

    setTokenLifetime(seconds: number): void {
        this.lifetimeSeconds = positive("tokenLifetimeSeconds", seconds);
    }

    expireTokens(): number {
        const now = Date.now();
        for (const t of this.issued.values()) t.expiresAtMs = Math.min(t.expiresAtMs, now - 1);
        return this.issued.size;
    }

    /**
     * Graph's check of a bearer token this authority may have issued: undefined when accepted,
     * else Graph's 401 message. `origin` is the Graph origin the request came to.
     */
    validate(token: string, origin: string): string | undefined {
        const t = this.issued.get(token);
        if (!t || this.refusing) return "Access token validation failure.";
        if (Date.now() >= t.expiresAtMs) return "Lifetime validation failed, the token is expired.";
        if (t.audience !== origin) return "Access token validation failure. Invalid audience.";
        return undefined;
    }

    private knowsTenant(tenant: string): boolean {
        const t = tenant.toLowerCase();
        return t === this.tenantId || t === this.tenantDomain || t === "organizations";
    }

    /** Answers an authority route; false when the path is not one (the caller serves Graph). */
    async handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: string): Promise<boolean> {
        const url = new URL(req.url ?? "/", this.url || "https://127.0.0.1");
        const method = (req.method ?? "GET").toUpperCase();
        const path = url.pathname;
        let answer: { status: number; body: unknown } | undefined;

        let m: RegExpExecArray | null;
        if (method === "GET" && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
            answer = this.knowsTenant(m[1])
                ? { status: 200, body: this.openIdConfiguration(m[1]) }
                : entraError(400, "invalid_tenant", 90002, `Tenant '${m[1]}' not found.`);
        } else if (method === "GET" && path === "/common/discovery/instance") {
            answer = { status: 200, body: this.instanceDiscovery(url.searchParams.get("authorization_endpoint") ?? "") };
        } else if (method === "GET" && /^\/([^/]+)\/discovery\/v2\.0\/keys$/.test(path)) {
            answer = { status: 200, body: { keys: [{ use: "sig", kid: "emulator", ...crypto.createPublicKey(this.signingKey).export({ format: "jwk" }) }] } };
        } else if (method === "POST" && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
            answer = this.token(decodeURIComponent(m[1]), new URLSearchParams(rawBody));
        } else if (method === "GET" && path === "/_github/idtoken") {
            answer = this.githubIdToken(req, url);
        } else if (method === "POST" && path === "/_ado/oidctoken") {
            answer = this.azureDevOpsIdToken(req, url);
        } else {
            return false;
        }
        this.requests.push({ method, path, status: answer.status });
        const text = JSON.stringify(answer.body);
        res.writeHead(answer.status, {
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Length": String(Buffer.byteLength(text)),
        });
        res.end(text);
        return true;
    }

    private openIdConfiguration(tenant: string): unknown {
        const base = `${this.url}/${tenant}`;
        return {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            jwks_uri: `${this.url}/${this.tenantId}/discovery/v2.0/keys`,
            response_modes_supported: ["query", "fragment", "form_post"],
            subject_types_supported: ["pairwise"],
            id_token_signing_alg_values_supported: ["RS256"],
            response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
            scopes_supported: ["openid", "profile", "email", "offline_access"],
            issuer: `${this.url}/${this.tenantId}/v2.0`,
            request_uri_parameter_supported: false,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            tenant_region_scope: "EU",
            cloud_instance_name: "emulator.local",
            cloud_graph_host_name: "graph.windows.net",
            msgraph_host: new URL(this.url).host,
        };
    }

    private instanceDiscovery(authorizationEndpoint: string): unknown {
        const host = new URL(this.url).host;
        const tenant = /\/([^/]+)\/oauth2\/v2\.0\/authorize/.exec(authorizationEndpoint)?.[1] ?? "common";
        return {
            tenant_discovery_endpoint: `${this.url}/${tenant}/v2.0/.well-known/openid-configuration`,
            "api-version": "1.1",
            metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        };
    }

    private token(tenant: string, form: URLSearchParams): { status: number; body: unknown } {
        const record: TokenRequestRecord = {
            seq: this.seq++,
            time: Date.now(),
            tenant,
            clientId: form.get("client_id") ?? "",
            grantType: form.get("grant_type") ?? "",
            credential: form.has("client_secret") ? "client_secret" : form.has("client_assertion") ? "certificate" : "none",
            scope: form.get("scope") ?? "",
            status: 0,
        };
        this.tokenRequests.push(record);
        try {
            const result = this.issueToken(tenant, form, record);
            record.status = 200;
            return { status: 200, body: result };
        } catch (e) {
            if (!(e instanceof Refusal)) throw e;
            record.status = e.status;
            record.error = `AADSTS${e.code}`;
            return entraError(e.status, e.error, e.code, e.message);
        }
    }

    private issueToken(tenant: string, form: URLSearchParams, record: TokenRequestRecord): unknown {
        if (!this.knowsTenant(tenant))
            throw new Refusal(
                400,
                "invalid_request",
                90002,
                `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
            );
        if (record.grantType !== "client_credentials")
            throw new Refusal(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${record.grantType}'.`);

        // The client: by client_id, or by the assertion's subject when client_id is missing.
        const assertion = form.get("client_assertion");
        if (assertion !== null && form.get("client_assertion_type") !== ASSERTION_TYPE) {
            throw new Refusal(400, "invalid_request", 50027, "Invalid client_assertion_type.");
        }
        const jwt = assertion === null ? undefined : decodeJwt(assertion);
        if (assertion !== null && !jwt) throw new Refusal(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
        const clientId = record.clientId || String(jwt?.payload.sub ?? "");
        record.clientId = clientId;
        const app = this.apps.get(clientId.toLowerCase());
        if (!app)
            throw new Refusal(
                400,
                "unauthorized_client",
                700016,
                `Application with identifier '${clientId}' was not found in the directory '${this.tenantDomain}'.`,
            );

        const scopes = record.scope.split(" ").filter(Boolean);
        if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
            throw new Refusal(
                400,
                "invalid_scope",
                1002012,
                `The provided value for scope ${record.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
            );
        }
        const resource = scopes[0].slice(0, -"/.default".length);
        if (!this.graphOrigins.includes(resource)) {
            throw new Refusal(
                400,
                "invalid_resource",
                500011,
                `The resource principal named ${resource} was not found in the tenant named ${this.tenantDomain}.`,
            );
        }

        const secret = form.get("client_secret");
        if (secret !== null) {
            if (!(app.clientSecrets ?? []).some((s) => safeEqual(s, secret)))
                throw new Refusal(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                );
        } else if (jwt) {
            if (jwt.payload.iss === clientId) {
                record.credential = "certificate";
                this.checkCertificateAssertion(app, tenant, jwt);
            } else {
                record.credential = "federated";
                record.subject = typeof jwt.payload.sub === "string" ? jwt.payload.sub : undefined;
                this.checkFederatedAssertion(app, jwt);
            }
        } else {
            throw new Refusal(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
        }

        const token = this.mintAccessToken(clientId, resource);
        return { token_type: "Bearer", expires_in: this.lifetimeSeconds, ext_expires_in: this.lifetimeSeconds, access_token: token };
    }

    private checkCertificateAssertion(app: AppRegistration, tenant: string, jwt: NonNullable<ReturnType<typeof decodeJwt>>): void {
        const thumbS256 = jwt.header["x5t#S256"];
        const thumb = jwt.header["x5t"];
        const cert = (app.certificates ?? [])
            .map((pem) => new crypto.X509Certificate(pem))
            .find(
                (c) =>
                    (typeof thumbS256 === "string" && crypto.createHash("sha256").update(c.raw).digest("base64url") === thumbS256.replace(/=+$/, "")) ||
                    (typeof thumb === "string" && crypto.createHash("sha1").update(c.raw).digest("base64url") === thumb.replace(/=+$/, "")),
            );
        if (!cert)
            throw new Refusal(
                401,
                "invalid_client",
                700027,
                `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.]`,
            );
        if (!verifyJwtSignature(jwt, cert.publicKey)) throw new Refusal(401, "invalid_client", 700027, "Client assertion failed signature validation.");
        const audiences = [`${this.url}/${tenant}/oauth2/v2.0/token`, `${this.url}/${this.tenantId}/oauth2/v2.0/token`];
        if (!audiences.includes(String(jwt.payload.aud)))
            throw new Refusal(
                401,
                "invalid_client",
                700212,
                `No matching federated identity record found for presented assertion audience '${String(jwt.payload.aud)}'.`,
            );
        if (jwt.payload.sub !== jwt.payload.iss)
            throw new Refusal(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
        checkTimes(jwt.payload);
    }

    private checkFederatedAssertion(app: AppRegistration, jwt: NonNullable<ReturnType<typeof decodeJwt>>): void {
        const iss = String(jwt.payload.iss ?? "");
        const key = this.issuers.get(iss);
        if (!key) throw new Refusal(400, "invalid_request", 700211, `No matching federated identity record found for presented assertion issuer '${iss}'.`);
        if (!verifyJwtSignature(jwt, key)) throw new Refusal(401, "invalid_client", 700027, "Client assertion failed signature validation.");
        checkTimes(jwt.payload);
        const sub = String(jwt.payload.sub ?? "");
        const aud = ([] as unknown[]).concat(jwt.payload.aud ?? []).map(String);
        const forIssuer = (app.federatedCredentials ?? []).filter((f) => f.issuer === iss);
        if (forIssuer.length === 0)
            throw new Refusal(400, "invalid_request", 700211, `No matching federated identity record found for presented assertion issuer '${iss}'.`);
        const forSubject = forIssuer.filter((f) => f.subject === sub);
        if (forSubject.length === 0)
            throw new Refusal(400, "invalid_request", 700213, `No matching federated identity record found for presented assertion subject '${sub}'.`);
        if (!forSubject.some((f) => (f.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]).some((a) => aud.includes(a)))) {
            throw new Refusal(
                400,
                "invalid_request",
                700212,
                `No matching federated identity record found for presented assertion audience '${aud.join(", ")}'.`,
            );
        }
    }

    private mintAccessToken(clientId: string, resource: string): string {
        const now = Math.floor(Date.now() / 1000);
        const token = signJwt(
            { kid: "emulator" },
            {
                aud: resource,
                iss: `https://sts.windows.net/${this.tenantId}/`,
                iat: now,
                nbf: now,
                exp: now + this.lifetimeSeconds,
                appid: clientId,
                tid: this.tenantId,
                roles: ["DeviceManagementServiceConfig.ReadWrite.All"],
                uti: crypto.randomUUID(),
            },
            this.signingKey,
        );
        this.issued.set(token, { expiresAtMs: Date.now() + this.lifetimeSeconds * 1000, audience: resource, clientId });
        this.issuedTotal++;
        return token;
    }

    private githubIdToken(req: http.IncomingMessage, url: URL): { status: number; body: unknown } {
        const gh = this.options.github;
        const ok = gh && safeEqual(`bearer ${gh.requestToken}`, String(req.headers.authorization ?? "").replace(/^bearer/i, "bearer"));
        const answer = !gh
            ? { status: 404, body: { message: "Not Found" } }
            : !ok
              ? { status: 401, body: { message: "Bad credentials" } }
              : { status: 200, body: { count: 1, value: gh.mint(url.searchParams.get("audience") ?? "https://github.com") } };
        this.idTokenRequests.push({ system: "github", status: answer.status });
        return answer;
    }

    private azureDevOpsIdToken(req: http.IncomingMessage, url: URL): { status: number; body: unknown } {
        const ado = this.options.azureDevOps;
        const authorized = ado && safeEqual(`Bearer ${ado.systemAccessToken}`, String(req.headers.authorization ?? ""));
        const answer = !ado
            ? { status: 404, body: { message: "Not Found" } }
            : !authorized
              ? { status: 401, body: { message: "TF400813: The user is not authorized to access this resource." } }
              : url.searchParams.get("serviceConnectionId") !== ado.serviceConnectionId
                ? { status: 404, body: { message: `Service connection ${url.searchParams.get("serviceConnectionId")} not found.` } }
                : { status: 200, body: { oidcToken: ado.mint() } };
        this.idTokenRequests.push({ system: "azureDevOps", status: answer.status });
        return answer;
    }
}

function checkTimes(payload: JwtPayload): void {
    const now = Math.floor(Date.now() / 1000);
    const exp = Number(payload.exp);
    const nbf = payload.nbf === undefined ? undefined : Number(payload.nbf);
    if (!Number.isFinite(exp) || exp + SKEW_SECONDS < now || (nbf !== undefined && nbf - SKEW_SECONDS > now)) {
        throw new Refusal(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
    }
}

function safeEqual(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function positive(name: string, v: number): number {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`emulator: authority.${name} must be a number > 0 (got ${v})`);
    return v;
}
