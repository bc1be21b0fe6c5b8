import Anthropic from "@anthropic-ai/sdk";
import { createFalClient } from "@fal-ai/client";
import fc from "fast-check";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { BudgetExceededError, BudgetedSession, type CallRecord, memoryStore } from "../src/index.js";
import { usdToNano } from "../src/money.js";
import type { FakeProviders } from "../src/testing/index.js";
import { seededRandom } from "../src/testing/seeded-random.js";
import { openaiClient, useFakeProviders } from "./helpers.js";

const context = useFakeProviders();

const WORDS = [
  "budget",
  "agent",
  "token",
  "stream",
  "ledger",
  "cap",
  "spend",
  "holds",
  "私",
  "数据",
  "🙂",
  "<|endoftext|>",
];

/** An answer of a random number of words, at most `limit` (and 300). */
function wordsUpTo(random: () => number): (limit: number) => string {
  return (limit) => "word ".repeat(Math.max(1, Math.floor(random() * Math.min(limit, 300)))).trim();
}

/** Chat answers that honour the request's output limit. */
function answerChatWithin(fake: FakeProviders, words: (limit: number) => string): void {
  fake.setDefault("openai.chat", (request) => {
    const body = request.body as Record<string, number | undefined>;
    return { content: words(Math.min(body.max_completion_tokens ?? 4000, body.max_tokens ?? 4000)) };
  });
}

/**
 * The invariant after a run: every refusal is a budget refusal, committed spend is within the budget, nothing
 * stays held, every admitted call settled exactly once without overspend, and the records add up to the spend.
 */
async function expectHardCap(
  results: PromiseSettledResult<unknown>[],
  session: BudgetedSession,
  store: ReturnType<typeof memoryStore>,
  budgetUsd: number,
): Promise<CallRecord[]> {
  await session.close();
  for (const result of results) {
    if (result.status === "rejected") expect(result.reason).toBeInstanceOf(BudgetExceededError);
  }
  const admitted = results.filter((result) => result.status === "fulfilled").length;
  expect(admitted).toBeGreaterThan(5);
  expect(session.getTotalSpent()).toBeLessThanOrEqual(budgetUsd);
  expect(session.getReserved()).toBe(0);
  expect(store.openHolds()).toBe(0);
  const settled = (await session.history()).filter((record) => record.status === "settled");
  expect(settled).toHaveLength(admitted);
  expect(settled.some((record) => record.flags.includes("overspend"))).toBe(false);
  const spentNano = settled.reduce((sum, record) => sum + usdToNano(record.actualUsd), 0);
  expect(spentNano).toBe(usdToNano(session.getTotalSpent()));
  return settled;
}

describe("the hard cap (strict mode)", () => {
  it("never lets committed spend pass the budget, and leaves nothing reserved, over 1,000 concurrent calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0.02, 0.1, 0.5),
        fc.constantFrom("gpt-4o", "gpt-4o-mini", "o4-mini"),
        async (seed, budgetUsd, model) => {
          const fake = context.fake;
          fake.reset();
          const random = seededRandom(seed);
          // The provider honours the output limit and bills any usage up to it (the fake also clamps).
          fake.setDefault("openai.chat", (request) => {
            const body = request.body as Record<string, number | undefined>;
            const limit = Math.min(body.max_completion_tokens ?? Infinity, body.max_tokens ?? Infinity);
            // Mostly answers of a few hundred tokens; sometimes everything the limit allows.
            const cap = random() < 0.8 ? Math.min(limit, 800) : limit;
            const completion = Math.floor(random() * (cap + 1));
            return {
              content: "word ".repeat(Math.min(completion, 300)).trim() || "ok",
              usage: { completion_tokens: completion },
            };
          });
          const store = memoryStore({ historyLimit: 10_000 });
          const session = new BudgetedSession({ budgetUsd, store, warningThresholds: [50, 90] });
          const client = session.wrap(openaiClient(fake));

          const calls = Array.from({ length: 1000 }, async () => {
            const prompt = Array.from(
              { length: 1 + Math.floor(random() * 300) },
              () => WORDS[Math.floor(random() * WORDS.length)],
            ).join(" ");
            const limit = random() < 0.2 ? undefined : 1 + Math.floor(random() * 400);
            const stream = random() < 0.25;
            // Calls arrive over ~150 ms, so settles free budget while others reserve.
            await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 150)));
            const params = {
              model,
              messages: [{ role: "user" as const, content: prompt }],
              ...(limit !== undefined && { max_completion_tokens: limit }),
            };
            if (!stream) {
              await client.chat.completions.create(params);
              return;
            }
            const breakAfter = random() < 0.5 ? Math.floor(random() * 20) : Infinity;
            const chunks = await client.chat.completions.create({ ...params, stream: true });
            let seen = 0;
            for await (const _ of chunks) if (++seen > breakAfter) break;
          });
          const results = await Promise.allSettled(calls);
          await session.close();

          for (const result of results) {
            if (result.status === "rejected") expect(result.reason).toBeInstanceOf(BudgetExceededError);
          }
          const admitted = results.filter((result) => result.status === "fulfilled").length;
          // Not vacuous: calls got through. (How many depends on timing: a call without a limit holds all the
          // headroom while it is in flight, and on a loaded machine flights are long.)
          expect(admitted).toBeGreaterThan(1);
          expect(session.getTotalSpent()).toBeLessThanOrEqual(budgetUsd);
          expect(session.getReserved()).toBe(0);
          expect(store.openHolds()).toBe(0);

          // Every request the provider saw carried an output limit, and every one of them was settled once.
          expect(fake.requests).toHaveLength(admitted);
          for (const request of fake.requests) {
            const body = request.body as Record<string, unknown>;
            expect(body.max_completion_tokens ?? body.max_tokens).toBeGreaterThan(0);
          }
          const records = await session.history();
          const settled = records.filter((record) => record.status === "settled");
          expect(settled).toHaveLength(admitted);
          expect(records.filter((record) => record.status === "blocked")).toHaveLength(1000 - admitted);
          const spentNano = settled.reduce((sum, record) => sum + usdToNano(record.actualUsd), 0);
          expect(spentNano).toBe(usdToNano(session.getTotalSpent()));
          expect(settled.some((record) => record.flags.includes("overspend"))).toBe(false);
        },
      ),
      { numRuns: 4, seed: 20261125 },
    );
  }, 120_000);

  it("holds across a random mix of chat, responses, embeddings and image calls sharing one budget", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0.05, 0.5),
        async (seed, budgetUsd) => {
          const fake = context.fake;
          fake.reset();
          const random = seededRandom(seed);
          const words = wordsUpTo(random);
          answerChatWithin(fake, words);
          fake.setDefault("openai.responses", (request) => {
            const limit = (request.body as { max_output_tokens?: number }).max_output_tokens ?? 4000;
            return { content: words(limit) };
          });
          const store = memoryStore({ historyLimit: 10_000 });
          const session = new BudgetedSession({ budgetUsd, store });
          const client = session.wrap(openaiClient(fake));
          const prompt = () =>
            Array.from(
              { length: 1 + Math.floor(random() * 100) },
              () => WORDS[Math.floor(random() * WORDS.length)],
            ).join(" ");
          const limit = () => (random() < 0.3 ? undefined : 1 + Math.floor(random() * 500));

          const calls = Array.from({ length: 400 }, async () => {
            await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 100)));
            const kind = random();
            if (kind < 0.3) {
              const max = limit();
              await client.chat.completions.create({
                model: "gpt-4o-mini",
                messages: [{ role: "user", content: prompt() }],
                ...(max !== undefined && { max_completion_tokens: max }),
              });
            } else if (kind < 0.6) {
              const max = limit();
              const params = {
                model: "gpt-4o",
                input: prompt(),
                ...(max !== undefined && { max_output_tokens: max }),
              };
              if (random() < 0.5) {
                await client.responses.create(params);
              } else {
                const stream = await client.responses.create({ ...params, stream: true });
                const stopAfter = random() < 0.5 ? Math.floor(random() * 10) : Infinity;
                let seen = 0;
                for await (const _ of stream) if (++seen > stopAfter) break;
              }
            } else if (kind < 0.8) {
              await client.embeddings.create({
                model: "text-embedding-3-small",
                input: [prompt(), prompt()],
              });
            } else {
              const quality = ["low", "medium", "high", "auto"][Math.floor(random() * 4)] as "low";
              await client.images.generate({
                model: "gpt-image-1",
                prompt: prompt(),
                quality,
                n: 1 + Math.floor(random() * 2),
              });
            }
          });
          await expectHardCap(await Promise.allSettled(calls), session, store, budgetUsd);
        },
      ),
      { numRuns: 3, seed: 20261126 },
    );
  }, 120_000);

  it("holds across providers: OpenAI, Anthropic, fal and guarded calls sharing one budget", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0.05, 0.4),
        async (seed, budgetUsd) => {
          const fake = context.fake;
          fake.reset();
          const random = seededRandom(seed);
          const words = wordsUpTo(random);
          answerChatWithin(fake, words);
          fake.setDefault("anthropic.messages", (request) => ({
            content: words((request.body as { max_tokens: number }).max_tokens),
          }));
          const store = memoryStore({ historyLimit: 10_000 });
          const session = new BudgetedSession({ budgetUsd, store });
          const openai = session.wrap(openaiClient(fake));
          const claude = session.wrap(
            new Anthropic({ apiKey: "sk-ant-test", baseURL: fake.anthropic.baseURL, maxRetries: 0 }),
          );
          const fal = session.wrap(createFalClient(fake.fal.config()));
          const prompt = () =>
            Array.from(
              { length: 1 + Math.floor(random() * 100) },
              () => WORDS[Math.floor(random() * WORDS.length)],
            ).join(" ");

          const calls = Array.from({ length: 300 }, async () => {
            await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 100)));
            const kind = random();
            if (kind < 0.25) {
              await openai.chat.completions.create({
                model: "gpt-4o-mini",
                messages: [{ role: "user", content: prompt() }],
                max_completion_tokens: 1 + Math.floor(random() * 500),
              });
            } else if (kind < 0.6) {
              const system =
                random() < 0.3
                  ? [{ type: "text" as const, text: prompt(), cache_control: { type: "ephemeral" as const } }]
                  : undefined;
              const params = {
                model: random() < 0.5 ? "claude-haiku-4-5" : "claude-sonnet-4-5",
                max_tokens: 1 + Math.floor(random() * 500),
                messages: [{ role: "user" as const, content: prompt() }],
                ...(system && { system }),
              };
              if (random() < 0.5) {
                await claude.messages.create(params);
              } else {
                const stream = await claude.messages.create({ ...params, stream: true });
                const stopAfter = random() < 0.5 ? Math.floor(random() * 10) : Infinity;
                let seen = 0;
                for await (const _ of stream) if (++seen > stopAfter) break;
              }
            } else if (kind < 0.85) {
              const input = {
                prompt: prompt(),
                image_size: "square_hd" as const,
                num_images: 1 + Math.floor(random() * 2),
              };
              if (random() < 0.5) await fal.subscribe("fal-ai/flux/dev", { input });
              else await fal.run("fal-ai/flux/schnell", { input });
            } else {
              const estimateUsd = Math.round(random() * 2000) / 100_000;
              await session.guard({ provider: "minimax", model: "speech-02-hd", estimateUsd }, (settle) => {
                settle(Math.floor(random() * estimateUsd * 100_000) / 100_000);
              });
            }
          });
          const settled = await expectHardCap(await Promise.allSettled(calls), session, store, budgetUsd);
          expect(new Set(settled.map((record) => record.provider)).size).toBeGreaterThanOrEqual(3);
        },
      ),
      { numRuns: 3, seed: 20261127 },
    );
  }, 120_000);

  it("holds when agents swap bodies and paths per request, post raw requests, and the SDK retries timeouts and errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0.3, 1),
        async (seed, budgetUsd) => {
          const fake = context.fake;
          fake.reset();
          const random = seededRandom(seed);
          const words = wordsUpTo(random);
          // A provider that fails in every way the SDKs retry: 5xx, 429, answers past the timeout, dropped sockets.
          const flaky = <R extends object>(answer: R) => {
            const roll = random();
            if (roll < 0.08) return { status: 503, headers: { "retry-after-ms": "1" } };
            if (roll < 0.12) return { status: 429, headers: { "retry-after-ms": "1" } };
            if (roll < 0.14) return { delayMs: 1500 };
            if (roll < 0.16) return { fault: "drop-before-headers" as const };
            return answer;
          };
          fake.setDefault("openai.chat", (request) => {
            const body = request.body as Record<string, number | undefined>;
            return flaky({
              content: words(Math.min(body.max_completion_tokens ?? 4000, body.max_tokens ?? 4000)),
            });
          });
          fake.setDefault("anthropic.messages", (request) =>
            flaky({ content: words((request.body as { max_tokens: number }).max_tokens) }),
          );
          const store = memoryStore({ historyLimit: 10_000 });
          const session = new BudgetedSession({ budgetUsd, store });
          const openai = session.wrap(
            new OpenAI({
              apiKey: "sk-test",
              baseURL: fake.openai.baseURL,
              maxRetries: 2,
              timeout: 1000,
              logLevel: "off",
            }),
          );
          const claude = session.wrap(
            new Anthropic({
              apiKey: "sk-ant-test",
              baseURL: fake.anthropic.baseURL,
              maxRetries: 2,
              timeout: 1000,
            }),
          );
          const prompt = () =>
            Array.from(
              { length: 1 + Math.floor(random() * 200) },
              () => WORDS[Math.floor(random() * WORDS.length)],
            ).join(" ");
          const cheap = {
            model: "gpt-4o-mini",
            messages: [{ role: "user" as const, content: "hi" }],
            max_tokens: 1,
          };
          const dear = () => ({
            model: "gpt-4o",
            messages: [{ role: "user" as const, content: prompt() }],
            // Mostly a limit of the agent's own; sometimes none, so strict mode injects one.
            ...(random() < 0.9 && { max_tokens: 1 + Math.floor(random() * 1000) }),
          });

          const calls = Array.from({ length: 200 }, async () => {
            await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 100)));
            const kind = random();
            if (kind < 0.25) await openai.chat.completions.create(cheap, { body: dear() });
            else if (kind < 0.4) {
              await openai.embeddings.create(
                { model: "text-embedding-3-small", input: "x" },
                { path: "/chat/completions", body: dear() },
              );
            } else if (kind < 0.6) await openai.post("/chat/completions", { body: dear() });
            else if (kind < 0.8) {
              await claude.messages.create(
                { model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: "hi" }] },
                {
                  body: {
                    model: random() < 0.5 ? "claude-sonnet-4-5" : "claude-haiku-4-5",
                    max_tokens: 1 + Math.floor(random() * 1500),
                    messages: [{ role: "user", content: prompt() }],
                  },
                },
              );
            } else {
              const stream = await openai.chat.completions.create({ ...dear(), stream: true });
              const stopAfter = random() < 0.5 ? Math.floor(random() * 10) : Infinity;
              let seen = 0;
              for await (const _ of stream) if (++seen > stopAfter) break;
            }
          });
          const results = await Promise.allSettled(calls);
          await session.close();
          for (const result of results) {
            if (result.status === "fulfilled") continue;
            const error = result.reason;
            const known =
              error instanceof BudgetExceededError ||
              error instanceof OpenAI.APIError ||
              error instanceof Anthropic.APIError;
            expect(known, String(error)).toBe(true);
          }
          expect(results.filter((result) => result.status === "fulfilled").length).toBeGreaterThan(5);
          expect(session.getTotalSpent()).toBeLessThanOrEqual(budgetUsd);
          expect(session.getReserved()).toBe(0);
          expect(store.openHolds()).toBe(0);
          // Every attempt that reached the provider was held first and has its own record (an attempt the SDK's
          // timeout cut off while it was being priced was released without being sent).
          const records = await session.history();
          const held = records.filter((record) => record.status !== "blocked");
          const sent = held.filter((record) => record.reason !== "aborted_before_send");
          expect(sent).toHaveLength(fake.requests.length);
          expect(records.some((record) => record.flags.includes("overspend"))).toBe(false);
          const spentNano = held.reduce((sum, record) => sum + usdToNano(record.actualUsd), 0);
          expect(spentNano).toBe(usdToNano(session.getTotalSpent()));
        },
      ),
      { numRuns: 3, seed: 20261204 },
    );
  }, 120_000);
});
