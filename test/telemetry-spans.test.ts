import Anthropic from "@anthropic-ai/sdk";
import { createFalClient } from "@fal-ai/client";
import { trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  type BudgetStore,
  memoryStore,
  openTelemetry,
  type SessionOptions,
} from "../src/index.js";
import { usdToNano } from "../src/money.js";
import { admitted, costAttributes, useOpenTelemetrySdk } from "./fixtures/otel.js";
import { openaiClient, sharedFakeProviders, user } from "./helpers.js";

const fake = sharedFakeProviders();
const { exporter, ours, onlySpan } = useOpenTelemetrySdk();

/** A session without refusal callbacks (its calls never resolve null), with OpenTelemetry observing. */
function session(options: Partial<Pick<SessionOptions, "id" | "budgetUsd" | "observers" | "store">> = {}) {
  return new BudgetedSession({ budgetUsd: 5, observers: [openTelemetry()], ...options });
}

describe("OpenTelemetry spans", () => {
  it("a chat call: one client span `chat gpt-4o` with the GenAI attributes, cost to the nano-dollar", async () => {
    const guarded = session({ id: "otel-chat" });
    const client = guarded.wrap(openaiClient(fake));
    fake.script("openai.chat", {
      id: "chatcmpl-otel-1",
      model: "gpt-4o-2024-08-06",
      usage: {
        prompt_tokens: 1200,
        completion_tokens: 300,
        prompt_tokens_details: { cached_tokens: 1024 },
      },
    });
    await client.chat.completions.create({ model: "gpt-4o", max_tokens: 400, messages: user("hello") });
    const [record] = await guarded.history();
    const span = onlySpan();
    expect(span.name).toBe("chat gpt-4o");
    expect(span.kind).toBe(2); // CLIENT
    expect(span.status.code).toBe(0); // UNSET: a successful call
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per MTok
    const cost = (176 * 2.5 + 1024 * 1.25 + 300 * 10) / 1e6;
    expect(usdToNano(record?.actualUsd ?? 0)).toBe(usdToNano(cost));
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.request.max_tokens": 400,
      "gen_ai.response.model": "gpt-4o-2024-08-06",
      "gen_ai.response.id": "chatcmpl-otel-1",
      "gen_ai.usage.input_tokens": 1200,
      "gen_ai.usage.output_tokens": 300,
      "gen_ai.usage.cache_read.input_tokens": 1024,
      "gen_ai.usage.cost": record?.actualUsd,
      "gen_ai.usage.cost.amount": record?.actualUsd,
      "gen_ai.usage.cost.currency": "USD",
      "gen_ai.usage.cost.source": "local",
      "spendguard.session.id": "otel-chat",
      "spendguard.call.id": record?.id,
      "spendguard.tier": "standard",
      "spendguard.stream": false,
      "spendguard.estimate.usd": record?.estimatedUsd,
      "spendguard.hold.usd": record?.heldUsd,
      "spendguard.remaining.usd": 5 - (record?.actualUsd ?? 0),
      "spendguard.outcome": "settled",
      // The scripted 1,200 prompt tokens are far more than "hello" counts locally: the hold was short.
      "spendguard.flags": ["overspend"],
      "spendguard.usage.source": "usage",
      "spendguard.price.source": record?.priceSource?.detail,
    });
    expect(usdToNano(span.attributes["gen_ai.usage.cost"] as number)).toBe(usdToNano(cost));
  });

  it("a stream: the span ends when the stream settles, with the streamed usage", async () => {
    const guarded = session({ id: "otel-stream" });
    const client = guarded.wrap(openaiClient(fake));
    fake.script("openai.chat", { usage: { prompt_tokens: 50, completion_tokens: 20 } });
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      max_tokens: 100,
      messages: user("stream please"),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(ours()).toHaveLength(0); // open while the stream runs
    for await (const _chunk of stream) {
      // drain
    }
    await guarded.close();
    const [record] = await guarded.history();
    const span = onlySpan();
    expect(span.name).toBe("chat gpt-4o-mini");
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.request.max_tokens": 100,
      "gen_ai.response.model": "gpt-4o-mini",
      "gen_ai.response.id": record?.requestId,
      "gen_ai.usage.input_tokens": 50,
      "gen_ai.usage.output_tokens": 20,
      ...costAttributes(record?.actualUsd),
      ...admitted(record),
      "spendguard.stream": true,
      "spendguard.remaining.usd": 5 - (record?.actualUsd ?? 0),
      "spendguard.outcome": "settled",
      "spendguard.usage.source": "usage",
    });
    expect(record?.actualUsd).toBeCloseTo((50 * 0.15 + 20 * 0.6) / 1e6, 15);
  });

  it("a cached Anthropic call: cache reads and creations in their own attributes, input as the total", async () => {
    const guarded = session({ id: "otel-anthropic" });
    const client = guarded.wrap(
      new Anthropic({ apiKey: "sk-ant-test-secret", baseURL: fake.anthropic.baseURL, maxRetries: 0 }),
    );
    fake.script("anthropic.messages", {
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 50_000,
        cache_creation_input_tokens: 2_000,
        output_tokens: 300,
      },
    });
    const message = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 400,
      messages: user("hi"),
    });
    const [record] = await guarded.history();
    // The Anthropic SDK makes its own span for the call, and spendguard meters the request inside it (at the
    // transport): `spans: "auto"` puts spendguard's attributes on that span instead of nesting a duplicate.
    expect(ours()).toHaveLength(0);
    const carrying = exporter
      .getFinishedSpans()
      .filter((candidate) => candidate.attributes["spendguard.outcome"] !== undefined);
    expect(carrying).toHaveLength(1);
    const span = carrying[0] as (typeof carrying)[number];
    const cost = (100 * 3 + 50_000 * 0.3 + 2_000 * 3.75 + 300 * 15) / 1e6;
    expect(usdToNano(span.attributes["gen_ai.usage.cost"] as number)).toBe(usdToNano(cost));
    expect(span.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.request.model": "claude-sonnet-4-5",
      "gen_ai.request.max_tokens": 400,
      "gen_ai.response.model": "claude-sonnet-4-5",
      "gen_ai.response.id": message.id,
      "gen_ai.usage.input_tokens": 52_100,
      "gen_ai.usage.cache_read.input_tokens": 50_000,
      "gen_ai.usage.cache_creation.input_tokens": 2_000,
      "gen_ai.usage.output_tokens": 300,
      ...costAttributes(record?.actualUsd),
      ...admitted(record),
      "spendguard.remaining.usd": 5 - (record?.actualUsd ?? 0),
      "spendguard.outcome": "settled",
      // The scripted cache read is far more input than "hi" counts locally: the hold was short.
      "spendguard.flags": ["overspend"],
      "spendguard.usage.source": "usage",
    });
  });

  it("a refusal: a span with error status and a `spendguard.refused` event, no cost, nothing sent", async () => {
    const guarded = session({ id: "otel-refusal", budgetUsd: 0.000001 });
    const client = guarded.wrap(openaiClient(fake));
    const refused = client.chat.completions.create({
      model: "gpt-4o",
      max_tokens: 4000,
      messages: user("too dear"),
    });
    await expect(refused).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake.requests).toHaveLength(0);
    const span = onlySpan();
    expect(span.name).toBe("chat gpt-4o");
    expect(span.status).toMatchObject({ code: 2 });
    expect(span.status.message).toMatch(/budget/i);
    const [record] = await guarded.history();
    // No usage, no cost: nothing was sent.
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "spendguard.session.id": "otel-refusal",
      "spendguard.call.id": record?.id,
      "spendguard.tier": "standard",
      "spendguard.stream": false,
      "spendguard.estimate.usd": record?.estimatedUsd,
      "spendguard.hold.usd": 0,
      "spendguard.outcome": "blocked",
      "error.type": "budget_exceeded",
      "spendguard.refusal.code": "budget_exceeded",
    });
    expect(span.events.map((event) => event.name)).toEqual(["spendguard.refused"]);
    expect(span.events[0]?.attributes).toMatchObject({ "spendguard.refusal.code": "budget_exceeded" });
  });

  it("a fal image: `generate_content fal-ai/flux/dev`, the cost of the billed units", async () => {
    const fal = BudgetedSession.fal<ReturnType<typeof createFalClient>>({
      budgetUsd: 1,
      id: "otel-fal",
      observers: [openTelemetry()],
      clientConfig: fake.fal.config(),
      createFalClient,
    });
    fake.script("fal.queue", { billableUnits: 1 });
    await fal.subscribe("fal-ai/flux/dev", {
      input: { prompt: "a lighthouse", image_size: "square_hd", num_images: 2 } as { prompt: string },
    });
    const [record] = await fal.session.history();
    const span = onlySpan();
    expect(span.name).toBe("generate_content fal-ai/flux/dev");
    // fal reports billed units, not tokens: no token attributes.
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "generate_content",
      "gen_ai.provider.name": "fal",
      "gen_ai.request.model": "fal-ai/flux/dev",
      "gen_ai.response.id": record?.requestId,
      ...costAttributes(0.025),
      ...admitted(record),
      "spendguard.hold.usd": 0.05, // 2 images x 1 MP at $0.025
      "spendguard.remaining.usd": 0.975,
      "spendguard.outcome": "settled",
      "spendguard.usage.source": "usage",
    });
    expect(record?.actualUsd).toBe(0.025);
  });

  it('`spans: "active"` puts the attributes on the span already active for the call instead of nesting one', async () => {
    const guarded = session({ id: "otel-active", observers: [openTelemetry({ spans: "active" })] });
    const client = guarded.wrap(openaiClient(fake));
    const tracer = trace.getTracer("the-sdk-instrumentation");
    await tracer.startActiveSpan("openai.chat", async (outer) => {
      await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") });
      outer.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0] as ReadableSpan;
    expect(span.name).toBe("openai.chat");
    expect(span.attributes).toMatchObject({
      "gen_ai.request.model": "gpt-4o-mini",
      "spendguard.outcome": "settled",
    });
    expect(span.attributes["gen_ai.usage.cost"]).toBeGreaterThan(0);
  });

  it("by default, adds to another instrumentation's span of the same model call instead of nesting a duplicate", async () => {
    const client = session({ id: "otel-auto" }).wrap(openaiClient(fake));
    const tracer = trace.getTracer("openllmetry-like");
    await tracer.startActiveSpan(
      "openai.chat",
      {
        kind: 2,
        attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini-as-named-there" },
      },
      async (outer) => {
        await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") });
        outer.end();
      },
    );
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(["openai.chat"]);
    expect(spans[0]?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o-mini-as-named-there", // the owner's attributes stay
      "spendguard.outcome": "settled",
    });
    expect(spans[0]?.attributes["gen_ai.usage.cost"]).toBeGreaterThan(0);
  });

  it("metered at the transport, an Anthropic call is one span: the SDK's own, with spendguard's cost on it", async () => {
    // What a transport-level door sees: the SDK's `anthropic.messages.create` span is active inside its fetch.
    const guarded = session({ id: "otel-transport" });
    const client = new Anthropic({
      apiKey: "sk-ant-test-secret",
      baseURL: fake.anthropic.baseURL,
      maxRetries: 0,
      fetch: (url, init) =>
        guarded.guard(
          {
            provider: "anthropic",
            operation: "messages.create",
            model: "claude-sonnet-4-5",
            estimateUsd: 0.01,
          },
          async (settle) => {
            const response = await fetch(url, init);
            settle(0.00123);
            return response;
          },
        ),
    });
    await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 10, messages: user("hi") });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(["anthropic.messages.create"]);
    expect(spans[0]?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.usage.cost": 0.00123,
      "gen_ai.usage.cost.currency": "USD",
      "spendguard.session.id": "otel-transport",
      "spendguard.outcome": "settled",
    });
  });

  it('`spans: "own"` nests its own span even under another instrumentation\'s call span', async () => {
    const client = session({ id: "otel-own", observers: [openTelemetry({ spans: "own" })] }).wrap(
      openaiClient(fake),
    );
    await trace
      .getTracer("openllmetry-like")
      .startActiveSpan("openai.chat", { attributes: { "gen_ai.operation.name": "chat" } }, async (outer) => {
        await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") });
        outer.end();
      });
    expect(
      exporter
        .getFinishedSpans()
        .map((span) => span.name)
        .sort(),
    ).toEqual(["chat gpt-4o-mini", "openai.chat"]);
  });

  it("the own span is a child of the span active when the call was made (an app span, not a call span)", async () => {
    const client = session({ id: "otel-child" }).wrap(openaiClient(fake));
    const tracer = trace.getTracer("app");
    await tracer.startActiveSpan("agent step", async (outer) => {
      await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") });
      outer.end();
    });
    const spans = exporter.getFinishedSpans();
    const call = spans.find((span) => span.name === "chat gpt-4o-mini");
    const outer = spans.find((span) => span.name === "agent step");
    expect(call?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
    expect(call?.spanContext().traceId).toBe(outer?.spanContext().traceId);
  });

  it("a failed call: error status, error.type the HTTP status, cost 0", async () => {
    const client = session({ id: "otel-failed" }).wrap(openaiClient(fake));
    fake.script("openai.chat", { status: 400 });
    await expect(
      client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") }),
    ).rejects.toThrow();
    const span = onlySpan();
    expect(span.status.code).toBe(2);
    expect(span.attributes).toMatchObject({ "spendguard.outcome": "failed", "gen_ai.usage.cost": 0 });
    expect(span.attributes["error.type"]).toBeDefined();
  });

  it("an observer that throws never fails the call", async () => {
    const guarded = new BudgetedSession({
      budgetUsd: 1,
      observers: [
        {
          onAdmit: () => {
            throw new Error("boom");
          },
        },
      ],
    });
    const client = guarded.wrap(openaiClient(fake));
    await expect(
      client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") }),
    ).resolves.toBeDefined();
    expect(guarded.getTotalSpent()).toBeGreaterThan(0);
  });
});

describe("OpenTelemetry when a settle does not reach the store", () => {
  it("ends the span with the hold as the cost and a `spendguard.settle_lost` event", async () => {
    const store = memoryStore();
    const failing: BudgetStore = {
      ...store,
      settle: async () => {
        throw new Error("connection lost");
      },
    };
    const guarded = session({ id: "otel-lost", store: failing });
    const client = guarded.wrap(openaiClient(fake));
    const warned = new Promise((resolve) => process.once("warning", resolve));
    await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") });
    await warned;
    const span = onlySpan();
    expect(span.attributes["spendguard.settle.lost"]).toBe("store_unavailable");
    expect(span.attributes["gen_ai.usage.cost"]).toBe(span.attributes["spendguard.hold.usd"]);
    expect(span.events.map((event) => event.name)).toEqual(["spendguard.settle_lost"]);
  });
});
