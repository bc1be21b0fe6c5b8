import { apiKeyEnvVars } from "./env.js";
import { maskKey } from "./mask.js";
import { openKeychain } from "./open-keychain.js";
import type { KeyProvider, KeySource, ResolveApiKeyOptions, ResolvedApiKey } from "./types.js";

/**
 * The API key for `provider`: the explicit one, else the provider's environment variable (`OPENAI_API_KEY`,
 * `ANTHROPIC_API_KEY`, `FAL_KEY`, `<PROVIDER>_API_KEY` for others), else the OS keychain entry `spendguard` /
 * `<provider>`. Blank values count as absent and surrounding whitespace is dropped. An OS keychain that cannot
 * be used (no library, no D-Bus, locked) only means no key from it. `undefined` when no source has one.
 *
 * The result prints masked (`String()`, `JSON.stringify`, `console.log`); read `.key` for the key itself.
 */
export async function resolveApiKey(
  provider: KeyProvider,
  explicit?: string,
  options: ResolveApiKeyOptions = {},
): Promise<ResolvedApiKey | undefined> {
  if (typeof provider !== "string" || provider === "") {
    throw new TypeError("Expected `provider` to be a non-empty string");
  }
  if (explicit !== undefined && typeof explicit !== "string") {
    throw new TypeError(`Expected the explicit API key to be a string, got ${typeof explicit}`);
  }

  const given = usable(explicit);
  if (given) return new MaskedKey(given, "explicit");

  const env = options.env ?? process.env;
  for (const name of apiKeyEnvVars(provider)) {
    const fromEnv = usable(env[name]);
    if (fromEnv) return new MaskedKey(fromEnv, "env");
  }

  try {
    const keychain = options.keychain ?? (await openKeychain());
    const stored = usable(await keychain.get(provider));
    return stored ? new MaskedKey(stored, "keychain") : undefined;
  } catch (error) {
    // By code rather than class: a Keychain of the caller's own, or a second copy of spendguard, can throw it too.
    if ((error as { code?: unknown } | null)?.code === "keychain_unavailable") return undefined;
    throw error;
  }
}

function usable(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

class MaskedKey implements ResolvedApiKey {
  readonly key: string;
  readonly source: KeySource;

  constructor(key: string, source: KeySource) {
    this.key = key;
    this.source = source;
  }

  toString(): string {
    return `${maskKey(this.key)} (${this.source})`;
  }

  toJSON(): { key: string; source: KeySource } {
    return { key: maskKey(this.key), source: this.source };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `ResolvedApiKey { key: '${maskKey(this.key)}', source: '${this.source}' }`;
  }
}
