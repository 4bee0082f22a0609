import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  type AccessToken,
  type TokenCredential,
} from "@azure/identity";
import { redactSecrets } from "../graph/errors";
import type { Clock, TokenSource } from "../graph/types";
import type { AuthConfig } from "./config";
import { LoopbackClientSecretCredential } from "./loopbackCredential";

/** Refresh a token when less than this is left (or half its lifetime, if that is shorter). */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export interface TokenSourceOptions {
  /** Use this credential instead of the one the config selects (tests, custom auth). */
  credential?: TokenCredential;
  clock?: Clock;
  logger?: (line: string) => void;
}

/** A token could not be obtained. The message names the credential and never a secret. */
export class TokenAcquisitionError extends Error {
  readonly code = "AUTH_TOKEN_FAILED";
  /** Which credential failed, e.g. "ClientSecretCredential". */
  readonly credential: string;
  readonly scope: string;

  constructor(credential: string, scope: string, message: string) {
    super(message);
    this.name = "TokenAcquisitionError";
    this.credential = credential;
    this.scope = scope;
  }
}

/** `<graph origin>/.default`: the app's Graph application permissions. */
export function graphScope(graphBaseUrl: string): string {
  return `${new URL(graphBaseUrl).origin}/.default`;
}

/**
 * The credential the config asks for: `ClientSecretCredential` for tenantId + clientId +
 * clientSecret, `ClientCertificateCredential` for a certificate path, else
 * `DefaultAzureCredential` (environment, workload identity, managed identity, Azure CLI),
 * told the tenant and client id when they are set. An http (loopback) authority, the
 * emulator's, gets {@link LoopbackClientSecretCredential}: @azure/identity insists on https.
 * Throws a {@link TokenAcquisitionError} when the credential cannot be built.
 */
export function createCredential(cfg: AuthConfig): { credential: TokenCredential; name: string } {
  const authorityHost = cfg.authorityHost;
  const secrets = [cfg.clientSecret, cfg.accessToken].filter((s): s is string => !!s);
  const build = (name: string, make: () => TokenCredential): { credential: TokenCredential; name: string } => {
    try {
      return { credential: make(), name };
    } catch (err) {
      const why = redactSecrets(err instanceof Error ? err.message : String(err), secrets);
      throw new TokenAcquisitionError(name, graphScope(cfg.graphBaseUrl), `Could not set up ${name}: ${why}`);
    }
  };

  if (new URL(authorityHost).protocol === "http:") {
    if (!(cfg.tenantId && cfg.clientId && cfg.clientSecret)) {
      throw new TokenAcquisitionError(
        "LoopbackClientSecretCredential",
        graphScope(cfg.graphBaseUrl),
        "An http authority (autopilot:authorityHost on loopback, for the emulator) works only with autopilot:tenantId, autopilot:clientId and autopilot:clientSecret; other credentials need https",
      );
    }
    const { tenantId, clientId, clientSecret } = cfg;
    return build("LoopbackClientSecretCredential", () => new LoopbackClientSecretCredential(authorityHost, tenantId, clientId, clientSecret));
  }
  if (cfg.tenantId && cfg.clientId && cfg.clientSecret) {
    const { tenantId, clientId, clientSecret } = cfg;
    return build("ClientSecretCredential", () => new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost }));
  }
  if (cfg.tenantId && cfg.clientId && cfg.clientCertificatePath) {
    const { tenantId, clientId, clientCertificatePath } = cfg;
    return build(
      "ClientCertificateCredential",
      () => new ClientCertificateCredential(tenantId, clientId, { certificatePath: clientCertificatePath }, { authorityHost }),
    );
  }
  return build(
    "DefaultAzureCredential",
    () =>
      new DefaultAzureCredential({
        authorityHost,
        ...(cfg.tenantId ? { tenantId: cfg.tenantId } : {}),
        ...(cfg.clientId ? { managedIdentityClientId: cfg.clientId, workloadIdentityClientId: cfg.clientId } : {}),
      }),
  );
}

/**
 * The token source for the config: a static one for `accessToken`, else a cache in front of
 * the selected credential (or `opts.credential`).
 */
export function createTokenSource(cfg: AuthConfig, opts: TokenSourceOptions = {}): TokenSource {
  const scope = graphScope(cfg.graphBaseUrl);
  const clock = opts.clock ?? { now: () => Date.now() };
  if (cfg.accessToken && !opts.credential) {
    return new StaticTokenSource(cfg.accessToken, clock);
  }
  const { credential, name } = opts.credential ? { credential: opts.credential, name: credentialName(opts.credential) } : createCredential(cfg);
  const secrets = [cfg.clientSecret, cfg.accessToken].filter((s): s is string => !!s);
  const where = [cfg.tenantId && `tenant ${cfg.tenantId}`, cfg.clientId && `client ${cfg.clientId}`].filter(Boolean).join(", ");
  return new CachingTokenSource(credential, scope, { clock, credentialName: name, secrets, where, logger: opts.logger });
}

/** A bearer token given in config. It cannot be refreshed, so it has no `invalidate`. */
export class StaticTokenSource implements TokenSource {
  private readonly expiresAtMs?: number;

  constructor(
    private readonly token: string,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {
    this.expiresAtMs = jwtExpiry(token);
  }

  async getToken(): Promise<string> {
    // An expired JWT would only earn a 401 per request; say what to do instead.
    if (this.expiresAtMs !== undefined && this.clock.now() >= this.expiresAtMs) {
      throw new TokenAcquisitionError(
        "accessToken",
        "",
        `autopilot:accessToken (or AUTOPILOT_ACCESS_TOKEN) expired at ${new Date(this.expiresAtMs).toISOString()}; get a new token, or configure a credential instead`,
      );
    }
    return this.token;
  }
}

interface CachedToken {
  token: string;
  expiresAtMs: number;
  refreshAtMs: number;
}

export interface CachingTokenSourceOptions {
  clock?: Clock;
  /** Named in error messages. */
  credentialName?: string;
  /** Values removed from credential error messages. */
  secrets?: readonly string[];
  /** "tenant ..., client ..." for error messages. */
  where?: string;
  logger?: (line: string) => void;
}

/**
 * One token per process for one credential and scope. It refreshes when less than
 * {@link REFRESH_MARGIN_MS} (or half the token's lifetime, if shorter) is left; one refresh at
 * a time however many callers wait; a failed refresh falls back to the old token while that
 * is still valid. `invalidate()` makes the next call fetch a new token.
 */
export class CachingTokenSource implements TokenSource {
  readonly credentialName: string;
  private readonly clock: Clock;
  private readonly secrets: readonly string[];
  private readonly where: string;
  private readonly logger?: (line: string) => void;
  private cached?: CachedToken;
  private inflight?: Promise<CachedToken>;

  constructor(
    private readonly credential: TokenCredential,
    readonly scope: string,
    options: CachingTokenSourceOptions = {},
  ) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.credentialName = options.credentialName ?? credentialName(credential);
    this.secrets = options.secrets ?? [];
    this.where = options.where ?? "";
    this.logger = options.logger;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now < cached.refreshAtMs) return cached.token;

    let refresh = this.refresh();
    if (cached && now < cached.expiresAtMs) {
      refresh = refresh.catch((err: unknown) => {
        this.logger?.(`auth: token refresh failed, using the current token until it expires: ${(err as Error).message}`);
        return cached;
      });
    }
    return (await untilAborted(refresh, signal)).token;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  /** The shared refresh; callers that give up (abort) do not cancel it for the others. */
  private refresh(): Promise<CachedToken> {
    if (!this.inflight) {
      const p = this.fetch().finally(() => {
        if (this.inflight === p) this.inflight = undefined;
      });
      this.inflight = p;
      // Nobody may be left to await it; a rejection here is reported to the waiters.
      p.catch(() => undefined);
    }
    return this.inflight;
  }

  private async fetch(): Promise<CachedToken> {
    const startedAt = this.clock.now();
    let access: AccessToken | null;
    try {
      access = await this.credential.getToken(this.scope);
    } catch (err) {
      throw this.failure(err);
    }
    if (!access?.token) throw this.failure(new Error("the credential returned no token"));
    const expiresAtMs = access.expiresOnTimestamp;
    const lifetime = Math.max(0, expiresAtMs - startedAt);
    let refreshAtMs = expiresAtMs - Math.min(REFRESH_MARGIN_MS, lifetime / 2);
    if (access.refreshAfterTimestamp !== undefined) refreshAtMs = Math.min(refreshAtMs, access.refreshAfterTimestamp);
    const entry: CachedToken = { token: access.token, expiresAtMs, refreshAtMs };
    this.cached = entry;
    return entry;
  }

  private failure(err: unknown): TokenAcquisitionError {
    const e = err as { name?: unknown; message?: unknown };
    const kind = typeof e?.name === "string" && e.name !== "Error" ? `${e.name}: ` : "";
    const why = redactSecrets(`${kind}${typeof e?.message === "string" ? e.message : String(err)}`, this.secrets);
    const where = this.where ? ` (${this.where})` : "";
    // The original error is not kept as `cause`: its properties may hold request details.
    return new TokenAcquisitionError(
      this.credentialName,
      this.scope,
      `Could not get a Microsoft Graph token from ${this.credentialName}${where} for scope ${this.scope}: ${why}`,
    );
  }
}

function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function credentialName(credential: TokenCredential): string {
  const name = (credential as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "Object" ? name : "the configured credential";
}

/** `exp` of a JWT in milliseconds, or undefined for anything else. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    const exp = (payload as { exp?: unknown })?.exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
