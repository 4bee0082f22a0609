import { createHash } from "crypto";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { brandClass, type BrandCheck } from "../errors/branded";
import { untilAborted } from "../graph/delay";
import { redactSecrets } from "../graph/errors";
import type { Clock, TokenSource } from "../graph/types";
import type { AuthConfig } from "./config";
import { chooseCredential, type CredentialChoice, type CredentialOptions } from "./credentials";

/** Refresh a token when less than this is left (or half its lifetime, if that is shorter). */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** What {@link createTokenSource} takes besides the config. */
export interface TokenSourceOptions extends CredentialOptions, Pick<CachingTokenSourceOptions, "clock" | "logger"> {
    /** Use this credential instead of the one the config selects (tests, custom auth). */
    credential?: TokenCredential;
}

/** A token could not be obtained. The message names the credential and never a secret. */
export class TokenAcquisitionError extends Error {
    /** True for a TokenAcquisitionError from any copy of this package; `instanceof` answers the same. */
    static readonly isTokenAcquisitionError: BrandCheck<TokenAcquisitionError> = brandClass(TokenAcquisitionError, "TokenAcquisitionError");

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

/**
 * `<graph origin>/.default`: the app's Graph application permissions. With `autopilot:graphEndpoint`
 * the scope follows the endpoint, so a token meant for Graph never goes to another host.
 */
export function graphScope(graphBaseUrl: string): string {
    return `${new URL(graphBaseUrl).origin}/.default`;
}

/**
 * The credential the config asks for (see {@link chooseCredential}), made once. Throws a
 * {@link TokenAcquisitionError} when the credential cannot be built (for `accessToken`, which
 * needs none, too).
 */
export function createCredential(cfg: AuthConfig, options: CredentialOptions = {}): { credential: TokenCredential; name: string } {
    const scope = graphScope(cfg.graphBaseUrl);
    if (cfg.credential === "accessToken") {
        throw new TokenAcquisitionError("accessToken", scope, "autopilot:accessToken is a token, not a credential");
    }
    const choice = chooseCredential(cfg, options);
    return { credential: makeCredential(choice, scope), name: choice.name };
}

/** A new credential of the choice; a failure is a {@link TokenAcquisitionError} without the choice's secrets. */
function makeCredential(choice: CredentialChoice, scope: string): TokenCredential {
    try {
        return choice.make();
    } catch (err) {
        throw new TokenAcquisitionError(choice.name, scope, `Could not set up ${choice.description}: ${redactMessage(err, choice.secrets)}`);
    }
}

/** The token source for the config: a static one for `accessToken`, else a {@link CachingTokenSource} of the chosen credential (or `opts.credential`). */
export function createTokenSource(cfg: AuthConfig, opts: TokenSourceOptions = {}): TokenSource {
    const scope = graphScope(cfg.graphBaseUrl);
    const clock = opts.clock ?? { now: () => Date.now() };
    if (cfg.accessToken && !opts.credential) {
        return new StaticTokenSource(cfg.accessToken, clock);
    }
    const where = [cfg.tenantId && `tenant ${cfg.tenantId}`, cfg.clientId && `client ${cfg.clientId}`].filter(Boolean).join(", ");
    if (opts.credential) {
        const secrets = [cfg.clientSecret, cfg.accessToken, cfg.clientCertificatePassword].filter((s): s is string => !!s);
        return new CachingTokenSource(opts.credential, scope, { clock, secrets, where, logger: opts.logger });
    }
    const choice = chooseCredential(cfg, opts);
    const make = (): TokenCredential => makeCredential(choice, scope);
    return new CachingTokenSource(make, scope, { clock, credentialName: choice.name, secrets: choice.secrets, where, logger: opts.logger });
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

/** How a {@link CachingTokenSource} tells time, names its credential and keeps secrets out of its messages. */
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
 * is still valid.
 *
 * `invalidate(rejected)` (Graph answered 401) drops the cached token if it is the rejected one
 * and, when the source was given a credential factory, makes a new credential for the next
 * fetch: @azure/identity's credentials cache tokens themselves and would hand back the token
 * Graph just refused. Many requests failing with the same token cause one new token, not many.
 */
export class CachingTokenSource implements TokenSource {
    readonly credentialName: string;
    private readonly clock: Clock;
    private readonly secrets: readonly string[];
    private readonly where: string;
    private readonly logger?: (line: string) => void;
    private readonly factory?: () => TokenCredential;
    private credential?: TokenCredential;
    private renewCredential = false;
    private cached?: CachedToken;
    private inflight?: Promise<CachedToken>;
    /** The last token Graph refused: a fetch that returns it again asks a fresh credential. */
    private rejected?: string;

    /** `credential`: one credential, or a factory making a fresh one (with an empty cache) after a 401. */
    constructor(
        credential: TokenCredential | (() => TokenCredential),
        readonly scope: string,
        options: CachingTokenSourceOptions = {},
    ) {
        if (typeof credential === "function") {
            this.factory = credential;
        } else {
            this.credential = credential;
        }
        this.clock = options.clock ?? { now: () => Date.now() };
        this.credentialName = options.credentialName ?? (this.credential ? credentialName(this.credential) : "the configured credential");
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

    /**
     * Forgets the cached token so the next `getToken` fetches a new one. With `rejected`, only if
     * that is still the cached token (a later 401 for a token already replaced changes nothing).
     */
    invalidate(rejected?: string): void {
        if (rejected !== undefined) {
            this.rejected = rejected;
            // Already replaced, or already being replaced: nothing more to do.
            if (this.cached === undefined || this.cached.token !== rejected) return;
        }
        this.cached = undefined;
        if (this.factory) this.renewCredential = true;
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
        if (this.factory && (this.credential === undefined || this.renewCredential)) {
            this.renewCredential = false;
            this.credential = this.factory();
        }
        let access: AccessToken | null;
        try {
            access = await this.credential!.getToken(this.scope);
            if (this.factory && access?.token !== undefined && access.token === this.rejected) {
                // A refresh that was under way when Graph refused the token got it from the old
                // credential's cache: ask a new credential.
                this.credential = this.factory();
                access = await this.credential.getToken(this.scope);
            }
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
        this.logger?.(
            `auth: got a token from ${this.credentialName} for ${this.scope}, valid until ${new Date(expiresAtMs).toISOString()}, ` +
                `refreshed after ${new Date(refreshAtMs).toISOString()}`,
        );
        return entry;
    }

    private failure(err: unknown): TokenAcquisitionError {
        const where = this.where ? ` (${this.where})` : "";
        // The original error is not kept as `cause`: its properties may hold request details.
        return new TokenAcquisitionError(
            this.credentialName,
            this.scope,
            `Could not get a Microsoft Graph token from ${this.credentialName}${where} for scope ${this.scope}: ${redactMessage(err, this.secrets)}`,
        );
    }
}

// A JWT (an ID token, an assertion, an access token) is a credential wherever it appears.
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
// "Bearer <token>" / "bearer <token>" in an echoed request.
const BEARER = /\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/** The error's name and message with the given secrets, JWTs and bearer tokens replaced by `***`. */
export function redactMessage(err: unknown, secrets: readonly string[]): string {
    const e = err as { name?: unknown; message?: unknown };
    const kind = typeof e?.name === "string" && e.name !== "Error" ? `${e.name}: ` : "";
    const text = `${kind}${typeof e?.message === "string" ? e.message : String(err)}`;
    return redactSecrets(text, secrets).replace(JWT, "***").replace(BEARER, "$1 ***");
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

/**
 * A fingerprint of everything in the config that decides where requests go and who signs in
 * (a SHA-256, so it can be kept and compared without holding secrets in plain text).
 */
export function authFingerprint(cfg: AuthConfig): string {
    return createHash("sha256").update(JSON.stringify(cfg)).digest("hex");
}

/** One line for the log: endpoint, authority, scope and credential, never a secret. */
export function describeAuth(cfg: AuthConfig): string {
    const who = cfg.credential === "accessToken" ? "a given access token" : chooseCredential(cfg).description;
    const from = cfg.credentialSource === "none" ? "" : ` (chosen by ${cfg.credentialSource})`;
    return `auth: Graph ${cfg.graphBaseUrl} (cloud ${cfg.cloud}), scope ${graphScope(cfg.graphBaseUrl)}, authority ${cfg.authorityHost}, sign-in with ${who}${from}`;
}
