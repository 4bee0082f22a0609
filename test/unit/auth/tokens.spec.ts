import { strict as assert } from "node:assert";
import type { AccessToken, TokenCredential } from "@azure/identity";
import {
    CachingTokenSource,
    createCredential,
    createTokenSource,
    redactMessage,
    resolveAuthConfig,
    StaticTokenSource,
    TokenAcquisitionError,
} from "../../../provider/auth";
import { GraphClient } from "../../../provider/graph";
import { fakeClock, graphError, recordingDelay, startServer, type ScriptedServer } from "../graph/helpers";

const MIN = 60_000;

/** A credential that counts calls and answers when the test says so. */
class FakeCredential implements TokenCredential {
    calls = 0;
    scopes: string[] = [];
    private pending: Array<{ resolve: (t: AccessToken) => void; reject: (e: unknown) => void }> = [];
    constructor(
        private readonly lifetimeMs: number,
        private readonly clock: { now(): number },
        private readonly auto = true,
    ) {}

    getToken(scopes: string | string[]): Promise<AccessToken | null> {
        this.calls++;
        this.scopes.push(...([] as string[]).concat(scopes));
        const token = { token: `tok-${this.calls}`, expiresOnTimestamp: this.clock.now() + this.lifetimeMs };
        if (this.auto) return Promise.resolve(token);
        return new Promise((resolve, reject) => this.pending.push({ resolve: () => resolve(token), reject }));
    }

    answerAll(): void {
        for (const p of this.pending.splice(0)) p.resolve(undefined as never);
    }

    failAll(err: unknown): void {
        for (const p of this.pending.splice(0)) p.reject(err);
    }
}

const cfg = resolveAuthConfig(() => undefined, {});

describe("token source", () => {
    it("fetches once for many concurrent callers (single-flight) and then serves the cache", async () => {
        const clock = fakeClock();
        const cred = new FakeCredential(60 * MIN, clock, false);
        const source = createTokenSource(cfg, { credential: cred, clock });
        const waiting = Array.from({ length: 20 }, () => source.getToken());
        await new Promise((r) => setImmediate(r));
        assert.equal(cred.calls, 1);
        cred.answerAll();
        assert.deepEqual(new Set(await Promise.all(waiting)), new Set(["tok-1"]));
        assert.equal(await source.getToken(), "tok-1");
        assert.equal(cred.calls, 1);
        assert.deepEqual(cred.scopes, ["https://graph.microsoft.com/.default"]);
    });

    it("refreshes when less than 5 minutes are left", async () => {
        const clock = fakeClock();
        const cred = new FakeCredential(60 * MIN, clock);
        const source = createTokenSource(cfg, { credential: cred, clock });
        assert.equal(await source.getToken(), "tok-1");
        clock.advance(55 * MIN - 1);
        assert.equal(await source.getToken(), "tok-1");
        clock.advance(1);
        assert.equal(await source.getToken(), "tok-2");
        assert.equal(cred.calls, 2);
    });

    it("refreshes at half the lifetime of a short-lived token", async () => {
        const clock = fakeClock();
        const cred = new FakeCredential(6 * MIN, clock);
        const source = createTokenSource(cfg, { credential: cred, clock });
        await source.getToken();
        clock.advance(3 * MIN - 1);
        assert.equal(await source.getToken(), "tok-1");
        clock.advance(1);
        assert.equal(await source.getToken(), "tok-2");
    });

    it("invalidate() makes the next call fetch a new token", async () => {
        const clock = fakeClock();
        const cred = new FakeCredential(60 * MIN, clock);
        const source = createTokenSource(cfg, { credential: cred, clock });
        await source.getToken();
        source.invalidate?.();
        assert.equal(await source.getToken(), "tok-2");
    });

    it("keeps using a still-valid token when a refresh fails, but not an expired one", async () => {
        const clock = fakeClock();
        let fail = false;
        const inner = new FakeCredential(60 * MIN, clock);
        const cred: TokenCredential = { getToken: (s) => (fail ? Promise.reject(new Error("AADSTS50000: outage")) : inner.getToken(s)) };
        const lines: string[] = [];
        const source = createTokenSource(cfg, { credential: cred, clock, logger: (l) => lines.push(l) });
        await source.getToken();
        fail = true;
        clock.advance(56 * MIN);
        assert.equal(await source.getToken(), "tok-1");
        assert.ok(
            lines.some((l) => /refresh failed, using the current token until it expires: .*AADSTS50000/.test(l)),
            lines.join("\n"),
        );
        clock.advance(5 * MIN);
        await assert.rejects(source.getToken(), TokenAcquisitionError);
    });

    it("lets one waiter abort without cancelling the refresh for the others", async () => {
        const clock = fakeClock();
        const cred = new FakeCredential(60 * MIN, clock, false);
        const source = createTokenSource(cfg, { credential: cred, clock });
        const ac = new AbortController();
        const quitter = source.getToken(ac.signal);
        const stayer = source.getToken();
        ac.abort(new Error("bye"));
        await assert.rejects(quitter, /bye/);
        cred.answerAll();
        assert.equal(await stayer, "tok-1");
        assert.equal(cred.calls, 1);
    });

    it("wraps credential failures: names the credential, never the secret", async () => {
        const secretCfg = resolveAuthConfig(
            (k) => ({ "autopilot:tenantId": "contoso.onmicrosoft.com", "autopilot:clientId": "app-1", "autopilot:clientSecret": "Zx9~verysecretvalue" })[k],
            {},
        );
        const clock = fakeClock();
        const cred = new FakeCredential(60 * MIN, clock, false);
        const source = createTokenSource(secretCfg, { credential: cred, clock });
        const pending = source.getToken();
        await new Promise((r) => setImmediate(r));
        const aadError = Object.assign(new Error("AADSTS7000215: Invalid client secret provided: Zx9~verysecretvalue"), { name: "AuthenticationError" });
        cred.failAll(aadError);
        const err = await pending.then(
            () => assert.fail("resolved"),
            (e: unknown) => e as TokenAcquisitionError,
        );
        assert.ok(TokenAcquisitionError.isTokenAcquisitionError(err));
        assert.equal(err.code, "AUTH_TOKEN_FAILED");
        assert.equal(err.credential, "FakeCredential");
        assert.match(
            err.message,
            /^Could not get a Microsoft Graph token from FakeCredential \(tenant contoso\.onmicrosoft\.com, client app-1\) for scope https:\/\/graph\.microsoft\.com\/\.default: AuthenticationError: AADSTS7000215/,
        );
        assert.ok(!err.message.includes("verysecretvalue"), err.message);
        assert.equal((err as Error & { cause?: unknown }).cause, undefined);
        // The failure is not cached: the next call tries again.
        const again = source.getToken();
        await new Promise((r) => setImmediate(r));
        assert.equal(cred.calls, 2);
        cred.answerAll();
        await again;
    });

    it("serves a configured access token as is and never refreshes it", async () => {
        const source = createTokenSource({ ...cfg, accessToken: "opaque-token" });
        assert.ok(source instanceof StaticTokenSource);
        assert.equal((source as { invalidate?: unknown }).invalidate, undefined);
        assert.equal(await source.getToken(), "opaque-token");
    });

    it("says when a configured JWT access token has expired, without showing it", async () => {
        const clock = fakeClock(Date.parse("2024-05-01T12:00:00Z"));
        const payload = Buffer.from(JSON.stringify({ exp: Date.parse("2024-05-01T11:00:00Z") / 1000 })).toString("base64url");
        const jwt = `eyJhbGciOiJub25lIn0.${payload}.c2ln`;
        const source = new StaticTokenSource(jwt, clock);
        await assert.rejects(
            source.getToken(),
            (e: Error) => /accessToken .* expired at 2024-05-01T11:00:00\.000Z/.test(e.message) && !e.message.includes(payload),
        );
        clock.set(Date.parse("2024-05-01T10:00:00Z"));
        assert.equal(await source.getToken(), jwt);
    });

    it("selects the credential from the config", () => {
        const ids = { "autopilot:tenantId": "contoso.onmicrosoft.com", "autopilot:clientId": "app" };
        const pick = (c: Record<string, string>, env: NodeJS.ProcessEnv = {}) => createCredential(resolveAuthConfig((k) => c[k], env)).name;
        assert.equal(pick({ ...ids, "autopilot:clientSecret": "s" }), "ClientSecretCredential");
        assert.equal(pick({ ...ids, "autopilot:clientCertificatePath": "/nonexistent.pem" }), "ClientCertificateCredential");
        assert.equal(pick({ ...ids, "autopilot:useOidc": "true" }, { AZURE_FEDERATED_TOKEN_FILE: "/var/run/token" }), "WorkloadIdentityCredential");
        assert.equal(
            pick({ ...ids, "autopilot:useOidc": "true" }, { ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/idtoken", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" }),
            "ClientAssertionCredential",
        );
        const ado = { SYSTEM_OIDCREQUESTURI: "https://dev.azure.com/x/oidctoken", SYSTEM_ACCESSTOKEN: "t", AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "sc" };
        const saved = process.env.SYSTEM_OIDCREQUESTURI;
        process.env.SYSTEM_OIDCREQUESTURI = ado.SYSTEM_OIDCREQUESTURI; // AzurePipelinesCredential reads it itself
        try {
            assert.equal(pick({ ...ids, "autopilot:useOidc": "true" }, ado), "AzurePipelinesCredential");
        } finally {
            if (saved === undefined) delete process.env.SYSTEM_OIDCREQUESTURI;
            else process.env.SYSTEM_OIDCREQUESTURI = saved;
        }
        assert.equal(pick(ids), "DefaultAzureCredential");
        assert.equal(pick({}), "DefaultAzureCredential");
        const source = createTokenSource(resolveAuthConfig((k) => ({ ...ids, "autopilot:clientSecret": "s" })[k], {}));
        assert.ok(source instanceof CachingTokenSource);
        assert.equal(source.credentialName, "ClientSecretCredential");
        assert.equal(source.scope, "https://graph.microsoft.com/.default");
    });

    it("invalidate(rejected) drops only the token Graph refused", async () => {
        const clock = fakeClock();
        const cred = new FakeCredential(60 * MIN, clock);
        const source = createTokenSource(cfg, { credential: cred, clock });
        assert.equal(await source.getToken(), "tok-1");
        source.invalidate?.("tok-0"); // an older token: already replaced
        assert.equal(await source.getToken(), "tok-1");
        source.invalidate?.("tok-1");
        assert.equal(await source.getToken(), "tok-2");
        source.invalidate?.("tok-1"); // a late 401 for the old token changes nothing
        assert.equal(await source.getToken(), "tok-2");
        assert.equal(cred.calls, 2);
    });

    it("after a 401 asks a new credential (a credential's own cache would return the refused token)", async () => {
        const clock = fakeClock();
        const made: CachingCredential[] = [];
        const source = new CachingTokenSource(
            () => {
                made.push(new CachingCredential(made.length + 1, clock));
                return made[made.length - 1];
            },
            "https://graph.microsoft.com/.default",
            { clock },
        );
        assert.equal(await source.getToken(), "cred-1/tok-1");
        // Ahead of expiry: the same credential (its cache is stale by then too).
        clock.advance(56 * MIN);
        assert.equal(await source.getToken(), "cred-1/tok-2");
        assert.equal(made.length, 1);
        source.invalidate("cred-1/tok-2");
        assert.equal(await source.getToken(), "cred-2/tok-1");
        assert.equal(made.length, 2);
    });

    it("a refresh under way when Graph refuses its token does not hand the refused token back", async () => {
        const clock = fakeClock();
        const made: CachingCredential[] = [];
        const source = new CachingTokenSource(
            () => {
                made.push(new CachingCredential(made.length + 1, clock, 60 * MIN, true));
                return made[made.length - 1];
            },
            "s",
            { clock },
        );
        assert.equal(await source.getToken(), "cred-1/tok-1");
        clock.advance(56 * MIN);
        const refreshing = source.getToken(); // the old credential answers from its cache
        source.invalidate("cred-1/tok-1");
        assert.equal(await refreshing, "cred-2/tok-1");
        assert.equal(await source.getToken(), "cred-2/tok-1");
    });

    describe("with GraphClient: many requests refused together", () => {
        let server: ScriptedServer | undefined;
        let client: GraphClient | undefined;
        afterEach(async () => {
            await client?.close();
            await server?.close();
            client = server = undefined;
        });

        it("cause one new token, and each is sent once more", async () => {
            // Graph refuses tok-1 (expired early: revoked, clock skew) and accepts anything newer.
            server = await startServer((req) =>
                req.headers["authorization"] === "Bearer tok-1"
                    ? { status: 401, body: graphError("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.") }
                    : { status: 200, body: { id: "x" } },
            );
            const clock = { now: () => Date.now() };
            const cred = new FakeCredential(60 * MIN, clock);
            const source = createTokenSource(cfg, { credential: cred, clock });
            await source.getToken();
            client = new GraphClient({ baseUrl: server.origin, tokenSource: source, delay: recordingDelay().delay, maxConcurrency: 8 });
            const results = await Promise.all(
                Array.from({ length: 6 }, (_, i) =>
                    client!.send({ method: "GET", apiVersion: "beta", path: `/deviceManagement/windowsAutopilotDeviceIdentities/${i}` }),
                ),
            );
            assert.deepEqual(
                results.map((r) => r.status),
                [200, 200, 200, 200, 200, 200],
            );
            assert.equal(cred.calls, 2, "one new token");
            assert.equal(server.requests.filter((r) => r.headers["authorization"] === "Bearer tok-1").length, 6);
            assert.equal(server.requests.filter((r) => r.headers["authorization"] === "Bearer tok-2").length, 6);
        });
    });

    it("redacts secrets, JWTs and bearer tokens from credential errors", () => {
        const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmEvYiJ9.c2lnbmF0dXJl";
        const err = Object.assign(
            new Error(`AADSTS700024: assertion ${jwt} rejected; request had Authorization: Bearer sys-token-1234567890 and secret Zx9~verysecret`),
            { name: "AuthenticationError" },
        );
        const text = redactMessage(err, ["Zx9~verysecret"]);
        assert.equal(text, "AuthenticationError: AADSTS700024: assertion *** rejected; request had Authorization: Bearer *** and secret ***");
    });
});

/** A credential with its own cache, like @azure/identity's: same token until it is stale. */
class CachingCredential implements TokenCredential {
    private calls = 0;
    private current?: AccessToken;
    constructor(
        private readonly n: number,
        private readonly clock: { now(): number },
        private readonly lifetimeMs = 60 * MIN,
        /** Keep answering from the cache even when stale (a refresh that races a 401). */
        private readonly sticky = false,
    ) {}
    async getToken(): Promise<AccessToken> {
        if (this.current && (this.sticky || this.clock.now() < this.current.expiresOnTimestamp - 5 * MIN)) return this.current;
        this.current = { token: `cred-${this.n}/tok-${++this.calls}`, expiresOnTimestamp: this.clock.now() + this.lifetimeMs };
        return this.current;
    }
}
