export { CLOUDS, DEFAULT_CLOUD, findCloud, isKnownAuthorityHost } from "./clouds";
export type { Cloud, CloudName } from "./clouds";
export { resolveAuthConfig } from "./config";
export { isLoopbackHost } from "./endpoints";
export type { AuthConfig, CredentialKind, OidcSource } from "./config";
export { chooseCredential } from "./credentials";
export type { CredentialChoice, CredentialOptions } from "./credentials";
export { fetchGitHubIdToken } from "./githubOidc";
export {
    createTokenSource,
    createCredential,
    graphScope,
    redactMessage,
    authFingerprint,
    describeAuth,
    CachingTokenSource,
    StaticTokenSource,
    TokenAcquisitionError,
    REFRESH_MARGIN_MS,
} from "./tokens";
export type { TokenSourceOptions, CachingTokenSourceOptions } from "./tokens";
