import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Pool } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { startDashboard } from "../src/dashboard/index.js";
import { BudgetedSession, StoreUnavailableError } from "../src/index.js";
import { postgresStore } from "../src/stores/postgres/index.js";
import type { ScopeRef } from "../src/stores/types.js";
import { storeConformanceCases } from "../src/testing/index.js";
import { createCluster, POSTGRES_URL, postgresAvailable } from "./fixtures/postgres-server.js";
import { freePort } from "./fixtures/redis-server.js";
import { type FlowsResult, nanoOf, runFlows, startWorker, workerRecord } from "./fixtures/store-processes.js";
import {
  killedHolderSettlesAtLease,
  LEASE_MS,
  processesStayWithinBudget,
  type SharedStore,
  T0,
  USD,
} from "./fixtures/store-scenarios.js";

const { Pool: PgPool } = createRequire(import.meta.url)("pg") as {
  Pool: new (config: object) => Pool;
};
/** Schemas of this run, dropped at the end: the server is shared with other test runs. */
const run = `sg_test_${randomBytes(4).toString("hex")}`;
const schemas: string[] = [];
const schemaOf = (name: string) => {
  const schema = `${run}_${name}`;
  schemas.push(schema);
  return schema;
};

if (postgresAvailable("test/store-postgres.test.ts")) {
  let admin: Pool;
  beforeAll(() => {
    admin = new PgPool({ connectionString: POSTGRES_URL, max: 2 });
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  describe("the PostgreSQL store: conformance", () => {
    const schema = schemaOf("conformance");
    for (const conformance of storeConformanceCases(() => postgresStore({ url: POSTGRES_URL, schema }))) {
      it(conformance.name, conformance.run);
    }
  });

  for (const isolation of ["repeatable read", "serializable"]) {
    describe(`the PostgreSQL store: concurrency under a ${isolation.toUpperCase()} default`, () => {
      // Users may run the database at a stricter default isolation: the store still never over-commits.
      const schema = schemaOf(isolation.replace(" ", "_"));
      const pools: Pool[] = [];
      afterAll(async () => {
        for (const pool of pools) await pool.end();
      });
      const open = () => {
        const pool = new PgPool({
          connectionString: POSTGRES_URL,
          options: `-c default_transaction_isolation=${isolation.replace(" ", "\\ ")}`,
        });
        pools.push(pool);
        return pool;
      };
      it("the pools really run at that default", async () => {
        const { rows } = await open().query("SHOW default_transaction_isolation");
        expect(rows).toEqual([{ default_transaction_isolation: isolation }]);
      });
      for (const conformance of storeConformanceCases(() => postgresStore({ pool: open(), schema }))) {
        if (conformance.name.startsWith("concurrency")) it(conformance.name, conformance.run);
      }
    });
  }

  describe("the PostgreSQL store", () => {
    const shared = (name: string): SharedStore => {
      const schema = schemaOf(name);
      return {
        open: () => postgresStore({ url: POSTGRES_URL, schema }),
        spec: { kind: "postgres", url: POSTGRES_URL, schema },
      };
    };

    it("keeps 4 processes × 250 concurrent flows within one budget, with exact totals", async () => {
      await processesStayWithinBudget(shared("processes"));
    }, 120_000);

    it("a process killed while holding frees nothing: the hold blocks others until its lease settles it in full", async () => {
      const { store } = await killedHolderSettlesAtLease(shared("crash"));
      await store.close?.();
    }, 60_000);

    it("a worker killed with SIGKILL mid-flight: its in-flight holds stay held until their lease settles them in full, totals exact", async () => {
      const target = shared("midflight");
      const budget: ScopeRef = { id: "mid", key: "mid", limit: USD, thresholds: [] };
      const store = target.open();
      await store.register([{ id: budget.id, limit: budget.limit, thresholds: [], createdAt: T0 }]);
      const job = {
        store: target.spec,
        mode: "flows" as const,
        scopes: [budget],
        now: T0,
        expiresAt: T0 + LEASE_MS,
      };
      // Each about $2.5 of holds against $1: the limit binds while the victim dies.
      const victim = startWorker({
        ...job,
        name: "victim",
        flows: 100,
        callsPerFlow: 50,
        maxAmount: USD / 1000,
        seed: 3,
      });
      const survivor = startWorker({
        ...job,
        name: "survivor",
        flows: 50,
        callsPerFlow: 20,
        maxAmount: USD / 1000,
        seed: 4,
      });
      try {
        await Promise.all([victim.ready, survivor.ready]);
        victim.go();
        survivor.go();
        await waitForAsync(async () => (await store.history({ sessionId: "mid", limit: 200 })).length >= 200);
        victim.result.catch(() => undefined); // it never answers
        victim.process.kill("SIGKILL");
        expect(await victim.exited).toBe("SIGKILL");
        const result = (await survivor.result) as FlowsResult;
        expect(result.violations).toBe(0);

        const [during] = await store.read({ scopes: [budget], now: T0 + LEASE_MS - 1 });
        expect(during?.held).toBeGreaterThan(0); // the victim's flows held when it died
        const [after] = await store.read({ scopes: [budget], now: T0 + LEASE_MS });
        expect(after).toMatchObject({ held: 0, spent: (during?.spent ?? 0) + (during?.held ?? 0) });
        expect(after?.spent).toBeLessThanOrEqual(budget.limit);
        const records = await store.history({ sessionId: "mid" });
        expect(records.reduce((sum, record) => sum + nanoOf(record), 0)).toBe(after?.spent);
        const expired = records.filter((record) => record.flags.includes("lease_expired"));
        expect(expired.every((record) => record.id.startsWith("victim-"))).toBe(true);
        expect(expired.reduce((sum, record) => sum + nanoOf(record), 0)).toBe(during?.held);
      } finally {
        survivor.process.kill("SIGKILL");
        await store.close?.();
      }
    }, 120_000);

    it("creates the schema once, even when several processes open it at the same time", async () => {
      const schema = schemaOf("fresh");
      const budget: ScopeRef = { id: "fresh", key: "fresh", limit: USD, thresholds: [] };
      const results = await runFlows(
        [1, 2, 3].map((n) => ({
          store: { kind: "postgres" as const, url: POSTGRES_URL, schema },
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
      const store = postgresStore({ url: POSTGRES_URL, schema });
      const [balance] = await store.read({ scopes: [budget], now: T0 });
      expect(balance?.spent).toBe(results.reduce((sum, result) => sum + result.actual, 0));
      const versions = await admin.query(`SELECT version FROM "${schema}".schema_version`);
      expect(versions.rows).toEqual([{ version: 1 }]);
      await store.close?.();
    }, 60_000);

    it("refuses a schema written by a newer spendguard, and changes nothing in it", async () => {
      const schema = schemaOf("newer");
      const scope: ScopeRef = { id: "newer", key: "newer", limit: USD, thresholds: [] };
      const first = postgresStore({ url: POSTGRES_URL, schema });
      await first.record(workerRecord("kept", [scope], T0, {}));
      await first.close?.();
      await admin.query(`INSERT INTO "${schema}".schema_version (version) VALUES (99)`);
      const store = postgresStore({ url: POSTGRES_URL, schema });
      await expect(store.read({ scopes: [scope], now: T0 })).rejects.toThrow(
        "The PostgreSQL schema `" + schema + "` has version 99, newer than this spendguard knows (1)",
      );
      await store.close?.();
      const kept = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".history`);
      expect(kept.rows[0]).toEqual({ n: 1 });
    });

    it("registers the same scope ids from many connections in opposite orders without failing", async () => {
      const schema = schemaOf("register");
      const stores = [0, 1].map(() => postgresStore({ url: POSTGRES_URL, schema }));
      const ids = Array.from({ length: 20 }, (_, n) => `tenant-${n}`);
      const scopes = ids.map((id) => ({ id, limit: USD, thresholds: [], createdAt: T0 }));
      await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          (stores[n % 2] as (typeof stores)[number]).register(n % 2 ? [...scopes].reverse() : scopes),
        ),
      );
      expect((await stores[0]?.scopes())?.map((scope) => scope.id).sort()).toEqual([...ids].sort());
      for (const store of stores) await store.close?.();
    });

    it("a rate window first used by 64 concurrent reserves on 4 connections admits exactly its capacity", async () => {
      const schema = schemaOf("window");
      const stores = [0, 1, 2, 3].map(() => postgresStore({ url: POSTGRES_URL, schema }));
      const scope: ScopeRef = { id: "rated", key: "rated", limit: USD, thresholds: [] };
      const window = { key: "rated:rate:0:requests", capacity: 10, periodMs: 60_000, amount: 1 };
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, n) =>
          (stores[n % 4] as (typeof stores)[number]).reserve({
            holdId: `w${n}`,
            amount: 1,
            scopes: [scope],
            now: T0,
            expiresAt: T0 + LEASE_MS,
            record: workerRecord(`w${n}`, [scope], T0, {}),
            limits: [window],
          }),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(10);
      expect(
        results
          .filter((result) => !result.ok)
          .every((result) => !result.ok && result.reason === "rate_limit"),
      ).toBe(true);
      expect((await stores[0]?.read({ scopes: [scope], now: T0 }))?.[0]?.held).toBe(10);
      for (const store of stores) await store.close?.();
    });

    it("keeps at most historyLimit records, newest first", async () => {
      const store = postgresStore({ url: POSTGRES_URL, schema: schemaOf("capped"), historyLimit: 3 });
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

    it("uses a pool the caller passes in and leaves it open", async () => {
      const pool = new PgPool({ connectionString: POSTGRES_URL, max: 2 });
      const schema = schemaOf("given");
      const store = postgresStore({ pool, schema });
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
      const { rows } = await pool.query(`SELECT held::int FROM "${schema}".accounts WHERE key = 'given'`);
      expect(rows).toEqual([{ held: 5 }]);
      await pool.end();
    });

    it("rejects a hold id that is already held, changing nothing", async () => {
      const store = postgresStore({ url: POSTGRES_URL, schema: schemaOf("duplicate") });
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

    it("refuses every call while the server is down, naming it without the password, and is exact after its restart", async () => {
      // A cluster of this test's own, crashed and restarted mid-run (never the shared server).
      const port = await freePort();
      const cluster = createCluster(port);
      cluster.start();
      const url = cluster.url.replace("postgres@", "postgres:pg-secret-42@");
      const store = postgresStore({ url, schema: "outage", historyLimit: 100_000 });
      const budget: ScopeRef = { id: "outage", key: "outage", limit: 1000 * USD, thresholds: [] };
      try {
        await store.register([{ id: budget.id, limit: budget.limit, thresholds: [], createdAt: T0 }]);
        const confirmed = new Map<string, number>();
        const errors: unknown[] = [];
        let stop = false;
        let next = 0;
        const flow = async () => {
          while (!stop) {
            const holdId = `o${next++}`;
            const amount = 1000 + (next % 977);
            try {
              const reserved = await store.reserve({
                holdId,
                amount,
                scopes: [budget],
                now: T0,
                expiresAt: T0 + LEASE_MS,
                record: workerRecord(holdId, [budget], T0, { heldNano: String(amount) }),
              });
              if (!reserved.ok) throw new Error(`refused: ${reserved.reason}`);
              const actual = amount - (next % 500);
              const settled = await store.settle({
                holdId,
                actual,
                now: T0,
                record: workerRecord(holdId, [budget], T0, { actualNano: String(actual) }),
              });
              if (settled.settled) confirmed.set(holdId, actual);
            } catch (error) {
              if (String(error).includes("refused")) throw error;
              errors.push(error);
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
          }
        };
        const flows = Array.from({ length: 8 }, flow);
        await waitFor(() => confirmed.size >= 200);

        cluster.crash();
        const started = performance.now();
        const down = await store.read({ scopes: [budget], now: T0 }).catch((error: Error) => error);
        expect(performance.now() - started).toBeLessThan(1000);
        expect(String(down)).toContain(
          `PostgreSQL at 127.0.0.1:${port}, database postgres, schema outage is unavailable`,
        );
        const session = new BudgetedSession({ budgetUsd: 1, id: "outage-session", store });
        const refused = await session.panic(true).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(StoreUnavailableError);
        expect((refused as Error).message).toContain(`127.0.0.1:${port}, database postgres`);
        const failed = errors.length;
        await waitFor(() => errors.length >= failed + 20);

        cluster.start();
        const resumed = confirmed.size;
        await waitFor(() => confirmed.size >= resumed + 200, 20_000);
        stop = true;
        await Promise.all(flows);

        for (const error of [down, refused, ...errors]) {
          const text = `${String(error)} ${(error as Error).stack} ${String((error as Error).cause)}`;
          expect(text).not.toContain("pg-secret-42");
        }
        // A reserve whose answer was lost, or a settle that failed, left a hold: its lease settles it.
        const [balance] = await store.read({ scopes: [budget], now: T0 + LEASE_MS });
        expect(balance?.held).toBe(0);
        const records = await store.history({ sessionId: budget.id });
        expect(balance?.spent).toBe(records.reduce((sum, record) => sum + nanoOf(record), 0));
        const settledById = new Map(records.map((record) => [record.id, record]));
        expect(settledById.size).toBe(records.length);
        for (const [holdId, actual] of confirmed) {
          const record = settledById.get(holdId);
          expect(record && nanoOf(record), holdId).toBe(actual);
        }
      } finally {
        await store.close?.();
        cluster.remove();
      }
    }, 90_000);

    it("the CLI (and so its dashboard) opens postgres:// stores, with ?schema=", async () => {
      const schema = schemaOf("cli");
      const store = postgresStore({ url: POSTGRES_URL, schema });
      const scope: ScopeRef = { id: "agent", key: "agent", limit: USD, thresholds: [] };
      await store.register([{ id: "agent", limit: USD, thresholds: [], createdAt: T0 }]);
      await store.reserve({
        holdId: "h",
        amount: USD / 4,
        scopes: [scope],
        now: Date.now(),
        expiresAt: Date.now() + LEASE_MS,
        record: workerRecord("h", [scope], T0, {}),
      });
      const spec = `${POSTGRES_URL}?schema=${schema}`;
      const status = await cli(["status", "agent", "--store", spec, "--json"]);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ budget: 1, reserved: 0.25, spent: 0 });
      expect((await cli(["panic", "on", "agent", "--store", spec])).code).toBe(0);
      expect((await store.read({ scopes: [scope], now: Date.now() }))[0]?.flags).toEqual({ panic: true });
      await store.close?.();

      const port = await freePort();
      const down = await cli(["status", "--store", `postgres://ops:pg-secret-7@127.0.0.1:${port}/budgets`]);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(
        `PostgreSQL at 127.0.0.1:${port}, database budgets, schema spendguard is unavailable`,
      );
      expect(down.stderr).not.toContain("pg-secret-7");
    });

    it("the dashboard lists, summarizes and panics budgets kept in PostgreSQL", async () => {
      const store = postgresStore({ url: POSTGRES_URL, schema: schemaOf("dashboard") });
      const scope: ScopeRef = { id: "board", key: "board", limit: 2 * USD, thresholds: [] };
      await store.register([{ id: "board", limit: 2 * USD, thresholds: [], createdAt: T0 }]);
      await store.reserve({
        holdId: "d1",
        amount: USD / 2,
        scopes: [scope],
        now: Date.now(),
        expiresAt: Date.now() + LEASE_MS,
        record: workerRecord("d1", [scope], T0, {}),
      });
      await store.settle({
        holdId: "d1",
        actual: USD / 4,
        now: Date.now(),
        record: workerRecord("d1", [scope], T0, {}),
      });
      const dashboard = await startDashboard({ store });
      try {
        const api = (path: string, init: RequestInit = {}) =>
          fetch(`http://127.0.0.1:${dashboard.port}${path}`, {
            ...init,
            headers: { "x-spendguard-token": dashboard.token, "content-type": "application/json" },
          });
        const budgets = (await (await api("/api/budgets")).json()) as { store: string; budgets: unknown[] };
        expect(budgets.store).toBe("postgres");
        expect(budgets.budgets).toEqual([
          expect.objectContaining({ id: "board", budgetUsd: 2, spentUsd: 0.25 }),
        ]);
        const panic = await api("/api/panic", { method: "POST", body: JSON.stringify({ on: true }) });
        expect(panic.status).toBe(200);
        expect((await store.read({ scopes: [scope], now: Date.now() }))[0]?.flags).toEqual({ panic: true });
      } finally {
        await dashboard.close();
        await store.close?.();
      }
    });

    it("examples/shared-budget-postgres.ts: three processes on one PostgreSQL budget never overspend it", () => {
      const child = spawnSync(process.execPath, ["--import", "tsx", "examples/shared-budget-postgres.ts"], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        env: { ...process.env, POSTGRES_URL, POSTGRES_SCHEMA: schemaOf("example"), OPENAI_API_KEY: "" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(0);
      expect(child.stdout.match(/^worker \d: \d+ calls made, \d+ refused$/gm)).toHaveLength(3);
      expect(child.stdout).toMatch(/calls in 3 processes; spent \$0\.00\d+ of \$0\.01, reserved \$0\.000000/);
      expect(child.stdout).toContain("PASS: the shared budget held");
    }, 60_000);

    it("ships as spendguard/postgres, for import and require", () => {
      const root = fileURLToPath(new URL("..", import.meta.url));
      if (!existsSync(`${root}dist/postgres.js`))
        execFileSync("npx", ["tsup"], { cwd: root, stdio: "ignore" });
      const schema = schemaOf("dist");
      const use = (load: string) => `
        const { postgresStore } = ${load};
        const store = postgresStore({ url: ${JSON.stringify(POSTGRES_URL)}, schema: ${JSON.stringify(schema)} });
        const scope = { id: "dist", key: "dist", limit: 10, thresholds: [] };
        store.read({ scopes: [scope], now: 0 }).then(async (b) => { console.log(b[0].limit, store.name); await store.close(); });`;
      for (const args of [
        ["--input-type=module", "-e", use('await import("spendguard/postgres")')],
        ["-e", use('require("spendguard/postgres")')],
      ]) {
        const child = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 30_000 });
        expect(child.stderr).toBe("");
        expect(child.stdout.trim()).toBe("10 postgres");
      }
    }, 120_000);

    it("names the option, the expected value and what was given, never a password", () => {
      expect(() => postgresStore({})).toThrow(
        new TypeError("Expected `url` to be a postgres:// URL (or pass `pool`, a pg Pool), got `undefined`"),
      );
      expect(() => postgresStore({ url: "mysql://root:hunter2@db/x" })).toThrow(
        new TypeError(
          'Expected `url` to be a postgres:// URL (or pass `pool`, a pg Pool), got `"mysql://…"` (string)',
        ),
      );
      expect(() => postgresStore({ url: "postgres://ops:pg-secret-9@db:notaport/x" })).toThrow(
        new TypeError('Expected `url` to be a valid postgres:// URL, got `"postgres://…"` (string)'),
      );
      expect(() => postgresStore({ url: POSTGRES_URL, schema: 'x"; DROP' })).toThrow(
        new TypeError(
          'Expected `schema` to be a lowercase identifier (letters, digits, _; at most 63), got `"x\\"; DROP"` (string)',
        ),
      );
      expect(() => postgresStore({ url: POSTGRES_URL, historyLimit: 0 })).toThrow(
        new TypeError("Expected `historyLimit` to be an integer >= 1, got `0` (number)"),
      );
      expect(() => postgresStore({ pool: {} as Pool })).toThrow(
        new TypeError("Expected `pool` to be a pg Pool, got an object"),
      );
    });
  });
}

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([]) as NodeJS.ReadableStream,
    env: {},
  });
  return { code, stdout, stderr };
}

async function waitForAsync(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
