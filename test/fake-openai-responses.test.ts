import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { sharedFakeProviders } from "./helpers.js";

const fake = sharedFakeProviders();

function client(): OpenAI {
  return new OpenAI({ apiKey: "sk-test", baseURL: fake.openai.baseURL, maxRetries: 0, logLevel: "off" });
}

function lastRequest() {
  const request = fake.requests.at(-1);
  if (!request) throw new Error("no request was recorded");
  return request;
}

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const tenWords = "one two three four five six seven eight nine ten";

// "Say hello." is 3 tokens: 3 for the reply + 4 for the message + 3.
const SAY_HELLO_INPUT = 10;

describe("responses.create", () => {
  it("answers with a completed response, an output_text message and a computed usage", async () => {
    const response = await client().responses.create({ model: "gpt-4o-mini", input: "Say hello." });

    expect(response).toMatchObject({
      id: expect.stringMatching(/^resp_\d+$/),
      object: "response",
      status: "completed",
      model: "gpt-4o-mini",
      service_tier: "default",
      background: false,
      error: null,
      incomplete_details: null,
    });
    expect(response.output).toEqual([
      {
        id: expect.any(String),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [
          { type: "output_text", text: "Hello from the fake provider.", annotations: [], logprobs: [] },
        ],
      },
    ]);
    expect(response.output_text).toBe("Hello from the fake provider.");
    expect(response.usage).toEqual({
      input_tokens: SAY_HELLO_INPUT,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: SAY_HELLO_INPUT + 5,
    });
    expect(response._request_id).toBe(lastRequest().id);
    expect(lastRequest().route).toBe("openai.responses");
  });

  it("counts instructions and input items, and inputTokens.count agrees with the billed input", async () => {
    const body = {
      model: "gpt-4.1-mini",
      instructions: "Answer in French.",
      input: [
        {
          role: "user" as const,
          content: [{ type: "input_text" as const, text: "What is the capital of Italy?" }],
        },
        { role: "assistant" as const, content: "Rome." },
        { role: "user" as const, content: "And of Spain?" },
      ],
    };
    const response = await client().responses.create(body);
    const counted = await client().responses.inputTokens.count(body);

    // 3 for the reply; each of the 4 messages (instructions included) 4 plus its text:
    // "Answer in French." 4, "What is the capital of Italy?" 7, "Rome." 2, "And of Spain?" 4.
    expect(response.usage?.input_tokens).toBe(3 + 4 * 4 + 4 + 7 + 2 + 4);
    expect(counted).toMatchObject({
      object: "response.input_tokens",
      input_tokens: response.usage?.input_tokens,
    });
    expect(lastRequest().route).toBe("openai.responses.inputTokens");
  });

  it("merges scripted usage; scripted reasoning tokens add a reasoning item and count in the output", async () => {
    fake.script("openai.responses", {
      content: "Done.",
      serviceTier: "flex",
      usage: {
        input_tokens: 2000,
        input_tokens_details: { cached_tokens: 1536 },
        output_tokens_details: { reasoning_tokens: 64 },
      },
    });

    const response = await client().responses.create({ model: "o4-mini", input: "Think." });

    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(response.service_tier).toBe("flex");
    expect(response.usage).toEqual({
      input_tokens: 2000,
      input_tokens_details: { cached_tokens: 1536, cache_write_tokens: 0 },
      output_tokens: 65,
      output_tokens_details: { reasoning_tokens: 64 },
      total_tokens: 2065,
    });
  });

  it("stops at max_output_tokens with status incomplete and clamps the output tokens", async () => {
    fake.setDefault("openai.responses", { content: tenWords });

    const response = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Count.",
      max_output_tokens: 4,
    });

    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(response.max_output_tokens).toBe(4);
    expect(response.output_text).toBe("one two three four");
    expect(response.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    expect(response.usage?.output_tokens).toBe(4);
  });

  it("puts function calls and the built-in tool calls the reply asks for in the output", async () => {
    fake.script("openai.responses", {
      builtInCalls: ["web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call"],
      toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
    });

    const response = await client().responses.create({
      model: "gpt-4o",
      input: "Weather?",
      tools: [{ type: "function", name: "get_weather", parameters: null, strict: false }],
    });

    expect(response.output.map((item) => item.type)).toEqual([
      "web_search_call",
      "file_search_call",
      "code_interpreter_call",
      "image_generation_call",
      "function_call",
    ]);
    expect(response.output.every((item) => "status" in item && item.status === "completed")).toBe(true);
    expect(response.output.at(-1)).toMatchObject({
      type: "function_call",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
      call_id: expect.stringMatching(/^call_/),
    });
    // No text when only tool calls are scripted; one token for the name, 4 for the 16 characters.
    expect(response.output_text).toBe("");
    expect(response.usage?.output_tokens).toBe(5);
  });

  it("sends a failed response with its error when the reply says so", async () => {
    fake.script("openai.responses", {
      responseStatus: "failed",
      error: { code: "rate_limit_exceeded", message: "Slow down." },
    });

    const response = await client().responses.create({ model: "gpt-4o-mini", input: "hi" });

    expect(response.status).toBe("failed");
    expect(response.error).toEqual({ code: "rate_limit_exceeded", message: "Slow down." });
  });

  it("answers a scripted error status with OpenAI's error body", async () => {
    fake.script("openai.responses", { status: 429, headers: { "x-should-retry": "false" } });

    const call = client().responses.create({ model: "gpt-4o-mini", input: "hi" });

    await expect(call).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(call).rejects.toMatchObject({ status: 429, code: "rate_limit_exceeded" });
  });

  it("refuses a request without a model", async () => {
    const response = await fetch(`${fake.openai.baseURL}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "hi" }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { param: "model", type: "invalid_request_error" } });
  });
});

describe("streaming responses", () => {
  it("sends the named events in order and ends with response.completed carrying the usage", async () => {
    const stream = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Say hello.",
      stream: true,
    });
    const events = await collect(stream);

    expect(events.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(5).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const created = events[0];
    expect(created?.type === "response.created" && created.response.usage).toBeNull();
    const deltas = events.flatMap((event) =>
      event.type === "response.output_text.delta" ? [event.delta] : [],
    );
    expect(deltas.join("")).toBe("Hello from the fake provider.");
    const last = events.at(-1);
    expect(last?.type).toBe("response.completed");
    if (last?.type !== "response.completed") throw new Error("unreachable");
    expect(last.response.status).toBe("completed");
    expect(last.response.usage).toMatchObject({
      input_tokens: SAY_HELLO_INPUT,
      output_tokens: 5,
      total_tokens: 15,
    });
  });

  it("writes event: lines whose name matches the JSON type, and no [DONE]", async () => {
    const response = await fetch(`${fake.openai.baseURL}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", input: "hi", stream: true }),
    });
    const frames = (await response.text()).split("\n\n").filter((frame) => frame !== "");

    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(frames[0]).toMatch(
      /^event: response\.created\ndata: \{"type":"response\.created","sequence_number":0,/,
    );
    for (const frame of frames) {
      const [eventLine, dataLine] = frame.split("\n");
      expect(JSON.parse(dataLine!.slice("data: ".length)).type).toBe(eventLine!.slice("event: ".length));
    }
    expect(frames.some((frame) => frame.includes("[DONE]"))).toBe(false);
  });

  it("ends with response.incomplete when max_output_tokens cuts the text", async () => {
    fake.script("openai.responses", { content: tenWords, chunks: 2 });

    const stream = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Count.",
      max_output_tokens: 6,
      stream: true,
    });
    const events = await collect(stream);

    const last = events.at(-1);
    if (last?.type !== "response.incomplete") throw new Error(`ended with ${last?.type}`);
    expect(last.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(last.response.usage?.output_tokens).toBe(6);
    expect(events.filter((event) => event.type === "response.output_text.delta")).toHaveLength(2);
  });

  it("streams function call arguments and the built-in tools' progress events", async () => {
    fake.script("openai.responses", {
      builtInCalls: ["web_search_call"],
      toolCalls: [{ name: "lookup", arguments: '{"q":"x"}' }],
    });

    const stream = await client().responses.create({ model: "gpt-4o", input: "Go.", stream: true });
    const types = (await collect(stream)).map((event) => event.type);

    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.web_search_call.in_progress",
      "response.web_search_call.searching",
      "response.web_search_call.completed",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("ends with response.failed when the reply says so", async () => {
    fake.script("openai.responses", { responseStatus: "failed" });

    const stream = await client().responses.create({ model: "gpt-4o-mini", input: "hi", stream: true });
    const last = (await collect(stream)).at(-1);

    if (last?.type !== "response.failed") throw new Error(`ended with ${last?.type}`);
    expect(last.response.error).toMatchObject({ code: "server_error" });
    expect(last.response.usage?.output_tokens).toBe(5);
  });

  it("makes iteration throw APIError on an error event mid-stream", async () => {
    fake.script("openai.responses", {
      content: tenWords,
      fault: "error-event",
      errorAfterChunks: 3,
      error: { message: "Overloaded." },
    });

    const stream = await client().responses.create({ model: "gpt-4o-mini", input: "hi", stream: true });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const event of stream) seen.push(event.type);
    };

    await expect(iterate()).rejects.toMatchObject({ message: expect.stringContaining("Overloaded.") });
    expect(seen.filter((type) => type === "response.output_text.delta")).toHaveLength(3);
    expect(seen).not.toContain("response.completed");
  });

  it("sees a break out of a slow stream as an early close", async () => {
    fake.script("openai.responses", { content: tenWords, chunkDelayMs: 20 });

    const stream = await client().responses.create({ model: "gpt-4o-mini", input: "hi", stream: true });
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") break;
    }
    await lastRequest().finished;

    expect(lastRequest().closedEarly).toBe(true);
  });

  it("responses.stream(...).finalResponse() gives the text and the usage", async () => {
    const runner = client().responses.stream({ model: "gpt-4o-mini", input: "Say hello." });
    const texts: string[] = [];
    runner.on("response.output_text.delta", (event) => texts.push(event.delta));
    const final = await runner.finalResponse();

    expect(texts.join("")).toBe("Hello from the fake provider.");
    expect(final.output_text).toBe("Hello from the fake provider.");
    expect(final.usage).toMatchObject({ input_tokens: SAY_HELLO_INPUT, output_tokens: 5 });
    expect(lastRequest().headers["x-stainless-helper-method"]).toBe("stream");
  });
});

describe("responses.parse", () => {
  it("parses a json_schema reply into output_parsed and keeps the usage", async () => {
    fake.script("openai.responses", { content: '{"city":"Paris","celsius":21}' });

    const parsed = await client().responses.parse({
      model: "gpt-4o-mini",
      input: "Weather in Paris as JSON.",
      text: {
        format: {
          type: "json_schema",
          name: "weather",
          strict: true,
          schema: {
            type: "object",
            properties: { city: { type: "string" }, celsius: { type: "number" } },
            required: ["city", "celsius"],
            additionalProperties: false,
          },
        },
      },
    });

    expect(parsed.output_parsed).toEqual({ city: "Paris", celsius: 21 });
    // The whole schema is tokenized, so a structured request costs more than its text.
    expect(parsed.usage?.input_tokens).toBeGreaterThan(3 + 4 + 7);
    expect(parsed.usage?.output_tokens).toBe(1);
  });
});

describe("background responses and retrieve", () => {
  it("answers queued with no usage, then in_progress, then completed with usage", async () => {
    const created = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Say hello.",
      background: true,
    });

    expect(created).toMatchObject({ status: "queued", background: true, usage: null, output: [] });

    const first = await client().responses.retrieve(created.id);
    expect(first).toMatchObject({ id: created.id, status: "in_progress", usage: null });
    expect(lastRequest()).toMatchObject({ route: "openai.responses.retrieve", method: "GET" });

    const second = await client().responses.retrieve(created.id);
    expect(second.status).toBe("completed");
    expect(second.output_text).toBe("Hello from the fake provider.");
    expect(second.usage).toMatchObject({ input_tokens: SAY_HELLO_INPUT, output_tokens: 5, total_tokens: 15 });
  });

  it("honours backgroundPolls", async () => {
    fake.script("openai.responses", { backgroundPolls: 2 });
    const created = await client().responses.create({ model: "gpt-4o-mini", input: "hi", background: true });

    const statuses: string[] = [];
    for (let poll = 0; poll < 3; poll += 1) {
      statuses.push(String((await client().responses.retrieve(created.id)).status));
    }

    expect(statuses).toEqual(["in_progress", "in_progress", "completed"]);
  });

  it("replays only the events after starting_after, ending with response.completed and its usage", async () => {
    const created = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Say hello.",
      background: true,
    });

    const stream = await client().responses.retrieve(created.id, { stream: true, starting_after: 5 });
    const events = await collect(stream);

    expect(lastRequest().query).toMatchObject({ stream: "true", starting_after: "5" });
    expect(events[0]?.sequence_number).toBe(6);
    expect(events.every((event) => event.sequence_number > 5)).toBe(true);
    const last = events.at(-1);
    if (last?.type !== "response.completed") throw new Error(`ended with ${last?.type}`);
    expect(last.response.usage?.total_tokens).toBe(15);
    // Streaming it followed the response to the end.
    expect((await client().responses.retrieve(created.id)).status).toBe("completed");
  });

  it("resumes with responses.stream({ response_id, starting_after }): only later events are emitted", async () => {
    const created = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Say hello.",
      background: true,
    });

    const runner = client().responses.stream({ response_id: created.id, starting_after: 6 });
    const seen: number[] = [];
    runner.on("event", (event) => seen.push(event.sequence_number));
    const final = await runner.finalResponse();

    // The helper replays the whole stream (no starting_after on the wire) and filters locally.
    expect(lastRequest().query).toEqual({ stream: "true" });
    expect(Math.min(...seen)).toBe(7);
    expect(final.output_text).toBe("Hello from the fake provider.");
    expect(final.usage?.output_tokens).toBe(5);
  });

  it("retrieves and replays a response that was not created in the background", async () => {
    const created = await client().responses.create({ model: "gpt-4o-mini", input: "hi" });

    const again = await client().responses.retrieve(created.id);
    const replay = await collect(await client().responses.retrieve(created.id, { stream: true }));

    expect(again).toEqual(created);
    expect(replay[0]?.type).toBe("response.created");
    expect(replay.at(-1)?.type).toBe("response.completed");
  });

  it("cancels a background response; a foreground one cannot be cancelled", async () => {
    const background = await client().responses.create({
      model: "gpt-4o-mini",
      input: "hi",
      background: true,
    });
    const foreground = await client().responses.create({ model: "gpt-4o-mini", input: "hi" });

    const cancelled = await client().responses.cancel(background.id);

    expect(cancelled).toMatchObject({ id: background.id, status: "cancelled", usage: null });
    expect((await client().responses.retrieve(background.id)).status).toBe("cancelled");
    await expect(client().responses.cancel(foreground.id)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("answers 404 for an unknown id and lets tests script the retrieve route", async () => {
    await expect(client().responses.retrieve("resp_nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const created = await client().responses.create({ model: "gpt-4o-mini", input: "hi" });
    fake.script("openai.responses.retrieve", { status: 503 });
    await expect(client().responses.retrieve(created.id)).rejects.toMatchObject({ status: 503 });
  });

  it("forgets stored responses on reset", async () => {
    const created = await client().responses.create({ model: "gpt-4o-mini", input: "hi" });
    fake.reset();

    await expect(client().responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("bills a follow-up turn for the previous response's input and output again", async () => {
    const first = await client().responses.create({ model: "gpt-4o-mini", input: "Say hello." });
    const second = await client().responses.create({
      model: "gpt-4o-mini",
      input: "Say hello.",
      previous_response_id: first.id,
    });

    expect(second.usage?.input_tokens).toBe(SAY_HELLO_INPUT + SAY_HELLO_INPUT + 5);
    await expect(
      client().responses.create({ model: "gpt-4o-mini", input: "hi", previous_response_id: "resp_gone" }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
