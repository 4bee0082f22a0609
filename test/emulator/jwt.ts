/**
 * Just enough JWT (RFC 7519, JWS compact form) for the emulator's Entra authority and the test
 * OIDC issuer: RS256 / PS256 / ES256 signatures with Node's crypto.
 */
import * as crypto from "crypto";

export type JwtHeader = Record<string, unknown> & { alg?: string; kid?: string };
export type JwtPayload = Record<string, unknown>;

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Signs a JWT with RS256 (RSA keys) or ES256 (P-256 keys). */
export function signJwt(header: JwtHeader, payload: JwtPayload, key: crypto.KeyObject): string {
    const alg = key.asymmetricKeyType === "ec" ? "ES256" : "RS256";
    const input = `${b64url({ typ: "JWT", ...header, alg })}.${b64url(payload)}`;
    const sig = crypto.sign("sha256", Buffer.from(input), key.asymmetricKeyType === "ec" ? { key, dsaEncoding: "ieee-p1363" } : key);
    return `${input}.${sig.toString("base64url")}`;
}

/** The parts of a JWT, not verified; undefined when it is not a JWT. */
export function decodeJwt(token: string): { header: JwtHeader; payload: JwtPayload; input: string; signature: Buffer } | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    try {
        const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as JwtHeader;
        const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as JwtPayload;
        if (typeof header !== "object" || header === null || typeof payload !== "object" || payload === null) return undefined;
        return { header, payload, input: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], "base64url") };
    } catch {
        return undefined;
    }
}

/** Checks the signature of a decoded JWT against a public key, for RS256, PS256 and ES256. */
export function verifyJwtSignature(jwt: NonNullable<ReturnType<typeof decodeJwt>>, key: crypto.KeyObject): boolean {
    const data = Buffer.from(jwt.input);
    try {
        switch (jwt.header.alg) {
            case "RS256":
                return key.asymmetricKeyType === "rsa" && crypto.verify("sha256", data, key, jwt.signature);
            case "PS256":
                return (
                    key.asymmetricKeyType === "rsa" &&
                    crypto.verify(
                        "sha256",
                        data,
                        { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO },
                        jwt.signature,
                    )
                );
            case "ES256":
                return key.asymmetricKeyType === "ec" && crypto.verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, jwt.signature);
            default:
                return false;
        }
    } catch {
        return false;
    }
}

/** A test OpenID Connect issuer (GitHub Actions, Azure DevOps, Kubernetes stand-in): one RSA key. */
export interface TestOidcIssuer {
    /** The `iss` of its tokens, e.g. https://token.actions.githubusercontent.com. */
    readonly issuer: string;
    readonly publicKey: crypto.KeyObject;
    /** A signed ID token for `sub` and `aud`, valid for `lifetimeSeconds` (default 300). */
    mint(claims: { sub: string; aud: string; lifetimeSeconds?: number; extra?: JwtPayload }): string;
}

export function createOidcIssuer(issuer: string): TestOidcIssuer {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const kid = crypto
        .createHash("sha256")
        .update(publicKey.export({ type: "spki", format: "der" }))
        .digest("base64url")
        .slice(0, 16);
    return {
        issuer,
        publicKey,
        mint({ sub, aud, lifetimeSeconds = 300, extra = {} }) {
            const now = Math.floor(Date.now() / 1000);
            return signJwt(
                { kid },
                { jti: crypto.randomUUID(), ...extra, iss: issuer, sub, aud, iat: now, nbf: now - 5, exp: now + lifetimeSeconds },
                privateKey,
            );
        },
    };
}
