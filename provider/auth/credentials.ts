import type { TokenCredential, TokenCredentialOptions } from "@azure/identity";
import type { AuthConfig, OidcSource } from "./config";
import { fetchGitHubIdToken } from "./githubOidc";

/**
 * @azure/identity (about 200 modules with MSAL, some 3.5 MB of heap) loads when the first
 * credential is made, not with the package: a no-change plan only checks and diffs, sends no
 * request and needs no token, so the provider host never loads it then.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use, which import() is not
const identity = (): typeof import("@azure/identity") => require("@azure/identity");

/** Options every credential gets; `httpClient` lets tests watch the credential's requests. */
export interface CredentialOptions {
    /** An @azure/core-rest-pipeline HttpClient for the credential's own requests (tests). */
    httpClient?: TokenCredentialOptions["httpClient"];
}

/** A credential the config selects, and how to make a fresh one (a fresh token cache). */
export interface CredentialChoice {
    /** The @azure/identity class, e.g. "ClientSecretCredential". */
    name: string;
    /** Words for logs and errors: the class, tenant, client and how the token is obtained. No secrets. */
    description: string;
    /** Makes a new credential. Each has its own token cache, so a new one always asks Entra. */
    make(): TokenCredential;
    /** Values that must never appear in a message: secrets the credential was given. */
    secrets: string[];
}

/**
 * The @azure/identity credential for the config (see {@link resolveAuthConfig} for the choice):
 * ClientSecretCredential, ClientCertificateCredential, for OIDC WorkloadIdentityCredential (token
 * file), ClientAssertionCredential (GitHub Actions' ID token) or AzurePipelinesCredential, else
 * DefaultAzureCredential. Every one is pointed at the cloud's authority host; a custom authority
 * (not one of the four clouds') gets `disableInstanceDiscovery`, as MSAL would otherwise ask
 * login.microsoftonline.com to vouch for it.
 *
 * Not for `accessToken`: a given token needs no credential.
 */
export function chooseCredential(cfg: AuthConfig, options: CredentialOptions = {}): CredentialChoice {
    const basis = basisOf(cfg, options);
    if (cfg.credential === "clientSecret") return clientSecretChoice(basis);
    if (cfg.credential === "clientCertificate") return clientCertificateChoice(basis);
    if (cfg.credential === "oidc") return oidcChoice(basis, cfg.oidc!);
    return defaultChoice(basis);
}

/** What every credential of one config shares: the options they all get, how they name tenant and client, the secrets. */
function basisOf(cfg: AuthConfig, options: CredentialOptions) {
    const common = {
        authorityHost: cfg.authorityHost,
        ...(cfg.customAuthority ? { disableInstanceDiscovery: true } : {}),
        ...(options.httpClient ? { httpClient: options.httpClient } : {}),
    };
    const where = `tenant ${cfg.tenantId}, client ${cfg.clientId}`;
    const secrets = [cfg.clientSecret, cfg.accessToken, cfg.clientCertificatePassword].filter((s): s is string => !!s);
    return { cfg, common, where, secrets, tenantId: cfg.tenantId ?? "", clientId: cfg.clientId ?? "" };
}

type Basis = ReturnType<typeof basisOf>;

function clientSecretChoice({ cfg, common, where, secrets, tenantId, clientId }: Basis): CredentialChoice {
    return {
        name: "ClientSecretCredential",
        description: `ClientSecretCredential (${where})`,
        secrets,
        make: () => new (identity().ClientSecretCredential)(tenantId, clientId, cfg.clientSecret ?? "", common),
    };
}

function clientCertificateChoice({ cfg, common, where, secrets, tenantId, clientId }: Basis): CredentialChoice {
    const pem = {
        certificatePath: cfg.clientCertificatePath ?? "",
        ...(cfg.clientCertificatePassword ? { certificatePassword: cfg.clientCertificatePassword } : {}),
    };
    return {
        name: "ClientCertificateCredential",
        description: `ClientCertificateCredential (${where}, certificate ${cfg.clientCertificatePath})`,
        secrets,
        make: () =>
            new (identity().ClientCertificateCredential)(tenantId, clientId, pem, {
                ...common,
                ...(cfg.sendCertificateChain ? { sendCertificateChain: true } : {}),
            }),
    };
}

/** A token file, GitHub Actions' ID token or Azure Pipelines: each source has its own credential. */
function oidcChoice({ common, where, secrets, tenantId, clientId }: Basis, oidc: OidcSource): CredentialChoice {
    switch (oidc.kind) {
        case "tokenFile":
            return {
                name: "WorkloadIdentityCredential",
                description: `WorkloadIdentityCredential (${where}, federated token file ${oidc.path})`,
                secrets,
                make: () => new (identity().WorkloadIdentityCredential)({ ...common, tenantId, clientId, tokenFilePath: oidc.path }),
            };
        case "githubActions": {
            const { requestUrl, requestToken, audience } = oidc;
            return {
                name: "ClientAssertionCredential",
                description: `ClientAssertionCredential (${where}, GitHub Actions ID token for ${audience})`,
                secrets: [...secrets, requestToken],
                make: () =>
                    new (identity().ClientAssertionCredential)(tenantId, clientId, () => fetchGitHubIdToken(requestUrl, requestToken, audience), common),
            };
        }
        case "azurePipelines":
            return {
                name: "AzurePipelinesCredential",
                description: `AzurePipelinesCredential (${where}, service connection ${oidc.serviceConnectionId})`,
                secrets: [...secrets, oidc.systemAccessToken],
                make: () => new (identity().AzurePipelinesCredential)(tenantId, clientId, oidc.serviceConnectionId, oidc.systemAccessToken, common),
            };
    }
}

/** DefaultAzureCredential, told the tenant and client when the config names them. */
function defaultChoice({ cfg, common, secrets }: Basis): CredentialChoice {
    const ids = [cfg.tenantId && `tenant ${cfg.tenantId}`, cfg.clientId && `client ${cfg.clientId}`].filter(Boolean).join(", ");
    return {
        name: "DefaultAzureCredential",
        description: `DefaultAzureCredential${ids ? ` (${ids})` : ""}`,
        secrets,
        make: () =>
            new (identity().DefaultAzureCredential)({
                ...common,
                ...(cfg.tenantId ? { tenantId: cfg.tenantId } : {}),
                ...(cfg.clientId ? { managedIdentityClientId: cfg.clientId, workloadIdentityClientId: cfg.clientId } : {}),
            }),
    };
}
