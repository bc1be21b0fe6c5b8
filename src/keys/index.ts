export { API_KEY_ENV_VARS, apiKeyEnvVars } from "./env.js";
export { KeychainUnavailableError } from "./errors.js";
export { keychainKey, keychainKeyNeeded } from "./factory-key.js";
export { maskKey } from "./mask.js";
export { KEYCHAIN_SERVICE, type OpenKeychainOptions, openKeychain } from "./open-keychain.js";
export { resolveApiKey } from "./resolve.js";
export type { Keychain, KeyProvider, KeySource, ResolveApiKeyOptions, ResolvedApiKey } from "./types.js";
