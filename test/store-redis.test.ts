import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/stores/redis.js";
import type { ScopeRef } from "../src/stores/types.js";
import { storeConformanceCases } from "../src/testing/index.js";
import { freePort, type RedisServer, redisAvailable, startRedis } from "./fixtures/redis-server.js";
import { nanoOf, workerRecord } from "./fixtures/store-processes.js";
import {
  killedHolderSettlesAtLease,
  LEASE_MS,
  processesStayWithinBudget,
  type SharedStore,
  T0,
  USD,
} from "./fixtures/store-scenarios.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const RedisClient = createRequire(import.meta.url)("ioredis") as new (url: string, options?: object) => Redis;

if (redisAvailable("test/store-redis.test.ts")) {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis(await freePort());
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe("the Redis store: conformance", () => {
    for (const conformance of storeConformanceCases(() =>
      redisStore({ url: server.url, prefix: "conformance" }),
    )) {
      it(conformance.name, conformance.run);
    }
  });

  describe("the Redis store", () => {
    const shared = (prefix: string): SharedStore => ({
      open: () => redisStore({ url: server.url, prefix, historyLimit: 10_000 }),
      spec: { kind: "redis", url: server.url, prefix, historyLimit: 10_000 },
    });

    it("keeps 4 processes × 250 concurrent flows within one budget, with exact totals", async () => {
      await processesStayWithinBudget(shared("processes"));
    }, 120_000);

    it("a process killed while holding frees nothing: the hold blocks others until its lease settles it in full", async () => {
      const { store, expired } = await killedHolderSettlesAtLease(shared("crash"));
      // The store-wide history has it too.
      const [global] = await store.history({ limit: 1 });
      expect(global).toEqual(expired);
      await store.close?.();
    }, 60_000);

    it("fails fast while Redis is down and works again once it is back on the same port, totals exact", async () => {
      // A server of its own that keeps its data across the crash (every write fsynced before it is answered).
      const data = mkdtempSync(join(tmpdir(), "spendguard-redis-"));
      const port = await freePort();
      const durable = ["--appendonly", "yes", "--appendfsync", "always", "--dir", data];
      let outage = await startRedis(port, durable);
      const store = redisStore({ url: outage.url, prefix: "outage", historyLimit: 100_000 });
      const budget: ScopeRef = { id: "outage", key: "outage", limit: 1000 * USD, thresholds: [] };
      try {
        await store.register([{ id: budget.id, limit: budget.limit, thresholds: [], createdAt: T0 }]);
        const confirmed = new Map<string, number>();
        let failures = 0;
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
              failures++;
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
          }
        };
        const flows = Array.from({ length: 8 }, flow);
        await waitFor(() => confirmed.size >= 200);

        outage.process.kill("SIGKILL");
        await outage.exited;
        const started = performance.now();
        await expect(store.read({ scopes: [budget], now: T0 })).rejects.toThrow();
        await expect(
          store.settle({ holdId: "x", actual: 0, now: T0, record: workerRecord("x", [budget], T0, {}) }),
        ).rejects.toThrow();
        expect(performance.now() - started).toBeLessThan(500);
        const failed = failures;
        await waitFor(() => failures >= failed + 20);

        outage = await startRedis(port, durable);
        const resumed = confirmed.size;
        await waitFor(() => confirmed.size >= resumed + 200, 15_000);
        stop = true;
        await Promise.all(flows);

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
        expect(failures).toBeGreaterThan(0);
      } finally {
        await store.close?.();
        await outage.stop();
        rmSync(data, { recursive: true, force: true });
      }
    }, 60_000);

    it("reloads its scripts when Redis lost them (SCRIPT FLUSH)", async () => {
      const client = new RedisClient(server.url);
      const store = redisStore({ client, prefix: "flush" });
      const scope: ScopeRef = { id: "flush", key: "flush", limit: USD, thresholds: [] };
      expect((await store.read({ scopes: [scope], now: T0 }))[0]?.spent).toBe(0);
      await client.script("FLUSH");
      expect((await store.read({ scopes: [scope], now: T0 }))[0]?.spent).toBe(0);
      await client.quit();
    });

    it("uses a client the caller passes in and leaves it open", async () => {
      const client = new RedisClient(server.url);
      const store = redisStore({ client, prefix: "given" });
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
      expect(await client.ping()).toBe("PONG");
      expect(await client.hget("{given:given}:account:given", "held")).toBe("5");
      await client.quit();
    });

    it("refuses a scope id already filed under another budget tree", async () => {
      const store = redisStore({ url: server.url, prefix: "trees" });
      const child: ScopeRef = { id: "child", key: "child", limit: USD, thresholds: [] };
      const first: ScopeRef = { id: "first", key: "first", limit: USD, thresholds: [] };
      const second: ScopeRef = { id: "second", key: "second", limit: USD, thresholds: [] };
      const reserve = (holdId: string, scopes: ScopeRef[]) =>
        store.reserve({
          holdId,
          amount: 1,
          scopes,
          now: T0,
          expiresAt: T0 + LEASE_MS,
          record: workerRecord(holdId, scopes, T0, {}),
        });
      expect((await reserve("h1", [child, first])).ok).toBe(true);
      await expect(reserve("h2", [child, second])).rejects.toThrow(
        "Scope id `child` belongs to the budget tree of `first` in this Redis store, not to `second`",
      );
      // A read or update of the child alone finds its tree.
      expect((await store.read({ scopes: [child], now: T0 }))[0]?.held).toBe(1);
      expect((await store.update({ scope: child, now: T0 })).held).toBe(1);
      await store.close?.();
    });

    it("caps each history list at historyLimit records", async () => {
      const store = redisStore({ url: server.url, prefix: "capped", historyLimit: 3 });
      const scope: ScopeRef = { id: "capped", key: "capped", limit: USD, thresholds: [] };
      for (let i = 0; i < 5; i++) await store.record(workerRecord(`r${i}`, [scope], T0 + i, {}));
      expect((await store.history({ sessionId: "capped" })).map((record) => record.id)).toEqual([
        "r4",
        "r3",
        "r2",
      ]);
      expect((await store.history({})).map((record) => record.id)).toEqual(["r4", "r3", "r2"]);
      await store.close?.();
    });

    it("rejects a hold id that is already held, changing nothing", async () => {
      const store = redisStore({ url: server.url, prefix: "duplicate" });
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
      expect(() => redisStore({})).toThrow(
        new TypeError(
          "Expected `url` to be a redis:// URL (or pass `client`, an ioredis client), got `undefined`",
        ),
      );
      expect(() => redisStore({ url: server.url, prefix: "a{b}" })).toThrow(
        new TypeError('Expected `prefix` to be a non-empty string without braces, got `"a{b}"` (string)'),
      );
      expect(() => redisStore({ url: server.url, historyLimit: 0 })).toThrow(
        new TypeError("Expected `historyLimit` to be an integer >= 1, got `0` (number)"),
      );
    });

    it("ships as spendguard/redis with its Lua scripts, for import and require", () => {
      if (!existsSync(`${root}dist/redis/reserve.lua`))
        execFileSync("npx", ["tsup"], { cwd: root, stdio: "ignore" });
      const use = (load: string) => `
        const { redisStore } = ${load};
        const store = redisStore({ url: ${JSON.stringify(server.url)}, prefix: "dist" });
        const scope = { id: "dist", key: "dist", limit: 10, thresholds: [] };
        store.read({ scopes: [scope], now: 0 }).then(async (b) => { console.log(b[0].limit, store.name); await store.close(); });`;
      for (const args of [
        ["--input-type=module", "-e", use('await import("spendguard/redis")')],
        ["-e", use('require("spendguard/redis")')],
      ]) {
        const child = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 30_000 });
        expect(child.stderr).toBe("");
        expect(child.stdout.trim()).toBe("10 redis");
      }
    }, 120_000);
  });
}

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
