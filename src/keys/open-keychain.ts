import { createRequire } from "node:module";
import { expected } from "../expected.js";
import { noKeychainLibrary } from "./errors.js";
import { type KeytarModule, keytarKeychain } from "./keytar-keychain.js";
import { type NapiKeyringModule, napiKeychain } from "./napi-keychain.js";
import type { Keychain } from "./types.js";

/** The service every key is stored under; the account is the provider name. */
export const KEYCHAIN_SERVICE = "spendguard";

export interface OpenKeychainOptions {
  /** @default "spendguard" */
  service?: string;
}

/** `require` as far as loading the optional keychain libraries needs it (a seam for tests). */
export interface ModuleLoader {
  (id: string): unknown;
  resolve(id: string): string;
}

/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on Linux) through
 * `@napi-rs/keyring`, or through `keytar` when that is what is installed instead. Neither is loaded before this
 * is called.
 *
 * The two libraries store different attributes, so **neither can read a secret the other saved**: switching
 * libraries means saving the keys again. (keyring-rs tools such as `secret-tool store service spendguard
 * username openai` write what `@napi-rs/keyring` reads.)
 *
 * Throws `KeychainUnavailableError` when neither library can be loaded. Reaching the keychain itself (a D-Bus
 * session, an unlocked keyring) is checked by each operation, which throws the same error when it cannot.
 */
export async function openKeychain(options: OpenKeychainOptions = {}): Promise<Keychain> {
  return openKeychainWith(createRequire(import.meta.url), options);
}

export function openKeychainWith(load: ModuleLoader, options: OpenKeychainOptions = {}): Keychain {
  const service = options.service ?? KEYCHAIN_SERVICE;
  if (typeof service !== "string" || service === "") throw expected("service", "a non-empty string", service);

  const reasons: Record<string, string> = {};
  const napi = tryLoad<NapiKeyringModule>(load, "@napi-rs/keyring", reasons);
  if (napi && pinsSecretService(load, reasons)) return checked(napiKeychain(napi, service));
  const keytar = tryLoad<KeytarModule>(load, "keytar", reasons);
  if (keytar) return checked(keytarKeychain(keytar, service));
  throw noKeychainLibrary(reasons);
}

function tryLoad<T>(load: ModuleLoader, id: string, reasons: Record<string, string>): T | undefined {
  try {
    load.resolve(id);
  } catch {
    reasons[id] = "not installed";
    return undefined;
  }
  try {
    return load(id) as T;
  } catch (error) {
    // Installed but unusable, e.g. no prebuilt binary for this platform or a failed native build.
    const message = error instanceof Error ? error.message : String(error);
    reasons[id] = `installed but failed to load: ${message.split("\n")[0]}`;
    return undefined;
  }
}

/**
 * Versions before 2.1.0 ignore the option that pins the Secret Service, and would silently keep keys in the
 * kernel's in-memory keyring on Linux.
 */
function pinsSecretService(load: ModuleLoader, reasons: Record<string, string>): boolean {
  let version: string;
  try {
    version = String((load("@napi-rs/keyring/package.json") as { version?: unknown }).version);
  } catch {
    version = "unknown";
  }
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major > 2 || (major === 2 && minor >= 1)) return true;
  reasons["@napi-rs/keyring"] = `version ${version} is too old (spendguard needs 2.1.0 or newer)`;
  return false;
}

/** Argument checks shared by both libraries. The secret is never described in the error. */
function checked(keychain: Keychain): Keychain {
  return {
    backend: keychain.backend,
    async get(account) {
      checkAccount(account);
      return keychain.get(account);
    },
    async set(account, secret) {
      checkAccount(account);
      if (typeof secret !== "string" || secret === "") {
        throw new TypeError("Expected `secret` to be a non-empty string");
      }
      return keychain.set(account, secret);
    },
    async delete(account) {
      checkAccount(account);
      return keychain.delete(account);
    },
    list: () => keychain.list(),
  };
}

function checkAccount(account: unknown): void {
  if (typeof account !== "string" || account === "") throw expected("account", "a non-empty string", account);
}
