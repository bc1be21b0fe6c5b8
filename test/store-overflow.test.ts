import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetExceededError, BudgetedSession, memoryStore } from "../src/index.js";
import { boundCost } from "../src/ledger/amounts.js";
import { MAX_NANO, nanoToUsd } from "../src/money.js";
import { redisStore } from "../src/stores/redis.js";
import { sqliteStore } from "../src/stores/sqlite.js";
import type { BudgetStore } from "../src/stores/types.js";
import { freePort, type RedisServer, redisAvailable, startRedis } from "./fixtures/redis-server.js";
import { openaiClient, sharedFakeProviders, user } from "./helpers.js";

const fake = sharedFakeProviders();
const stores: [string, () => BudgetStore][] = [
  ["memory", () => memoryStore()],
  ["sqlite", () => sqliteStore({ path: join(directory(), `overflow-${Math.random()}.db`) })],
];
let dir: string | undefined;
function directory(): string {
  dir ??= mkdtempSync(join(tmpdir(), "spendguard-overflow-"));
  return dir;
}
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let server: RedisServer | undefined;
if (redisAvailable("test/store-overflow.test.ts")) {
  beforeAll(async () => {
    server = await startRedis(await freePort());
  });
  afterAll(async () => {
    await server?.stop();
  });
  stores.push([
    "redis",
    () => redisStore({ url: server?.url as string, prefix: `overflow${Math.random()}` }),
  ]);
}

const run = () => Math.random().toString(36).slice(2, 10);

describe.each(stores)("a cost too large for any store (%s)", (_name, makeStore) => {
  it("settle(1e10) is recorded at MAX_NANO, flagged cost_overflow; later calls are refused, none admitted", async () => {
    const store = makeStore();
    const session = new BudgetedSession({ budgetUsd: 1, id: `guard-${run()}`, store });
    try {
      const record = await session.guard(
        { provider: "minimax", model: "video-01", estimateUsd: 0.5 },
        (settle) => settle(1e10),
      );
      expect(record).toBeUndefined();
      await session.refresh();
      expect(session.getTotalSpent()).toBe(nanoToUsd(MAX_NANO));
      expect(session.getRemainingBudget()).toBe(0);
      const [last] = await session.history({ limit: 1 });
      expect(last?.flags).toEqual(expect.arrayContaining(["cost_overflow", "overspend"]));
      expect(last?.actualUsd).toBe(nanoToUsd(MAX_NANO));
      for (const estimateUsd of [0.16, 0.16, 500, 0]) {
        await expect(
          session.guard({ provider: "minimax", model: "video-01", estimateUsd }, (settle) => settle(0)),
        ).rejects.toBeInstanceOf(BudgetExceededError);
      }
      // A second overflow (spend that already happened) still never wraps.
      await session.refresh();
      expect(session.getTotalSpent()).toBe(nanoToUsd(MAX_NANO));
    } finally {
      await session.close();
      await store.close?.();
    }
  });

  it("a response over-reporting usage (prompt_tokens 4e15 on gpt-4o) is bounded; 20 later calls are refused", async () => {
    const store = makeStore();
    const session = new BudgetedSession({
      budgetUsd: 1,
      id: `usage-${run()}`,
      store,
      reservation: { mode: "estimate" },
    });
    const openai = session.wrap(openaiClient(fake));
    try {
      fake.script("openai.chat", {
        usage: { prompt_tokens: 4e15, completion_tokens: 10, total_tokens: 4e15 + 10 },
      });
      await openai.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_tokens: 16 });
      await session.refresh();
      expect(session.getTotalSpent()).toBe(nanoToUsd(MAX_NANO));
      const [last] = await session.history({ limit: 1 });
      expect(last?.flags).toContain("cost_overflow");
      let admitted = 0;
      for (let i = 0; i < 20; i++) {
        try {
          await openai.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_tokens: 16 });
          admitted += 1;
        } catch (error) {
          expect(error).toBeInstanceOf(BudgetExceededError);
        }
      }
      expect(admitted).toBe(0);
      expect(session.getTotalSpent()).toBeGreaterThan(0);
    } finally {
      await session.close();
      await store.close?.();
    }
  });
});

describe("a cost that is not a finite number >= 0 never reaches the store", () => {
  it("guard settle(NaN | -1 | Infinity) throws a TypeError naming settle(actualUsd) and charges the hold", async () => {
    const store = memoryStore();
    const session = new BudgetedSession({ budgetUsd: 1, id: `nan-${run()}`, store });
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      await expect(
        session.guard({ provider: "minimax", model: "video-01", estimateUsd: 0.1 }, (settle) => settle(bad)),
      ).rejects.toThrow(/settle\(actualUsd\)/);
    }
    expect(session.getTotalSpent()).toBeCloseTo(0.3, 9);
    await session.close();
  });
});

describe("boundCost: the one check before any store", () => {
  it("rejects what is not a finite number >= 0, bounds what is above MAX_NANO, rounds the rest", () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, "12", undefined]) {
      const result = boundCost(bad);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.why).toMatch(
        /^Expected a cost that is a finite number >= 0 \(nano-USD\), got/,
      );
    }
    expect(boundCost(MAX_NANO)).toEqual({ ok: true, actual: MAX_NANO });
    expect(boundCost(MAX_NANO + 2)).toEqual({ ok: true, actual: MAX_NANO, flag: "cost_overflow" });
    expect(boundCost(1e19)).toEqual({ ok: true, actual: MAX_NANO, flag: "cost_overflow" });
    expect(boundCost(0)).toEqual({ ok: true, actual: 0 });
    expect(boundCost(12.6)).toEqual({ ok: true, actual: 13 });
  });
});
