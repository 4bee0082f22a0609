import { strict as assert } from "node:assert";
import { CLOUDS, graphScope, isLoopbackHost, resolveAuthConfig, type AuthConfig } from "../../../provider/auth";

const none = (): undefined => undefined;
const from = (values: Record<string, string>) => (key: string) => values[key];
const IDS = { "autopilot:tenantId": "contoso.onmicrosoft.com", "autopilot:clientId": "cid" };

describe("resolveAuthConfig", () => {
    it("defaults to the global cloud and DefaultAzureCredential", () => {
        assert.deepEqual(resolveAuthConfig(none, {}), {
            cloud: "global",
            graphBaseUrl: "https://graph.microsoft.com",
            authorityHost: "https://login.microsoftonline.com",
            customAuthority: false,
            credential: "default",
            credentialSource: "none",
        });
    });

    it("reads the config keys and prefers them to the environment, key by key", () => {
        const cfg = resolveAuthConfig(
            from({ "autopilot:tenantId": "contoso.onmicrosoft.com", "autopilot:clientId": "cid-config", "autopilot:clientSecret": "s3cret" }),
            { AZURE_TENANT_ID: "env-tenant", AZURE_CLIENT_ID: "cid-env", AZURE_CLIENT_SECRET: "env-secret" },
        );
        assert.equal(cfg.tenantId, "contoso.onmicrosoft.com");
        assert.equal(cfg.clientId, "cid-config");
        assert.equal(cfg.clientSecret, "s3cret");
        assert.equal(cfg.credential, "clientSecret");
        assert.equal(cfg.credentialSource, "stack config");
    });

    it("falls back to AZURE_* and AUTOPILOT_* variables; empty values count as unset", () => {
        const cfg = resolveAuthConfig(from({ "autopilot:tenantId": "" }), {
            AZURE_TENANT_ID: "11111111-2222-3333-4444-555555555555",
            AZURE_CLIENT_ID: "cid",
            AZURE_CLIENT_SECRET: "sec",
            AUTOPILOT_GRAPH_ENDPOINT: "http://127.0.0.1:8080/",
        });
        assert.equal(cfg.tenantId, "11111111-2222-3333-4444-555555555555");
        assert.equal(cfg.clientId, "cid");
        assert.equal(cfg.clientSecret, "sec");
        assert.equal(cfg.credentialSource, "environment");
        assert.equal(cfg.graphBaseUrl, "http://127.0.0.1:8080");
        assert.equal(resolveAuthConfig(none, { AUTOPILOT_ACCESS_TOKEN: "Bearer eyJ.a.b" }).accessToken, "eyJ.a.b", "a pasted 'Bearer ' prefix is dropped");
    });

    describe("credential precedence: accessToken > clientSecret > clientCertificatePath > useOidc > DefaultAzureCredential; stack config before environment", () => {
        const cases: Array<[string, Record<string, string>, NodeJS.ProcessEnv, AuthConfig["credential"], AuthConfig["credentialSource"]]> = [
            ["token beats secret", { ...IDS, "autopilot:accessToken": "t", "autopilot:clientSecret": "s" }, {}, "accessToken", "stack config"],
            [
                "secret beats certificate",
                { ...IDS, "autopilot:clientSecret": "s", "autopilot:clientCertificatePath": "/c.pem" },
                {},
                "clientSecret",
                "stack config",
            ],
            [
                "certificate beats OIDC",
                { ...IDS, "autopilot:clientCertificatePath": "/c.pem", "autopilot:useOidc": "true" },
                { AZURE_FEDERATED_TOKEN_FILE: "/t" },
                "clientCertificate",
                "stack config",
            ],
            [
                "OIDC in stack config beats a secret in the environment",
                { ...IDS, "autopilot:useOidc": "true" },
                { AZURE_CLIENT_SECRET: "env", AZURE_FEDERATED_TOKEN_FILE: "/t" },
                "oidc",
                "stack config",
            ],
            [
                "a certificate in stack config beats a token in the environment",
                { ...IDS, "autopilot:clientCertificatePath": "/c.pem" },
                { AUTOPILOT_ACCESS_TOKEN: "t" },
                "clientCertificate",
                "stack config",
            ],
            ["environment only: token beats secret", {}, { AUTOPILOT_ACCESS_TOKEN: "t", AZURE_CLIENT_SECRET: "s" }, "accessToken", "environment"],
            [
                "environment only: secret beats certificate",
                IDS,
                { AZURE_CLIENT_SECRET: "s", AZURE_CLIENT_CERTIFICATE_PATH: "/c.pem" },
                "clientSecret",
                "environment",
            ],
            ["environment only: OIDC", IDS, { AUTOPILOT_USE_OIDC: "1", AZURE_FEDERATED_TOKEN_FILE: "/t" }, "oidc", "environment"],
            [
                "useOidc=false in stack config turns the variable off",
                { ...IDS, "autopilot:useOidc": "false" },
                { AUTOPILOT_USE_OIDC: "true", AZURE_FEDERATED_TOKEN_FILE: "/t" },
                "default",
                "none",
            ],
            ["none: DefaultAzureCredential", IDS, { AZURE_FEDERATED_TOKEN_FILE: "/t" }, "default", "none"],
        ];
        for (const [name, config, env, credential, source] of cases) {
            it(name, () => {
                const cfg = resolveAuthConfig(from(config), env);
                assert.equal(cfg.credential, credential);
                assert.equal(cfg.credentialSource, source);
                // Only the chosen credential's values are kept.
                if (credential !== "clientSecret") assert.equal(cfg.clientSecret, undefined);
                if (credential !== "accessToken") assert.equal(cfg.accessToken, undefined);
            });
        }
    });

    it("useOidc: a token file, else GitHub Actions' ID-token endpoint, else Azure Pipelines", () => {
        const oidc = (env: NodeJS.ProcessEnv, extra: Record<string, string> = {}) =>
            resolveAuthConfig(from({ ...IDS, "autopilot:useOidc": "true", ...extra }), env).oidc;
        const gh = {
            ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0",
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req-token",
        };
        const ado = {
            SYSTEM_OIDCREQUESTURI: "https://dev.azure.com/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
            SYSTEM_ACCESSTOKEN: "sys-token",
            AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "sc-1",
        };
        assert.deepEqual(oidc({ ...gh, ...ado, AZURE_FEDERATED_TOKEN_FILE: "/var/run/token" }), { kind: "tokenFile", path: "/var/run/token" });
        assert.deepEqual(oidc({}, { "autopilot:oidcTokenFilePath": "/cfg/token" }), { kind: "tokenFile", path: "/cfg/token" });
        assert.deepEqual(oidc({ ...gh, ...ado }), {
            kind: "githubActions",
            requestUrl: gh.ACTIONS_ID_TOKEN_REQUEST_URL,
            requestToken: "req-token",
            audience: "api://AzureADTokenExchange",
        });
        assert.equal(
            (oidc(gh, { "autopilot:oidcAudience": "api://AzureADTokenExchangeUSGov" }) as { audience: string }).audience,
            "api://AzureADTokenExchangeUSGov",
        );
        assert.deepEqual(oidc(ado), { kind: "azurePipelines", serviceConnectionId: "sc-1", systemAccessToken: "sys-token" });
        assert.deepEqual(oidc({ ...ado, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "" }, { "autopilot:azureDevOpsServiceConnectionId": "sc-2" }), {
            kind: "azurePipelines",
            serviceConnectionId: "sc-2",
            systemAccessToken: "sys-token",
        });
    });

    it("useOidc without a token source says the three ways to give one", () => {
        assert.throws(
            () => resolveAuthConfig(from({ ...IDS, "autopilot:useOidc": "true" }), { ACTIONS_ID_TOKEN_REQUEST_URL: "https://x.example/idtoken" }),
            (e: Error) =>
                /^autopilot:useOidc \(or AUTOPILOT_USE_OIDC\) is true but no OIDC token was found: set autopilot:oidcTokenFilePath \(or AZURE_FEDERATED_TOKEN_FILE\)/.test(
                    e.message,
                ) &&
                /ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing/.test(e.message) &&
                /in Azure Pipelines, set SYSTEM_OIDCREQUESTURI, autopilot:azureDevOpsServiceConnectionId/.test(e.message),
        );
        assert.throws(
            () => resolveAuthConfig(from({ ...IDS, "autopilot:useOidc": "maybe" }), {}),
            /autopilot:useOidc \(or AUTOPILOT_USE_OIDC\) must be true or false; got "maybe"/,
        );
        assert.throws(
            () =>
                resolveAuthConfig(from({ ...IDS, "autopilot:useOidc": "true" }), {
                    ACTIONS_ID_TOKEN_REQUEST_URL: "http://evil.example/idtoken",
                    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t",
                }),
            (e: Error) => /ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL/.test(e.message) && !e.message.includes("evil"),
        );
    });

    it("a certificate keeps its password and chain flag", () => {
        const cfg = resolveAuthConfig(from({ ...IDS, "autopilot:clientCertificatePath": "/c.pem" }), {
            AZURE_CLIENT_CERTIFICATE_PASSWORD: "pw",
            AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: "true",
        });
        assert.equal(cfg.clientCertificatePath, "/c.pem");
        assert.equal(cfg.clientCertificatePassword, "pw");
        assert.equal(cfg.sendCertificateChain, true);
    });

    it("picks Graph host, authority and scope by autopilot:cloud", () => {
        const expected = {
            global: ["https://graph.microsoft.com", "https://login.microsoftonline.com"],
            usgov: ["https://graph.microsoft.us", "https://login.microsoftonline.us"],
            usgovdod: ["https://dod-graph.microsoft.us", "https://login.microsoftonline.us"],
            china: ["https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"],
        };
        for (const [name, [graph, authority]] of Object.entries(expected)) {
            const cfg = resolveAuthConfig(from({ "autopilot:cloud": name.toUpperCase() }), {});
            assert.equal(cfg.cloud, name);
            assert.equal(cfg.graphBaseUrl, graph);
            assert.equal(cfg.authorityHost, authority);
            assert.equal(cfg.customAuthority, false);
            assert.equal(graphScope(cfg.graphBaseUrl), `${graph}/.default`);
            assert.equal(graphScope(CLOUDS[name as keyof typeof CLOUDS].graphBaseUrl), `${graph}/.default`);
        }
        assert.equal(Object.keys(CLOUDS).length, 4);
        assert.equal(resolveAuthConfig(none, { AUTOPILOT_CLOUD: "china" }).cloud, "china");
        assert.throws(() => resolveAuthConfig(from({ "autopilot:cloud": "mars" }), {}), /autopilot:cloud .*global, usgov, usgovdod, china.*"mars"/);
    });

    it("lets autopilot:graphEndpoint override the cloud's Graph host, with the scope following it", () => {
        const cfg = resolveAuthConfig(from({ "autopilot:cloud": "usgov", "autopilot:graphEndpoint": "https://proxy.example.com/graph/" }), {});
        assert.equal(cfg.graphBaseUrl, "https://proxy.example.com/graph");
        assert.equal(cfg.authorityHost, "https://login.microsoftonline.us");
        assert.equal(graphScope(cfg.graphBaseUrl), "https://proxy.example.com/.default");
    });

    it("allows http for Graph only on loopback", () => {
        for (const ok of ["http://localhost:1234", "http://127.0.0.1:9", "http://127.10.0.2", "http://[::1]:8443", "https://graph.example.com"]) {
            assert.doesNotThrow(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": ok }), {}), ok);
        }
        for (const bad of ["http://graph.microsoft.com", "http://10.0.0.1", "http://127.0.0.1.nip.io", "http://localhost.evil.com", "ftp://localhost"]) {
            assert.throws(
                () => resolveAuthConfig(from({ "autopilot:graphEndpoint": bad }), {}),
                (e: Error) =>
                    /^autopilot:graphEndpoint \(or AUTOPILOT_GRAPH_ENDPOINT\) must be an https URL, or http on loopback only \(localhost, 127\.0\.0\.0\/8, ::1\)/.test(
                        e.message,
                    ),
                bad,
            );
        }
        assert.equal(isLoopbackHost("127.0.0.1"), true);
        assert.equal(isLoopbackHost("128.0.0.1"), false);
    });

    it("rejects a version segment, a query, garbage, and does not echo credentials in a URL", () => {
        assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://graph.microsoft.com/v1.0" }), {}), /leave out \/v1\.0/);
        assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://graph.microsoft.com/beta/" }), {}), /leave out \/beta/);
        assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://graph.microsoft.com?x=1" }), {}), /query/);
        assert.throws(() => resolveAuthConfig(from({ "autopilot:graphEndpoint": "graph.microsoft.com" }), {}), /not a URL/);
        assert.throws(
            () => resolveAuthConfig(from({ "autopilot:graphEndpoint": "https://user:hunter2@graph.example.com" }), {}),
            (e: Error) => /credentials/.test(e.message) && !e.message.includes("hunter2"),
        );
    });

    it("takes autopilot:authorityHost over https only, host without path; a custom one turns instance discovery off", () => {
        const cfg = resolveAuthConfig(from({ "autopilot:authorityHost": "https://127.0.0.1:5000/" }), {});
        assert.equal(cfg.authorityHost, "https://127.0.0.1:5000");
        assert.equal(cfg.customAuthority, true);
        assert.equal(resolveAuthConfig(from({ "autopilot:authorityHost": "https://login.microsoftonline.us" }), {}).customAuthority, false);
        assert.throws(
            () => resolveAuthConfig(from({ "autopilot:authorityHost": "http://localhost:5000" }), {}),
            /autopilot:authorityHost \(or AZURE_AUTHORITY_HOST\) must be an https URL.*sign-in works over https only/,
        );
        assert.throws(
            () => resolveAuthConfig(none, { AZURE_AUTHORITY_HOST: "http://login.example.com" }),
            /autopilot:authorityHost \(or AZURE_AUTHORITY_HOST\)/,
        );
        assert.throws(() => resolveAuthConfig(from({ "autopilot:authorityHost": "https://login.microsoftonline.com/contoso" }), {}), /give the host only/);
    });

    it("asks for tenantId and clientId with any app credential, without showing the secret", () => {
        assert.throws(
            () => resolveAuthConfig(from({ "autopilot:clientSecret": "very-secret" }), {}),
            (e: Error) =>
                /^autopilot:clientSecret is set, so autopilot:tenantId .* and autopilot:clientId .* must be set too/.test(e.message) &&
                !e.message.includes("very-secret"),
        );
        assert.throws(
            () => resolveAuthConfig(from({ "autopilot:tenantId": "t" }), { AZURE_CLIENT_CERTIFICATE_PATH: "/c.pem" }),
            /AZURE_CLIENT_CERTIFICATE_PATH is set, so autopilot:clientId \(or AZURE_CLIENT_ID\) must be set too/,
        );
        assert.throws(() => resolveAuthConfig(from({ "autopilot:useOidc": "true" }), {}), /autopilot:useOidc is set, so autopilot:tenantId/);
    });

    it("rejects a tenant id that is neither a GUID nor a domain", () => {
        assert.throws(() => resolveAuthConfig(from({ "autopilot:tenantId": "../evil" }), {}), /autopilot:tenantId/);
    });
});
