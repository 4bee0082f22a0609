import { resolveAuthConfig, type AuthConfig } from "../auth/config";
import { resolveTuning, type ConfigGetter, type Tuning } from "./table";

export { DEFAULT_TUNING, SETTINGS, type ConfigGetter, type Setting, type Tuning } from "./table";

/** Every setting, validated: where requests go and who signs in, and the tuning. */
export interface Settings extends Tuning {
    readonly auth: AuthConfig;
}

/**
 * Reads every setting: stack config (`get`, namespaced keys) wins over the environment; an empty
 * value counts as not set. Throws an Error naming the key, its variable and what is allowed when a
 * value is unusable; messages never contain secret values.
 */
export function resolveSettings(get: ConfigGetter, env: NodeJS.ProcessEnv = process.env): Settings {
    return { ...resolveTuning(get, env), auth: resolveAuthConfig(get, env) };
}
