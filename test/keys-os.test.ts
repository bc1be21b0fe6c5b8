/**
 * The keychain against the real Secret Service (Linux): each case runs test/fixtures/keyring-roundtrip.ts in a
 * child process with a temporary HOME, under its own session bus (`dbus-run-session`) and, for the round trip,
 * a GNOME Keyring unlocked with a throwaway password. A developer's own bus and keyring are never touched.
 * In CI (`CI` set) the tools must be there; elsewhere the cases that need them skip with a printed reason.
 */

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const FIXTURE = "test/fixtures/keyring-roundtrip.ts";
const TOOLS = ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"];

const linux = process.platform === "linux";
const inCi = Boolean(process.env.CI);
const missing = linux
  ? TOOLS.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
  : [];
const skipReason = !linux
  ? "the Secret Service is Linux only"
  : missing.length > 0
    ? `not installed: ${missing.join(", ")} (apt-get install gnome-keyring dbus-x11 libsecret-tools)`
    : undefined;
if (skipReason && !(linux && inCi))
  console.warn(`test/keys-os.test.ts: Secret Service cases skipped, ${skipReason}`);

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "spendguard-keyring-"));
  homes.push(home);
  mkdirSync(join(home, "run"), { mode: 0o700 });
  return home;
}

/** A random secret per run, so finding it in the output can only mean a leak. */
function newSecret(): string {
  return `sk-test-${randomBytes(18).toString("hex")}`;
}

interface Run {
  result: Record<string, unknown>;
  output: string;
}

/**
 * `wrap`: `unlocked` = own bus + GNOME Keyring unlocked (its `login` keyring created on first use); `locked` =
 * own bus, nothing unlocked (D-Bus starts the daemon, whose unlock prompt has no display and fails at once);
 * `no-bus` = no session bus at all. A `home` from an earlier run keeps that run's keyring.
 */
function runFixture(
  mode: "roundtrip" | "seed" | "unavailable",
  wrap: "unlocked" | "locked" | "no-bus",
  secret: string,
  home = newHome(),
): Run {
  // Only what the child needs: no DBUS_SESSION_BUS_ADDRESS, DISPLAY or GNOME_KEYRING_CONTROL from this shell.
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_RUNTIME_DIR: join(home, "run"),
    SPENDGUARD_TEST_SECRET: secret,
    KEYRING_PASSWORD: "throwaway-test-password",
  };
  const node = [process.execPath, "--import", "tsx", FIXTURE, mode];
  const unlockThenRun =
    'mkdir -p "$HOME/.local/share/keyrings" && ' +
    'printf "%s" "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"';
  const [command, ...args] =
    wrap === "unlocked"
      ? ["dbus-run-session", "--", "sh", "-c", unlockThenRun, "sh", ...node]
      : wrap === "locked"
        ? ["dbus-run-session", "--", ...node]
        : node;
  const child = spawnSync(command!, args, { cwd: root, env, encoding: "utf8", timeout: 25_000 });
  const output = `${child.stdout}\n${child.stderr}`;
  const line = child.stdout.split("\n").find((text) => text.startsWith("RESULT "));
  expect(line, `no result (exit ${child.status}, ${child.signal ?? "no signal"}):\n${output}`).toBeDefined();
  return { result: JSON.parse(line!.slice("RESULT ".length)), output };
}

describe("the OS keychain through the real Secret Service", () => {
  it.runIf(linux && inCi)("has its tools installed in CI", () => {
    expect(missing, "install gnome-keyring dbus-x11 libsecret-tools (.ci/run does)").toEqual([]);
  });

  it.skipIf(skipReason !== undefined)("stores, lists, reads and deletes keys in an unlocked keyring", () => {
    const secret = newSecret();
    const { result, output } = runFixture("roundtrip", "unlocked", secret);
    expect(result).toEqual({
      backend: "@napi-rs/keyring",
      before: null,
      getMatches: true,
      // secret-tool reads it: it is in the Secret Service, not in the kernel's in-memory keyring.
      inSecretService: true,
      list: ["anthropic", "openai"],
      resolved: { source: "keychain", matches: true },
      readsSecretTool: true,
      deleted: true,
      deletedAgain: false,
      after: null,
      listAfter: ["anthropic", "fal"],
    });
    // The fixture logged the resolved key three ways: masked each time, and the secret nowhere.
    expect(output).toContain(`resolved: sk-…${secret.slice(-4)} (keychain)`);
    expect(output).toContain(
      `resolved: ResolvedApiKey { key: 'sk-…${secret.slice(-4)}', source: 'keychain' }`,
    );
    expect(output).toContain(`resolved: {"key":"sk-…${secret.slice(-4)}","source":"keychain"}`);
    expect(output).not.toContain(secret);
    expect(output).not.toContain(secret.slice(8, 30));
  });

  it.skipIf(skipReason !== undefined)(
    "fails every operation on a locked keyring and resolves no key from it",
    () => {
      const secret = newSecret();
      const home = newHome();
      expect(runFixture("seed", "unlocked", secret, home).result).toEqual({ seeded: true });
      const { result, output } = runFixture("unavailable", "locked", secret, home);
      const unavailable = { error: { name: "KeychainUnavailableError", code: "keychain_unavailable" } };
      expect(result).toMatchObject({
        get: unavailable,
        set: unavailable,
        delete: unavailable,
        list: unavailable,
      });
      expect(result.resolved).toBeNull();
      expect(JSON.stringify(result)).toContain("could not read the key for `openai`");
      expect(output).not.toContain(secret);
    },
  );

  it.skipIf(skipReason !== undefined)("with no keyring at all, reads find nothing and saving fails", () => {
    // A fresh headless account: the Secret Service answers, but has no collection to write to.
    const secret = newSecret();
    const { result, output } = runFixture("unavailable", "locked", secret);
    expect(result).toMatchObject({
      get: { value: null },
      set: { error: { name: "KeychainUnavailableError", code: "keychain_unavailable" } },
      delete: { value: false },
      list: { value: [] },
      resolved: null,
    });
    expect(JSON.stringify(result)).toContain("could not save the key for `openai`");
    expect(output).not.toContain(secret);
  });

  it.skipIf(!linux)(
    "fails every operation with KeychainUnavailableError when there is no session bus",
    () => {
      const secret = newSecret();
      const { result, output } = runFixture("unavailable", "no-bus", secret);
      const unavailable = { error: { name: "KeychainUnavailableError", code: "keychain_unavailable" } };
      // Pinned to the Secret Service: no silent fallback to the kernel keyring, no silent null.
      expect(result).toMatchObject({
        backend: "@napi-rs/keyring",
        get: unavailable,
        set: unavailable,
        delete: unavailable,
        list: unavailable,
        resolved: null,
      });
      expect(JSON.stringify(result)).toContain("DBUS_SESSION_BUS_ADDRESS");
      expect(JSON.stringify(result)).toContain("dbus-run-session");
      expect(output).not.toContain(secret);
    },
  );
});
