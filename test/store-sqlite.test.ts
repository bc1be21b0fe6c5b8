import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type SqliteDatabase, sqliteStore } from "../src/stores/sqlite.js";
import type { ScopeRef } from "../src/stores/types.js";
import { storeConformanceCases } from "../src/testing/index.js";
import { runFlows, workerRecord } from "./fixtures/store-processes.js";
import {
  killedHolderSettlesAtLease,
  LEASE_MS,
  processesStayWithinBudget,
  type SharedStore,
  T0,
  USD,
} from "./fixtures/store-scenarios.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "spendguard-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the SQLite store: conformance", () => {
  // Every case opens its own connection to one shared file, as separate processes would.
  const path = join(dir, "conformance.db");
  for (const conformance of storeConformanceCases(() => sqliteStore({ path }))) {
    it(conformance.name, conformance.run);
  }
});

describe("the SQLite store", () => {
  const shared = (name: string): SharedStore => {
    const path = join(dir, name);
    return { open: () => sqliteStore({ path }), spec: { kind: "sqlite", path } };
  };

  it("keeps 4 processes × 250 concurrent flows within one budget, with exact totals", async () => {
    await processesStayWithinBudget(shared("processes.db"));
  }, 120_000);

  it("a process killed while holding frees nothing: the hold blocks others until its lease settles it in full", async () => {
    const { store } = await killedHolderSettlesAtLease(shared("crash.db"));
    await store.close?.();
  }, 60_000);

  it("migrates a new file once, even when several processes open it at the same time", async () => {
    const path = join(dir, "fresh.db");
    const budget: ScopeRef = { id: "fresh", key: "fresh", limit: USD, thresholds: [] };
    const results = await runFlows(
      [1, 2, 3].map((n) => ({
        store: { kind: "sqlite" as const, path },
        mode: "flows" as const,
        name: `fresh${n}`,
        scopes: [budget],
        now: T0,
        expiresAt: T0 + LEASE_MS,
        flows: 4,
        callsPerFlow: 5,
        maxAmount: 1000,
        seed: n,
      })),
    );
    const store = sqliteStore({ path });
    const [balance] = await store.read({ scopes: [budget], now: T0 });
    expect(balance?.spent).toBe(results.reduce((sum, result) => sum + result.actual, 0));
    await store.close?.();
  }, 60_000);

  it("keeps at most historyLimit records, newest first", async () => {
    const store = sqliteStore({ path: join(dir, "capped.db"), historyLimit: 3 });
    const scope: ScopeRef = { id: "capped", key: "capped", limit: USD, thresholds: [] };
    for (let i = 0; i < 5; i++) await store.record(workerRecord(`r${i}`, [scope], T0 + i, {}));
    expect((await store.history({})).map((record) => record.id)).toEqual(["r4", "r3", "r2"]);
    expect((await store.history({ sessionId: "capped" })).map((record) => record.id)).toEqual([
      "r4",
      "r3",
      "r2",
    ]);
    await store.close?.();
  });

  it("works on a database the caller opened, and leaves it open", async () => {
    const Database = createRequire(import.meta.url)("better-sqlite3") as new (
      path: string,
    ) => SqliteDatabase & { open: boolean };
    const database = new Database(join(dir, "given.db"));
    const store = sqliteStore({ database });
    const scope: ScopeRef = { id: "given", key: "given", limit: USD, thresholds: [] };
    const reserved = await store.reserve({
      holdId: "h",
      amount: 5,
      scopes: [scope],
      now: T0,
      expiresAt: T0 + LEASE_MS,
      record: workerRecord("h", [scope], T0, {}),
    });
    expect(reserved.ok).toBe(true);
    await store.close?.();
    expect(database.open).toBe(true);
    expect(database.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    database.close();
  });

  it("refuses a database written by a newer schema", async () => {
    const path = join(dir, "newer.db");
    await sqliteStore({ path }).close?.();
    execFileSync(process.execPath, [
      "-e",
      `const D = require("better-sqlite3"); const d = new D(${JSON.stringify(path)}); d.pragma("user_version = 99"); d.close();`,
    ]);
    expect(() => sqliteStore({ path })).toThrow(/schema version 99, newer than this spendguard knows/);
  });

  it("rejects a hold id that is already held, changing nothing", async () => {
    const store = sqliteStore({ path: join(dir, "duplicate.db") });
    const scope: ScopeRef = { id: "duplicate", key: "duplicate", limit: USD, thresholds: [] };
    const reserve = () =>
      store.reserve({
        holdId: "same",
        amount: 5,
        scopes: [scope],
        now: T0,
        expiresAt: T0 + LEASE_MS,
        record: workerRecord("same", [scope], T0, {}),
      });
    expect((await reserve()).ok).toBe(true);
    await expect(reserve()).rejects.toThrow("Hold same already exists");
    expect((await store.read({ scopes: [scope], now: T0 }))[0]?.held).toBe(5);
    await store.close?.();
  });

  it("names the option, the expected value and what was given", () => {
    expect(() => sqliteStore({})).toThrow(
      new TypeError("Expected `path` to be a file path (or pass `database`), got `undefined`"),
    );
    expect(() => sqliteStore({ path: "x.db", historyLimit: 0 })).toThrow(
      new TypeError("Expected `historyLimit` to be an integer >= 1, got `0` (number)"),
    );
    expect(() => sqliteStore({ path: "x.db", busyTimeoutMs: -1 })).toThrow(
      new TypeError("Expected `busyTimeoutMs` to be an integer >= 0 (milliseconds), got `-1` (number)"),
    );
  });

  it("a path it cannot open fails at creation with a TypeError naming `path` and the file", () => {
    const missing = join(dir, "no-such-directory", "budgets.db");
    expect(() => sqliteStore({ path: missing })).toThrow(
      new TypeError(
        `Expected \`path\` to be a file in an existing directory (\`${join(dir, "no-such-directory")}\` does not ` +
          `exist), got \`${JSON.stringify(missing)}\` (string)`,
      ),
    );
    // A directory, and a file that is not a database: the driver's words, with the path.
    expect(() => sqliteStore({ path: dir })).toThrow(TypeError);
    expect(() => sqliteStore({ path: dir })).toThrow(
      `Expected \`path\` to be a SQLite database file that can be opened, got ${JSON.stringify(dir)}`,
    );
    const notDatabase = join(dir, "notes.txt");
    writeFileSync(notDatabase, "these are not the budgets you are looking for, ".repeat(100));
    expect(() => sqliteStore({ path: notDatabase })).toThrow(
      /^Expected `path` to be a SQLite database file that can be opened, got ".*notes\.txt": .*not a database/,
    );
  });

  it("a failure while in use names the file and SQLite's reason", async () => {
    const path = join(dir, "locked.db");
    const store = sqliteStore({ path, busyTimeoutMs: 0 });
    const other = sqliteStore({ path });
    const scope = { id: "locked", key: "locked", limit: 10, thresholds: [] };
    await other.read({ scopes: [scope], now: T0 });
    // Another connection holds the write lock: this store's transition fails at once, saying where and why.
    const lock = rawDatabase(path);
    lock.exec("BEGIN IMMEDIATE");
    await expect(store.read({ scopes: [scope], now: T0 })).rejects.toThrow(
      `SQLite file \`${path}\`: database is locked`,
    );
    lock.exec("ROLLBACK");
    lock.close();
    await store.close?.();
    await other.close?.();
  });

  it("migrates a schema 1 file in use: history, balances and holds survive, and new records come after", async () => {
    const path = join(dir, "schema-1.db");
    const old = rawDatabase(path);
    old.exec(readFileSync(join(root, "test/fixtures/sqlite-schema-v1.sql"), "utf8"));
    const record = (id: string, status: string) =>
      JSON.stringify({ id, time: T0, sessionId: "v1", scopeIds: ["v1"], status, model: "gpt-4o", flags: [] });
    old.exec(`
      INSERT INTO accounts VALUES ('v1', 'v1', 3000, 500, '[]');
      INSERT INTO holds VALUES ('held', 500, ${T0 + LEASE_MS}, '[{"id":"v1","key":"v1","limit":10000,"thresholds":[]}]', '${record("held", "settled")}');
      INSERT INTO history (time, status, model, resolved_model, record) VALUES (${T0}, 'settled', 'gpt-4o', NULL, '${record("first", "settled")}');
      INSERT INTO history (time, status, model, resolved_model, record) VALUES (${T0 + 1}, 'blocked', 'gpt-4o', NULL, '${record("second", "blocked")}');
      INSERT INTO history_scopes VALUES ('v1', 1), ('v1', 2);
      PRAGMA user_version = 1;
    `);
    old.close();
    const store = sqliteStore({ path, historyLimit: 100 });
    const scope = { id: "v1", key: "v1", limit: 10_000, thresholds: [] };
    expect(await store.read({ scopes: [scope], now: T0 })).toEqual([
      { key: "v1", id: "v1", limit: 10_000, spent: 3000, held: 500, flags: {} },
    ]);
    expect((await store.history({ sessionId: "v1" })).map((r) => r.id)).toEqual(["second", "first"]);
    expect((await store.history({ status: "blocked" })).map((r) => r.id)).toEqual(["second"]);
    const settled = await store.settle({
      holdId: "held",
      actual: 400,
      now: T0 + 5,
      record: JSON.parse(record("held", "settled")),
    });
    expect(settled.balances[0]).toMatchObject({ spent: 3400, held: 0 });
    expect((await store.history({ sessionId: "v1", limit: 1 })).map((r) => r.id)).toEqual(["held"]);
    await store.close?.();
  });

  it("ships as spendguard/sqlite, for import and require", () => {
    if (!existsSync(`${root}dist/sqlite.js`)) execFileSync("npx", ["tsup"], { cwd: root, stdio: "ignore" });
    const path = join(dir, "dist.db");
    const use = (load: string) => `
      const { sqliteStore } = ${load};
      const store = sqliteStore({ path: ${JSON.stringify(path)} });
      const scope = { id: "dist", key: "dist", limit: 10, thresholds: [] };
      store.read({ scopes: [scope], now: 0 }).then((b) => console.log(b[0].limit, store.name));`;
    const esm = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", use('await import("spendguard/sqlite")')],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    expect(withoutSqliteWarning(esm.stderr)).toBe("");
    expect(esm.stdout.trim()).toBe("10 sqlite");
    const cjs = spawnSync(process.execPath, ["-e", use('require("spendguard/sqlite")')], {
      cwd: root,
      encoding: "utf8",
    });
    expect(withoutSqliteWarning(cjs.stderr)).toBe("");
    expect(cjs.stdout.trim()).toBe("10 sqlite");
  }, 120_000);
});

/** node:sqlite (Node 22+, where the store prefers it) prints an ExperimentalWarning when it loads. */
function withoutSqliteWarning(stderr: string): string {
  return stderr.replace(/^.*(ExperimentalWarning: SQLite|--trace-warnings).*\n/gm, "");
}

/** A second connection of its own, through the driver this Node has (node:sqlite on 22, else better-sqlite3). */
function rawDatabase(path: string): { exec(sql: string): void; close(): void } {
  const require = createRequire(import.meta.url);
  try {
    const { DatabaseSync } = require("node:sqlite") as { DatabaseSync: new (path: string) => SqliteDatabase };
    return wrap(new DatabaseSync(path));
  } catch {
    const Database = require("better-sqlite3") as new (path: string) => SqliteDatabase;
    return wrap(new Database(path));
  }
}

function wrap(db: SqliteDatabase): { exec(sql: string): void; close(): void } {
  return { exec: (sql) => void db.exec(sql), close: () => void db.close() };
}
