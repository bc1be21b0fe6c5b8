import { keychainFailure } from "./errors.js";
import type { Keychain } from "./types.js";

/** The part of `@napi-rs/keyring` used here (declared locally: it is an optional peer). */
export interface NapiKeyringModule {
  AsyncEntry: new (
    service: string,
    account: string,
    options?: { linux?: { store?: "secret-service" | "keyutils" } },
  ) => {
    getPassword(): Promise<string | null>;
    setPassword(password: string): Promise<void>;
    deletePassword(): Promise<boolean>;
  };
  findCredentialsAsync(service: string): Promise<Array<{ account: string }>>;
}

const BACKEND = "@napi-rs/keyring";

/**
 * Pinned to the Secret Service on Linux (ignored elsewhere): by default the library silently falls back to the
 * kernel keyring, which is in memory only, so a key "saved" on a machine without a keyring would be lost at the
 * next reboot, and a read without D-Bus would quietly return null.
 */
const ENTRY_OPTIONS = { linux: { store: "secret-service" } } as const;

export function napiKeychain(keyring: NapiKeyringModule, service: string): Keychain {
  // Without a session bus the constructor itself throws, so it is called inside each operation's try.
  const entry = (account: string) => new keyring.AsyncEntry(service, account, ENTRY_OPTIONS);
  return {
    backend: BACKEND,
    async get(account) {
      try {
        return await entry(account).getPassword();
      } catch (error) {
        throw keychainFailure(BACKEND, `read the key for \`${account}\``, error);
      }
    },
    async set(account, secret) {
      try {
        await entry(account).setPassword(secret);
      } catch (error) {
        throw keychainFailure(BACKEND, `save the key for \`${account}\``, error, secret);
      }
    },
    async delete(account) {
      try {
        return await entry(account).deletePassword();
      } catch (error) {
        throw keychainFailure(BACKEND, `delete the key for \`${account}\``, error);
      }
    },
    async list() {
      let credentials: Array<{ account: string }>;
      try {
        credentials = await keyring.findCredentialsAsync(service);
      } catch (error) {
        throw keychainFailure(BACKEND, "list its keys", error);
      }
      // The credentials carry their passwords too: only the account names leave this function.
      return [...new Set(credentials.map((credential) => credential.account))].sort();
    },
  };
}
