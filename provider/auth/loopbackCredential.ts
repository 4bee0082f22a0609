import type { AccessToken, TokenCredential } from "@azure/identity";
import { request } from "undici";

/**
 * The client-credentials grant against an Entra-shaped token endpoint on an http loopback
 * authority (the Graph emulator). @azure/identity refuses any authority that is not https,
 * and config allows http only on loopback, so this never talks to a real authority.
 *
 * POST `{authorityHost}/{tenantId}/oauth2/v2.0/token` with client_id, client_secret, scope
 * and grant_type=client_credentials; answer `{access_token, expires_in}` or
 * `{error, error_description}`, as Entra's v2 endpoint does.
 */
export class LoopbackClientSecretCredential implements TokenCredential {
  constructor(
    private readonly authorityHost: string,
    private readonly tenantId: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const url = `${this.authorityHost}/${encodeURIComponent(this.tenantId)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      client_id: this.clientId,
      client_secret: this.clientSecret,
      scope: ([] as string[]).concat(scopes).join(" "),
      grant_type: "client_credentials",
    });
    const res = await request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (res.statusCode !== 200 || typeof json["access_token"] !== "string") {
      const error = typeof json["error"] === "string" ? json["error"] : `HTTP ${res.statusCode}`;
      const description = typeof json["error_description"] === "string" ? `: ${json["error_description"]}` : "";
      throw new Error(`token endpoint ${url} answered ${error}${description}`);
    }
    const expiresIn = Number(json["expires_in"]);
    return {
      token: json["access_token"],
      expiresOnTimestamp: this.now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
      tokenType: "Bearer",
    };
  }
}
