import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  type GivenOptions,
  InvalidRequestError,
  RuleViolationError,
  type SessionOptions,
  UnknownPriceError,
} from "../src/index.js";
import { deepFreeze, sentBody, until, useFakeProviders } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

function anthropicClient(): Anthropic {
  return new Anthropic({ apiKey: "sk-ant-test-secret", baseURL: fake().anthropic.baseURL, maxRetries: 0 });
}

function wrapped<K extends keyof SessionOptions = "budgetUsd">(
  options: GivenOptions<SessionOptions, K, "budgetUsd">,
) {
  const session = new BudgetedSession(options);
  return { session, client: session.wrap(anthropicClient()) };
}

const user = (content: string) => [{ role: "user" as const, content }];
/** USD per million tokens × tokens, written out so the tests do not reuse the pricing code. */
const usd = (tokens: number, perMTok: number) => (tokens * perMTok) / 1e6;

describe("Anthropic messages: settling from usage", () => {
  it("settles claude-haiku-4-5 exactly from the response usage", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("anthropic.messages", { usage: { input_tokens: 1000, output_tokens: 500 } });
    const message = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 1000,
      messages: user("hello"),
    });
    expect(message.type).toBe("message");
    // $1 / MTok input, $5 / MTok output
    expect(session.getTotalSpent()).toBeCloseTo(usd(1000, 1) + usd(500, 5), 12);
    expect(session.getReserved()).toBe(0);
    const [record] = await session.history();
    expect(record).toMatchObject({
      provider: "anthropic",
      status: "settled",
      source: "usage",
      requestId: message.id,
    });
    expect(record?.usage).toMatchObject({ inputTokens: 1000, outputTokens: 500 });
  });

  it("adds cache reads and writes to input_tokens, which excludes them, each at its own rate", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    // Anthropic's input_tokens is only the uncached remainder: the billed input is the sum of all three.
    fake().script("anthropic.messages", {
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 50_000,
        cache_creation_input_tokens: 2_000,
        output_tokens: 300,
      },
    });
    await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 400, messages: user("hi") });
    // sonnet 4.5: $3 input, $0.30 cache read, $3.75 cache write (5 min), $15 output per MTok
    const expected = usd(100, 3) + usd(50_000, 0.3) + usd(2_000, 3.75) + usd(300, 15);
    expect(session.getTotalSpent()).toBeCloseTo(expected, 12);
    // Reading input_tokens as the total would have charged far less; subtracting the cache from it, nothing.
    expect(expected).toBeGreaterThan(usd(100, 3) + usd(300, 15) + 0.02);
    const [record] = await session.history();
    expect(record?.usage).toMatchObject({
      inputTokens: 52_100,
      cachedInputTokens: 50_000,
      cacheWriteTokens: 2_000,
    });
  });

  it("prices a prompt cached by cache_control: a write on the first call, a read on the second", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    const system = [
      {
        type: "text" as const,
        text: "You are a careful assistant. ".repeat(300),
        cache_control: { type: "ephemeral" as const },
      },
    ];
    const first = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 50,
      system,
      messages: user("a"),
    });
    const second = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 50,
      system,
      messages: user("b"),
    });
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1000);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    const [secondRecord, firstRecord] = await session.history();
    const cost = (u: Anthropic.Usage) =>
      usd(u.input_tokens, 1) +
      usd(u.cache_creation_input_tokens ?? 0, 1.25) +
      usd(u.cache_read_input_tokens ?? 0, 0.1) +
      usd(u.output_tokens, 5);
    expect(firstRecord?.actualUsd).toBeCloseTo(cost(first.usage), 9);
    expect(secondRecord?.actualUsd).toBeCloseTo(cost(second.usage), 9);
    // The hold covered the worst case (the cache-write rate on the whole prompt): no overspend.
    expect(firstRecord?.flags).not.toContain("overspend");
    expect(firstRecord?.heldUsd).toBeGreaterThanOrEqual(firstRecord?.actualUsd ?? Number.POSITIVE_INFINITY);
  });

  it("settles a stream from message_start and the last message_delta (overwritten, never added)", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const stream = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      messages: user("stream please"),
      stream: true,
    });
    let finalOutput = 0;
    let input = 0;
    for await (const event of stream) {
      if (event.type === "message_start") input = event.message.usage.input_tokens;
      if (event.type === "message_delta") finalOutput = event.usage.output_tokens;
    }
    await until(() => session.getReserved() === 0);
    expect(finalOutput).toBeGreaterThan(1);
    const [record] = await session.history();
    expect(record).toMatchObject({ source: "usage", stream: true });
    expect(record?.usage).toMatchObject({ inputTokens: input, outputTokens: finalOutput });
    expect(session.getTotalSpent()).toBeCloseTo(usd(input, 1) + usd(finalOutput, 5), 12);
  });

  it("settles a stream cut short by break from the deltas that arrived, and closes the connection", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("anthropic.messages", { content: "word ".repeat(200).trim(), chunkDelayMs: 2 });
    const stream = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 1000,
      messages: user("long answer"),
      stream: true,
    });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === "content_block_delta" && ++deltas === 5) break;
    }
    await until(() => session.getReserved() === 0);
    const [record] = await session.history();
    expect(record?.source).toBe("estimated");
    expect(record?.flags).toContain("interrupted");
    expect(record?.usage?.outputTokens).toBeGreaterThanOrEqual(5);
    expect(record?.actualUsd).toBeGreaterThan(0);
    expect(record?.actualUsd).toBeLessThanOrEqual(record?.heldUsd ?? 0);
    await until(() => fake().requests[0]?.closedEarly === true);
  });

  it("meters messages.stream() (the SDK helper) exactly once", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const message = await client.messages
      .stream({ model: "claude-haiku-4-5", max_tokens: 100, messages: user("hi") })
      .finalMessage();
    await until(() => session.getReserved() === 0);
    const records = await session.history();
    expect(records).toHaveLength(1);
    expect(records[0]?.usage?.outputTokens).toBe(message.usage.output_tokens);
    expect(fake().requests[0]?.headers["x-stainless-helper-method"]).toBe("stream");
  });

  it("counts input exactly with messages.countTokens when asked", async () => {
    const { session, client } = wrapped({ budgetUsd: 1, anthropic: { exactInputTokens: true } });
    fake().script("anthropic.countTokens", { inputTokens: 4321 });
    await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("count me") });
    expect(fake().requests.map((request) => request.route)).toEqual([
      "anthropic.countTokens",
      "anthropic.messages",
    ]);
    const countBody = sentBody(fake(), 0);
    expect(countBody).toMatchObject({ model: "claude-haiku-4-5", messages: user("count me") });
    expect(countBody).not.toHaveProperty("max_tokens");
    const [record] = await session.history();
    // Held: exactly 4321 input at the cache-free input rate + 10 output tokens.
    expect(record?.heldUsd).toBeCloseTo(usd(4321, 1) + usd(10, 5), 9);
  });

  it("falls back to the local bound when countTokens fails", async () => {
    const { session, client } = wrapped({ budgetUsd: 1, anthropic: { exactInputTokens: true } });
    fake().script("anthropic.countTokens", { status: 500 });
    await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("count me") });
    expect((await session.history())[0]?.status).toBe("settled");
  });
});

describe("Anthropic messages: tools and extended thinking", () => {
  it("holds the tool definitions and the tool system prompt, settles a tool call and its thinking within max_tokens", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("anthropic.messages", {
      thinking: "Let me look the weather up first. ".repeat(20),
      toolCalls: [{ name: "get_weather", arguments: JSON.stringify({ city: "Paris" }) }],
    });
    const tools = [
      {
        name: "get_weather",
        description: "The current weather of a city. ".repeat(10),
        input_schema: {
          type: "object" as const,
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
    ];
    const message = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 3000,
      thinking: { type: "enabled", budget_tokens: 2000 },
      tools,
      messages: user("What is the weather in Paris?"),
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "tool_use"]);
    const [record] = await session.history();
    // sonnet 4.5: $3 input / $15 output per MTok; thinking is billed as output, within max_tokens.
    expect(record?.actualUsd).toBeCloseTo(
      usd(message.usage.input_tokens, 3) + usd(message.usage.output_tokens, 15),
      12,
    );
    expect(message.usage.output_tokens).toBeGreaterThan(100);
    // The hold: the input bound (≥ 400 tokens of tool system prompt) and all 3,000 output tokens.
    expect(record?.heldUsd).toBeGreaterThan(usd(400, 3) + usd(3000, 15));
    expect(record?.flags).not.toContain("overspend");
  });
});

describe("Anthropic messages: refusals and errors", () => {
  it("refuses a request without max_tokens before anything is sent", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const params = {
      model: "claude-haiku-4-5",
      messages: user("hi"),
    } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const error = await client.messages.create(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain("max_tokens");
    expect(fake().requests).toHaveLength(0);
    expect((await session.history())[0]?.status).toBe("blocked");
  });

  it("refuses an unknown model, and a newer version of a known one, before anything is sent", async () => {
    const { client } = wrapped({ budgetUsd: 1 });
    for (const model of ["claude-nonexistent-9", "claude-sonnet-5-7"]) {
      const error = await client.messages
        .create({ model, max_tokens: 10, messages: user("hi") })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownPriceError);
    }
    expect(fake().requests).toHaveLength(0);
  });

  it("refuses a call whose worst case does not fit the budget", async () => {
    const { session, client } = wrapped({ budgetUsd: 0.001 });
    const error = await client.messages
      .create({ model: "claude-opus-4-1", max_tokens: 4000, messages: user("hi") })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(fake().requests).toHaveLength(0);
    expect(session.getReserved()).toBe(0);
  });

  it("releases the hold on a provider error and rethrows the SDK's own error", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("anthropic.messages", { status: 400 });
    const error = await client.messages
      .create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("hi") })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(session.getTotalSpent()).toBe(0);
    expect(session.getReserved()).toBe(0);
    expect((await session.history())[0]?.status).toBe("failed");
  });

  it("meters a raw client.post() to the messages endpoint like messages.create", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    fake().script("anthropic.messages", { usage: { input_tokens: 20, output_tokens: 5 } });
    await client.post("/v1/messages", {
      body: { model: "claude-haiku-4-5", max_tokens: 10, messages: user("hi") },
    });
    expect(fake().requests).toHaveLength(1);
    expect(session.getTotalSpent()).toBeCloseTo(usd(20, 1) + usd(5, 5), 12);
    expect((await session.history())[0]).toMatchObject({ operation: "messages.create", status: "settled" });
  });

  it("refuses a raw POST to a paid endpoint it has no meter for, without sending it", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const error = await client
      .post("/v1/complete", { body: { model: "claude-2.1", prompt: "hi", max_tokens_to_sample: 5 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleViolationError);
    expect((error as RuleViolationError).code).toBe("unmetered_request");
    expect(fake().requests).toHaveLength(0);
    expect(session.getTotalSpent()).toBe(0);
  });

  it("keeps clients derived with withOptions metered, sharing the budget", async () => {
    const { session, client } = wrapped({ budgetUsd: 1 });
    const derived = client.withOptions({ timeout: 30_000 });
    fake().script("anthropic.messages", { usage: { input_tokens: 10, output_tokens: 10 } });
    await derived.messages.create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("hi") });
    expect(session.getTotalSpent()).toBeCloseTo(usd(10, 1) + usd(10, 5), 12);
  });
});

describe("Anthropic middleware", () => {
  it("holds and settles every paid attempt a middleware sends, each at the model it was sent to", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    // A refusal fallback in the style of the SDK's betaRefusalFallbackMiddleware: a second attempt, another model.
    const fallback = async (
      request: { body?: unknown },
      next: (request: never) => Promise<Response>,
    ): Promise<Response> => {
      const first = await next(request as never);
      const message = (await first.clone().json()) as { stop_reason?: string };
      if (message.stop_reason !== "refusal") return first;
      const body = { ...JSON.parse(String(request.body)), model: "claude-sonnet-4-5" };
      return next({ ...request, body: JSON.stringify(body) } as never);
    };
    const client = session.wrap(
      new Anthropic({
        apiKey: "sk-ant-test-secret",
        baseURL: fake().anthropic.baseURL,
        maxRetries: 0,
        middleware: [fallback as never],
      }),
    );
    fake().script(
      "anthropic.messages",
      { finishReason: "refusal", usage: { input_tokens: 20, output_tokens: 5 } },
      { usage: { input_tokens: 20, output_tokens: 30 } },
    );
    const message = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 50,
      messages: user("hi"),
    });
    expect(message.model).toBe("claude-sonnet-4-5");
    await until(() => session.getReserved() === 0);
    await until(() => session.getSummary().requests === 2);
    const records = await session.history();
    const haiku = records.find((record) => record.model === "claude-haiku-4-5");
    const sonnet = records.find((record) => record.model === "claude-sonnet-4-5");
    expect(records.every((record) => record.flags.length === 0)).toBe(true);
    expect(haiku?.actualUsd).toBeCloseTo(usd(20, 1) + usd(5, 5), 12);
    expect(sonnet).toMatchObject({ model: "claude-sonnet-4-5", resolvedModel: "claude-sonnet-4-5" });
    expect(sonnet?.actualUsd).toBeCloseTo(usd(20, 3) + usd(30, 15), 12);
    expect(session.getTotalSpent()).toBeCloseTo(usd(20, 1) + usd(5, 5) + usd(20, 3) + usd(30, 15), 12);
  });
});

describe("Anthropic server tools, fast mode and iterations", () => {
  it("gives every web search tool a max_uses, on a copy, and holds the searches and the context window", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    const params = deepFreeze({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: user("search the web"),
      tools: [{ type: "web_search_20250305" as const, name: "web_search" as const }],
    });
    fake().script("anthropic.messages", { usage: { input_tokens: 5000, output_tokens: 50 } });
    await client.messages.create(params);
    const sent = sentBody(fake()) as { tools: { max_uses?: number }[] };
    expect(sent.tools[0]?.max_uses).toBe(8);
    expect(params.tools[0]).not.toHaveProperty("max_uses");
    const [record] = await session.history();
    // 200k context at $1 + 100 output at $5 + 8 searches at $10 / 1000
    expect(record?.heldUsd).toBeCloseTo(usd(200_000, 1) + usd(100, 5) + 0.08, 6);
  });

  it("holds and settles fast mode at the model's fast-mode multiple, and at standard when served at standard", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    const request = {
      model: "claude-opus-4-6",
      max_tokens: 100,
      messages: user("quick"),
      speed: "fast" as const,
    };
    fake().script(
      "anthropic.messages",
      { usage: { input_tokens: 10, output_tokens: 100, speed: "fast" } },
      { usage: { input_tokens: 10, output_tokens: 100, speed: "standard" } },
    );
    await client.messages.create(request);
    await client.messages.create(request);
    const [standard, fast] = await session.history();
    // opus 4.6: $5 / $25 per MTok; fast mode 6×
    expect(fast?.actualUsd).toBeCloseTo(6 * (usd(10, 5) + usd(100, 25)), 9);
    expect(standard?.actualUsd).toBeCloseTo(usd(10, 5) + usd(100, 25), 9);
    expect(fast?.heldUsd).toBeGreaterThanOrEqual(fast?.actualUsd ?? Number.POSITIVE_INFINITY);
  });

  it("prices claude-sonnet-5-5 from spendguard's table and fast mode on claude-opus-5-5 at 2x", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    fake().script(
      "anthropic.messages",
      { usage: { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 2000 } },
      { usage: { input_tokens: 10, output_tokens: 100, speed: "fast" } },
    );
    await client.messages.create({ model: "claude-sonnet-5-5", max_tokens: 100, messages: user("hi") });
    await client.messages.create({
      model: "claude-opus-5-5",
      max_tokens: 100,
      messages: user("quick"),
      speed: "fast" as const,
    });
    const [fast, sonnet] = await session.history();
    // sonnet 5.5: $2 in, $10 out, $0.20 cache read per MTok
    expect(sonnet?.actualUsd).toBeCloseTo(usd(1000, 2) + usd(100, 10) + usd(2000, 0.2), 9);
    expect(sonnet?.priceSource?.layer).toBe("table");
    // opus 5.5: $4 / $20 per MTok; fast mode 2x ($8 / $40)
    expect(fast?.actualUsd).toBeCloseTo(usd(10, 8) + usd(100, 40), 9);
  });

  it("charges Claude Sonnet 4 above 200k input tokens at the long-context rates", async () => {
    const { session, client } = wrapped({ budgetUsd: 50 });
    fake().script(
      "anthropic.messages",
      { usage: { input_tokens: 150_000, output_tokens: 1000, cache_read_input_tokens: 60_000 } },
      { usage: { input_tokens: 150_000, output_tokens: 1000, cache_read_input_tokens: 40_000 } },
    );
    for (const model of ["claude-sonnet-4-20250514", "claude-sonnet-4"]) {
      await client.messages.create({ model, max_tokens: 1000, messages: user("long") });
    }
    const [under, over] = await session.history();
    // 210k input in total (cache reads count toward the threshold): $6 / $22.50 / $0.60 per MTok
    expect(over?.actualUsd).toBeCloseTo(usd(150_000, 6) + usd(1000, 22.5) + usd(60_000, 0.6), 9);
    // 190k: the standard $3 / $15 / $0.30
    expect(under?.actualUsd).toBeCloseTo(usd(150_000, 3) + usd(1000, 15) + usd(40_000, 0.3), 9);
  });

  it("refuses fast mode on a model whose fast-mode price is unknown", async () => {
    const { client } = wrapped({ budgetUsd: 5 });
    const error = await client.messages
      .create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("x"), speed: "fast" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPriceError);
    expect((error as Error).message).toContain("Fast mode");
    expect(fake().requests).toHaveLength(0);
  });

  it("adds compaction iterations, which the top-level usage leaves out", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    const raw = {
      input_tokens: 1000,
      output_tokens: 100,
      iterations: [
        {
          type: "compaction",
          input_tokens: 3000,
          output_tokens: 400,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
        {
          type: "message",
          input_tokens: 1000,
          output_tokens: 100,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      ],
    };
    fake().script("anthropic.messages", { usage: raw as never });
    await client.beta.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      messages: user("long chat"),
    });
    expect(session.getTotalSpent()).toBeCloseTo(usd(4000, 1) + usd(500, 5), 12);
  });

  it("prices advisor iterations at the advisor model's rates, and holds their worst case", async () => {
    const { session, client } = wrapped({ budgetUsd: 50 });
    const raw = {
      input_tokens: 1000,
      output_tokens: 100,
      iterations: [
        {
          type: "message",
          input_tokens: 1000,
          output_tokens: 100,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
          model: null,
        },
        {
          type: "advisor_message",
          model: "claude-opus-4-6",
          input_tokens: 2000,
          output_tokens: 600,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      ],
    };
    fake().script("anthropic.messages", { usage: raw as never });
    const tools = [{ type: "advisor_20260301", name: "advisor", model: "claude-opus-4-6" }] as never;
    await client.beta.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      messages: user("plan"),
      tools,
    });
    const sent = sentBody(fake()) as { tools: { max_uses?: number }[] };
    expect(sent.tools[0]?.max_uses).toBe(3);
    const [record] = await session.history();
    expect(record?.actualUsd).toBeCloseTo(usd(1000, 1) + usd(100, 5) + usd(2000, 5) + usd(600, 25), 9);
    expect(record?.heldUsd).toBeGreaterThan(3 * usd(200_000, 5));
  });
});

describe("Anthropic message batches", () => {
  it("holds the batch's worst case at the batch rate and settles it from the results", async () => {
    const { session, client } = wrapped({ budgetUsd: 5 });
    const requests = [
      { custom_id: "a", params: { model: "claude-haiku-4-5", max_tokens: 100, messages: user("one") } },
      { custom_id: "b", params: { model: "claude-sonnet-4-5", max_tokens: 100, messages: user("two") } },
    ];
    fake().script("anthropic.batches", {
      results: {
        a: { usage: { input_tokens: 1000, output_tokens: 100 } },
        b: { usage: { input_tokens: 2000, output_tokens: 50 } },
      },
    });
    const batch = await client.messages.batches.create({ requests });
    await until(() => session.getReserved() > 0);
    const held = session.getReserved();
    // Batch rate: half of standard. Worst case of each: its input bound + 100 output tokens.
    expect(held).toBeGreaterThan(usd(100, 2.5) + usd(100, 7.5));
    expect(session.getTotalSpent()).toBe(0);

    const seen: string[] = [];
    for await (const entry of await client.messages.batches.results(batch.id)) seen.push(entry.custom_id);
    expect(seen.sort()).toEqual(["a", "b"]);
    await until(() => session.getReserved() === 0);
    // haiku batch: $0.5 / $2.5; sonnet 4.5 batch: $1.5 / $7.5 per MTok
    const expected = usd(1000, 0.5) + usd(100, 2.5) + usd(2000, 1.5) + usd(50, 7.5);
    expect(session.getTotalSpent()).toBeCloseTo(expected, 12);
    const [record] = await session.history();
    expect(record).toMatchObject({
      operation: "messages.batches.create",
      tier: "batch",
      requestId: batch.id,
    });
  });
});

describe("BudgetedSession.anthropic", () => {
  it("builds a wrapped client with its own session", async () => {
    const client = BudgetedSession.anthropic({
      budgetUsd: 1,
      apiKey: "sk-ant-test-secret",
      clientOptions: { baseURL: fake().anthropic.baseURL, maxRetries: 0 },
      Anthropic,
    });
    fake().script("anthropic.messages", { usage: { input_tokens: 100, output_tokens: 10 } });
    await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("hi") });
    expect(client.session.getTotalSpent()).toBeCloseTo(usd(100, 1) + usd(10, 5), 12);
    expect(JSON.stringify(await client.session.history())).not.toContain("sk-ant-test-secret");
  });

  it("rejects bad factory options with a TypeError naming the option", () => {
    expect(() => BudgetedSession.anthropic({ budgetUsd: 1, apiKey: 42 as never, Anthropic })).toThrow(
      /`apiKey`/,
    );
    expect(() =>
      BudgetedSession.anthropic({ budgetUsd: 1, anthropic: { exactInputTokens: "yes" as never }, Anthropic }),
    ).toThrow(/`anthropic.exactInputTokens`/);
  });
});
