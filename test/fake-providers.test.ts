import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { startFakeProviders } from "spendguard/testing";
import { describe, expect, it } from "vitest";
import { sharedFakeProviders } from "./helpers.js";

const fake = sharedFakeProviders();

function client(options: { maxRetries?: number; timeout?: number } = {}): OpenAI {
  return new OpenAI({
    apiKey: "sk-test",
    baseURL: fake.openai.baseURL,
    maxRetries: options.maxRetries ?? 0,
    logLevel: "off",
    ...(options.timeout !== undefined && { timeout: options.timeout }),
  });
}

const user = (content: string) => [{ role: "user" as const, content }];

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function lastRequest() {
  const request = fake.requests.at(-1);
  if (!request) throw new Error("no request was recorded");
  return request;
}

const tenWords = "one two three four five six seven eight nine ten";

describe("non-streaming chat completions", () => {
  it("answers with the default content and a usage computed from the request", async () => {
    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Say hello to the test suite." },
      ],
    });

    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-\d+$/);
    expect(completion.model).toBe("gpt-4o-mini");
    expect(completion.service_tier).toBe("default");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({
      role: "assistant",
      content: "Hello from the fake provider.",
      refusal: null,
    });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    // The OpenAI cookbook count of this chat (gpt-tokenizer's gpt-4o chat count agrees); five words of content.
    expect(completion.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 5, total_tokens: 26 });
    expect(completion._request_id).toBe(lastRequest().id);
  });

  it("merges scripted usage over the computed one, nested details included", async () => {
    fake.script("openai.chat", {
      content: "Cached answer.",
      model: "gpt-4o-mini-2024-07-18",
      serviceTier: "flex",
      id: "chatcmpl-scripted",
      usage: {
        prompt_tokens: 1200,
        prompt_tokens_details: { cached_tokens: 1024 },
        completion_tokens: 40,
        completion_tokens_details: { reasoning_tokens: 32 },
      },
    });

    const completion = await client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    expect(completion.id).toBe("chatcmpl-scripted");
    expect(completion.model).toBe("gpt-4o-mini-2024-07-18");
    expect(completion.service_tier).toBe("flex");
    expect(completion.choices[0]?.message.content).toBe("Cached answer.");
    expect(completion.usage).toEqual({
      prompt_tokens: 1200,
      completion_tokens: 40,
      total_tokens: 1240,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 32,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
  });

  it("leaves the usage field out entirely when the scripted usage is null", async () => {
    fake.script("openai.chat", { usage: null });

    const completion = await client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    expect(completion.choices[0]?.message.content).toBe("Hello from the fake provider.");
    expect("usage" in completion).toBe(false);
  });

  it("returns tool calls with the content set to null when no text is scripted", async () => {
    fake.script("openai.chat", { toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }] });

    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("weather?"),
    });

    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
    // One token for the name and one per 4 characters of the 16-character arguments.
    expect(completion.usage?.completion_tokens).toBe(5);
  });

  it("sends a refusal in place of content", async () => {
    fake.script("openai.chat", { refusal: "I can't help with that." });

    const completion = await client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    expect(completion.choices[0]?.message).toMatchObject({
      content: null,
      refusal: "I can't help with that.",
    });
  });

  it("truncates the reply to the smaller output limit and reports finish_reason length", async () => {
    fake.setDefault("openai.chat", { content: tenWords });

    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("count"),
      max_completion_tokens: 5,
      max_tokens: 3,
    });

    expect(completion.choices[0]?.message.content).toBe("one two three");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it("clamps scripted completion tokens to the request's output limit", async () => {
    fake.script("openai.chat", { content: "short", usage: { completion_tokens: 5000 } });

    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 64,
    });

    expect(completion.usage?.completion_tokens).toBe(64);
  });

  it("produces n choices and counts all of them in the usage", async () => {
    fake.script("openai.chat", { content: "same three words" });

    const completion = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      n: 2,
    });

    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(completion.choices.map((choice) => choice.message.content)).toEqual([
      "same three words",
      "same three words",
    ]);
    expect(completion.usage?.completion_tokens).toBe(6);
  });

  it("refuses stream_options on a request that does not stream, as the real API does", async () => {
    const call = client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream_options: { include_usage: true },
    });

    await expect(call).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(call).rejects.toMatchObject({ status: 400, param: "stream_options" });
  });
});

describe("streaming chat completions", () => {
  it("ends with a usage-only chunk whose choices are empty when include_usage is set", async () => {
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);

    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "", refusal: null });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Hello from the fake provider.");
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    // role + 5 words + finish + usage + [DONE]
    expect(lastRequest().chunksSent).toBe(9);
  });

  it("puts the usage frame right before data: [DONE] on the wire", async () => {
    const response = await fetch(`${fake.openai.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        messages: user("hi"),
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const frames = (await response.text()).split("\n\n").filter((frame) => frame !== "");

    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(frames.every((frame) => frame.startsWith("data: "))).toBe(true);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const usageFrame = JSON.parse(frames.at(-2)!.slice("data: ".length));
    expect(usageFrame).toMatchObject({ object: "chat.completion.chunk", choices: [] });
    expect(usageFrame.usage.completion_tokens).toBe(5);
  });

  it("carries no usage anywhere when include_usage is not set", async () => {
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const chunks = await collect(stream);

    expect(chunks.every((chunk) => !("usage" in chunk))).toBe(true);
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
  });

  it("omits the usage chunk when the scripted usage is null even though include_usage is set", async () => {
    fake.script("openai.chat", { usage: null });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);

    expect(chunks.every((chunk) => chunk.usage === null && chunk.choices.length === 1)).toBe(true);
  });

  it("splits the content into the scripted number of chunks", async () => {
    fake.script("openai.chat", { content: tenWords, chunks: 2 });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const chunks = await collect(stream);
    const pieces = chunks.map((chunk) => chunk.choices[0]?.delta.content).filter((piece) => piece);

    expect(pieces).toHaveLength(2);
    expect(pieces.join("")).toBe(tenWords);
  });

  it("streams tool calls as an id-and-name delta followed by argument pieces", async () => {
    fake.script("openai.chat", {
      toolCalls: [
        { name: "get_weather", arguments: '{"city":"Paris"}' },
        { name: "get_time", arguments: "{}" },
      ],
    });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("weather?"),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);

    expect(toolDeltas[0]).toEqual({
      index: 0,
      id: expect.stringMatching(/^call_/),
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    const argumentsOf = (index: number) =>
      toolDeltas
        .filter((delta) => delta.index === index)
        .map((delta) => delta.function?.arguments ?? "")
        .join("");
    expect(argumentsOf(0)).toBe('{"city":"Paris"}');
    expect(argumentsOf(1)).toBe("{}");
    expect(toolDeltas.filter((delta) => delta.id !== undefined).map((delta) => delta.function?.name)).toEqual(
      ["get_weather", "get_time"],
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("tool_calls");
    // (1 + 4) + (1 + 1)
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(7);
  });

  it("stops at the output limit with finish_reason length", async () => {
    fake.script("openai.chat", { content: tenWords });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("count"),
      max_completion_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);

    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("one two three four");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("length");
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(4);
  });

  it("interleaves n choices and counts all of them in the usage chunk", async () => {
    fake.script("openai.chat", { content: "a b" });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    const textOf = (index: number) =>
      chunks
        .flatMap((chunk) => chunk.choices)
        .filter((choice) => choice.index === index)
        .map((choice) => choice.delta.content ?? "")
        .join("");

    expect(textOf(0)).toBe("a b");
    expect(textOf(1)).toBe("a b");
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(4);
  });

  it("sees a break out of a slow stream as an early close with fewer chunks than planned", async () => {
    fake.script("openai.chat", { content: tenWords, chunkDelayMs: 30 });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    let received = 0;
    for await (const _chunk of stream) {
      received += 1;
      if (received === 3) break;
    }
    const request = lastRequest();
    await request.finished;

    expect(request.closedEarly).toBe(true);
    // 1 role chunk + 10 words + finish + [DONE] were planned.
    expect(request.chunksSent).toBeLessThan(13);
    expect(request.chunksSent).toBeGreaterThanOrEqual(3);
  });

  it("does not mark a stream that was read to the end as closed early", async () => {
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    await collect(stream);
    const request = lastRequest();
    await request.finished;

    expect(request.closedEarly).toBe(false);
  });
});

describe("errors and retries", () => {
  it("retries a 500 and then succeeds, with the retry count in the second request's headers", async () => {
    fake.script(
      "openai.chat",
      { status: 500, headers: { "retry-after-ms": "1" } },
      { content: "Recovered." },
    );

    const completion = await client({ maxRetries: 1 }).chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
    });

    expect(completion.choices[0]?.message.content).toBe("Recovered.");
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.map((request) => request.headers["x-stainless-retry-count"])).toEqual(["0", "1"]);
  });

  it("does not retry a 429 that says x-should-retry: false, and the SDK sees the OpenAI error body", async () => {
    fake.script("openai.chat", {
      status: 429,
      headers: { "x-should-retry": "false" },
      error: { message: "Slow down.", code: "rate_limit_exceeded" },
    });

    const call = client({ maxRetries: 3 }).chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
    });

    await expect(call).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(call).rejects.toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
    expect(fake.requests).toHaveLength(1);
    expect(lastRequest().route).toBe("openai.chat");
  });

  it("makes the SDK throw on a truncated JSON body", async () => {
    fake.script("openai.chat", { fault: "malformed" });

    await expect(
      client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") }),
    ).rejects.toThrow(SyntaxError);
  });

  it("makes stream iteration throw on a broken JSON data frame", async () => {
    fake.script("openai.chat", { content: tenWords, fault: "malformed", errorAfterChunks: 2 });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    };

    await expect(iterate()).rejects.toThrow(SyntaxError);
    expect(seen.join("")).toBe("one two");
  });

  it("gives APIConnectionError when the socket is dropped before the headers", async () => {
    fake.script("openai.chat", { fault: "drop-before-headers" });

    const call = client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    await expect(call).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(lastRequest().closedEarly).toBe(false);
  });

  it("makes the SDK throw when a non-streaming body is cut off", async () => {
    fake.script("openai.chat", { fault: "drop-mid-body" });

    const call = client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    // undici's own error, not wrapped by the SDK: the headers had arrived, so it is not a connection error.
    await expect(call).rejects.toThrow(TypeError);
    await expect(call).rejects.not.toBeInstanceOf(OpenAI.APIError);
  });

  it("makes stream iteration throw when the socket is dropped mid-stream", async () => {
    fake.script("openai.chat", { content: tenWords, fault: "drop-mid-body", dropAfterChunks: 3 });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    };

    await expect(iterate()).rejects.toThrow(TypeError);
    expect(seen.join("")).toBe("one two three");
    const request = lastRequest();
    await request.finished;
    expect(request.chunksSent).toBe(4);
    expect(request.closedEarly).toBe(false);
  });

  it("makes the SDK throw APIError on an error event in the middle of a stream", async () => {
    fake.script("openai.chat", {
      content: tenWords,
      fault: "error-event",
      error: { message: "The model crashed.", type: "server_error" },
    });

    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    };

    await expect(iterate()).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(iterate()).rejects.toThrow(/consumed/);
    // Default: about half of the ten content deltas before the error frame.
    expect(seen.join("")).toBe("one two three four five");
  });

  it("records a client-side timeout during delayMs as an early close", async () => {
    fake.script("openai.chat", { delayMs: 5_000 });

    const call = client({ timeout: 100 }).chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
    });

    await expect(call).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const request = lastRequest();
    await request.finished;
    expect(request.closedEarly).toBe(true);
  });
});

describe("recording and scripting", () => {
  it("records the method, path, lower-case headers and parsed body of each request", async () => {
    await client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("record me"),
      temperature: 0,
    });

    const request = lastRequest();
    expect(request).toMatchObject({
      id: expect.stringMatching(/^req_\d+$/),
      route: "openai.chat",
      method: "POST",
      path: "/v1/chat/completions",
      body: { model: "gpt-4o-mini", messages: user("record me"), temperature: 0 },
      closedEarly: false,
    });
    expect(request.headers.authorization).toBe("Bearer sk-test");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.rawBody)).toEqual(request.body);
  });

  it("answers an unknown path with an OpenAI-shaped 404 and records it as unknown", async () => {
    const call = client().vectorStores.create({ name: "docs" });

    await expect(call).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(call).rejects.toMatchObject({ type: "invalid_request_error" });
    expect(lastRequest()).toMatchObject({ route: "unknown", path: "/v1/vector_stores", method: "POST" });
  });

  it("keeps a raw body that is not JSON as a string", async () => {
    await fetch(`${fake.url}/v1/chat/completions`, { method: "POST", body: "not json" });

    expect(lastRequest().body).toBe("not json");
  });

  it("consumes scripted replies in order, then falls back to the default function", async () => {
    fake.script("openai.chat", { content: "first" }, { content: "second" });
    fake.setDefault("openai.chat", (request) => ({ content: `default for ${request.id}` }));
    const openai = client();
    const ask = async () =>
      (await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") })).choices[0]
        ?.message.content;

    expect(await ask()).toBe("first");
    expect(await ask()).toBe("second");
    expect(await ask()).toBe(`default for ${lastRequest().id}`);
  });

  it("forgets scripts, defaults and recorded requests on reset", async () => {
    fake.script("openai.chat", { content: "scripted" });
    fake.setDefault("openai.chat", { content: "default" });
    await client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    fake.reset();

    expect(fake.requests).toHaveLength(0);
    const completion = await client().chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    expect(completion.choices[0]?.message.content).toBe("Hello from the fake provider.");
  });

  it("rejects a route name it does not know", () => {
    expect(() => fake.script("openai.nope" as "openai.chat", {})).toThrow(TypeError);
  });

  it("sets x-request-id and the scripted extra headers on the response", async () => {
    fake.script("openai.chat", { headers: { "x-ratelimit-remaining-tokens": "42" } });

    const { response, request_id } = await client()
      .chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") })
      .withResponse();

    expect(request_id).toBe(lastRequest().id);
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe("42");
  });
});

describe("closing", () => {
  it("closes promptly while a slow stream is still in flight", async () => {
    const own = await startFakeProviders();
    own.setDefault("openai.chat", { content: tenWords, chunkDelayMs: 1_000 });
    const openai = new OpenAI({
      apiKey: "sk-test",
      baseURL: own.openai.baseURL,
      maxRetries: 0,
      logLevel: "off",
    });
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();

    const started = Date.now();
    await own.close();

    expect(Date.now() - started).toBeLessThan(500);
    await expect(iterator.next()).rejects.toThrow();
    await own.requests[0]?.finished;
  });

  it("closes promptly with idle keep-alive connections open", async () => {
    const own = await startFakeProviders();
    const openai = new OpenAI({ apiKey: "sk-test", baseURL: own.openai.baseURL, maxRetries: 0 });
    await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });

    const started = Date.now();
    await own.close();

    expect(Date.now() - started).toBeLessThan(500);
  });
});
