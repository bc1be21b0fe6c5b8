import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import { type FakeMultipartBody, fakeWav } from "spendguard/testing";
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

function multipartBody(): FakeMultipartBody {
  return lastRequest().body as FakeMultipartBody;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

/** Server-sent events of a raw response body, as `{ event, data }`. */
function sseEvents(text: string): { event: string | undefined; data: any }[] {
  return text
    .split("\n\n")
    .filter((frame) => frame !== "")
    .map((frame) => {
      const lines = frame.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice("event: ".length);
      const data = lines.find((line) => line.startsWith("data: "))?.slice("data: ".length) ?? "null";
      return { event, data: JSON.parse(data) };
    });
}

const png = () => Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

describe("images", () => {
  it("generates with a GPT image model: b64 images and a token usage from the prompt and the quality", async () => {
    const result = await client().images.generate({
      model: "gpt-image-1.5",
      prompt: "A red fox in the snow",
      n: 2,
      quality: "low",
      size: "1024x1024",
    });

    expect(result).toMatchObject({
      quality: "low",
      size: "1024x1024",
      output_format: "png",
      background: "opaque",
    });
    expect(result.data).toHaveLength(2);
    expect(
      Buffer.from(result.data?.[0]?.b64_json ?? "", "base64")
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
    // "A red fox in the snow" is 6 tokens; 272 output image tokens per low 1024x1024 image.
    expect(result.usage).toEqual({
      input_tokens: 6,
      input_tokens_details: { text_tokens: 6, image_tokens: 0 },
      output_tokens: 544,
      output_tokens_details: { image_tokens: 544, text_tokens: 0 },
      total_tokens: 550,
    });
  });

  it("reports quality auto as high, and scales output tokens with the size", async () => {
    const square = await client().images.generate({ model: "gpt-image-1", prompt: "x" });
    const portrait = await client().images.generate({
      model: "gpt-image-1",
      prompt: "x",
      quality: "medium",
      size: "1024x1536",
    });

    expect(square).toMatchObject({ quality: "high", size: "1024x1024" });
    expect(square.usage?.output_tokens).toBe(4160);
    expect(portrait.usage?.output_tokens).toBe(1584);
  });

  it("merges a scripted usage, and null leaves it out", async () => {
    fake.script(
      "openai.images",
      { usage: { output_tokens_details: { text_tokens: 40 }, output_tokens: 312 } },
      { usage: null },
    );

    const scripted = await client().images.generate({ model: "gpt-image-1", prompt: "x", quality: "low" });
    const none = await client().images.generate({ model: "gpt-image-1", prompt: "x", quality: "low" });

    expect(scripted.usage).toMatchObject({
      output_tokens: 312,
      output_tokens_details: { image_tokens: 272, text_tokens: 40 },
      total_tokens: 313,
    });
    expect("usage" in none).toBe(false);
  });

  it("gives dall-e-3 a url and a revised prompt, with no usage", async () => {
    const result = await client().images.generate({
      model: "dall-e-3",
      prompt: "A lighthouse",
      size: "1792x1024",
    });

    expect(result.data).toEqual([
      { url: expect.stringMatching(/^http:\/\/.+\.png$/), revised_prompt: "A lighthouse" },
    ]);
    expect("usage" in result).toBe(false);
    await expect(client().images.generate({ model: "dall-e-3", prompt: "x", n: 2 })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it("edits with multipart uploads whose fields and file sizes are recorded", async () => {
    const result = await client().images.edit({
      model: "gpt-image-1",
      prompt: "Add a hat",
      image: [await toFile(png(), "a.png", { type: "image/png" }), await toFile(Buffer.alloc(300), "b.png")],
      mask: await toFile(Buffer.alloc(20), "mask.png"),
      n: 1,
      quality: "medium",
      size: "1536x1024",
    });

    const body = multipartBody();
    expect(lastRequest().headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(body.fields).toMatchObject({
      model: "gpt-image-1",
      prompt: "Add a hat",
      n: "1",
      quality: "medium",
      size: "1536x1024",
    });
    // openai 6 and 7 order the parts differently; the parts themselves are the same.
    const files = body.files.map(({ name, filename, size }) => ({ name, filename, size }));
    expect(files.sort((a, b) => a.filename.localeCompare(b.filename))).toEqual([
      { name: "image[]", filename: "a.png", size: 16 },
      { name: "image[]", filename: "b.png", size: 300 },
      { name: "mask", filename: "mask.png", size: 20 },
    ]);
    expect(body.files.find((file) => file.filename === "a.png")?.data.equals(png())).toBe(true);
    // "Add a hat" is 3 tokens; 388 per input image (the mask is not one); medium 1536x1024 is 1568.
    expect(result.usage).toMatchObject({
      input_tokens: 3 + 2 * 388,
      input_tokens_details: { text_tokens: 3, image_tokens: 776 },
      output_tokens: 1568,
    });
  });

  it("creates variations with dall-e-2 as b64_json on request", async () => {
    fake.script("openai.images", { inputImageTokens: 99 });
    const result = await client().images.createVariation({
      image: await toFile(png(), "in.png"),
      n: 3,
      response_format: "b64_json",
      size: "256x256",
    });

    expect(result.data).toHaveLength(3);
    expect(result.data?.every((image) => typeof image.b64_json === "string" && !image.url)).toBe(true);
    expect("usage" in result).toBe(false);
    expect(multipartBody().fields).toEqual({ n: "3", response_format: "b64_json", size: "256x256" });
  });

  it("streams partial images then a completed event with usage (partial images cost 100 tokens each)", async () => {
    const stream = await client().images.generate({
      model: "gpt-image-1",
      prompt: "x",
      quality: "low",
      stream: true,
      partial_images: 2,
    });
    const events = await collect(stream);

    expect(events.map((event) => event.type)).toEqual([
      "image_generation.partial_image",
      "image_generation.partial_image",
      "image_generation.completed",
    ]);
    const completed = events.at(-1);
    if (completed?.type !== "image_generation.completed") throw new Error("unreachable");
    expect(completed.usage).toMatchObject({ input_tokens: 1, output_tokens: 272 + 200, total_tokens: 473 });
  });

  it("streams edits with image_edit.* events", async () => {
    const stream = await client().images.edit({
      model: "gpt-image-1",
      prompt: "x",
      image: await toFile(png(), "a.png"),
      stream: true,
      partial_images: 1,
    });
    const types = (await collect(stream)).map((event) => event.type);

    expect(types).toEqual(["image_edit.partial_image", "image_edit.completed"]);
  });

  it("refuses to stream a dall-e model and answers scripted errors", async () => {
    await expect(
      client().images.generate({ model: "dall-e-2", prompt: "x", stream: true }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);

    fake.script("openai.images", { status: 500 });
    await expect(client().images.generate({ model: "gpt-image-1", prompt: "x" })).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
  });
});

describe("speech", () => {
  it("returns the audio bytes, longer for a longer input", async () => {
    const short = await client().audio.speech.create({ model: "tts-1", voice: "alloy", input: "Hi there." });
    const long = await client().audio.speech.create({
      model: "tts-1",
      voice: "alloy",
      input: "word ".repeat(60),
    });

    expect(short).toBeInstanceOf(Response);
    expect(short.headers.get("content-type")).toBe("audio/mpeg");
    const shortBytes = Buffer.from(await short.arrayBuffer());
    const longBytes = Buffer.from(await long.arrayBuffer());
    expect(shortBytes.subarray(0, 3).toString()).toBe("ID3");
    // One second (the minimum) at 4,000 bytes; 300 characters are 20 seconds.
    expect(shortBytes.length).toBe(4_000);
    expect(longBytes.length).toBe(80_000);
    expect(lastRequest().headers.accept).toBe("application/octet-stream");
  });

  it("cuts the binary body off on drop-mid-body", async () => {
    fake.script("openai.speech", { fault: "drop-mid-body" });
    const response = await client().audio.speech.create({ model: "tts-1", voice: "alloy", input: "x" });

    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it("writes a real WAV header for response_format wav", async () => {
    fake.script("openai.speech", { seconds: 2 });
    const response = await client().audio.speech.create({
      model: "gpt-4o-mini-tts",
      voice: "coral",
      input: "x",
      response_format: "wav",
    });
    const bytes = Buffer.from(await response.arrayBuffer());

    expect(bytes.toString("latin1", 0, 4)).toBe("RIFF");
    expect(bytes.length).toBe(44 + 2 * 32_000);
  });

  it("streams speech.audio.delta events and a done event with usage for gpt-4o-mini-tts", async () => {
    const response = await client().audio.speech.create({
      model: "gpt-4o-mini-tts",
      voice: "coral",
      input: "Hello there, how are you today?",
      instructions: "Speak warmly.",
      stream_format: "sse",
    });
    const events = sseEvents(await response.text());

    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(
      events.slice(0, -1).every((event) => event.event === "speech.audio.delta" && event.data.audio),
    ).toBe(true);
    const done = events.at(-1);
    expect(done?.event).toBe("speech.audio.done");
    // 7 + 4 input tokens; 31 characters are about 2.07 seconds, 20 audio tokens a second.
    expect(done?.data).toEqual({
      type: "speech.audio.done",
      usage: { input_tokens: 11, output_tokens: 42, total_tokens: 53 },
    });
  });

  it("has no usage in the done event for tts-1", async () => {
    const response = await client().audio.speech.create({
      model: "tts-1",
      voice: "alloy",
      input: "x",
      stream_format: "sse",
    });
    const events = sseEvents(await response.text());

    expect(events.at(-1)?.data).toEqual({ type: "speech.audio.done" });
  });
});

describe("transcriptions and translations", () => {
  const wav = (seconds: number) => toFile(fakeWav(seconds), "clip.wav", { type: "audio/wav" });

  it("whisper-1 json: usage is the WAV's duration in seconds", async () => {
    const result = await client().audio.transcriptions.create({ model: "whisper-1", file: await wav(3) });

    expect(result).toEqual({
      text: "Hello from the fake provider.",
      usage: { type: "duration", seconds: 3 },
    });
    expect(multipartBody().files[0]).toMatchObject({ name: "file", filename: "clip.wav", size: 44 + 96_000 });
    expect(multipartBody().fields.model).toBe("whisper-1");
  });

  it("gpt-4o-transcribe json: token usage with audio tokens (1,000 a minute) and the prompt's text tokens", async () => {
    fake.script("openai.transcriptions", { content: "Good morning everyone." });
    const result = await client().audio.transcriptions.create({
      model: "gpt-4o-transcribe",
      file: await wav(6),
      prompt: "Meeting notes",
    });

    expect(result).toEqual({
      text: "Good morning everyone.",
      usage: {
        type: "tokens",
        input_tokens: 100 + 2,
        input_token_details: { audio_tokens: 100, text_tokens: 2 },
        output_tokens: 4,
        total_tokens: 106,
      },
    });
  });

  it("verbose_json for whisper-1 carries task, language, duration and segments", async () => {
    fake.script("openai.transcriptions", { language: "french" });
    const result = await client().audio.transcriptions.create({
      model: "whisper-1",
      file: await wav(1.5),
      response_format: "verbose_json",
    });

    expect(result).toEqual({
      task: "transcribe",
      language: "french",
      duration: 1.5,
      text: "Hello from the fake provider.",
      segments: [],
      usage: { type: "duration", seconds: 2 },
    });
  });

  it("text, srt and vtt come back as plain strings without usage", async () => {
    const text = await client().audio.transcriptions.create({
      model: "gpt-4o-mini-transcribe",
      file: await wav(2),
      response_format: "text",
    });
    const srt = await client().audio.transcriptions.create({
      model: "whisper-1",
      file: await wav(2),
      response_format: "srt",
    });

    expect(text).toBe("Hello from the fake provider.\n");
    expect(srt).toBe("1\n00:00:00,000 --> 00:00:02,000\nHello from the fake provider.\n\n");
  });

  it("refuses verbose_json for the gpt-4o transcribe models, as the API does", async () => {
    const call = client().audio.transcriptions.create({
      model: "gpt-4o-transcribe",
      file: await wav(1),
      response_format: "verbose_json",
    });

    await expect(call).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("takes the duration from the scripted seconds, else bytes / 16,000 for non-WAV audio", async () => {
    fake.script("openai.transcriptions", { seconds: 61.2 });
    const scripted = await client().audio.transcriptions.create({ model: "whisper-1", file: await wav(1) });
    const mp3 = await client().audio.transcriptions.create({
      model: "whisper-1",
      file: await toFile(Buffer.alloc(80_000), "talk.mp3", { type: "audio/mpeg" }),
    });

    expect(scripted.usage).toEqual({ type: "duration", seconds: 62 });
    expect(mp3.usage).toEqual({ type: "duration", seconds: 5 });
  });

  it("streams transcript.text.delta events and a done event with usage", async () => {
    const stream = await client().audio.transcriptions.create({
      model: "gpt-4o-mini-transcribe",
      file: await wav(3),
      stream: true,
    });
    const events = await collect(stream);

    expect(events.map((event) => event.type)).toEqual([
      ...Array(5).fill("transcript.text.delta"),
      "transcript.text.done",
    ]);
    const done = events.at(-1);
    if (done?.type !== "transcript.text.done") throw new Error("unreachable");
    expect(done.text).toBe("Hello from the fake provider.");
    // Output tokens are the transcript's tokens: "Hello from the fake provider." is 6.
    expect(done.usage).toMatchObject({
      type: "tokens",
      input_tokens: 50,
      output_tokens: 6,
      total_tokens: 56,
    });
  });

  it("parses the SDK's streamed multipart body too (an fs.ReadStream upload)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fake-openai-"));
    const path = join(dir, "clip.wav");
    await writeFile(path, fakeWav(4));
    try {
      const result = await client().audio.transcriptions.create({
        model: "whisper-1",
        file: createReadStream(path),
      });

      expect(result.usage).toEqual({ type: "duration", seconds: 4 });
      expect(multipartBody().files[0]).toMatchObject({
        name: "file",
        filename: "clip.wav",
        size: 44 + 128_000,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("ignores stream for whisper-1 as the API does: the SDK's stream then yields no event at all", async () => {
    const stream = await client().audio.transcriptions.create({
      model: "whisper-1",
      file: await wav(1),
      stream: true,
    });

    expect(await collect(stream)).toEqual([]);
  });

  it("translations answer { text } with no usage unless one is scripted", async () => {
    const plain = await client().audio.translations.create({ model: "whisper-1", file: await wav(2) });
    fake.script("openai.transcriptions", { usage: {} });
    const withUsage = await client().audio.translations.create({ model: "whisper-1", file: await wav(2) });

    expect(plain).toEqual({ text: "Hello from the fake provider." });
    expect(withUsage).toEqual({
      text: "Hello from the fake provider.",
      usage: { type: "duration", seconds: 2 },
    });
    expect(lastRequest()).toMatchObject({ route: "openai.transcriptions", path: "/v1/audio/translations" });
  });
});

describe("videos", () => {
  it("creates queued, then in_progress, then completed, and downloads the content", async () => {
    const video = await client().videos.create({
      model: "sora-2-pro",
      prompt: "A cat surfing",
      seconds: "8",
      size: "1280x720",
    });

    expect(video).toMatchObject({
      id: expect.stringMatching(/^video_\d+$/),
      object: "video",
      model: "sora-2-pro",
      status: "queued",
      progress: 0,
      seconds: "8",
      size: "1280x720",
      completed_at: null,
      error: null,
      remixed_from_video_id: null,
    });
    expect(multipartBody().fields).toEqual({
      model: "sora-2-pro",
      prompt: "A cat surfing",
      seconds: "8",
      size: "1280x720",
    });

    const polling = await client().videos.retrieve(video.id);
    expect(polling).toMatchObject({ status: "in_progress", progress: 50 });
    expect(lastRequest().route).toBe("openai.videos.retrieve");

    const done = await client().videos.retrieve(video.id);
    expect(done).toMatchObject({ status: "completed", progress: 100, completed_at: expect.any(Number) });

    const content = await client().videos.downloadContent(video.id);
    expect(content.headers.get("content-type")).toBe("video/mp4");
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.toString("latin1", 4, 8)).toBe("ftyp");
    expect(bytes.length).toBe(8_000);
  });

  it("honours pollsUntilDone and a scripted failure", async () => {
    fake.script("openai.videos", {
      pollsUntilDone: 0,
      failure: { code: "moderation_blocked", message: "No." },
    });
    const video = await client().videos.create({ prompt: "x" });

    const failed = await client().videos.retrieve(video.id);

    expect(video).toMatchObject({ model: "sora-2", seconds: "4", size: "720x1280" });
    expect(failed).toMatchObject({ status: "failed", error: { code: "moderation_blocked", message: "No." } });
    await expect(client().videos.downloadContent(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("remixes, edits and extends an existing video", async () => {
    const source = await client().videos.create({ model: "sora-2", prompt: "x", seconds: "12" });

    const remix = await client().videos.remix(source.id, { prompt: "y" });
    const edit = await client().videos.edit({ prompt: "z", video: { id: source.id } });
    const editFields = multipartBody().fields;
    const extension = await client().videos.extend({
      prompt: "more",
      seconds: "4",
      video: { id: source.id },
    });

    expect(remix).toMatchObject({ remixed_from_video_id: source.id, seconds: "12", status: "queued" });
    expect(edit).toMatchObject({ seconds: "12", remixed_from_video_id: null });
    expect(editFields).toEqual({ prompt: "z", "video[id]": source.id });
    expect(extension).toMatchObject({ seconds: "4", model: "sora-2" });
    expect(fake.requests.map((request) => request.route)).toEqual([
      "openai.videos",
      "openai.videos",
      "openai.videos",
      "openai.videos",
    ]);
    await expect(client().videos.remix("video_missing", { prompt: "y" })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  it("lists and deletes videos", async () => {
    const video = await client().videos.create({ prompt: "x" });

    const page = await client().videos.list();
    const deleted = await client().videos.delete(video.id);

    expect(page.data.map((item) => item.id)).toContain(video.id);
    expect(deleted).toEqual({ id: video.id, object: "video.deleted", deleted: true });
    await expect(client().videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
