import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  apiKeyEnvVars,
  type Keychain,
  KeychainUnavailableError,
  maskKey,
  resolveApiKey,
} from "../src/keys/index.js";
import { type ModuleLoader, openKeychainWith } from "../src/keys/open-keychain.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "sk-test-0123456789abcdefSECRET";

/** A keychain in memory; `reads` records which accounts were asked for. */
function memoryKeychain(entries: Record<string, string> = {}) {
  const secrets = new Map(Object.entries(entries));
  const reads: string[] = [];
  const keychain: Keychain = {
    backend: "memory",
    async get(account) {
      reads.push(account);
      return secrets.get(account) ?? null;
    },
    async set(account, secret) {
      secrets.set(account, secret);
    },
    async delete(account) {
      return secrets.delete(account);
    },
    async list() {
      return [...secrets.keys()].sort();
    },
  };
  return { keychain, reads };
}

function unavailableKeychain(): Keychain {
  const fail = async (): Promise<never> => {
    throw new KeychainUnavailableError("no D-Bus session");
  };
  return { backend: "broken", get: fail, set: fail, delete: fail, list: fail };
}

/** A `require` that finds only the modules given (with a current `@napi-rs/keyring/package.json`). */
function loader(given: Record<string, () => unknown>): ModuleLoader {
  const modules: Record<string, () => unknown> = {
    "@napi-rs/keyring/package.json": () => ({ version: "2.1.2" }),
    ...given,
  };
  const load = (id: string) => {
    const module = modules[id];
    if (!module) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    return module();
  };
  return Object.assign(load, {
    resolve(id: string) {
      if (!modules[id])
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
      return `/node_modules/${id}/index.js`;
    },
  });
}

/** A fake `@napi-rs/keyring` recording what entries were created with; `fail` makes every operation throw. */
function fakeNapi(options: { fail?: (secret?: string) => Error; throwOnConstruct?: Error } = {}) {
  const secrets = new Map<string, string>();
  const created: unknown[][] = [];
  const fail = options.fail;
  class AsyncEntry {
    readonly id: string;
    constructor(...args: [string, string, unknown?]) {
      if (options.throwOnConstruct) throw options.throwOnConstruct;
      created.push(args);
      this.id = `${args[0]}/${args[1]}`;
    }
    async getPassword() {
      if (fail) throw fail();
      return secrets.get(this.id) ?? null;
    }
    async setPassword(password: string) {
      if (fail) throw fail(password);
      secrets.set(this.id, password);
    }
    async deletePassword() {
      if (fail) throw fail();
      return secrets.delete(this.id);
    }
  }
  const module = {
    AsyncEntry,
    async findCredentialsAsync(service: string) {
      if (fail) throw fail();
      return [...secrets]
        .filter(([id]) => id.startsWith(`${service}/`))
        .map(([id, password]) => ({ account: id.slice(service.length + 1), password }));
    },
  };
  return { module, created };
}

function fakeKeytar() {
  const secrets = new Map<string, string>();
  const calls: string[] = [];
  const module = {
    async getPassword(service: string, account: string) {
      calls.push(`get ${service} ${account}`);
      return secrets.get(`${service}/${account}`) ?? null;
    },
    async setPassword(service: string, account: string, password: string) {
      calls.push(`set ${service} ${account}`);
      secrets.set(`${service}/${account}`, password);
    },
    async deletePassword(service: string, account: string) {
      calls.push(`delete ${service} ${account}`);
      return secrets.delete(`${service}/${account}`);
    },
    async findCredentials(service: string) {
      calls.push(`find ${service}`);
      return [...secrets].map(([id, password]) => ({ account: id.split("/")[1] ?? "", password }));
    },
  };
  return { module, calls };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

/** Everything a log line or error report could show of a value. */
function allRenderings(value: unknown): string {
  return [String(value), JSON.stringify(value) ?? "", inspect(value, { depth: 10 })].join("\n");
}

describe("resolveApiKey", () => {
  it("takes the explicit key first", async () => {
    const { keychain, reads } = memoryKeychain({ openai: "sk-from-keychain" });
    const resolved = await resolveApiKey("openai", "sk-explicit", {
      env: { OPENAI_API_KEY: "sk-from-env" },
      keychain,
    });
    expect(resolved).toEqual({ key: "sk-explicit", source: "explicit" });
    expect(reads).toEqual([]);
  });

  it("then the provider's environment variable, without touching the keychain", async () => {
    const { keychain, reads } = memoryKeychain({ openai: "k", anthropic: "k", fal: "k" });
    const env = { OPENAI_API_KEY: "sk-openai", ANTHROPIC_API_KEY: "sk-ant-x", FAL_KEY: "id:secret" };
    expect(await resolveApiKey("openai", undefined, { env, keychain })).toEqual({
      key: "sk-openai",
      source: "env",
    });
    expect(await resolveApiKey("anthropic", undefined, { env, keychain })).toEqual({
      key: "sk-ant-x",
      source: "env",
    });
    expect(await resolveApiKey("fal", undefined, { env, keychain })).toEqual({
      key: "id:secret",
      source: "env",
    });
    expect(reads).toEqual([]);
  });

  it("then the keychain, under the provider's name", async () => {
    const { keychain, reads } = memoryKeychain({ anthropic: "sk-ant-stored" });
    const resolved = await resolveApiKey("anthropic", undefined, {
      env: { OPENAI_API_KEY: "sk-other" },
      keychain,
    });
    expect(resolved).toEqual({ key: "sk-ant-stored", source: "keychain" });
    expect(reads).toEqual(["anthropic"]);
  });

  it("is undefined when no source has a key", async () => {
    const { keychain } = memoryKeychain({ openai: "sk-x" });
    expect(await resolveApiKey("anthropic", undefined, { env: {}, keychain })).toBeUndefined();
  });

  it("counts blank values as absent and trims the others", async () => {
    const { keychain } = memoryKeychain({ openai: "  sk-stored\n" });
    expect(await resolveApiKey("openai", "  ", { env: { OPENAI_API_KEY: "" }, keychain })).toEqual({
      key: "sk-stored",
      source: "keychain",
    });
    const blankStored = memoryKeychain({ openai: " " }).keychain;
    expect(await resolveApiKey("openai", "", { env: {}, keychain: blankStored })).toBeUndefined();
    expect(await resolveApiKey("openai", " sk-explicit ", { env: {} })).toEqual({
      key: "sk-explicit",
      source: "explicit",
    });
  });

  it("reads <PROVIDER>_API_KEY for a provider missing from the table", async () => {
    expect(apiKeyEnvVars("minimax")).toEqual(["MINIMAX_API_KEY"]);
    expect(apiKeyEnvVars("my-proxy.v2")).toEqual(["MY_PROXY_V2_API_KEY"]);
    expect(apiKeyEnvVars("constructor")).toEqual(["CONSTRUCTOR_API_KEY"]);
    const { keychain } = memoryKeychain();
    expect(
      await resolveApiKey("minimax", undefined, { env: { MINIMAX_API_KEY: "eyJ-token" }, keychain }),
    ).toEqual({
      key: "eyJ-token",
      source: "env",
    });
  });

  it("treats an unusable keychain as no key, and other failures as errors", async () => {
    expect(
      await resolveApiKey("openai", undefined, { env: {}, keychain: unavailableKeychain() }),
    ).toBeUndefined();
    const buggy: Keychain = {
      ...memoryKeychain().keychain,
      get: async () => {
        throw new TypeError("bug");
      },
    };
    await expect(resolveApiKey("openai", undefined, { env: {}, keychain: buggy })).rejects.toThrow("bug");
  });

  it("rejects a provider that is not a non-empty string", async () => {
    await expect(resolveApiKey("", "sk-x")).rejects.toThrow(TypeError);
    await expect(resolveApiKey("openai", 42 as unknown as string)).rejects.toThrow(
      "Expected the explicit API key to be a string, got number",
    );
  });

  it("never shows the key when the result is printed, serialized or inspected", async () => {
    for (const resolved of [
      await resolveApiKey("openai", SECRET),
      await resolveApiKey("openai", undefined, { env: { OPENAI_API_KEY: SECRET } }),
      await resolveApiKey("openai", undefined, {
        env: {},
        keychain: memoryKeychain({ openai: SECRET }).keychain,
      }),
    ]) {
      expect(resolved?.key).toBe(SECRET);
      const shown = allRenderings(resolved);
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain("0123456789");
      expect(shown).toContain("sk-…CRET");
      expect(String(resolved)).toBe(`sk-…CRET (${resolved?.source})`);
    }
  });
});

describe("maskKey", () => {
  it("shows the sk- prefix and the last 4 characters only", () => {
    expect(maskKey("sk-proj-abcdefghijklmnopabcd")).toBe("sk-…abcd");
    expect(maskKey("sk-ant-api03-XXXXXXXXXXXXXXXX-wxyz")).toBe("sk-…wxyz");
    expect(maskKey("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:0123456789abcdef")).toBe("…cdef");
  });

  it("hides short keys entirely", () => {
    expect(maskKey("sk-short")).toBe("sk-…");
    expect(maskKey("abcdefghijk")).toBe("…");
    expect(maskKey("")).toBe("…");
  });
});

describe("openKeychain", () => {
  it("fails with a typed error naming what to install when no keychain library is installed", async () => {
    const error = (() => {
      try {
        openKeychainWith(loader({}));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(KeychainUnavailableError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: "keychain_unavailable", name: "KeychainUnavailableError" });
    expect((error as Error).message).toContain("@napi-rs/keyring: not installed; keytar: not installed");
    expect((error as Error).message).toContain("npm install @napi-rs/keyring");
  });

  it("says why an installed library could not be loaded", () => {
    const broken = loader({
      "@napi-rs/keyring": () => {
        throw new Error("Cannot find native binding.\nnpm has a bug related to optional dependencies");
      },
    });
    expect(() => openKeychainWith(broken)).toThrow(
      "@napi-rs/keyring: installed but failed to load: Cannot find native binding.; keytar: not installed",
    );
  });

  it("refuses a @napi-rs/keyring too old to pin the Secret Service", () => {
    const old = {
      "@napi-rs/keyring": () => fakeNapi().module,
      "@napi-rs/keyring/package.json": () => ({ version: "2.0.0" }),
    };
    expect(() => openKeychainWith(loader(old))).toThrow(
      "@napi-rs/keyring: version 2.0.0 is too old (spendguard needs 2.1.0 or newer); keytar: not installed",
    );
    const keytar = fakeKeytar();
    expect(openKeychainWith(loader({ ...old, keytar: () => keytar.module })).backend).toBe("keytar");
  });

  it("uses @napi-rs/keyring pinned to the Secret Service, under service spendguard", async () => {
    const napi = fakeNapi();
    const keychain = openKeychainWith(loader({ "@napi-rs/keyring": () => napi.module, keytar: () => ({}) }));
    expect(keychain.backend).toBe("@napi-rs/keyring");
    await keychain.set("openai", SECRET);
    await keychain.set("fal", "id:secret");
    expect(await keychain.get("openai")).toBe(SECRET);
    expect(await keychain.list()).toEqual(["fal", "openai"]);
    expect(await keychain.delete("openai")).toBe(true);
    expect(await keychain.delete("openai")).toBe(false);
    expect(await keychain.get("openai")).toBeNull();
    expect(napi.created[0]).toEqual(["spendguard", "openai", { linux: { store: "secret-service" } }]);
    expect(napi.created.every((args) => args[0] === "spendguard")).toBe(true);
  });

  it("falls back to keytar when that is what is installed", async () => {
    const keytar = fakeKeytar();
    const keychain = openKeychainWith(loader({ keytar: () => keytar.module }), {
      service: "spendguard-test",
    });
    expect(keychain.backend).toBe("keytar");
    await keychain.set("anthropic", SECRET);
    expect(await keychain.get("anthropic")).toBe(SECRET);
    expect(await keychain.list()).toEqual(["anthropic"]);
    expect(await keychain.delete("anthropic")).toBe(true);
    expect(keytar.calls).toEqual([
      "set spendguard-test anthropic",
      "get spendguard-test anthropic",
      "find spendguard-test",
      "delete spendguard-test anthropic",
    ]);
  });

  it("turns a keychain that cannot run into KeychainUnavailableError on every operation", async () => {
    // What @napi-rs/keyring does without a session bus: the entry's constructor throws.
    const noBus = new Error("Platform failure: DBus error: set your DBUS_SESSION_BUS_ADDRESS instead");
    const napi = fakeNapi({ throwOnConstruct: noBus });
    const keychain = openKeychainWith(loader({ "@napi-rs/keyring": () => napi.module }));
    for (const operation of [
      () => keychain.get("openai"),
      () => keychain.set("openai", SECRET),
      () => keychain.delete("openai"),
    ]) {
      await expect(operation()).rejects.toThrow(KeychainUnavailableError);
    }
    const error = (await rejection(keychain.get("openai"))) as KeychainUnavailableError;
    expect(error.message).toContain("could not read the key for `openai`: Platform failure: DBus error");
    if (process.platform === "linux") expect(error.message).toContain("dbus-run-session");
    expect(error.cause).toBe(noBus);
  });

  it("never puts the secret in an error, even when the library's own error quotes it", async () => {
    const napi = fakeNapi({
      fail: (secret) => new Error(`cannot store \`${secret}\`: collection is locked`),
    });
    const keychain = openKeychainWith(loader({ "@napi-rs/keyring": () => napi.module }));
    const error = await rejection(keychain.set("openai", SECRET));
    expect(error).toBeInstanceOf(KeychainUnavailableError);
    expect((error as Error).message).toContain("cannot store `[redacted]`: collection is locked");
    expect((error as Error).cause).toBeUndefined();
    expect(allRenderings(error)).not.toContain(SECRET);
    expect(String((error as Error).stack)).not.toContain(SECRET);
  });

  it("checks its arguments without describing the secret", async () => {
    const keychain = openKeychainWith(loader({ "@napi-rs/keyring": () => fakeNapi().module }));
    await expect(keychain.get("")).rejects.toThrow("Expected `account` to be a non-empty string");
    await expect(keychain.set("openai", "")).rejects.toThrow("Expected `secret` to be a non-empty string");
    const error = await rejection(keychain.set("openai", 12345678 as unknown as string));
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).not.toContain("12345678");
  });

  it("loads a keychain library only when the keychain is needed, and an unreachable one is no key", () => {
    const script = `
      import { createRequire } from "node:module";
      const { resolveApiKey } = await import("./src/keys/index.ts");
      const loaded = () =>
        Object.keys(createRequire(import.meta.url).cache).some((path) => /@napi-rs.keyring|keytar/.test(path));
      const before = loaded();
      await resolveApiKey("openai", "sk-explicit");
      await resolveApiKey("openai", undefined, { env: { OPENAI_API_KEY: "sk-env" } });
      const afterEnv = loaded();
      const resolved = await resolveApiKey("openai", undefined, { env: {} });
      console.log(JSON.stringify({ before, afterEnv, afterKeychain: loaded(), resolved: resolved ?? null }));
    `;
    // No session bus, so on Linux the Secret Service cannot be reached (and a developer's own is not read).
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).toBe("");
    const result = JSON.parse(child.stdout);
    expect(result).toMatchObject({ before: false, afterEnv: false, afterKeychain: true });
    if (process.platform === "linux") expect(result.resolved).toBeNull();
  });
});
