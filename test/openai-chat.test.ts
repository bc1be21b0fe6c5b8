import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  type GivenOptions,
  InvalidRequestError,
  isSpendguardError,
  memoryStore,
  type SessionOptions,
  UnknownPriceError,
  type WarningEvent,
} from "../src/index.js";
import { deepFreeze, openaiClient, sentBody, until, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

function wrapped<K extends keyof SessionOptions = "budgetUsd">(
  options: GivenOptions<SessionOptions, K, "budgetUsd">,
  client = openaiClient(fake()),
) {
  const session = new BudgetedSession(options);
  return { session, client: session.wrap(client) };
}

/** A model that costs exactly $2 per output token and nothing for input: every 1-token call holds $2. */
const TWO_DOLLAR_TOKENS = { "two-dollar-model": { inputPerMTok: 0, outputPerMTok: 2_000_000 } };

describe("settling from usage", () => {
  it("settles gpt-4o-mini with 1,000 input and 1,000 output tokens at exactly $0.00075", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { usage: { prompt_tokens: 1000, completion_tokens: 1000 } });
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 1000,
    });
    expect(session.getTotalSpent()).toBe(0.00075);
    expect(session.getReserved()).toBe(0);
    const [record] = await session.history();
    expect(record).toMatchObject({
      status: "settled",
      actualUsd: 0.00075,
      source: "usage",
      resolvedModel: "gpt-4o-mini",
    });
    expect(record?.usage).toMatchObject({ inputTokens: 1000, outputTokens: 1000 });
  });

  it("prices cached input tokens at the cached rate", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    // gpt-4o: 10,000 input of which 4,000 cached, 1,000 output = 6k × $2.5 + 4k × $1.25 + 1k × $10 per M = $0.03
    fake().script("openai.chat", {
      usage: {
        prompt_tokens: 10_000,
        completion_tokens: 1000,
        prompt_tokens_details: { cached_tokens: 4000 },
      },
    });
    await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("hi"),
      max_completion_tokens: 1000,
    });
    expect(session.getTotalSpent()).toBe(0.03);
  });

  it("holds the worst case while the call runs, then keeps only the actual cost", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const params = { model: "gpt-4o", messages: user("Tell me a story."), max_completion_tokens: 500 };
    const estimate = await session.estimate({ provider: "openai", operation: "chat.completions", params });
    fake().script("openai.chat", { delayMs: 100, usage: { completion_tokens: 20 } });
    const call = client.chat.completions.create(params);
    await until(() => fake().requests.length === 1);
    expect(session.getReserved()).toBe(estimate.costUsd);
    expect(session.getRemainingBudget()).toBeCloseTo(1 - estimate.costUsd, 12);
    await call;
    expect(session.getReserved()).toBe(0);
    expect(session.getTotalSpent()).toBeGreaterThan(0);
    expect(session.getTotalSpent()).toBeLessThan(estimate.costUsd);
    expect(estimate.outputTokens).toBe(500);
  });

  it("bills the batch tier at half the standard price for a model with batch pricing", async () => {
    const standard = wrapped({ budgetUsd: 1 });
    const batch = new BudgetedSession({ budgetUsd: 1, tier: "batch" });
    const batchClient = batch.wrap(openaiClient(fake()));
    const usage = { usage: { prompt_tokens: 1000, completion_tokens: 1000 } };
    fake().script("openai.chat", usage, usage);
    const params = { model: "gpt-5.2", messages: user("hi"), max_completion_tokens: 1000 };
    await standard.client.chat.completions.create(params);
    await batchClient.chat.completions.create(params);
    expect(standard.session.getTotalSpent()).toBe(0.01575);
    expect(batch.getTotalSpent()).toBe(0.007875);
  });

  it("lets a wrapped client override the session's tier, and a request ask for flex", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const batchClient = session.wrap(openaiClient(fake()), { tier: "batch" });
    const usage = { usage: { prompt_tokens: 1000, completion_tokens: 1000 } };
    fake().script("openai.chat", usage, { ...usage, serviceTier: "flex" });
    await batchClient.chat.completions.create({
      model: "gpt-5.2",
      messages: user("a"),
      max_completion_tokens: 1000,
    });
    const standardClient = session.wrap(openaiClient(fake()));
    await standardClient.chat.completions.create({
      model: "gpt-5.2",
      messages: user("b"),
      max_completion_tokens: 1000,
      service_tier: "flex",
    });
    const records = await session.history();
    expect(records.map((record) => [record.tier, record.actualUsd])).toEqual([
      ["flex", 0.007875],
      ["batch", 0.007875],
    ]);
  });

  it("settles at the tier the response reports when it costs more (priority)", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", {
      serviceTier: "priority",
      usage: { prompt_tokens: 1000, completion_tokens: 1000 },
    });
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 1000,
    });
    // gpt-4o-mini priority: $0.25 / $1.00 per M
    expect(session.getTotalSpent()).toBe(0.00125);
    const [record] = await session.history();
    expect(record?.flags).toContain("overspend");
  });
});

describe("the budget", () => {
  it("admits a call whose hold is exactly the remaining budget, then refuses the next", async () => {
    const params = { model: "two-dollar-model", messages: user("x"), max_completion_tokens: 1 };
    const { session, client } = wrapped({ budgetUsd: 2, pricing: TWO_DOLLAR_TOKENS });
    fake().setDefault("openai.chat", { usage: { completion_tokens: 1 } });
    await client.chat.completions.create(params);
    expect(session.getTotalSpent()).toBe(2);
    await expect(client.chat.completions.create(params)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake().requests).toHaveLength(1);
  });

  it("admits exactly 5 of 10 concurrent calls that each hold $2 on a $10 budget", async () => {
    const { session, client } = wrapped({ budgetUsd: 10, pricing: TWO_DOLLAR_TOKENS });
    fake().setDefault("openai.chat", { delayMs: 20, usage: { completion_tokens: 1 } });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        client.chat.completions.create({
          model: "two-dollar-model",
          messages: user("x"),
          max_completion_tokens: 1,
        }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(5);
    const refusals = results.filter((result) => result.status === "rejected");
    expect(refusals).toHaveLength(5);
    for (const refusal of refusals) expect(refusal.reason).toBeInstanceOf(BudgetExceededError);
    expect(fake().requests).toHaveLength(5);
    expect(session.getTotalSpent()).toBe(10);
    expect(session.getReserved()).toBe(0);
  });

  it("refuses before the network with a BudgetExceededError carrying the numbers", async () => {
    const { session, client } = wrapped({ budgetUsd: 0.0001, id: "tiny" });
    const call = client.chat.completions.create({
      model: "gpt-4o",
      messages: user("Write a long essay ".repeat(100)),
      max_completion_tokens: 1000,
    });
    const error = await call.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const refusal = error as BudgetExceededError;
    expect(refusal.code).toBe("budget_exceeded");
    expect(refusal.sessionId).toBe("tiny");
    expect(refusal.budgetUsd).toBe(0.0001);
    expect(refusal.remainingUsd).toBe(0.0001);
    expect(refusal.estimatedCostUsd).toBeGreaterThan(0.0001);
    expect(refusal.message).toMatch(
      /^Budget exceeded for session `tiny`: estimated cost \$\d+\.\d{6} would exceed remaining budget \$0\.000100$/,
    );
    expect(fake().requests).toHaveLength(0);
    const [record] = await session.history();
    expect(record).toMatchObject({ status: "blocked", reason: "budget_exceeded", heldUsd: 0, actualUsd: 0 });
    expect(session.getSummary()).toMatchObject({ blocked: 1, blockedByReason: { budget_exceeded: 1 } });
  });

  it("in callback mode resolves a refused call to null and calls onBudgetExceeded once", async () => {
    const onBudgetExceeded = vi.fn();
    const { client } = wrapped({ budgetUsd: 0.000001, onBudgetExceeded });
    const params = { model: "gpt-4o", messages: user("hi"), max_completion_tokens: 1000 };
    await expect(client.chat.completions.create(params)).resolves.toBeNull();
    expect(onBudgetExceeded).toHaveBeenCalledTimes(1);
    expect(onBudgetExceeded.mock.calls[0]?.[0]).toBeInstanceOf(BudgetExceededError);
    const { data, response } = await client.chat.completions.create(params).withResponse();
    expect(data).toBeNull();
    expect(response.status).toBe(402);
    expect(await client.chat.completions.create({ ...params, stream: true })).toBeNull();
    expect(onBudgetExceeded).toHaveBeenCalledTimes(3);
    expect(fake().requests).toHaveLength(0);
  });

  it("injects the model's maximum output, clamped to what the budget affords, when the request sets none", async () => {
    const { session, client } = wrapped({ budgetUsd: 0.002 });
    const params = { model: "gpt-4o", messages: user("hi") };
    const estimate = await session.estimate({ provider: "openai", operation: "chat.completions", params });
    await client.chat.completions.create(params);
    const sent = sentBody(fake(), 0);
    // gpt-4o: $10 per M output; $0.002 affords just under 200 output tokens after the input.
    expect(sent.max_completion_tokens).toBe(estimate.outputTokens);
    expect(estimate.outputTokens).toBeGreaterThan(150);
    expect(estimate.outputTokens).toBeLessThan(200);
    expect(estimate.costUsd).toBeLessThanOrEqual(0.002);
    expect("max_completion_tokens" in params).toBe(false);

    const rich = wrapped({ budgetUsd: 100 });
    await rich.client.chat.completions.create({ model: "gpt-4o", messages: user("hi") });
    expect(sentBody(fake(), 1).max_completion_tokens).toBe(16_384);
  });

  it("never raises or lowers a limit the caller set: it refuses when that limit does not fit", async () => {
    const { session, client } = wrapped({ budgetUsd: 0.002 });
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_completion_tokens: 5000 }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    await client.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_tokens: 100 });
    const sent = sentBody(fake(), 0);
    expect(sent.max_tokens).toBe(100);
    expect(sent.max_completion_tokens).toBeUndefined();
    const estimate = await session.estimate({
      provider: "openai",
      operation: "chat.completions",
      params: { model: "gpt-4o", messages: user("hi"), max_tokens: 300, max_completion_tokens: 100 },
    });
    expect(estimate.outputTokens).toBe(100);
  });

  it("refuses when the budget affords fewer output tokens than minOutputTokens", async () => {
    // gpt-4o at $10 per M output: $0.00015 affords about 13 output tokens after a short input.
    const { client } = wrapped({ budgetUsd: 0.00015, reservation: { minOutputTokens: 16 } });
    await expect(client.chat.completions.create({ model: "gpt-4o", messages: user("hi") })).rejects.toThrow(
      BudgetExceededError,
    );
    expect(fake().requests).toHaveLength(0);
  });

  it("in estimate mode holds the expected cost and reports an overspend", async () => {
    const onOverspend = vi.fn();
    const { session, client } = wrapped({ budgetUsd: 1, reservation: { mode: "estimate" }, onOverspend });
    fake().script("openai.chat", { usage: { completion_tokens: 4000 } });
    await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("hi"),
      max_completion_tokens: 8000,
    });
    const sent = sentBody(fake(), 0);
    expect(sent.max_completion_tokens).toBe(8000);
    const [record] = await session.history();
    expect(record?.heldUsd).toBeLessThan(record?.actualUsd ?? 0);
    expect(record?.flags).toContain("overspend");
    expect(onOverspend).toHaveBeenCalledTimes(1);
    expect(onOverspend.mock.calls[0]?.[0].overByUsd).toBeCloseTo(
      (record?.actualUsd ?? 0) - (record?.heldUsd ?? 0),
      12,
    );
  });

  it("refuses every call once an overspend used up the budget, and never reports negative remaining", async () => {
    // Estimate mode holds 1,024 output tokens (~$0.0103) and the call uses 2,000 (~$0.02).
    const { session, client } = wrapped({ budgetUsd: 0.011, reservation: { mode: "estimate" } });
    fake().script("openai.chat", { usage: { completion_tokens: 2000 } });
    await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("hi"),
      max_completion_tokens: 8000,
    });
    expect(session.getTotalSpent()).toBeGreaterThan(0.011);
    expect(session.getRemainingBudget()).toBe(0);
    await expect(
      client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: user("hi"),
        max_completion_tokens: 1,
      }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
  });
});

describe("provider errors", () => {
  it("releases the hold and rethrows the SDK's own error unchanged", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { status: 500 });
    const error = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi") })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(session.getTotalSpent()).toBe(0);
    expect(session.getReserved()).toBe(0);
    const [record] = await session.history();
    expect(record).toMatchObject({ status: "failed", reason: "http_500", actualUsd: 0 });
    expect(session.getSummary().failed).toBe(1);
  });

  it("holds each retry of the SDK on its own: the 503 attempt is released, the one that succeeded is settled", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 }, openaiClient(fake(), { maxRetries: 2 }));
    fake().script(
      "openai.chat",
      { status: 503, headers: { "retry-after-ms": "1" } },
      { usage: { prompt_tokens: 1000, completion_tokens: 1000 } },
    );
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 1000,
    });
    expect(fake().requests).toHaveLength(2);
    expect(session.getTotalSpent()).toBe(0.00075);
    const records = await session.history();
    expect(records.map((record) => [record.status, record.reason ?? null, record.actualUsd])).toEqual([
      ["settled", null, 0.00075],
      ["failed", "http_503", 0],
    ]);
  });

  it("charges the hold when the connection dropped after the request was sent", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { fault: "drop-before-headers" });
    const params = { model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 100 };
    const estimate = await session.estimate({ provider: "openai", operation: "chat.completions", params });
    await expect(client.chat.completions.create(params)).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(session.getTotalSpent()).toBe(estimate.costUsd);
    expect(session.getReserved()).toBe(0);
    const [record] = await session.history();
    expect(record?.flags).toContain("interrupted");
  });

  it("releases the hold when the provider could not be reached at all", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(
      new OpenAI({ apiKey: "sk-test", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }),
    );
    await expect(
      client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(session.getTotalSpent()).toBe(0);
    expect(session.getReserved()).toBe(0);
  });
});

describe("malformed responses", () => {
  it("charges the hold and flags the record when the body is not JSON", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { fault: "malformed" });
    const params = { model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 100 };
    const estimate = await session.estimate({ provider: "openai", operation: "chat.completions", params });
    await expect(client.chat.completions.create(params)).rejects.toThrow();
    await until(() => session.getReserved() === 0);
    expect(session.getTotalSpent()).toBe(estimate.costUsd);
    const [record] = await session.history();
    expect(record?.flags).toContain("malformed_response");
  });

  it("charges the hold and flags `no_usage` when the response has no usage", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { usage: null });
    const params = { model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 100 };
    const estimate = await session.estimate({ provider: "openai", operation: "chat.completions", params });
    const reply = await client.chat.completions.create(params);
    expect(reply.choices[0]?.message.content).toBe("Hello from the fake provider.");
    expect(session.getTotalSpent()).toBe(estimate.costUsd);
    const [record] = await session.history();
    expect(record).toMatchObject({ source: "estimated", flags: ["no_usage"] });
  });

  it("charges the hold when a non-streaming body is cut off mid-way", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { fault: "drop-mid-body" });
    const params = { model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 100 };
    const estimate = await session.estimate({ provider: "openai", operation: "chat.completions", params });
    await expect(client.chat.completions.create(params)).rejects.toThrow();
    await until(() => session.getReserved() === 0);
    expect(session.getTotalSpent()).toBe(estimate.costUsd);
  });
});

describe("bad input", () => {
  it("refuses an unknown model with UnknownPriceError before anything is reserved or sent", async () => {
    const onBudgetExceeded = vi.fn();
    const { session, client } = wrapped({ budgetUsd: 1, onBudgetExceeded });
    const error = await client.chat.completions
      .create({ model: "gpt-99-ultra", messages: user("hi") })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownPriceError);
    expect((error as UnknownPriceError).model).toBe("gpt-99-ultra");
    expect((error as UnknownPriceError).message).toMatch(/pricing: \{ "gpt-99-ultra"/);
    expect(onBudgetExceeded).not.toHaveBeenCalled();
    expect(fake().requests).toHaveLength(0);
    expect(session.getReserved()).toBe(0);
    const [record] = await session.history();
    expect(record).toMatchObject({ status: "blocked", reason: "unknown_price", model: "gpt-99-ultra" });
  });

  it("prices an unknown model as the fallback model when asked, and flags it", async () => {
    const { session, client } = wrapped({ budgetUsd: 1, unknownModel: { fallbackModel: "gpt-4o" } });
    fake().script("openai.chat", { usage: { prompt_tokens: 1000, completion_tokens: 1000 } });
    await client.chat.completions.create({
      model: "my-finetune",
      messages: user("hi"),
      max_completion_tokens: 1000,
    });
    const [record] = await session.history();
    expect(record?.flags).toContain("unpriced");
    expect(record?.actualUsd).toBe(0.0125);
  });

  it("refuses a request without a model with an InvalidRequestError", async () => {
    const { client } = wrapped({ budgetUsd: 1 });
    const call = client.chat.completions.create({ messages: user("hi") } as never);
    await expect(call).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(call).rejects.toThrow(/Expected `model` to be a non-empty string/);
    expect(fake().requests).toHaveLength(0);
  });

  it("refuses malformed messages and limits with a typed error naming the field", async () => {
    const { client } = wrapped({ budgetUsd: 1 });
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: "hello" } as never),
    ).rejects.toThrow(/`messages`/);
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_completion_tokens: -3 }),
    ).rejects.toThrow(/Expected `max_completion_tokens` to be an integer >= 1, got -3/);
    expect(fake().requests).toHaveLength(0);
  });

  it("rejects invalid options with a TypeError naming the option, the expectation and the value", () => {
    expect(() => new BudgetedSession({ budgetUsd: -5 })).toThrow(
      "Expected `budgetUsd` to be a finite number >= 0, got `-5` (number)",
    );
    expect(() => new BudgetedSession({ budgetUsd: Number.NaN })).toThrow(TypeError);
    expect(() => new BudgetedSession({} as never)).toThrow(
      "Expected `budgetUsd` to be a finite number >= 0, got `undefined`",
    );
    expect(() => new BudgetedSession({ budgetUsd: 1, tier: "turbo" as never })).toThrow(
      'Expected `tier` to be one of "standard", "batch", "flex", "priority", got `"turbo"` (string)',
    );
    expect(() => new BudgetedSession({ budgetUsd: 1, warningThresholds: [50, 150] })).toThrow(
      "Expected `warningThresholds` to be percentages in (0, 100], got `150` (number)",
    );
    expect(() => new BudgetedSession({ budgetUsd: 1, onWarning: "yes" as never })).toThrow(
      "Expected `onWarning` to be a function",
    );
    expect(() => new BudgetedSession({ budgetUsd: 1, reservation: { mode: "loose" as never } })).toThrow(
      /reservation.mode/,
    );
    expect(() => new BudgetedSession({ budgetUsd: 1, store: {} as never })).toThrow(/`store`/);
    expect(() => new BudgetedSession({ budgetUsd: 1, pricing: { m: { inputPerMTok: 1 } as never } })).toThrow(
      'Expected `pricing["m"].outputPerMTok` to be a finite number >= 0',
    );
    expect(() => new BudgetedSession({ budgetUsd: 0 })).not.toThrow();
    expect(() => new BudgetedSession({ budgetUsd: 1 }).wrap({} as never)).toThrow(
      /Expected an OpenAI client/,
    );
  });

  it("survives throwing callbacks: the call returns, the ledger stays consistent, a warning is emitted", async () => {
    const emitted = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      const { session, client } = wrapped({
        budgetUsd: 0.001,
        warningThresholds: [1],
        onCost: () => {
          throw new Error("onCost broke");
        },
        onWarning: () => {
          throw new Error("onWarning broke");
        },
      });
      fake().script("openai.chat", { usage: { prompt_tokens: 100, completion_tokens: 10 } });
      const reply = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: user("hi"),
        max_completion_tokens: 10,
      });
      expect(reply.choices).toHaveLength(1);
      expect(session.getReserved()).toBe(0);
      expect(session.getTotalSpent()).toBeGreaterThan(0);
      const messages = emitted.mock.calls.map((call) => String(call[0]));
      expect(messages).toContain("spendguard: onCost threw: onCost broke");
      expect(messages).toContain("spendguard: onWarning threw: onWarning broke");
    } finally {
      emitted.mockRestore();
    }
  });
});

describe("warnings", () => {
  it("fires a threshold exactly once, with the budget numbers", async () => {
    const warnings: WarningEvent[] = [];
    const { client } = wrapped({
      budgetUsd: 0.001,
      warningThresholds: [50],
      onWarning: (w) => warnings.push(w),
    });
    fake().setDefault("openai.chat", { usage: { prompt_tokens: 10, completion_tokens: 20 } });
    for (let i = 0; i < 200; i++) {
      try {
        await client.chat.completions.create({
          model: "gpt-4o-mini",
          messages: user("hi"),
          max_completion_tokens: 20,
        });
      } catch (error) {
        expect(error).toBeInstanceOf(BudgetExceededError);
        break;
      }
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ threshold: 50, budget: 0.001 });
    expect(warnings[0]?.spent).toBeGreaterThanOrEqual(0.0005);
  });

  it("fires each threshold once, ascending, under concurrency, and again after reset()", async () => {
    const warnings: number[] = [];
    const { session, client } = wrapped({
      budgetUsd: 10,
      pricing: TWO_DOLLAR_TOKENS,
      warningThresholds: [30, 50, 80, 95],
      onWarning: (w) => warnings.push(w.threshold),
    });
    fake().setDefault("openai.chat", { usage: { completion_tokens: 1 } });
    const call = () =>
      client.chat.completions.create({
        model: "two-dollar-model",
        messages: user("x"),
        max_completion_tokens: 1,
      });
    await Promise.allSettled(Array.from({ length: 8 }, call));
    // 5 of the 8 calls fit: $10 of $10 crosses every threshold, each once, in order.
    expect(warnings).toEqual([30, 50, 80, 95]);
    await session.reset();
    expect(session.getTotalSpent()).toBe(0);
    await Promise.allSettled(Array.from({ length: 2 }, call));
    expect(warnings).toEqual([30, 50, 80, 95, 30]);
  });
});

describe("streams", () => {
  it("hides the usage chunk spendguard asked for, and settles from it", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { usage: { prompt_tokens: 1000, completion_tokens: 1000 } });
    const params = deepFreeze({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true as const,
      max_completion_tokens: 1000,
    });
    const stream = await client.chat.completions.create(params);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(
      "Hello from the fake provider.",
    );
    const sent = sentBody(fake(), 0);
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect("stream_options" in params).toBe(false);
    expect(session.getTotalSpent()).toBe(0.00075);
    const [record] = await session.history();
    expect(record).toMatchObject({ stream: true, source: "usage" });
  });

  it("shows the usage chunk when the caller asked for it, and keeps their other stream options", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(5);
    const sent = sentBody(fake(), 0);
    expect(sent.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
    expect(session.getTotalSpent()).toBeGreaterThan(0);
  });

  it("charges the tokens streamed before an early break (not $0) and really closes the connection", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { content: "word ".repeat(200).trim(), chunkDelayMs: 2 });
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("hi"),
      stream: true,
      max_completion_tokens: 500,
    });
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received++;
      if (received === 10) break;
    }
    const request = fake().requests[0];
    await request?.finished;
    expect(request?.closedEarly).toBe(true);
    expect(request?.chunksSent).toBeLessThan(100);
    await until(() => session.getReserved() === 0);
    const [record] = await session.history();
    expect(record).toMatchObject({ source: "estimated", flags: ["interrupted"] });
    expect(record?.usage?.outputTokens).toBeGreaterThanOrEqual(10);
    expect(record?.usage?.outputTokens).toBeLessThan(100);
    expect(record?.actualUsd).toBeGreaterThan(0);
    expect(record?.actualUsd).toBeLessThan(record?.heldUsd ?? 0);
  });

  it("settles an aborted stream from its deltas", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { content: "word ".repeat(200).trim(), chunkDelayMs: 2 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "gpt-4o-mini", messages: user("hi"), stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && ++received === 5) controller.abort();
    }
    await until(() => session.getReserved() === 0);
    const [record] = await session.history();
    expect(record?.flags).toContain("interrupted");
    expect(record?.actualUsd).toBeGreaterThan(0);
    await fake().requests[0]?.finished;
    expect(fake().requests[0]?.closedEarly).toBe(true);
  });

  it("settles from the deltas when the provider sends an error mid-stream", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", {
      content: "word ".repeat(40).trim(),
      fault: "error-event",
      errorAfterChunks: 20,
    });
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const consume = async () => {
      for await (const _ of stream) {
        // read until the error
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    await until(() => session.getReserved() === 0);
    const [record] = await session.history();
    expect(record?.flags).toContain("interrupted");
    expect(record?.usage?.outputTokens).toBeGreaterThanOrEqual(20);
  });

  it("charges an interrupted reasoning-model stream at its hold: its hidden tokens cannot be counted", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { content: "word ".repeat(100).trim(), chunkDelayMs: 1 });
    const stream = await client.chat.completions.create({
      model: "o4-mini",
      messages: user("hi"),
      stream: true,
      max_completion_tokens: 1000,
    });
    for await (const _ of stream) break;
    await until(() => session.getReserved() === 0);
    const [record] = await session.history();
    expect(record?.flags).toEqual(["interrupted", "reasoning_unseen"]);
    expect(record?.actualUsd).toBe(record?.heldUsd);
  });

  it("keeps the hold of a stream nobody reads until its lease ends, then charges the hold", async () => {
    let now = 1_000_000;
    const { session, client } = wrapped({ budgetUsd: 1, holdTtlMs: 60_000, clock: () => now });
    fake().script("openai.chat", { content: "word ".repeat(50).trim() });
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
      max_completion_tokens: 100,
    });
    const held = session.getReserved();
    expect(held).toBeGreaterThan(0);
    now += 60_000;
    expect(session.getReserved()).toBe(0);
    expect(session.getTotalSpent()).toBe(held);
    const [record] = await session.history();
    expect(record?.flags).toContain("lease_expired");
  });
});

describe("the wrapped client", () => {
  it("keeps .withResponse() and .asResponse() working on metered calls", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const { data, response, request_id } = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi") })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Hello from the fake provider.");
    expect(response.status).toBe(200);
    expect(request_id).toBe(fake().requests[0]?.id);
    const raw = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi") })
      .asResponse();
    const json = (await raw.json()) as { usage: { completion_tokens: number } };
    expect(json.usage.completion_tokens).toBe(5);
    await until(() => session.getReserved() === 0);
    expect(session.getSummary().requests).toBe(2);
  });

  it("stays wrapped through withOptions(), also when the options bring their own fetch", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const child = client.withOptions({ timeout: 5000 });
    await child.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    let seen = 0;
    const grandchild = child.withOptions({
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        seen++;
        return fetch(input, init);
      },
    });
    await grandchild.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    expect(seen).toBe(1);
    expect(session.getSummary().requests).toBe(2);
    expect(child).toBeInstanceOf(OpenAI);
  });

  it("passes every other member through untouched", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    expect(client).toBeInstanceOf(OpenAI);
    expect(client.baseURL).toBe(fake().openai.baseURL);
    expect(client.chat).toBe(client.chat);
    expect(client.chat.completions.create).toBe(client.chat.completions.create);
    expect(client.buildURL("/models", {})).toBe(`${fake().openai.baseURL}/models`);
    // A free endpoint goes out as is and leaves no record.
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    expect(await session.history()).toEqual([]);
  });

  it("meters chat.completions.parse and the stream() helper through the same ledger", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const parsed = await client.chat.completions.parse({ model: "gpt-4o-mini", messages: user("hi") });
    expect(parsed.choices[0]?.message.content).toBe("Hello from the fake provider.");
    const runner = client.chat.completions.stream({ model: "gpt-4o-mini", messages: user("hi") });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("Hello from the fake provider.");
    await until(() => session.getReserved() === 0);
    const records = await session.history();
    expect(records).toHaveLength(2);
    expect(records.every((record) => record.status === "settled" && record.source === "usage")).toBe(true);
  });

  it("meters a call nobody awaits", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    void client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    await until(() => fake().requests.length === 1);
    await session.close();
    expect(session.getTotalSpent()).toBeGreaterThan(0);
    expect(session.getReserved()).toBe(0);
  });

  it("close() waits for calls in flight to settle, and gives up on a stream nobody reads", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("openai.chat", { delayMs: 150 });
    const call = client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    await until(() => fake().requests.length === 1);
    await session.close();
    expect(session.getReserved()).toBe(0);
    expect(session.getTotalSpent()).toBeGreaterThan(0);
    await call;

    const other = wrapped({ budgetUsd: 1 });
    await other.client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi"), stream: true });
    const start = Date.now();
    await other.session.close({ timeoutMs: 100 });
    expect(Date.now() - start).toBeLessThan(1000);
    expect(other.session.getReserved()).toBeGreaterThan(0);
  });

  it("refuses calls after close() with a typed error", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    await session.close();
    const error = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi") })
      .catch((caught: unknown) => caught);
    expect(isSpendguardError(error)).toBe(true);
    expect((error as InvalidRequestError).code).toBe("session_closed");
  });

  it("BudgetedSession.openai() builds a wrapped client with its session attached", async () => {
    const client = BudgetedSession.openai({
      budgetUsd: 5,
      apiKey: "sk-test",
      clientOptions: { baseURL: fake().openai.baseURL, maxRetries: 0 },
    });
    expect(client.session.getBudget()).toBe(5);
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    expect(client.session.getSummary()).toMatchObject({ budget: 5, requests: 1, reserved: 0 });
    expect(fake().requests[0]?.headers.authorization).toBe("Bearer sk-test");
    expect(client.withOptions({}).session).toBe(client.session);
  });

  it("shares one store between sessions: one budget for several wrapped clients", async () => {
    const store = memoryStore();
    const a = new BudgetedSession({ budgetUsd: 4, id: "shared", store, pricing: TWO_DOLLAR_TOKENS });
    const b = new BudgetedSession({ budgetUsd: 4, id: "shared", store, pricing: TWO_DOLLAR_TOKENS });
    fake().setDefault("openai.chat", { usage: { completion_tokens: 1 } });
    const params = { model: "two-dollar-model", messages: user("x"), max_completion_tokens: 1 };
    await a.wrap(openaiClient(fake())).chat.completions.create(params);
    await b.wrap(openaiClient(fake())).chat.completions.create(params);
    await expect(a.wrap(openaiClient(fake())).chat.completions.create(params)).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(b.getTotalSpent()).toBe(4);
  });
});
