import OpenAI, { toFile } from "openai";
import type { Completion } from "openai/resources/completions";
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

const tenWords = "one two three four five six seven eight nine ten";

describe("legacy completions", () => {
  it("completes a prompt with the usage of the prompt's tokens and the words sent", async () => {
    const completion = await client().completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Once upon a time",
    });

    expect(completion).toMatchObject({
      id: expect.stringMatching(/^cmpl-\d+$/),
      object: "text_completion",
      model: "gpt-3.5-turbo-instruct",
    });
    expect(completion.choices).toEqual([
      { index: 0, text: " Hello from the fake provider.", logprobs: null, finish_reason: "stop" },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
  });

  it("stops at the legacy default of 16 tokens when max_tokens is not set", async () => {
    fake.setDefault("openai.completions", { content: `${tenWords} ${tenWords}` });

    const unlimited = await client().completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "x" });
    const short = await client().completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "x",
      max_tokens: 3,
    });

    expect(unlimited.choices[0]?.finish_reason).toBe("length");
    expect(unlimited.usage?.completion_tokens).toBe(16);
    expect(short.choices[0]).toMatchObject({ text: "one two three", finish_reason: "length" });
  });

  it("answers every prompt of an array n times and counts token-array prompts by length", async () => {
    const completion = await client().completions.create({
      model: "davinci-002",
      prompt: [
        [1, 2, 3],
        [4, 5],
      ],
      n: 2,
    });

    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2, 3]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 20 });
  });

  it("streams data-only chunks, a usage chunk with include_usage, and [DONE]", async () => {
    const stream = await client().completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "Hi",
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(
      chunks
        .slice(0, 5)
        .map((chunk) => chunk.choices[0]?.text)
        .join(""),
    ).toBe(" Hello from the fake provider.");
    expect(chunks.at(-2)?.choices[0]).toMatchObject({ text: "", finish_reason: "stop" });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 5 } });
    expect(lastRequest().chunksSent).toBe(5 + 1 + 1 + 1);
  });

  it("refuses stream_options without stream, and answers scripted errors", async () => {
    await expect(
      client().completions.create({
        model: "gpt-3.5-turbo-instruct",
        prompt: "x",
        stream_options: { include_usage: true },
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);

    fake.script("openai.completions", { status: 401 });
    await expect(
      client().completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "x" }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe("embeddings", () => {
  it("answers the SDK's default base64 with little-endian float32 that the SDK decodes", async () => {
    const result = await client().embeddings.create({
      model: "text-embedding-3-small",
      input: ["The quick brown fox", "jumps"],
    });

    expect(lastRequest().body).toMatchObject({ encoding_format: "base64" });
    expect(result.object).toBe("list");
    expect(result.data).toHaveLength(2);
    expect(result.data[1]).toMatchObject({ object: "embedding", index: 1 });
    const vector = result.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(8);
    expect(vector.every((value) => typeof value === "number" && Number.isFinite(value))).toBe(true);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    // "The quick brown fox" is 4 tokens and "jumps" 2 in cl100k_base, text-embedding-3's encoding.
    expect(result.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
  });

  it("answers float arrays for encoding_format float, the same vectors, with the requested dimensions", async () => {
    const floats = await client().embeddings.create({
      model: "text-embedding-3-large",
      input: "hello",
      encoding_format: "float",
      dimensions: 4,
    });
    const decoded = await client().embeddings.create({
      model: "text-embedding-3-large",
      input: "hello",
      dimensions: 4,
    });

    expect(floats.data[0]?.embedding).toHaveLength(4);
    expect(floats.data[0]?.embedding).toEqual(decoded.data[0]?.embedding);
  });

  it("counts token-array inputs by their length and leaves usage out when scripted null", async () => {
    const tokens = await client().embeddings.create({
      model: "text-embedding-3-small",
      input: [[1, 2, 3], [4]],
    });
    fake.script("openai.embeddings", { usage: null });
    const none = await client().embeddings.create({ model: "text-embedding-3-small", input: "x" });

    expect(tokens.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect("usage" in none).toBe(false);
  });

  it("answers scripted errors and faults", async () => {
    fake.script("openai.embeddings", { status: 500 }, { fault: "malformed" });

    await expect(
      client().embeddings.create({ model: "text-embedding-3-small", input: "x" }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(
      client().embeddings.create({ model: "text-embedding-3-small", input: "x" }),
    ).rejects.toThrow();
  });
});

describe("batches and files", () => {
  const jsonl = (lines: unknown[]) => Buffer.from(lines.map((line) => JSON.stringify(line)).join("\n"));

  it("uploads a file, lists it, reads it back and deletes it", async () => {
    const bytes = jsonl([
      { custom_id: "a", method: "POST", url: "/v1/embeddings", body: { model: "m", input: "x" } },
    ]);

    const file = await client().files.create({ file: await toFile(bytes, "in.jsonl"), purpose: "batch" });

    expect(file).toMatchObject({
      id: expect.stringMatching(/^file-/),
      object: "file",
      bytes: bytes.length,
      filename: "in.jsonl",
      purpose: "batch",
      status: "processed",
    });
    expect((await client().files.list()).data.map((item) => item.id)).toEqual([file.id]);
    expect((await client().files.list({ purpose: "vision" })).data).toEqual([]);
    expect(await client().files.retrieve(file.id)).toEqual(file);
    const content = await client().files.content(file.id);
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);
    expect(await client().files.delete(file.id)).toEqual({ id: file.id, object: "file", deleted: true });
    await expect(client().files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(fake.requests.every((request) => request.route === "openai.files")).toBe(true);
  });

  it("creates a validating batch that completes on retrieve with the usage of its input file", async () => {
    const input = jsonl([
      {
        custom_id: "1",
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello to the test suite." }] },
      },
      {
        custom_id: "2",
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello to the test suite." }] },
      },
    ]);
    const file = await client().files.create({ file: await toFile(input, "batch.jsonl"), purpose: "batch" });

    const batch = await client().batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });

    expect(batch).toMatchObject({
      id: expect.stringMatching(/^batch_/),
      object: "batch",
      status: "validating",
      model: "gpt-4o-mini",
      endpoint: "/v1/chat/completions",
      input_file_id: file.id,
      request_counts: { total: 0, completed: 0, failed: 0 },
    });

    const done = await client().batches.retrieve(batch.id);
    expect(lastRequest().route).toBe("openai.batches.retrieve");
    expect(done).toMatchObject({
      status: "completed",
      request_counts: { total: 2, completed: 2, failed: 0 },
      completed_at: expect.any(Number),
      output_file_id: expect.any(String),
    });
    // Each request is counted like chat.completions.create counts it (14 tokens), with the default 5-word reply.
    expect(done.usage).toEqual({
      input_tokens: 28,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 10,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 38,
    });
  });

  it("honours pollsUntilDone, a scripted usage and a scripted failure", async () => {
    fake.script(
      "openai.batches",
      {
        pollsUntilDone: 1,
        usage: { input_tokens: 1000, output_tokens: 200 },
        requestCounts: { total: 10, failed: 1 },
      },
      { failure: { code: "token_limit_exceeded", message: "Too many tokens." } },
    );
    const params = {
      input_file_id: "file-elsewhere",
      endpoint: "/v1/responses",
      completion_window: "24h",
    } as const;

    const slow = await client().batches.create(params);
    const failing = await client().batches.create(params);

    expect(slow.model).toBe("gpt-4o-mini");
    expect((await client().batches.retrieve(slow.id)).status).toBe("in_progress");
    const done = await client().batches.retrieve(slow.id);
    expect(done).toMatchObject({
      status: "completed",
      request_counts: { total: 10, completed: 9, failed: 1 },
    });
    expect(done.usage).toMatchObject({ input_tokens: 1000, output_tokens: 200, total_tokens: 1200 });
    expect(await client().batches.retrieve(failing.id)).toMatchObject({
      status: "failed",
      errors: { data: [{ code: "token_limit_exceeded", message: "Too many tokens." }] },
    });
  });

  it("cancels a batch and lists batches", async () => {
    const batch = await client().batches.create({
      input_file_id: "file-x",
      endpoint: "/v1/embeddings",
      completion_window: "24h",
    });

    expect(batch.model).toBe("text-embedding-3-small");
    expect((await client().batches.cancel(batch.id)).status).toBe("cancelling");
    expect((await client().batches.retrieve(batch.id)).status).toBe("cancelled");
    expect((await client().batches.list()).data.map((item) => item.id)).toEqual([batch.id]);
  });
});

describe("free endpoints", () => {
  it("lists and retrieves models", async () => {
    const page = await client().models.list();
    const model = await client().models.retrieve("ft:gpt-4o-mini:acme::abc123");

    expect(page.data.map((item) => item.id)).toContain("gpt-4o-mini");
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: "system", created: expect.any(Number) });
    expect(model).toMatchObject({ id: "ft:gpt-4o-mini:acme::abc123", object: "model" });
    expect(lastRequest().route).toBe("openai.models");
  });

  it("answers a scripted model list, and 404 for a model outside it", async () => {
    fake.setDefault("openai.models", { models: ["only-this"] });

    expect((await client().models.list()).data.map((item) => item.id)).toEqual(["only-this"]);
    await expect(client().models.retrieve("gpt-4o")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("moderates each input, flagging the scripted categories", async () => {
    fake.script("openai.moderations", { flagged: ["violence"] });

    const flagged = await client().moderations.create({ input: ["a", "b"] });
    const clean = await client().moderations.create({
      model: "omni-moderation-latest",
      input: [
        { type: "text", text: "hello" },
        { type: "image_url", image_url: { url: "https://example.com/a.png" } },
      ],
    });

    expect(flagged.id).toMatch(/^modr-/);
    expect(flagged.results).toHaveLength(2);
    expect(flagged.results[0]).toMatchObject({
      flagged: true,
      categories: { violence: true, hate: false, "self-harm/intent": false },
    });
    expect(clean.results).toHaveLength(1);
    expect(clean.results[0]?.flagged).toBe(false);
    expect(clean.results[0]?.category_applied_input_types.violence).toEqual(["text", "image"]);
  });
});
