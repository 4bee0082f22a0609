/**
 * Set-up for sign-in tests through the real Pulumi CLI: a test PKI made at run time, test OIDC
 * issuers (GitHub Actions, Azure DevOps, a workload-identity token file), an emulator whose HTTPS
 * listener serves Entra's token endpoint for one app registration, and stacks whose provider host
 * (started by the CLI, one per command) trusts the test CA through NODE_EXTRA_CA_CERTS.
 */
import * as fs from "fs";
import * as path from "path";
import { Emulator, EmulatorOptions, startEmulator } from "../emulator";
import { createOidcIssuer, TestOidcIssuer } from "../emulator/jwt";
import { createTestPki, TestPki } from "../emulator/pki";
import { PulumiSandbox } from "../pulumi/cli";
import { ConfigValue, TestStack } from "../pulumi/stack";

export const TENANT_ID = "5b2e4c1a-7f3d-4e8b-9a61-0c2d3e4f5a6b";
export const CLIENT_ID = "0e9c6a7b-3d2f-4c1e-8b5a-9f8e7d6c5b4a";
/** Real-looking secrets: tests scan everything the provider emits for them. */
export const CLIENT_SECRET = "Qx8Q~Zr7vN2pLk4Wd9tYc3Hs6Fj1Mb5Ge0Ua~Vo";
export const GITHUB_REQUEST_TOKEN = "ghs_R3qu35tT0k3nF0rTh3IdT0k3nEndp01nt9x";
export const ADO_SYSTEM_TOKEN = "adoSystemAccessToken-7c4f2e9a1b6d3c8e5f0a";
export const ADO_SERVICE_CONNECTION = "3f1c5a7e-9b2d-4e6f-8a1c-5d7e9f2b4a6c";
export const GITHUB_SUBJECT = "repo:contoso/autopilot-fleet:environment:production";
export const ADO_SUBJECT = "sc://contoso/autopilot/autopilot-graph";
export const WORKLOAD_SUBJECT = "system:serviceaccount:autopilot:deployer";

/**
 * Every AZURE_* / CI variable the host could pick up from the test runner's environment: the CLI
 * passes its whole environment on, so those set here are passed on empty (which the provider and
 * @azure/identity read as unset).
 */
const CLEAN_ENV: Record<string, string> = Object.fromEntries(
    [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
        "AUTOPILOT_ACCESS_TOKEN",
        "AUTOPILOT_USE_OIDC",
        "AUTOPILOT_GRAPH_ENDPOINT",
        "AUTOPILOT_CLOUD",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SYSTEM_OIDCREQUESTURI",
        "SYSTEM_ACCESSTOKEN",
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
        "AUTOPILOT_LOG",
        "AZURE_LOG_LEVEL",
    ]
        .filter((k) => process.env[k] !== undefined)
        .map((k) => [k, ""]),
);

/** What a stack of an auth test is made with besides its program. */
export interface AuthStackOptions {
    /** Stack config (namespaced keys). */
    config: Record<string, ConfigValue>;
    /** Stack config set with --secret (a client secret, an access token). */
    secretConfig?: Record<string, string>;
    /** More environment for the CLI and the provider host it starts (a CI system's variables). */
    env?: Record<string, string>;
}

export interface AuthWorld {
    pki: TestPki;
    emu: Emulator;
    github: TestOidcIssuer;
    azureDevOps: TestOidcIssuer;
    workload: TestOidcIssuer;
    /** PEM file with the app certificate's key and certificate. */
    certificateFile: string;
    /** A file holding a workload identity token (what AZURE_FEDERATED_TOKEN_FILE names). */
    tokenFile: string;
    sandbox: PulumiSandbox;
    /** Config pointing the provider at the emulator: Graph over http loopback, authority over https. */
    baseConfig(): Record<string, string>;
    /** A new stack for an inline program (project autopilot-test). */
    stack(program: () => unknown, opts: AuthStackOptions): Promise<TestStack>;
    /** A new stack for a program folder (copied), run through Pulumi's language host. */
    folderStack(dir: string, opts: AuthStackOptions): Promise<TestStack>;
    close(): Promise<void>;
}

export async function startAuthWorld(emulatorOptions: Omit<EmulatorOptions, "authority"> = {}, tokenLifetimeSeconds = 3600): Promise<AuthWorld> {
    const pki = createTestPki();
    const github = createOidcIssuer("https://token.actions.githubusercontent.com");
    const azureDevOps = createOidcIssuer("https://vstoken.dev.azure.com/8d3c1f2e-4a5b-4c6d-9e7f-0a1b2c3d4e5f");
    const workload = createOidcIssuer("https://oidc.workload.test/cluster-1");
    const cert = pki.appCertificate("pulumi-autopilot-ci");
    const emu = await startEmulator({
        ...emulatorOptions,
        authority: {
            tls: pki.server,
            tenantId: TENANT_ID,
            tokenLifetimeSeconds,
            apps: [
                {
                    clientId: CLIENT_ID,
                    clientSecrets: [CLIENT_SECRET],
                    certificates: [cert.certPem],
                    federatedCredentials: [
                        { issuer: github.issuer, subject: GITHUB_SUBJECT },
                        { issuer: azureDevOps.issuer, subject: ADO_SUBJECT },
                        { issuer: workload.issuer, subject: WORKLOAD_SUBJECT },
                    ],
                },
            ],
            issuers: [github, azureDevOps, workload],
            github: { requestToken: GITHUB_REQUEST_TOKEN, mint: (aud) => github.mint({ sub: GITHUB_SUBJECT, aud }) },
            azureDevOps: {
                systemAccessToken: ADO_SYSTEM_TOKEN,
                serviceConnectionId: ADO_SERVICE_CONNECTION,
                mint: () => azureDevOps.mint({ sub: ADO_SUBJECT, aud: "api://AzureADTokenExchange" }),
            },
        },
    });
    const tokenFile = path.join(pki.dir, "federated-token");
    fs.writeFileSync(tokenFile, workload.mint({ sub: WORKLOAD_SUBJECT, aud: "api://AzureADTokenExchange", lifetimeSeconds: 3600 }));
    const sandbox = new PulumiSandbox();
    const stacks: TestStack[] = [];
    let n = 0;
    // The host trusts the test CA; import polls start at 50 ms (the host's clock is real).
    const hostEnv = (env: Record<string, string> = {}) => ({ ...CLEAN_ENV, NODE_EXTRA_CA_CERTS: pki.caFile, AUTOPILOT_IMPORT_POLL_MS: "50", ...env });
    const track = (stack: TestStack) => {
        stacks.push(stack);
        return stack;
    };
    return {
        pki,
        emu,
        github,
        azureDevOps,
        workload,
        certificateFile: cert.pemFile,
        tokenFile,
        baseConfig: () => ({
            "autopilot:graphEndpoint": emu.url,
            "autopilot:authorityHost": emu.authority!.url,
            "autopilot:tenantId": TENANT_ID,
            "autopilot:clientId": CLIENT_ID,
            "autopilot:maxRetries": "2",
        }),
        sandbox,
        async stack(program, opts) {
            return track(
                await TestStack.inline({
                    sandbox,
                    project: "autopilot-test",
                    stackName: `auth${++n}`,
                    program,
                    config: opts.config,
                    secretConfig: opts.secretConfig,
                    env: hostEnv(opts.env),
                }),
            );
        },
        async folderStack(dir, opts) {
            return track(
                await TestStack.folder({ sandbox, dir, stackName: `auth${++n}`, config: opts.config, secretConfig: opts.secretConfig, env: hostEnv(opts.env) }),
            );
        },
        async close() {
            stacks.forEach((s) => s.dispose());
            sandbox.dispose();
            await emu.close();
            pki.dispose();
        },
    };
}
