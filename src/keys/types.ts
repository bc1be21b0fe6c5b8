/** Providers with a known environment variable; any other name works too (see `API_KEY_ENV_VARS`). */
export type KeyProvider = "openai" | "anthropic" | "fal" | (string & {});

/** Where a resolved key came from, in the order they are tried. */
export type KeySource = "explicit" | "env" | "keychain";

export interface ResolvedApiKey {
  readonly key: string;
  readonly source: KeySource;
}

/**
 * Secrets stored under one service name (`spendguard`), one per account (the provider name). Implementations
 * throw `KeychainUnavailableError` when the OS keychain cannot be reached, and never put a secret in an error.
 */
export interface Keychain {
  /** The library behind it: `@napi-rs/keyring` and `keytar` cannot read each other's secrets. */
  readonly backend: string;
  /** The secret, or `null` when none is stored for this account. */
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** `true` when a secret was deleted, `false` when there was none. */
  delete(account: string): Promise<boolean>;
  /** The accounts that have a secret, sorted. */
  list(): Promise<string[]>;
}

export interface ResolveApiKeyOptions {
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default the OS keychain, opened on first need with `openKeychain()` */
  keychain?: Keychain;
}
