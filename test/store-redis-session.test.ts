import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetedSession, memoryStore, StoreUnavailableError } from "../src/index.js";
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

  describe("Redis store errors", () => {
    it("a Redis that is down: StoreUnavailableError names the store, host:port and the cause in words, never the password", async () => {
      const port = await freePort();
      const store = redisStore({
        url: `redis://agent:hunter2-secret@127.0.0.1:${port}/0`,
        prefix: `down${run()}`,
      });
      const session = new BudgetedSession({ budgetUsd: 1, id: `down-${run()}`, store });
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await session
          .guard({ provider: "minimax", model: "video-01", estimateUsd: 0.1 }, (settle) => settle(0.1))
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        const message = (error as Error).message;
        expect(message).toContain("The redis store failed");
        expect(message).toContain(`127.0.0.1:${port}`);
        expect(message).toMatch(/connection refused|not connected/);
        expect(message).not.toMatch(/hunter2|Stream isn't writeable|enableOfflineQueue/);
      }
      await session.close();
    });

    it("a URL that is not redis:// or rediss:// fails at creation with a TypeError naming `url`, password hidden", () => {
      for (const url of [
        "redsi://127.0.0.1:6379",
        "http://u:hunter2@127.0.0.1",
        "127.0.0.1:6379",
        "redis//x",
      ]) {
        expect(() => redisStore({ url })).toThrow(TypeError);
        expect(() => redisStore({ url })).toThrow(
          /^Expected `url` to be a redis:\/\/ or rediss:\/\/ URL, got/,
        );
        try {
          redisStore({ url });
        } catch (error) {
          expect((error as Error).message).not.toContain("hunter2");
        }
      }
    });
  });
}
