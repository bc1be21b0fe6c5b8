import OpenAI, { toFile } from "openai";
import { describe, expect, it } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  type GivenOptions,
  RuleViolationError,
  type SessionOptions,
  UnknownPriceError,
} from "../src/index.js";
import { imagePrice, speechPrice } from "../src/pricing/media.js";
import type { FakeRouteName } from "../src/testing/index.js";
import { fakeWav } from "../src/testing/index.js";
import { openaiClient, sentBody, until, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

function wrapped<K extends keyof SessionOptions = "budgetUsd">(
  budgetUsd = 1,
  options: Pick<SessionOptions, K> = {} as Pick<SessionOptions, K>,
) {
  const session = new BudgetedSession({ budgetUsd, ...options });
  return { session, client: session.wrap(openaiClient(fake())) };
}

const USD = 1e9;
const wav = (seconds: number) => toFile(fakeWav(seconds), "speech.wav", { type: "audio/wav" });
const png = await toFile(Buffer.from("png"), "in.png", { type: "image/png" });
const wav30 = await wav(30);
const wav10 = await wav(10);

interface EndpointCase {
  name: string;
  route: FakeRouteName;
  /** Makes the call (a tiny budget refuses it; a 500 fails it). */
  call(
    client: OpenAI,
  ): Promise<unknown> & { withResponse?: () => Promise<{ data: unknown; response: Response }> };
  /** What the scripted usage costs, when the API reports usage. */
  usage?: { reply: Record<string, unknown>; expectedUsd: number };
}

const cases: EndpointCase[] = [
  {
    name: "responses.create",
    route: "openai.responses",
    call: (client) =>
      client.responses.create({ model: "gpt-4o-mini", input: "Say hello.", max_output_tokens: 1000 }),
    // gpt-4o-mini: $0.15 / $0.60 per M
    usage: { reply: { usage: { input_tokens: 1000, output_tokens: 1000 } }, expectedUsd: 0.00075 },
  },
  {
    name: "responses.compact",
    route: "openai.responses",
    call: (client) => client.responses.compact({ model: "gpt-4o-mini", input: "A long conversation." }),
  },
  {
    name: "completions.create (legacy)",
    route: "openai.completions",
    call: (client) =>
      client.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say hi", max_tokens: 1000 }),
    // gpt-3.5-turbo-instruct: $1.50 / $2.00 per M
    usage: { reply: { usage: { prompt_tokens: 1000, completion_tokens: 1000 } }, expectedUsd: 0.0035 },
  },
  {
    name: "embeddings.create",
    route: "openai.embeddings",
    call: (client) => client.embeddings.create({ model: "text-embedding-3-small", input: ["one", "two"] }),
    // $0.02 per M
    usage: { reply: { usage: { prompt_tokens: 1000, total_tokens: 1000 } }, expectedUsd: 0.00002 },
  },
  {
    name: "images.generate",
    route: "openai.images",
    call: (client) =>
      client.images.generate({ model: "gpt-image-1.5", prompt: "a cat", quality: "low", size: "1024x1024" }),
    // gpt-image-1.5: $5 per M text in, $32 per M image out
    usage: {
      reply: {
        usage: {
          input_tokens: 100,
          input_tokens_details: { text_tokens: 100, image_tokens: 0 },
          output_tokens: 1000,
          output_tokens_details: { image_tokens: 1000, text_tokens: 0 },
        },
      },
      expectedUsd: (100 * 5 + 1000 * 32) / 1e6,
    },
  },
  {
    name: "images.edit",
    route: "openai.images",
    call: (client) =>
      client.images.edit({ model: "gpt-image-1", image: png, prompt: "make it blue", quality: "low" }),
  },
  {
    name: "images.createVariation",
    route: "openai.images",
    call: (client) => client.images.createVariation({ model: "dall-e-2", image: png, size: "256x256" }),
  },
  {
    name: "audio.speech.create",
    route: "openai.speech",
    call: (client) => client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Hello there." }),
  },
  {
    name: "audio.transcriptions.create",
    route: "openai.transcriptions",
    call: (client) => client.audio.transcriptions.create({ model: "whisper-1", file: wav30 }),
    // whisper-1: $0.006 per minute
    usage: { reply: { usage: { type: "duration", seconds: 60 } }, expectedUsd: 0.006 },
  },
  {
    name: "audio.translations.create",
    route: "openai.transcriptions",
    call: (client) => client.audio.translations.create({ model: "whisper-1", file: wav10 }),
  },
  {
    name: "videos.create",
    route: "openai.videos",
    call: (client) =>
      client.videos.create({ model: "sora-2", prompt: "a wave", seconds: "4", size: "720x1280" }),
  },
];

describe.each(cases)("$name", (endpoint) => {
  it("is refused before the network when the budget cannot hold it", async () => {
    const { session, client } = wrapped(0);
    await expect(endpoint.call(client)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(fake().requests).toHaveLength(0);
    const [record] = await session.history();
    expect(record).toMatchObject({
      status: "blocked",
      reason: "budget_exceeded",
      operation: expect.any(String),
    });
  });

  it("releases the hold and rethrows the SDK's error when the provider fails", async () => {
    const { session, client } = wrapped();
    fake().script(endpoint.route, { status: 500 });
    await expect(endpoint.call(client)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    expect(session.getTotalSpent()).toBe(0);
    expect(session.getReserved()).toBe(0);
  });

  it("keeps withResponse() working and settles (or keeps holding) the call", async () => {
    const { session, client } = wrapped();
    const promise = endpoint.call(client);
    if (!("withResponse" in promise) || typeof promise.withResponse !== "function")
      throw new Error("no withResponse");
    const { data, response } = await promise.withResponse();
    expect(response.status).toBe(200);
    expect(data).toBeDefined();
    const [record] = await session.history();
    if (endpoint.route === "openai.videos") {
      // Billed once generated: the hold waits for videos.retrieve.
      expect(record).toBeUndefined();
      expect(session.getReserved()).toBeGreaterThan(0);
    } else {
      await until(() => session.getReserved() === 0);
      expect(record?.status).toBe("settled");
      expect(record?.actualUsd).toBeGreaterThan(0);
      expect(record?.actualUsd).toBeLessThanOrEqual(record?.heldUsd ?? 0);
    }
  });

  if (endpoint.usage) {
    const { reply, expectedUsd } = endpoint.usage;
    it("settles exactly from the usage the API returns", async () => {
      const { session, client } = wrapped();
      fake().script(endpoint.route, reply as never);
      await endpoint.call(client);
      await until(() => session.getReserved() === 0);
      expect(session.getTotalSpent()).toBeCloseTo(expectedUsd, 12);
      const [record] = await session.history();
      expect(record?.source).toBe("usage");
    });
  }
});

describe("images: the media table", () => {
  it("reserves gpt-image-1.5 low × n=2 at twice the table's price and settles from the token usage", async () => {
    const { session, client } = wrapped();
    const table = imagePrice("gpt-image-1.5", { quality: "low", size: "1024x1024" });
    const estimate = await session.estimate({
      provider: "openai",
      operation: "images.generate",
      params: { model: "gpt-image-1.5", prompt: "", quality: "low", size: "1024x1024", n: 2 },
    });
    expect(estimate.costUsd * USD).toBe(2 * (table?.perImage ?? 0));
    await client.images.generate({
      model: "gpt-image-1.5",
      prompt: "",
      quality: "low",
      size: "1024x1024",
      n: 2,
    });
    const [record] = await session.history();
    expect(record?.heldUsd).toBe(estimate.costUsd);
    // The fake bills 272 image tokens per low 1024² image, at $32 per M.
    expect(record?.actualUsd).toBeCloseTo((2 * 272 * 32) / 1e6, 12);
    expect(record?.usage?.images).toBe(2);
  });

  it("settles dall-e-3 at exactly the table's price × n (it reports no usage)", async () => {
    const { session, client } = wrapped();
    await client.images.generate({ model: "dall-e-3", prompt: "a cat", quality: "hd", size: "1792x1024" });
    expect(session.getTotalSpent() * USD).toBe(
      imagePrice("dall-e-3", { quality: "hd", size: "1792x1024" })?.perImage,
    );
  });

  it("prices by size where the provider does, and reserves the top tier for quality auto", async () => {
    const { session } = wrapped();
    const cost = async (params: Record<string, unknown>) =>
      (
        await session.estimate({
          provider: "openai",
          operation: "images.generate",
          params: { prompt: "", ...params },
        })
      ).costUsd;
    const small = await cost({ model: "dall-e-2", size: "256x256" });
    const large = await cost({ model: "dall-e-2", size: "1024x1024" });
    expect(large).toBeGreaterThan(small);
    const auto = await cost({ model: "gpt-image-1", quality: "auto", size: "1024x1024" });
    const high = await cost({ model: "gpt-image-1", quality: "high", size: "1024x1024" });
    const low = await cost({ model: "gpt-image-1", quality: "low", size: "1024x1024" });
    expect(auto).toBe(high);
    expect(low).toBeLessThan(high);
    expect(await cost({ model: "gpt-image-1" })).toBe(
      await cost({ model: "gpt-image-1", quality: "high", size: "1536x1024" }),
    );
  });

  it("refuses an image model the table does not know", async () => {
    const { client } = wrapped();
    await expect(client.images.generate({ model: "imagen-9", prompt: "x" })).rejects.toBeInstanceOf(
      UnknownPriceError,
    );
    expect(fake().requests).toHaveLength(0);
  });

  it("settles a streamed gpt-image generation from its completed event", async () => {
    const { session, client } = wrapped();
    const stream = await client.images.generate({
      model: "gpt-image-1",
      prompt: "a cat",
      quality: "low",
      size: "1024x1024",
      stream: true,
      partial_images: 2,
    });
    for await (const _ of stream) {
      // drain
    }
    await until(() => session.getReserved() === 0);
    const [record] = await session.history();
    expect(record).toMatchObject({ status: "settled", source: "usage" });
    expect(record?.actualUsd).toBeLessThanOrEqual(record?.heldUsd ?? 0);
  });
});

describe("audio", () => {
  it("charges tts-1 exactly per character sent", async () => {
    const { session, client } = wrapped();
    const input = "Hello there, this is a test.";
    const response = await client.audio.speech.create({ model: "tts-1", voice: "alloy", input });
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    const price = speechPrice("tts-1");
    if (price?.kind !== "characters") throw new Error("tts-1 is priced per character");
    expect(session.getTotalSpent() * USD).toBe(Math.round((input.length * price.perMillionCharacters) / 1e6));
  });

  it("holds a transcription from the WAV's exact length and settles from the reported duration", async () => {
    const { session, client } = wrapped();
    const estimate = await session.estimate({
      provider: "openai",
      operation: "audio.transcriptions.create",
      params: { model: "whisper-1", file: await wav(90) },
    });
    expect(estimate.confidence).toBe("high");
    expect(estimate.costUsd).toBeCloseTo(0.009, 9); // 90 s at $0.006 a minute
    await client.audio.transcriptions.create({ model: "whisper-1", file: await wav(90) });
    expect(session.getTotalSpent()).toBeCloseTo(0.009, 9);
  });

  it("bounds a compressed upload's length from its size, and says so", async () => {
    const { session } = wrapped();
    const estimate = await session.estimate({
      provider: "openai",
      operation: "audio.transcriptions.create",
      params: {
        model: "whisper-1",
        file: await toFile(Buffer.alloc(75_000), "a.mp3", { type: "audio/mpeg" }),
      },
    });
    expect(estimate.confidence).toBe("low");
    expect(estimate.notes.join(" ")).toMatch(/75000 bytes of compressed audio: at most 100 s/);
    expect(estimate.costUsd).toBeCloseTo(0.01, 9); // 100 s at $0.006 a minute
  });

  it("settles a text-format transcription of a WAV from the WAV's length (no usage in the answer)", async () => {
    const { session, client } = wrapped();
    const text = await client.audio.transcriptions.create({
      model: "whisper-1",
      file: await wav(60),
      response_format: "text",
    });
    expect(typeof text).toBe("string");
    expect(session.getTotalSpent()).toBeCloseTo(0.006, 9);
    const [record] = await session.history();
    expect(record?.source).toBe("estimated");
  });
});

describe("responses: built-in tools, streams and background", () => {
  it("sends max_tool_calls when paid built-in tools are on, and prices the calls the response made", async () => {
    const { session, client } = wrapped();
    fake().script("openai.responses", {
      builtInCalls: ["web_search_call", "web_search_call", "file_search_call"],
    } as never);
    await client.responses.create({
      model: "gpt-4o-mini",
      input: "Find news.",
      tools: [{ type: "web_search" }, { type: "file_search", vector_store_ids: ["vs_1"] }],
      max_output_tokens: 200,
    });
    expect(sentBody(fake()).max_tool_calls).toBe(8);
    const [record] = await session.history();
    expect(record?.usage).toMatchObject({ webSearches: 2, fileSearches: 1 });
    const tokensOnly =
      ((record?.usage?.inputTokens ?? 0) * 0.15 + (record?.usage?.outputTokens ?? 0) * 0.6) / 1e6;
    // Two searches at $0.01 and one file search at $0.0025 on top of the tokens.
    expect(record?.actualUsd).toBeCloseTo(tokensOnly + 0.0225, 9);
  });

  it("settles a stream from response.completed, and a cut-short stream from its deltas", async () => {
    const { session, client } = wrapped();
    const stream = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", stream: true });
    const events: string[] = [];
    for await (const event of stream) events.push(event.type);
    expect(events.at(-1)).toBe("response.completed");
    fake().script("openai.responses", { content: "word ".repeat(200).trim(), chunkDelayMs: 1 });
    const second = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", stream: true });
    let deltas = 0;
    for await (const event of second)
      if (event.type === "response.output_text.delta" && ++deltas === 10) break;
    await until(() => session.getReserved() === 0);
    const [cut, full] = await session.history();
    expect(full).toMatchObject({ source: "usage" });
    expect(cut?.flags).toContain("interrupted");
    expect(cut?.usage?.outputTokens).toBeGreaterThanOrEqual(10);
  });

  it("keeps a background response's hold until retrieve sees it finished, and never bills a retrieve twice", async () => {
    const { session, client } = wrapped();
    fake().script("openai.responses", { usage: { input_tokens: 1000, output_tokens: 1000 } } as never);
    const queued = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Write a report.",
      background: true,
      max_output_tokens: 2000,
    });
    expect(queued.status).toBe("queued");
    expect(session.getReserved()).toBeGreaterThan(0);
    expect(session.getTotalSpent()).toBe(0);
    const running = await client.responses.retrieve(queued.id);
    expect(running.status).toBe("in_progress");
    expect(session.getReserved()).toBeGreaterThan(0);
    const done = await client.responses.retrieve(queued.id);
    expect(done.status).toBe("completed");
    await until(() => session.getReserved() === 0);
    expect(session.getTotalSpent()).toBe(0.00075);
    await client.responses.retrieve(queued.id);
    const replay = await client.responses.retrieve(queued.id, { stream: true });
    for await (const _ of replay) {
      // a replay of an already billed response
    }
    expect(session.getTotalSpent()).toBe(0.00075);
    expect((await session.history()).filter((record) => record.status === "settled")).toHaveLength(1);
  });

  it("does not bill responses.stream() resumed from a starting_after id again", async () => {
    const { session, client } = wrapped();
    const first = client.responses.stream({ model: "gpt-4o-mini", input: "Hi" });
    const final = await first.finalResponse();
    await until(() => session.getReserved() === 0);
    const spent = session.getTotalSpent();
    const resumed = client.responses.stream({ response_id: final.id, starting_after: 2 });
    for await (const _ of resumed) {
      // replayed events
    }
    expect(session.getTotalSpent()).toBe(spent);
    expect(await session.history()).toHaveLength(1);
  });

  it("bounds the input of a follow-up by what the previous response carried, when this session saw it", async () => {
    const { session, client } = wrapped(10);
    const first = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Hi",
      max_output_tokens: 100,
    });
    const params = {
      model: "gpt-4o-mini",
      input: "And then?",
      previous_response_id: first.id,
      max_output_tokens: 100,
    };
    const known = await session.estimate({ provider: "openai", operation: "responses", params });
    expect(known.confidence).toBe("high");
    const unknown = await session.estimate({
      provider: "openai",
      operation: "responses",
      params: { ...params, previous_response_id: "resp_elsewhere" },
    });
    expect(unknown.confidence).toBe("low");
    expect(unknown.inputTokens).toBe(128_000); // gpt-4o-mini's context window
  });

  it("injects max_output_tokens in strict mode when the request sets none", async () => {
    const { client } = wrapped(0.001);
    await client.responses.create({ model: "gpt-4o-mini", input: "Hi" });
    const sent = sentBody(fake());
    expect(sent.max_output_tokens).toBeGreaterThan(0);
    expect(sent.max_output_tokens).toBeLessThanOrEqual(16_384);
  });
});

describe("chat helpers and legacy completions", () => {
  it("meters each HTTP call of runTools: two tool rounds, two settled records", async () => {
    const { session, client } = wrapped();
    fake().script(
      "openai.chat",
      { toolCalls: [{ name: "lookup", arguments: '{"q":"x"}' }], finishReason: "tool_calls" },
      { content: "done" },
    );
    const runner = client.chat.completions.runTools({
      model: "gpt-4o-mini",
      messages: user("look it up"),
      tools: [
        {
          type: "function",
          function: {
            name: "lookup",
            description: "Looks something up",
            parameters: { type: "object", properties: { q: { type: "string" } } },
            function: (args: { q: string }) => `result for ${args.q}`,
            parse: JSON.parse,
          },
        },
      ],
    });
    expect(await runner.finalContent()).toBe("done");
    await until(() => session.getReserved() === 0);
    const records = await session.history();
    expect(records).toHaveLength(2);
    expect(records.every((record) => record.status === "settled" && record.source === "usage")).toBe(true);
  });

  it("holds a legacy completion with its default max_tokens of 16", async () => {
    const { session } = wrapped();
    const estimate = await session.estimate({
      provider: "openai",
      operation: "completions",
      params: { model: "gpt-3.5-turbo-instruct", prompt: ["a", "b"], n: 2 },
    });
    expect(estimate.outputTokens).toBe(16);
    // 2 prompts × 2 completions × 16 tokens at $2 per M, plus the prompts' tokens at $1.50 per M
    expect(estimate.costUsd).toBeCloseTo((4 * 16 * 2 + 2 * 1.5) / 1e6, 12);
  });
});

describe("videos", () => {
  it("holds a video until it is generated, then settles per second; a failed video releases its hold", async () => {
    const { session, client } = wrapped(10);
    const video = await client.videos.create({
      model: "sora-2",
      prompt: "waves",
      seconds: "8",
      size: "720x1280",
    });
    expect(video.status).toBe("queued");
    expect(session.getReserved()).toBeCloseTo(0.8, 9); // 8 s at $0.10
    await client.videos.retrieve(video.id);
    const done = await client.videos.retrieve(video.id);
    expect(done.status).toBe("completed");
    await until(() => session.getReserved() === 0);
    expect(session.getTotalSpent()).toBeCloseTo(0.8, 9);

    fake().script("openai.videos", { failure: { code: "moderation", message: "blocked" } } as never);
    const failing = await client.videos.create({ model: "sora-2", prompt: "x", seconds: "4" });
    await client.videos.retrieve(failing.id);
    await client.videos.retrieve(failing.id);
    await until(() => session.getReserved() === 0);
    expect(session.getTotalSpent()).toBeCloseTo(0.8, 9);
  });

  it("holds a remix for as long as its source video", async () => {
    const { session, client } = wrapped(10);
    const video = await client.videos.create({
      model: "sora-2-pro",
      prompt: "waves",
      seconds: "12",
      size: "1280x720",
    });
    const params = { prompt: "at night" };
    const estimate = await session.estimate({ provider: "openai", operation: "videos.remix", params });
    expect(estimate.confidence).toBe("low");
    await client.videos.remix(video.id, params);
    // 12 s at $0.30 for the source, and 12 s more for the remix
    expect(session.getReserved()).toBeCloseTo(7.2, 9);
  });
});

describe("batches", () => {
  it("charges a finished batch once, at the batch tier, from Batch.usage", async () => {
    const { session, client } = wrapped(0.000001);
    fake().script("openai.batches", { usage: { input_tokens: 1000, output_tokens: 1000 } } as never);
    const created = await client.batches.create({
      input_file_id: "file_x",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(session.getReserved()).toBe(0);
    const batch = await client.batches.retrieve(created.id);
    const record = await session.settleBatch(batch, { model: "gpt-4o-mini" });
    // Half of gpt-4o-mini's standard $0.00075; recorded even though it is over this tiny budget.
    expect(record).toMatchObject({ actualUsd: 0.000375, tier: "batch", flags: ["unreserved"] });
    expect(await session.settleBatch(batch, { model: "gpt-4o-mini" })).toBeUndefined();
    expect(session.getTotalSpent()).toBe(0.000375);
  });

  it("refuses to settle a batch that is still running, or one without a model", async () => {
    const { session } = wrapped();
    await expect(session.settleBatch({ id: "batch_1", status: "in_progress" })).rejects.toThrow(
      /in_progress/,
    );
    await expect(
      session.settleBatch({
        id: "batch_1",
        status: "completed",
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
    ).rejects.toThrow(/settleBatch\(batch, \{ model \}\)/);
  });
});

describe("free endpoints and bypasses", () => {
  it("passes free endpoints through unmetered and unrecorded", async () => {
    const { session, client } = wrapped(0.0000001);
    await client.models.list();
    await client.moderations.create({ input: "hello" });
    await client.files.create({ file: await toFile(Buffer.from("{}"), "a.jsonl"), purpose: "batch" });
    await client.responses.inputTokens.count({ model: "gpt-4o-mini", input: "hello" });
    expect(await session.history()).toEqual([]);
    expect(session.getTotalSpent()).toBe(0);
  });

  it("meters a raw client.post() to a paid path like the method, with the output limit injected", async () => {
    const { client, session } = wrapped();
    await client.post("/chat/completions", { body: { model: "gpt-4o-mini", messages: user("hi") } });
    expect(fake().requests).toHaveLength(1);
    expect(fake().requests[0]?.body).toMatchObject({ max_completion_tokens: expect.any(Number) });
    expect(await session.history()).toHaveLength(1);
    expect(session.getTotalSpent()).toBeGreaterThan(0);
  });

  it("refuses a POST to a paid path it has no meter for (fine-tuning, thread runs), without sending it", async () => {
    const { client, session } = wrapped();
    for (const path of ["/fine_tuning/jobs", "/threads/thread_1/runs", "/realtime/client_secrets"]) {
      const error = await client
        .post(path, { body: { model: "gpt-4o-mini" } })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RuleViolationError);
      expect((error as RuleViolationError).code).toBe("unmetered_request");
      expect((error as Error).message).toContain(path);
    }
    expect(fake().requests).toHaveLength(0);
    expect((await session.history()).map((record) => record.status)).toEqual([
      "blocked",
      "blocked",
      "blocked",
    ]);
  });
});
