export { CLOUDS } from "./clouds";
export { resolveAuthConfig } from "./config";
export { isLoopbackHost } from "./endpoints";
export type { AuthConfig } from "./config";
export { chooseCredential } from "./credentials";
export type { CredentialOptions } from "./credentials";
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
} from "./tokens";
