import { strict as assert } from "node:assert";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { CachingTokenSource, createCredential, createTokenSource, resolveAuthConfig, StaticTokenSource, TokenAcquisitionError } from "../../../provider/auth";
import { fakeClock } from "../graph/helpers";

const MIN = 60_000;

/** A credential that counts calls and answers when the test says so. */
class FakeCredential implements TokenCredential {
  calls = 0;
  scopes: string[] = [];
  private pending: Array<{ resolve: (t: AccessToken) => void; reject: (e: unknown) => void }> = [];
  constructor(private readonly lifetimeMs: number, private readonly clock: { now(): number }, private readonly auto = true) {}

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
    assert.match(lines[0], /refresh failed/);
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
    assert.ok(err instanceof TokenAcquisitionError);
    assert.equal(err.code, "AUTH_TOKEN_FAILED");
    assert.equal(err.credential, "FakeCredential");
    assert.match(err.message, /^Could not get a Microsoft Graph token from FakeCredential \(tenant contoso\.onmicrosoft\.com, client app-1\) for scope https:\/\/graph\.microsoft\.com\/\.default: AuthenticationError: AADSTS7000215/);
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
    await assert.rejects(source.getToken(), (e: Error) => /accessToken .* expired at 2024-05-01T11:00:00\.000Z/.test(e.message) && !e.message.includes(payload));
    clock.set(Date.parse("2024-05-01T10:00:00Z"));
    assert.equal(await source.getToken(), jwt);
  });

  it("selects the credential from the config", () => {
    const base = { ...cfg, tenantId: "contoso.onmicrosoft.com", clientId: "app" };
    assert.equal(createCredential({ ...base, clientSecret: "s" }).name, "ClientSecretCredential");
    assert.equal(createCredential({ ...base, clientCertificatePath: "/nonexistent.pem" }).name, "ClientCertificateCredential");
    assert.equal(createCredential(base).name, "DefaultAzureCredential");
    assert.equal(createCredential(cfg).name, "DefaultAzureCredential");
    const source = createTokenSource({ ...base, clientSecret: "s" });
    assert.ok(source instanceof CachingTokenSource);
    assert.equal(source.credentialName, "ClientSecretCredential");
    assert.equal(source.scope, "https://graph.microsoft.com/.default");
  });
});
