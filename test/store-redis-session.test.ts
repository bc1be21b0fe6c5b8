import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetedSession, memoryStore } from "../src/index.js";
import { redisStore } from "../src/stores/redis.js";
import { freePort, type RedisServer, redisAvailable, startRedis } from "./fixtures/redis-server.js";
import { openaiClient, sharedFakeProviders, user } from "./helpers.js";

const fake = sharedFakeProviders();
const run = () => Math.random().toString(36).slice(2, 10);

if (redisAvailable("test/store-redis-session.test.ts")) {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis(await freePort());
  });
  afterAll(async () => {
    await server.stop();
  });

  describe("session getters on the Redis store", () => {
    it("are exact right after `await` of a call, for the session and its parent, as with the memory store", async () => {
      const expectations: unknown[] = [];
      for (const store of [memoryStore(), redisStore({ url: server.url, prefix: `getters${run()}` })]) {
        const parent = new BudgetedSession({ budgetUsd: 5, id: `parent-${run()}`, store });
        const child = parent.child({ id: `child-${run()}`, budgetUsd: 1 });
        const openai = child.wrap(openaiClient(fake));
        fake.script("openai.chat", { usage: { prompt_tokens: 1000, completion_tokens: 500 } });
        await openai.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_tokens: 1000 });
        const seen = {
          spent: child.getTotalSpent(),
          reserved: child.getReserved(),
          requests: child.getSummary().requests,
          parentSpent: parent.getTotalSpent(),
          parentReserved: parent.getReserved(),
        };
        expect(seen.spent).toBeGreaterThan(0);
        expect(seen.reserved).toBe(0);
        expect(seen.requests).toBe(1);
        expect(seen.parentSpent).toBe(seen.spent);
        expect(seen.parentReserved).toBe(0);
        // And once the store has answered, the same figures.
        await child.refresh();
        await parent.refresh();
        expect(child.getTotalSpent()).toBe(seen.spent);
        expect(parent.getTotalSpent()).toBe(seen.spent);
        expectations.push(seen);
        await parent.close();
        await store.close?.();
      }
      expect(expectations[1]).toEqual(expectations[0]);
    });
  });
}
