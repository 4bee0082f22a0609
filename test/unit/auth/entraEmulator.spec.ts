import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import { Agent, request } from "undici";
import { Emulator, startEmulator } from "../../emulator";
import { createOidcIssuer, signJwt } from "../../emulator/jwt";
import { createTestPki, TestPki } from "../../emulator/pki";

const TENANT = "5b2e4c1a-7f3d-4e8b-9a61-0c2d3e4f5a6b";
const APP = "0e9c6a7b-3d2f-4c1e-8b5a-9f8e7d6c5b4a";
const SECRET = "emulator-app-secret-1";
const SUBJECT = "repo:contoso/autopilot:environment:production";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The emulator's Entra token endpoint checks what Entra checks. */
describe("emulator: the Entra authority on HTTPS", () => {
    let pki: TestPki;
    let emu: Emulator;
    let agent: Agent;
    let app: ReturnType<TestPki["appCertificate"]>;
    const github = createOidcIssuer("https://token.actions.githubusercontent.com");
    const stranger = createOidcIssuer("https://token.actions.githubusercontent.com");

    before(async () => {
        pki = createTestPki();
        app = pki.appCertificate("app");
        emu = await startEmulator({
            authority: {
                tls: pki.server,
                tenantId: TENANT,
                apps: [
                    {
                        clientId: APP,
                        clientSecrets: [SECRET],
                        certificates: [app.certPem],
                        federatedCredentials: [{ issuer: github.issuer, subject: SUBJECT }],
                    },
                ],
                issuers: [github],
                tokenLifetimeSeconds: 600,
            },
        });
        // This process trusts the test CA for these requests only (the host processes use NODE_EXTRA_CA_CERTS).
        agent = new Agent({ connect: { ca: pki.caCertPem } });
    });
    after(async () => {
        await agent.close();
        await emu.close();
        pki.dispose();
    });

    const tokenEndpoint = () => `${emu.authority!.url}/${TENANT}/oauth2/v2.0/token`;

    async function token(form: Record<string, string>, tenant = TENANT): Promise<{ status: number; body: Record<string, unknown> }> {
        const res = await request(`${emu.authority!.url}/${tenant}/oauth2/v2.0/token`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "client_credentials", scope: `${emu.url}/.default`, ...form }).toString(),
            dispatcher: agent,
        });
        return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    }

    const aadsts = (r: { body: Record<string, unknown> }) => String(r.body.error_description ?? "").slice(0, 14);

    /** A client assertion as MSAL makes it, signed with `key`, naming `cert` by its SHA-256 thumbprint. */
    function certAssertion(key: string | crypto.KeyObject, claims: Record<string, unknown> = {}): string {
        const now = Math.floor(Date.now() / 1000);
        const der = new crypto.X509Certificate(app.certPem).raw;
        return signJwt(
            { "x5t#S256": crypto.createHash("sha256").update(der).digest("base64url") },
            { aud: tokenEndpoint(), iss: APP, sub: APP, jti: crypto.randomUUID(), nbf: now, exp: now + 600, ...claims },
            typeof key === "string" ? crypto.createPrivateKey(key) : key,
        );
    }

    it("serves OpenID metadata whose token endpoint is itself", async () => {
        const res = await request(`${emu.authority!.url}/${TENANT}/v2.0/.well-known/openid-configuration`, { dispatcher: agent });
        const meta = (await res.body.json()) as Record<string, string>;
        assert.equal(res.statusCode, 200);
        assert.equal(meta.token_endpoint, tokenEndpoint());
    });

    it("client secret: the right one gets a token that expires; a wrong one, an unknown app or tenant, a bad scope do not", async () => {
        const ok = await token({ client_id: APP, client_secret: SECRET });
        assert.equal(ok.status, 200);
        assert.equal(ok.body.token_type, "Bearer");
        assert.equal(ok.body.expires_in, 600);
        assert.equal(typeof ok.body.access_token, "string");
        const wrong = await token({ client_id: APP, client_secret: "nope" });
        assert.deepEqual([wrong.status, wrong.body.error, aadsts(wrong)], [401, "invalid_client", "AADSTS7000215:"]);
        const unknown = await token({ client_id: crypto.randomUUID(), client_secret: SECRET });
        assert.deepEqual([unknown.status, aadsts(unknown)], [400, "AADSTS700016: "]);
        const tenant = await token({ client_id: APP, client_secret: SECRET }, "fabrikam.onmicrosoft.com");
        assert.deepEqual([tenant.status, aadsts(tenant)], [400, "AADSTS90002: T"]);
        const scope = await token({ client_id: APP, client_secret: SECRET, scope: "https://graph.microsoft.com/.default" });
        assert.deepEqual([scope.status, aadsts(scope)], [400, "AADSTS500011: "], "tokens only for the emulator's Graph");
        assert.deepEqual(
            emu.authority!.tokenRequests.slice(-5).map((t) => [t.credential, t.status]),
            [
                ["client_secret", 200],
                ["client_secret", 401],
                ["client_secret", 400],
                ["client_secret", 400],
                ["client_secret", 400],
            ],
        );
    });

    it("certificate: checks the registered certificate, the signature, the audience and the lifetime", async () => {
        const form = (assertion: string) => ({ client_id: APP, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
        assert.equal((await token(form(certAssertion(app.keyPem)))).status, 200);
        const otherKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
        const forged = await token(form(certAssertion(otherKey)));
        assert.deepEqual([forged.status, aadsts(forged)], [401, "AADSTS700027: "]);
        const aud = await token(form(certAssertion(app.keyPem, { aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token" })));
        assert.deepEqual([aud.status, aadsts(aud)], [401, "AADSTS700212: "]);
        const expired = await token(form(certAssertion(app.keyPem, { exp: Math.floor(Date.now() / 1000) - 3600 })));
        assert.deepEqual([expired.status, aadsts(expired)], [401, "AADSTS700024: "]);
        const unregistered = pki.appCertificate("someone else");
        const der = new crypto.X509Certificate(unregistered.certPem).raw;
        const now = Math.floor(Date.now() / 1000);
        const foreign = signJwt(
            { "x5t#S256": crypto.createHash("sha256").update(der).digest("base64url") },
            { aud: tokenEndpoint(), iss: APP, sub: APP, nbf: now, exp: now + 600 },
            crypto.createPrivateKey(unregistered.keyPem),
        );
        const notRegistered = await token(form(foreign));
        assert.deepEqual([notRegistered.status, aadsts(notRegistered)], [401, "AADSTS700027: "]);
    });

    it("federated: checks the issuer's signature, then issuer, subject and audience of a federated credential", async () => {
        const form = (assertion: string) => ({ client_id: APP, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
        const ok = await token(form(github.mint({ sub: SUBJECT, aud: "api://AzureADTokenExchange" })));
        assert.equal(ok.status, 200);
        assert.equal(emu.authority!.tokenRequests.at(-1)!.credential, "federated");
        const subject = await token(form(github.mint({ sub: "repo:contoso/autopilot:ref:refs/heads/feature", aud: "api://AzureADTokenExchange" })));
        assert.deepEqual([subject.status, aadsts(subject)], [400, "AADSTS700213: "]);
        const audience = await token(form(github.mint({ sub: SUBJECT, aud: "https://github.com/contoso" })));
        assert.deepEqual([audience.status, aadsts(audience)], [400, "AADSTS700212: "]);
        const forged = await token(form(stranger.mint({ sub: SUBJECT, aud: "api://AzureADTokenExchange" })));
        assert.deepEqual([forged.status, aadsts(forged)], [401, "AADSTS700027: "], "same issuer name, other key");
        const unknownIssuer = await token(form(createOidcIssuer("https://issuer.example").mint({ sub: SUBJECT, aud: "api://AzureADTokenExchange" })));
        assert.deepEqual([unknownIssuer.status, aadsts(unknownIssuer)], [400, "AADSTS700211: "]);
        const stale = await token(form(github.mint({ sub: SUBJECT, aud: "api://AzureADTokenExchange", lifetimeSeconds: -3600 })));
        assert.deepEqual([stale.status, aadsts(stale)], [401, "AADSTS700024: "]);
    });

    it("Graph accepts an issued token until it expires, at the origin it was issued for; and still the static test token", async () => {
        const issued = String((await token({ client_id: APP, client_secret: SECRET })).body.access_token);
        const get = async (base: string, bearer: string) =>
            (
                await request(`${base}/beta/deviceManagement/windowsAutopilotDeviceIdentities`, {
                    headers: { authorization: `Bearer ${bearer}` },
                    dispatcher: agent,
                })
            ).statusCode;
        assert.equal(await get(emu.url, issued), 200);
        assert.equal(await get(emu.authority!.url, issued), 401, "issued for the http origin, not the https one");
        assert.equal(await get(emu.url, "emulator-token"), 200);
        assert.equal(await get(emu.url, `${issued}x`), 401);
        emu.authority!.expireTokens();
        const res = await request(`${emu.url}/beta/deviceManagement/windowsAutopilotDeviceIdentities`, { headers: { authorization: `Bearer ${issued}` } });
        assert.equal(res.statusCode, 401);
        assert.match(JSON.stringify(await res.body.json()), /InvalidAuthenticationToken.*Lifetime validation failed, the token is expired/);
    });
});
