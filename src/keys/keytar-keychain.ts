import { keychainFailure } from "./errors.js";
import type { Keychain } from "./types.js";

/** The part of `keytar` used here (declared locally: it is an optional peer). */
export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string }>>;
}

const BACKEND = "keytar";

export function keytarKeychain(keytar: KeytarModule, service: string): Keychain {
  return {
    backend: BACKEND,
    async get(account) {
      try {
        return await keytar.getPassword(service, account);
      } catch (error) {
        throw keychainFailure(BACKEND, `read the key for \`${account}\``, error);
      }
    },
    async set(account, secret) {
      try {
        await keytar.setPassword(service, account, secret);
      } catch (error) {
        throw keychainFailure(BACKEND, `save the key for \`${account}\``, error, secret);
      }
    },
    async delete(account) {
      try {
        return await keytar.deletePassword(service, account);
      } catch (error) {
        throw keychainFailure(BACKEND, `delete the key for \`${account}\``, error);
      }
    },
    async list() {
      let credentials: Array<{ account: string }>;
      try {
        credentials = await keytar.findCredentials(service);
      } catch (error) {
        throw keychainFailure(BACKEND, "list its keys", error);
      }
      return [...new Set(credentials.map((credential) => credential.account))].sort();
    },
  };
}
