export { CLOUDS, DEFAULT_CLOUD, findCloud } from "./clouds";
export type { Cloud, CloudName } from "./clouds";
export { resolveAuthConfig, isLoopbackHost, CONFIG_KEYS } from "./config";
export type { AuthConfig, ConfigGet } from "./config";
export {
  createTokenSource,
  createCredential,
  graphScope,
  CachingTokenSource,
  StaticTokenSource,
  TokenAcquisitionError,
  REFRESH_MARGIN_MS,
} from "./tokens";
export type { TokenSourceOptions, CachingTokenSourceOptions } from "./tokens";
export { LoopbackClientSecretCredential } from "./loopbackCredential";
