import { apiKeyEnvVars } from "./env.js";
import { resolveApiKey } from "./resolve.js";
import type { Keychain } from "./types.js";

/**
 * For the one-line factories: whether the key has to come from the OS keychain (none given, none in the
 * environment), and a lazy, cached getter for it. The SDKs call it on the first request, so creating a client
 * stays synchronous and a machine without a keychain is only a problem when no key is found anywhere.
 */
export function keychainKeyNeeded(
  provider: string,
  given: unknown,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (given !== undefined && given !== null) return false;
  return !apiKeyEnvVars(provider).some((name) => (env[name] ?? "").trim() !== "");
}

export function keychainKey(provider: string, keychain?: Keychain): () => Promise<string> {
  let cached: string | undefined;
  return async () => {
    if (cached !== undefined) return cached;
    const found = await resolveApiKey(provider, undefined, { env: {}, ...(keychain && { keychain }) });
    if (!found) {
      const variable = apiKeyEnvVars(provider)[0] ?? `${provider.toUpperCase()}_API_KEY`;
      throw new Error(
        `No API key for ${provider}: pass \`apiKey\`, set ${variable}, or store one in the OS keychain with ` +
          `\`spendguard keys set ${provider}\``,
      );
    }
    cached = found.key;
    return cached;
  };
}
