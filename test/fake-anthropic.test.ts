import Anthropic from "@anthropic-ai/sdk";
import type {
  MessageBatchIndividualResponse,
  RawMessageStreamEvent,
} from "@anthropic-ai/sdk/resources/messages";
import OpenAI from "openai";
import { DEFAULT_ANTHROPIC_THINKING } from "spendguard/testing";
import { describe, expect, it } from "vitest";
import { sharedFakeProviders } from "./helpers.js";

const fake = sharedFakeProviders();

function client(): Anthropic {
  return new Anthropic({ apiKey: "sk-ant-test", baseURL: fake.anthropic.baseURL, maxRetries: 0 });
}

function lastRequest() {
  const request = fake.requests.at(-1);
  if (!request) throw new Error("no request was recorded");
  return request;
}

async function collect(stream: AsyncIterable<RawMessageStreamEvent>): Promise<RawMessageStreamEvent[]> {
  const events: RawMessageStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const MODEL = "claude-sonnet-4-6";
const tenWords = "one two three four five six seven eight nine ten";
// o200k: "Hello there" is 2 tokens; the system prompt below is 11.
const HELLO = [{ role: "user" as const, content: "Hello there" }];
const SYSTEM_TEXT = "You are a helpful assistant with a long system prompt.";

describe("messages.create", () => {
  it("answers a Message with the computed usage and records the Bearer key", async () => {
    const message = await client().messages.create({ model: MODEL, max_tokens: 100, messages: HELLO });

    expect(message).toEqual({
      id: expect.stringMatching(/^msg_\d+$/),
      type: "message",
      role: "assistant",
      model: MODEL,
      content: [{ type: "text", text: "Hello from the fake provider.", citations: null }],
      stop_reason: "end_turn",
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: {
        input_tokens: 2,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: "standard",
        speed: "standard",
        inference_geo: null,
      },
    });
    const request = lastRequest();
    expect(request).toMatchObject({ route: "anthropic.messages", method: "POST", path: "/v1/messages" });
    expect(request.headers.authorization).toBe("Bearer sk-ant-test");
    expect(request.headers["anthropic-version"]).toBeDefined();
    expect(message._request_id).toBe(request.id);
  });

  it("counts system blocks, tools and every message block into input_tokens", async () => {
    const message = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      system: SYSTEM_TEXT,
      messages: [
        { role: "user", content: "Hello there" },
        { role: "assistant", content: [{ type: "text", text: "Hi" }] },
        {
          role: "user",
          content: [
            { type: "text", text: "Hello there" },
            { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
          ],
        },
      ],
    });

    // 11 system + 2 + 1 + 2 + 1,600 for the image.
    expect(message.usage.input_tokens).toBe(11 + 2 + 1 + 2 + 1_600);
  });

  it("refuses a request without max_tokens with the invalid_request_error body", async () => {
    const error = await client()
      .messages.create({ model: MODEL, messages: HELLO } as never)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      error: {
        type: "error",
        error: { type: "invalid_request_error", message: "max_tokens: Field required" },
      },
    });
  });

  it("stops at max_tokens with stop_reason max_tokens and output_tokens equal to the limit", async () => {
    fake.setDefault("anthropic.messages", { content: tenWords });

    const message = await client().messages.create({ model: MODEL, max_tokens: 3, messages: HELLO });

    expect(message.content).toEqual([{ type: "text", text: "one two three", citations: null }]);
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(3);
  });

  it("stops before the first stop sequence", async () => {
    fake.setDefault("anthropic.messages", { content: tenWords });

    const message = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      stop_sequences: ["five", "seven"],
      messages: HELLO,
    });

    expect(message).toMatchObject({
      content: [{ type: "text", text: "one two three four " }],
      stop_reason: "stop_sequence",
      stop_sequence: "five",
    });
    expect(message.usage.output_tokens).toBe(5);
  });

  it("answers tool calls with tool_use blocks and stop_reason tool_use", async () => {
    fake.script("anthropic.messages", {
      content: "Let me check.",
      toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
    });

    const message = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      tools: [
        { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      ],
      messages: HELLO,
    });

    expect(message.content).toEqual([
      { type: "text", text: "Let me check.", citations: null },
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_/),
        name: "get_weather",
        input: { city: "Paris" },
        caller: { type: "direct" },
      },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    // 3 words + 1 for the tool name + 4 pieces of 4 characters of '{"city":"Paris"}'.
    expect(message.usage.output_tokens).toBe(3 + 1 + 4);
  });

  it("thinks first when thinking is enabled, inside output_tokens", async () => {
    fake.script("anthropic.messages", { thinking: "a b c d", content: "Done." });

    const message = await client().messages.create({
      model: MODEL,
      max_tokens: 2_000,
      thinking: { type: "enabled", budget_tokens: 1_024 },
      messages: HELLO,
    });

    expect(message.content).toEqual([
      { type: "thinking", thinking: "a b c d", signature: expect.any(String) },
      { type: "text", text: "Done.", citations: null },
    ]);
    expect(message.usage).toMatchObject({
      output_tokens: 4 + 1,
      output_tokens_details: { thinking_tokens: 4 },
    });
  });

  it("refuses a thinking budget below 1,024 or not below max_tokens", async () => {
    const tooSmall = client().messages.create({
      model: MODEL,
      max_tokens: 2_000,
      thinking: { type: "enabled", budget_tokens: 100 },
      messages: HELLO,
    });
    const tooLarge = client().messages.create({
      model: MODEL,
      max_tokens: 1_500,
      thinking: { type: "enabled", budget_tokens: 1_500 },
      messages: HELLO,
    });

    await expect(tooSmall).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(tooLarge).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("lets scripted usage override every computed field", async () => {
    fake.script("anthropic.messages", {
      usage: {
        input_tokens: 7,
        cache_read_input_tokens: 50,
        server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 },
        service_tier: "priority",
      },
    });

    const message = await client().messages.create({ model: MODEL, max_tokens: 100, messages: HELLO });

    expect(message.usage).toMatchObject({
      input_tokens: 7,
      cache_read_input_tokens: 50,
      output_tokens: 5,
      server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 },
      service_tier: "priority",
    });
  });

  it("answers scripted errors with the SDK's error classes and Anthropic's error types", async () => {
    fake.script("anthropic.messages", { status: 401 }, { status: 429 }, { status: 529 }, { status: 500 });
    const call = () =>
      client()
        .messages.create({ model: MODEL, max_tokens: 10, messages: HELLO })
        .catch((error: unknown) => error);

    const unauthorized = await call();
    const limited = await call();
    const overloaded = await call();
    const internal = await call();

    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(unauthorized).toMatchObject({ type: "authentication_error" });
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited).toMatchObject({ type: "rate_limit_error", requestID: expect.stringMatching(/^req_/) });
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded).toMatchObject({ status: 529, type: "overloaded_error" });
    expect(internal).toBeInstanceOf(Anthropic.InternalServerError);
    expect(internal).toMatchObject({ type: "api_error" });
  });
});

describe("prompt caching", () => {
  const cachedSystem = (ttl?: "1h") => [
    {
      type: "text" as const,
      text: SYSTEM_TEXT,
      cache_control: { type: "ephemeral" as const, ...(ttl && { ttl }) },
    },
  ];

  it("writes the cacheable prefix on the first request and reads it on the next identical one", async () => {
    const params = { model: MODEL, max_tokens: 100, system: cachedSystem(), messages: HELLO };

    const first = await client().messages.create(params);
    const second = await client().messages.create(params);

    expect(first.usage).toMatchObject({
      input_tokens: 2,
      cache_creation_input_tokens: 11,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 11, ephemeral_1h_input_tokens: 0 },
    });
    expect(second.usage).toMatchObject({
      input_tokens: 2,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 11,
    });
  });

  it("reports a 1h write, and reads the old prefix while writing the new segment of a longer prompt", async () => {
    const first = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      system: cachedSystem("1h"),
      messages: HELLO,
    });
    const longer = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      system: cachedSystem("1h"),
      messages: [
        { role: "user", content: "Hello there" },
        { role: "assistant", content: "Hi" },
        {
          role: "user",
          content: [{ type: "text", text: "Hello there", cache_control: { type: "ephemeral" } }],
        },
      ],
    });

    expect(first.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 11,
    });
    // 11 read; "Hello there" + "Hi" + "Hello there" = 5 written at 5m; nothing after the last breakpoint.
    expect(longer.usage).toMatchObject({
      input_tokens: 0,
      cache_read_input_tokens: 11,
      cache_creation_input_tokens: 5,
      cache_creation: { ephemeral_5m_input_tokens: 5, ephemeral_1h_input_tokens: 0 },
    });
  });

  it("forgets the cache on reset", async () => {
    const params = { model: MODEL, max_tokens: 100, system: cachedSystem(), messages: HELLO };
    await client().messages.create(params);
    fake.reset();

    const again = await client().messages.create(params);

    expect(again.usage).toMatchObject({ cache_creation_input_tokens: 11, cache_read_input_tokens: 0 });
  });
});

describe("streaming", () => {
  it("sends the named events in order, usage in message_start and the final output in message_delta", async () => {
    fake.script("anthropic.messages", { content: "one two three" });

    const stream = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      system: [{ type: "text", text: SYSTEM_TEXT, cache_control: { type: "ephemeral" } }],
      messages: HELLO,
      stream: true,
    });
    const events = await collect(stream);

    expect(events.map((event) => event.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const start = events[0];
    expect(start?.type === "message_start" && start.message).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      content: [],
      stop_reason: null,
      usage: {
        input_tokens: 2,
        cache_creation_input_tokens: 11,
        cache_read_input_tokens: 0,
        output_tokens: 1,
      },
    });
    expect(events[2]).toEqual({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "one" },
    });
    expect(events[6]).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: 2,
        cache_creation_input_tokens: 11,
        cache_read_input_tokens: 0,
        output_tokens: 3,
        server_tool_use: null,
        output_tokens_details: null,
      },
    });
  });

  it("puts named frames and ping events on the wire", async () => {
    const response = await client()
      .messages.create({ model: MODEL, max_tokens: 100, messages: HELLO, stream: true })
      .asResponse();
    const text = await response.text();

    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(text.startsWith('event: message_start\ndata: {"type":"message_start"')).toBe(true);
    expect(text).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(text.trimEnd().endsWith('event: message_stop\ndata: {"type":"message_stop"}')).toBe(true);
  });

  it("gives messages.stream().finalMessage() the same message and usage as the JSON response", async () => {
    fake.setDefault("anthropic.messages", {
      content: "Checking.",
      toolCalls: [{ name: "lookup", arguments: '{"query":"weather in Paris"}' }],
    });
    const params = {
      model: MODEL,
      max_tokens: 2_000,
      thinking: { type: "enabled" as const, budget_tokens: 1_024 },
      messages: HELLO,
    };

    const json = await client().messages.create(params);
    const helper = client().messages.stream(params);
    const texts: string[] = [];
    helper.on("text", (delta) => texts.push(delta));
    const final = await helper.finalMessage();

    expect(lastRequest().headers["x-stainless-helper-method"]).toBe("stream");
    expect(texts.join("")).toBe("Checking.");
    expect(final.content.map((block) => block.type)).toEqual(json.content.map((block) => block.type));
    expect(final.content).toEqual([
      { type: "thinking", thinking: DEFAULT_ANTHROPIC_THINKING, signature: expect.any(String) },
      { type: "text", text: "Checking.", citations: null },
      expect.objectContaining({ type: "tool_use", name: "lookup", input: { query: "weather in Paris" } }),
    ]);
    expect(final.usage).toEqual(json.usage);
    expect(final.stop_reason).toBe("tool_use");
  });

  it("cuts a stream at max_tokens like the JSON response", async () => {
    fake.setDefault("anthropic.messages", { content: tenWords });

    const final = await client()
      .messages.stream({ model: MODEL, max_tokens: 4, messages: HELLO })
      .finalMessage();

    expect(final.content).toEqual([{ type: "text", text: "one two three four", citations: null }]);
    expect(final.stop_reason).toBe("max_tokens");
    expect(final.usage.output_tokens).toBe(4);
  });

  it("records closedEarly when the consumer breaks out of the stream", async () => {
    fake.script("anthropic.messages", { content: tenWords, chunkDelayMs: 20 });

    const stream = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: HELLO,
      stream: true,
    });
    for await (const event of stream) {
      if (event.type === "content_block_delta") break;
    }
    const request = lastRequest();
    await request.finished;

    expect(request.closedEarly).toBe(true);
  });

  it("throws the SDK's APIError on an event: error frame", async () => {
    fake.script("anthropic.messages", { content: tenWords, fault: "error-event", errorAfterChunks: 2 });

    const stream = await client().messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: HELLO,
      stream: true,
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream) {
        if (event.type === "content_block_delta" && event.delta.type === "text_delta")
          seen.push(event.delta.text);
      }
    })().catch((caught: unknown) => caught);

    expect(seen).toEqual(["one", " two"]);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ type: "overloaded_error" });
  });
});

describe("count tokens and models", () => {
  it("counts the whole prompt, cached parts included, for free", async () => {
    const count = await client().messages.countTokens({
      model: MODEL,
      system: [{ type: "text", text: SYSTEM_TEXT, cache_control: { type: "ephemeral" } }],
      messages: HELLO,
    });

    expect(count).toEqual({ input_tokens: 13 });
    expect(lastRequest()).toMatchObject({
      route: "anthropic.countTokens",
      path: "/v1/messages/count_tokens",
    });
  });

  it("lists models for Anthropic's SDK while OpenAI's SDK still gets its own list on the same path", async () => {
    fake.setDefault("anthropic.models", { models: ["claude-sonnet-4-6", "claude-haiku-4-5"] });

    const page = await client().models.list();
    const one = await client().models.retrieve("claude-haiku-4-5");
    const openai = await new OpenAI({
      apiKey: "sk-test",
      baseURL: fake.openai.baseURL,
      maxRetries: 0,
    }).models.list();

    expect(page.data.map((model) => model.id)).toEqual(["claude-sonnet-4-6", "claude-haiku-4-5"]);
    expect(one).toMatchObject({ id: "claude-haiku-4-5", type: "model", display_name: "Claude Haiku 4.5" });
    expect(openai.data[0]).toMatchObject({ object: "model" });
    expect(fake.requests.map((request) => request.route)).toEqual([
      "anthropic.models",
      "anthropic.models",
      "openai.models",
    ]);
    await expect(client().models.retrieve("claude-unknown")).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe("message batches", () => {
  const requests = [
    { custom_id: "first", params: { model: MODEL, max_tokens: 100, messages: HELLO } },
    { custom_id: "second", params: { model: MODEL, max_tokens: 2, messages: HELLO } },
  ];

  async function results(id: string): Promise<MessageBatchIndividualResponse[]> {
    const decoder = await client().messages.batches.results(id);
    const lines: MessageBatchIndividualResponse[] = [];
    for await (const line of decoder) lines.push(line);
    return lines;
  }

  it("processes for pollsUntilDone retrieves, then ends with results that carry batch-tier usage", async () => {
    fake.script("anthropic.batches", { pollsUntilDone: 1 });

    const created = await client().messages.batches.create({ requests });
    const polled = await client().messages.batches.retrieve(created.id);
    const ended = await client().messages.batches.retrieve(created.id);
    const lines = await results(created.id);

    expect(created).toMatchObject({
      id: expect.stringMatching(/^msgbatch_/),
      type: "message_batch",
      processing_status: "in_progress",
      request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      results_url: null,
    });
    expect(polled.processing_status).toBe("in_progress");
    expect(ended).toMatchObject({
      processing_status: "ended",
      request_counts: { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 },
      results_url: `${fake.url}/v1/messages/batches/${created.id}/results`,
    });
    expect(lines).toEqual([
      {
        custom_id: "first",
        result: {
          type: "succeeded",
          message: expect.objectContaining({
            stop_reason: "end_turn",
            usage: expect.objectContaining({ input_tokens: 2, output_tokens: 5, service_tier: "batch" }),
          }),
        },
      },
      {
        custom_id: "second",
        result: {
          type: "succeeded",
          message: expect.objectContaining({
            stop_reason: "max_tokens",
            usage: expect.objectContaining({ output_tokens: 2, service_tier: "batch" }),
          }),
        },
      },
    ]);
    expect(fake.requests.map((request) => request.route)).toEqual([
      "anthropic.batches",
      "anthropic.batches.retrieve",
      "anthropic.batches.retrieve",
      "anthropic.batches.retrieve",
      "anthropic.batches.retrieve",
    ]);
  });

  it("scripts errored and expired results, and refuses results before the batch has ended", async () => {
    fake.script("anthropic.batches", {
      pollsUntilDone: 1,
      results: { first: { status: 529 }, second: "expired" },
    });

    const created = await client().messages.batches.create({ requests });
    await expect(results(created.id)).rejects.toThrow(/results_url/);
    await client().messages.batches.retrieve(created.id);
    const lines = await results(created.id);

    expect(lines).toEqual([
      {
        custom_id: "first",
        result: {
          type: "errored",
          error: {
            type: "error",
            error: { type: "overloaded_error", message: "Overloaded" },
            request_id: expect.any(String),
          },
        },
      },
      { custom_id: "second", result: { type: "expired" } },
    ]);
  });

  it("cancels, lists and deletes batches", async () => {
    fake.script("anthropic.batches", { pollsUntilDone: 5 });
    const created = await client().messages.batches.create({ requests });

    const canceling = await client().messages.batches.cancel(created.id);
    const ended = await client().messages.batches.retrieve(created.id);
    const listed = await client().messages.batches.list();
    const deleted = await client().messages.batches.delete(created.id);

    expect(canceling.processing_status).toBe("canceling");
    expect(ended.request_counts).toMatchObject({ canceled: 2, succeeded: 0 });
    expect(listed.data.map((batch) => batch.id)).toEqual([created.id]);
    expect(deleted).toEqual({ id: created.id, type: "message_batch_deleted" });
    await expect(client().messages.batches.retrieve(created.id)).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
  });

  it("refuses a batch request without max_tokens", async () => {
    const error = await client()
      .messages.batches.create({
        requests: [{ custom_id: "x", params: { model: MODEL, messages: HELLO } as never }],
      })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ apiMessage: "requests.0.params.max_tokens: Field required" });
  });
});
