import { DEFAULT_CHAT_CONTENT } from "./fake-openai.js";
import {
  asObject,
  countTokens,
  invalidBody,
  type JsonObject,
  mergeUsage,
  namedFrame,
  positiveInt,
  sendError,
  sendScriptedError,
  stringField,
  TINY_PNG_BASE64,
  unixNow,
} from "./fake-openai-shared.js";
import type { FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitBytes, splitInto, splitWords } from "./fake-text.js";
import { asMultipart, type FakeMultipartFile } from "./multipart.js";

/**
 * OpenAI images, speech, transcriptions / translations and videos on the real wire format (checked against
 * openai 6.x: `ImagesResponse` and the image stream events, the binary speech response, `Transcription*`,
 * `Video`). Uploads are multipart, parsed by the core into `FakeMultipartBody`.
 */

// ---------------------------------------------------------------------------------------------------------
// Reply types

export interface OpenAIImagesUsage {
  input_tokens?: number;
  input_tokens_details?: { text_tokens?: number; image_tokens?: number };
  output_tokens?: number;
  output_tokens_details?: { image_tokens?: number; text_tokens?: number };
  total_tokens?: number;
}

export interface OpenAIImagesReply extends FakeReply {
  /**
   * GPT image models only (dall-e has no usage). Merged over the computed usage; `null`: none. On a stream
   * with several images, merged into the first image's `completed` event.
   */
  usage?: OpenAIImagesUsage | null;
  /** Output image tokens per image (default: by quality and size, see `imageOutputTokens`). */
  imageTokens?: number;
  /** Input image tokens per uploaded image of an edit (default 388). */
  inputImageTokens?: number;
  /** The quality reported for `quality: "auto"` or none (default `high`). */
  autoQuality?: "low" | "medium" | "high";
  /** dall-e-3's `revised_prompt` (default: the prompt). */
  revisedPrompt?: string;
}

export interface OpenAISpeechUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

export interface OpenAISpeechReply extends FakeReply {
  /** Length of the audio (default: one second per 15 characters of input, at least one). */
  seconds?: number;
  /**
   * `stream_format: "sse"`: merged over the usage of the `speech.audio.done` event (computed for
   * gpt-4o-mini-tts models only); `null`: none. The binary response never has usage.
   */
  usage?: OpenAISpeechUsage | null;
}

export interface OpenAITranscriptionUsage {
  type?: "tokens" | "duration";
  input_tokens?: number;
  input_token_details?: { audio_tokens?: number; text_tokens?: number };
  output_tokens?: number;
  total_tokens?: number;
  seconds?: number;
}

export interface OpenAITranscriptionReply extends FakeReply {
  /** The transcript is `content` (default: the fake provider's greeting). */
  content?: string;
  /** The audio's length (default: from the WAV header of the upload, else its bytes / 16,000). */
  seconds?: number;
  /** `verbose_json`'s language (default `english`). */
  language?: string;
  /**
   * Merged over the computed usage (`duration` for whisper, `tokens` for the gpt-4o transcribe models);
   * `null`: none. Translations have no usage unless one is scripted.
   */
  usage?: OpenAITranscriptionUsage | null;
}

export interface OpenAIVideoReply extends FakeReply {
  /** Retrieves that answer `in_progress` before the video is done (default 1). */
  pollsUntilDone?: number;
  /** The video ends `failed` with this error instead of `completed`. */
  failure?: { code?: string; message?: string };
}

/** Retrieve, download, list and delete of videos: only the shared fields (errors, delays, faults). */
export type OpenAIVideoRetrieveReply = FakeReply;

// ---------------------------------------------------------------------------------------------------------

export function openaiMediaRoutes(): FakeRoute<any>[] {
  const videos = new Map<string, StoredVideo>();
  const images = (path: string, kind: ImageKind): FakeRoute<OpenAIImagesReply> => ({
    name: "openai.images",
    method: "POST",
    path,
    handle: (exchange) => handleImages(exchange, kind),
  });
  const audio = (path: string, task: "transcribe" | "translate"): FakeRoute<OpenAITranscriptionReply> => ({
    name: "openai.transcriptions",
    method: "POST",
    path,
    handle: (exchange) => handleTranscription(exchange, task),
  });
  const videoCreate = (path: string | RegExp, kind: VideoKind): FakeRoute<OpenAIVideoReply> => ({
    name: "openai.videos",
    method: "POST",
    path,
    handle: (exchange) => handleVideoCreate(exchange, kind, videos),
  });
  const videoRead = (
    method: string,
    path: string | RegExp,
    handle: (exchange: FakeExchange<FakeReply>, store: Map<string, StoredVideo>) => Promise<void>,
  ): FakeRoute<OpenAIVideoRetrieveReply> => ({
    name: "openai.videos.retrieve",
    method,
    path,
    handle: async (exchange) => {
      if (await sendScriptedError(exchange)) return;
      return handle(exchange, videos);
    },
  });
  return [
    images("/v1/images/generations", "generation"),
    images("/v1/images/edits", "edit"),
    images("/v1/images/variations", "variation"),
    { name: "openai.speech", method: "POST", path: "/v1/audio/speech", handle: handleSpeech },
    audio("/v1/audio/transcriptions", "transcribe"),
    audio("/v1/audio/translations", "translate"),
    { ...videoCreate("/v1/videos", "create"), reset: () => videos.clear() },
    videoCreate("/v1/videos/edits", "edit"),
    videoCreate("/v1/videos/extensions", "extend"),
    videoCreate(/^\/v1\/videos\/[^/]+\/remix$/, "remix"),
    videoRead("GET", "/v1/videos", listVideos),
    videoRead("GET", /^\/v1\/videos\/[^/]+$/, retrieveVideo),
    videoRead("GET", /^\/v1\/videos\/[^/]+\/content$/, downloadVideo),
    videoRead("DELETE", /^\/v1\/videos\/[^/]+$/, deleteVideo),
  ];
}

/** Reads a parameter from a JSON body or from the text fields of a multipart one. */
function paramsOf(body: unknown): {
  get(name: string): unknown;
  files: FakeMultipartFile[];
} {
  const multipart = asMultipart(body);
  if (multipart) return { get: (name) => multipart.fields[name], files: multipart.files };
  const json = asObject(body) ?? {};
  return { get: (name) => json[name], files: [] };
}

function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

// ---------------------------------------------------------------------------------------------------------
// Images

type ImageKind = "generation" | "edit" | "variation";
type ImageQuality = "low" | "medium" | "high";

const IMAGE_INPUT_TOKENS = 388;
const PARTIAL_IMAGE_TOKENS = 100;

/** Output image tokens of one GPT image at 1024×1024, 1024×1536 and 1536×1024 (gpt-image-1's table). */
const IMAGE_OUTPUT_TOKENS: Record<ImageQuality, Record<string, number>> = {
  low: { "1024x1024": 272, "1024x1536": 408, "1536x1024": 400 },
  medium: { "1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568 },
  high: { "1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208 },
};

/** The fake's output image tokens for one image; other sizes scale with their area. */
export function imageOutputTokens(quality: ImageQuality, size: string): number {
  const table = IMAGE_OUTPUT_TOKENS[quality];
  const known = table[size];
  if (known !== undefined) return known;
  const [width, height] = size.split("x").map(Number);
  if (!width || !height) return table["1024x1024"]!;
  return Math.round((table["1024x1024"]! * width * height) / (1024 * 1024));
}

function isGptImage(model: string): boolean {
  return /^(gpt-image|chatgpt-image)/.test(model);
}

async function handleImages(exchange: FakeExchange<OpenAIImagesReply>, kind: ImageKind): Promise<void> {
  const { reply, request } = exchange;
  if (request.body === undefined) return invalidBody(exchange);
  const params = paramsOf(request.body);
  const prompt = stringField(params.get("prompt"));
  if (kind !== "variation" && prompt === undefined) {
    return sendError(exchange, 400, { message: "Missing required parameter: 'prompt'.", param: "prompt" });
  }
  const inputImages = params.files.filter((file) => file.name === "image" || file.name === "image[]");
  if (kind !== "generation" && inputImages.length === 0) {
    return sendError(exchange, 400, { message: "Missing required parameter: 'image'.", param: "image" });
  }
  if (await sendScriptedError(exchange)) return;

  const model = stringField(params.get("model")) ?? "dall-e-2";
  const gptImage = isGptImage(model);
  const n = positiveInt(params.get("n"), 1);
  const stream = isTrue(params.get("stream"));
  if (model === "dall-e-3" && n !== 1) {
    return sendError(exchange, 400, { message: "You must provide n=1 for this model.", param: "n" });
  }
  if (stream && !gptImage) {
    return sendError(exchange, 400, {
      message: `Streaming is not supported for model '${model}'.`,
      param: "stream",
    });
  }
  const created = unixNow();

  if (!gptImage) {
    const b64 = stringField(params.get("response_format")) === "b64_json";
    const data = Array.from({ length: n }, (_, index) => ({
      ...(b64 ? { b64_json: TINY_PNG_BASE64 } : { url: imageUrl(request.headers.host, exchange.seq, index) }),
      ...(model === "dall-e-3" && { revised_prompt: reply.revisedPrompt ?? prompt }),
    }));
    return exchange.json(200, { created, data });
  }

  const requestedQuality = stringField(params.get("quality"));
  const quality: ImageQuality =
    requestedQuality === "low" || requestedQuality === "medium" || requestedQuality === "high"
      ? requestedQuality
      : (reply.autoQuality ?? "high");
  const requestedSize = stringField(params.get("size"));
  const size = requestedSize === undefined || requestedSize === "auto" ? "1024x1024" : requestedSize;
  const background = stringField(params.get("background")) === "transparent" ? "transparent" : "opaque";
  const outputFormat = stringField(params.get("output_format")) ?? "png";
  const partialImages = stream ? Math.min(3, Math.max(0, Number(params.get("partial_images") ?? 0) || 0)) : 0;

  const textTokens = await countTokens(model, prompt ?? "");
  const imageInputTokens = inputImages.length * (reply.inputImageTokens ?? IMAGE_INPUT_TOKENS);
  const perImage =
    (reply.imageTokens ?? imageOutputTokens(quality, size)) + partialImages * PARTIAL_IMAGE_TOKENS;
  const usageFor = (images: number, withInput: boolean): JsonObject => ({
    input_tokens: withInput ? textTokens + imageInputTokens : 0,
    input_tokens_details: {
      text_tokens: withInput ? textTokens : 0,
      image_tokens: withInput ? imageInputTokens : 0,
    },
    output_tokens: images * perImage,
    output_tokens_details: { image_tokens: images * perImage, text_tokens: 0 },
    total_tokens: 0,
  });
  const withOverride = (computed: JsonObject, scripted: boolean): JsonObject | undefined => {
    if (reply.usage === null) return undefined;
    const override = scripted ? (reply.usage as JsonObject | undefined) : undefined;
    const merged = mergeUsage(computed, override, ["input_tokens", "output_tokens"]);
    if (override?.input_tokens === undefined) {
      const details = asObject(merged.input_tokens_details) ?? {};
      merged.input_tokens = Number(details.text_tokens ?? 0) + Number(details.image_tokens ?? 0);
    }
    if (override?.total_tokens === undefined) {
      merged.total_tokens = Number(merged.input_tokens) + Number(merged.output_tokens);
    }
    return merged;
  };
  const shape = { background, output_format: outputFormat, quality, size };

  if (!stream) {
    const usage = withOverride(usageFor(n, true), true);
    return exchange.json(200, {
      created,
      ...shape,
      data: Array.from({ length: n }, () => ({ b64_json: TINY_PNG_BASE64 })),
      ...(usage && { usage }),
    });
  }

  const prefix = kind === "edit" ? "image_edit" : "image_generation";
  const frames: SseFrame[] = [];
  for (let image = 0; image < n; image += 1) {
    for (let index = 0; index < partialImages; index += 1) {
      frames.push(
        namedFrame(
          {
            type: `${prefix}.partial_image`,
            b64_json: TINY_PNG_BASE64,
            created_at: created,
            partial_image_index: index,
            ...shape,
          },
          true,
        ),
      );
    }
    const usage = withOverride(usageFor(1, image === 0), image === 0);
    frames.push(
      namedFrame({
        type: `${prefix}.completed`,
        b64_json: TINY_PNG_BASE64,
        created_at: created,
        ...shape,
        ...(usage && { usage }),
      }),
    );
  }
  return exchange.sse(frames, { errorFrame: errorEvent(reply) });
}

function imageUrl(host: string | undefined, seq: number, index: number): string {
  return `http://${host ?? "127.0.0.1"}/fake-images/img-${seq}-${index}.png`;
}

function errorEvent(reply: FakeReply): SseFrame {
  return namedFrame({
    type: "error",
    error: {
      type: reply.error?.type ?? "server_error",
      code: reply.error?.code ?? null,
      message: reply.error?.message ?? "The server had an error while processing your request.",
      param: reply.error?.param ?? null,
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Speech

const SPEECH_CHARS_PER_SECOND = 15;
const AUDIO_OUTPUT_TOKENS_PER_SECOND = 20;

const AUDIO_FORMATS: Record<string, { contentType: string; bytesPerSecond: number; magic: number[] }> = {
  mp3: {
    contentType: "audio/mpeg",
    bytesPerSecond: 4_000,
    magic: [0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0],
  },
  opus: { contentType: "audio/ogg", bytesPerSecond: 3_000, magic: [0x4f, 0x67, 0x67, 0x53] },
  aac: { contentType: "audio/aac", bytesPerSecond: 4_000, magic: [0xff, 0xf1] },
  flac: { contentType: "audio/flac", bytesPerSecond: 24_000, magic: [0x66, 0x4c, 0x61, 0x43] },
  wav: { contentType: "audio/wav", bytesPerSecond: 48_000, magic: [] },
  pcm: { contentType: "audio/pcm", bytesPerSecond: 48_000, magic: [] },
};

async function handleSpeech(exchange: FakeExchange<OpenAISpeechReply>): Promise<void> {
  const { reply, request } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  if (typeof body.model !== "string") {
    return sendError(exchange, 400, { message: "Missing required parameter: 'model'.", param: "model" });
  }
  if (typeof body.input !== "string") {
    return sendError(exchange, 400, { message: "Missing required parameter: 'input'.", param: "input" });
  }
  if (await sendScriptedError(exchange)) return;

  const format = typeof body.response_format === "string" ? body.response_format : "mp3";
  const seconds = reply.seconds ?? Math.max(1, body.input.length / SPEECH_CHARS_PER_SECOND);
  const audio = audioBytes(format, seconds);
  const kind = AUDIO_FORMATS[format] ?? AUDIO_FORMATS.mp3!;
  if (body.stream_format !== "sse") return exchange.send(200, audio, kind.contentType);

  const pieces = splitBytes(audio, reply.chunks ?? Math.max(1, Math.ceil(seconds)));
  const frames: SseFrame[] = pieces.map((piece) =>
    namedFrame({ type: "speech.audio.delta", audio: Buffer.from(piece).toString("base64") }, true),
  );
  let usage: JsonObject | undefined;
  if (reply.usage !== null && (reply.usage !== undefined || body.model.startsWith("gpt-4o-mini-tts"))) {
    const instructions = typeof body.instructions === "string" ? body.instructions : "";
    const inputTokens =
      (await countTokens(body.model, body.input)) + (await countTokens(body.model, instructions));
    usage = mergeUsage(
      {
        input_tokens: inputTokens,
        output_tokens: Math.ceil(seconds * AUDIO_OUTPUT_TOKENS_PER_SECOND),
        total_tokens: 0,
      },
      reply.usage as JsonObject | undefined,
      ["input_tokens", "output_tokens"],
    );
  }
  frames.push(namedFrame({ type: "speech.audio.done", ...(usage && { usage }) }));
  return exchange.sse(frames, { errorFrame: errorEvent(reply) });
}

/** Silent audio of roughly `seconds` in `format` (a real WAV header for wav, a magic number otherwise). */
function audioBytes(format: string, seconds: number): Buffer {
  if (format === "wav") return fakeWav(seconds);
  const kind = AUDIO_FORMATS[format] ?? AUDIO_FORMATS.mp3!;
  const bytes = Buffer.alloc(Math.max(kind.magic.length, Math.round(seconds * kind.bytesPerSecond)));
  Buffer.from(kind.magic).copy(bytes);
  return bytes;
}

/**
 * A silent mono 16-bit PCM WAV file of `seconds` (default sample rate 16 kHz). The fake reads the duration
 * of an uploaded WAV from its header, so this is how a test controls the duration of a transcription.
 */
export function fakeWav(seconds: number, options: { sampleRate?: number } = {}): Buffer {
  const sampleRate = options.sampleRate ?? 16_000;
  const byteRate = sampleRate * 2;
  const dataBytes = Math.round(seconds * sampleRate) * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write("RIFF", 0, "latin1");
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write("WAVE", 8, "latin1");
  wav.write("fmt ", 12, "latin1");
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(byteRate, 28);
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "latin1");
  wav.writeUInt32LE(dataBytes, 40);
  return wav;
}

/** Seconds of audio in a WAV file (data bytes / byte rate), or `undefined` when it is not one. */
function wavSeconds(bytes: Buffer): number | undefined {
  if (
    bytes.length < 12 ||
    bytes.toString("latin1", 0, 4) !== "RIFF" ||
    bytes.toString("latin1", 8, 12) !== "WAVE"
  ) {
    return undefined;
  }
  let byteRate: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("latin1", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    if (id === "fmt " && start + 12 <= bytes.length) byteRate = bytes.readUInt32LE(start + 8);
    if (id === "data") {
      if (!byteRate) return undefined;
      // Streamed WAVs leave the size at 0 or 0xFFFFFFFF: the data runs to the end of the file.
      const dataBytes =
        size === 0 || size === 0xffffffff ? bytes.length - start : Math.min(size, bytes.length - start);
      return dataBytes / byteRate;
    }
    offset = start + size + (size % 2);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Transcriptions and translations

const UNKNOWN_AUDIO_BYTES_PER_SECOND = 16_000;
/** gpt-4o transcribe models: about 1,000 audio tokens per minute. */
const AUDIO_INPUT_TOKENS_PER_MINUTE = 1_000;

function isTokenTranscriber(model: string): boolean {
  return model !== "whisper-1" && /transcribe/.test(model);
}

async function handleTranscription(
  exchange: FakeExchange<OpenAITranscriptionReply>,
  task: "transcribe" | "translate",
): Promise<void> {
  const { reply, request } = exchange;
  const params = paramsOf(request.body);
  const file = params.files.find((part) => part.name === "file");
  const model = stringField(params.get("model"));
  if (!file)
    return sendError(exchange, 400, { message: "Missing required parameter: 'file'.", param: "file" });
  if (!model)
    return sendError(exchange, 400, { message: "Missing required parameter: 'model'.", param: "model" });
  if (await sendScriptedError(exchange)) return;

  const format = stringField(params.get("response_format")) ?? "json";
  const tokenModel = task === "transcribe" && isTokenTranscriber(model);
  if (format === "verbose_json" && tokenModel) {
    return sendError(exchange, 400, {
      message: `response_format 'verbose_json' is not compatible with model '${model}'. Use 'json' or 'text' instead.`,
      param: "response_format",
    });
  }

  const seconds = reply.seconds ?? wavSeconds(file.data) ?? file.size / UNKNOWN_AUDIO_BYTES_PER_SECOND;
  const text = reply.content ?? DEFAULT_CHAT_CONTENT;
  const prompt = stringField(params.get("prompt")) ?? "";
  const usage = await transcriptionUsage(reply, { model, task, tokenModel, seconds, text, prompt });

  if (task === "transcribe" && tokenModel && isTrue(params.get("stream"))) {
    const words = splitWords(text);
    const pieces = reply.chunks === undefined ? words : splitInto(text, reply.chunks);
    const frames: SseFrame[] = pieces.map((delta) =>
      namedFrame({ type: "transcript.text.delta", delta }, true),
    );
    frames.push(namedFrame({ type: "transcript.text.done", text, ...(usage && { usage }) }));
    return exchange.sse(frames, { errorFrame: errorEvent(reply) });
  }

  const duration = Math.round(seconds * 100) / 100;
  switch (format) {
    case "text":
      return exchange.send(200, `${text}\n`, "text/plain; charset=utf-8");
    case "srt":
      return exchange.send(
        200,
        `1\n00:00:00,000 --> ${timestamp(seconds, ",")}\n${text}\n\n`,
        "text/plain; charset=utf-8",
      );
    case "vtt":
      return exchange.send(
        200,
        `WEBVTT\n\n00:00:00.000 --> ${timestamp(seconds, ".")}\n${text}\n\n`,
        "text/vtt; charset=utf-8",
      );
    case "verbose_json":
      return exchange.json(200, {
        task,
        language: task === "translate" ? "english" : (reply.language ?? "english"),
        duration,
        text,
        segments: [],
        ...(usage && { usage }),
      });
    case "diarized_json":
      return exchange.json(200, {
        task: "transcribe",
        duration,
        text,
        segments: [
          { type: "transcript.text.segment", id: "seg_0", start: 0, end: duration, speaker: "A", text },
        ],
        ...(usage && { usage }),
      });
    default:
      return exchange.json(200, { text, ...(usage && { usage }) });
  }
}

async function transcriptionUsage(
  reply: OpenAITranscriptionReply,
  call: { model: string; task: string; tokenModel: boolean; seconds: number; text: string; prompt: string },
): Promise<JsonObject | undefined> {
  if (reply.usage === null) return undefined;
  if (call.task === "translate" && reply.usage === undefined) return undefined;
  const override = (reply.usage ?? {}) as JsonObject;
  const type = override.type ?? (call.tokenModel ? "tokens" : "duration");
  if (type === "duration") {
    return { type, seconds: override.seconds ?? Math.ceil(call.seconds) };
  }
  const audioTokens = Math.ceil((call.seconds * AUDIO_INPUT_TOKENS_PER_MINUTE) / 60);
  const textTokens = await countTokens(call.model, call.prompt);
  const merged = mergeUsage(
    {
      type,
      input_tokens: 0,
      input_token_details: { audio_tokens: audioTokens, text_tokens: textTokens },
      output_tokens: await countTokens(call.model, call.text),
      total_tokens: 0,
    },
    override,
  );
  if (override.input_tokens === undefined) {
    const details = asObject(merged.input_token_details) ?? {};
    merged.input_tokens = Number(details.audio_tokens ?? 0) + Number(details.text_tokens ?? 0);
  }
  if (override.total_tokens === undefined) {
    merged.total_tokens = Number(merged.input_tokens) + Number(merged.output_tokens);
  }
  delete merged.seconds;
  return merged;
}

function timestamp(seconds: number, separator: "," | "."): string {
  const ms = Math.round(seconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const secs = Math.floor(ms / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(ms % 1000, 3)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Videos

type VideoKind = "create" | "remix" | "edit" | "extend";

interface StoredVideo {
  video: JsonObject & { id: string; status: string; seconds: string };
  polls: number;
  pollsUntilDone: number;
  failure: { code?: string; message?: string } | undefined;
}

const VIDEO_BYTES_PER_SECOND = 1_000;

async function handleVideoCreate(
  exchange: FakeExchange<OpenAIVideoReply>,
  kind: VideoKind,
  videos: Map<string, StoredVideo>,
): Promise<void> {
  const { reply, request, seq } = exchange;
  if (request.body === undefined) return invalidBody(exchange);
  const params = paramsOf(request.body);
  const prompt = stringField(params.get("prompt"));
  if (prompt === undefined) {
    return sendError(exchange, 400, { message: "Missing required parameter: 'prompt'.", param: "prompt" });
  }
  if (kind === "extend" && stringField(params.get("seconds")) === undefined) {
    return sendError(exchange, 400, { message: "Missing required parameter: 'seconds'.", param: "seconds" });
  }

  let source: StoredVideo | undefined;
  if (kind === "remix") {
    const id = decodeURIComponent(request.path.split("/")[3] ?? "");
    source = videos.get(id);
    if (!source) return videoNotFound(exchange, id);
  } else if (kind === "edit" || kind === "extend") {
    const id = stringField(params.get("video[id]"));
    const uploaded = params.files.some((file) => file.name === "video");
    if (id !== undefined) {
      source = videos.get(id);
      if (!source) return videoNotFound(exchange, id);
    } else if (!uploaded) {
      return sendError(exchange, 400, { message: "Missing required parameter: 'video'.", param: "video" });
    }
  }
  if (await sendScriptedError(exchange)) return;

  const inherited = source?.video;
  const video = {
    id: reply.id ?? `video_${seq}`,
    object: "video",
    created_at: unixNow(),
    completed_at: null,
    error: null,
    expires_at: null,
    model: reply.model ?? stringField(params.get("model")) ?? inherited?.model ?? "sora-2",
    progress: 0,
    prompt,
    remixed_from_video_id: kind === "remix" && inherited ? inherited.id : null,
    seconds:
      stringField(params.get("seconds")) ?? (kind === "extend" ? undefined : inherited?.seconds) ?? "4",
    size: stringField(params.get("size")) ?? inherited?.size ?? "720x1280",
    status: "queued",
  };
  videos.set(video.id, {
    video,
    polls: 0,
    pollsUntilDone: Math.max(0, reply.pollsUntilDone ?? 1),
    failure: reply.failure,
  });
  return exchange.json(200, video);
}

function videoNotFound(exchange: FakeExchange<FakeReply>, id: string): Promise<void> {
  return sendError(exchange, 404, { message: `Video with id '${id}' not found.`, param: null });
}

function storedVideo(
  exchange: FakeExchange<FakeReply>,
  videos: Map<string, StoredVideo>,
): StoredVideo | undefined {
  return videos.get(decodeURIComponent(exchange.request.path.split("/")[3] ?? ""));
}

async function retrieveVideo(
  exchange: FakeExchange<FakeReply>,
  videos: Map<string, StoredVideo>,
): Promise<void> {
  const stored = storedVideo(exchange, videos);
  if (!stored) return videoNotFound(exchange, exchange.request.path.split("/")[3] ?? "");
  advanceVideo(stored);
  return exchange.json(200, stored.video);
}

/** One retrieve: queued → in_progress for `pollsUntilDone` retrieves → completed (or failed). */
function advanceVideo(stored: StoredVideo): void {
  const { video } = stored;
  if (video.status === "completed" || video.status === "failed") return;
  if (stored.polls < stored.pollsUntilDone) {
    stored.polls += 1;
    video.status = "in_progress";
    video.progress = Math.round((100 * stored.polls) / (stored.pollsUntilDone + 1));
    return;
  }
  const now = unixNow();
  if (stored.failure) {
    video.status = "failed";
    video.error = {
      code: stored.failure.code ?? "video_generation_failed",
      message: stored.failure.message ?? "The video could not be generated.",
    };
    return;
  }
  video.status = "completed";
  video.progress = 100;
  video.completed_at = now;
  video.expires_at = now + 3_600;
}

async function downloadVideo(
  exchange: FakeExchange<FakeReply>,
  videos: Map<string, StoredVideo>,
): Promise<void> {
  const stored = storedVideo(exchange, videos);
  const id = exchange.request.path.split("/")[3] ?? "";
  if (!stored) return videoNotFound(exchange, id);
  if (stored.video.status !== "completed") {
    return sendError(exchange, 404, { message: `Video with id '${id}' is not ready yet.`, param: null });
  }
  const variant = exchange.request.query.variant ?? "video";
  if (variant === "thumbnail") {
    return exchange.send(200, Buffer.from(TINY_PNG_BASE64, "base64"), "image/png");
  }
  if (variant === "spritesheet") {
    return exchange.send(200, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]), "image/jpeg");
  }
  const bytes = Buffer.alloc(
    Math.max(16, Math.round(Number(stored.video.seconds) * VIDEO_BYTES_PER_SECOND) || 16),
  );
  bytes.writeUInt32BE(16, 0);
  bytes.write("ftypmp42", 4, "latin1");
  return exchange.send(200, bytes, "video/mp4");
}

async function deleteVideo(
  exchange: FakeExchange<FakeReply>,
  videos: Map<string, StoredVideo>,
): Promise<void> {
  const stored = storedVideo(exchange, videos);
  if (!stored) return videoNotFound(exchange, exchange.request.path.split("/")[3] ?? "");
  videos.delete(stored.video.id);
  return exchange.json(200, { id: stored.video.id, object: "video.deleted", deleted: true });
}

async function listVideos(
  exchange: FakeExchange<FakeReply>,
  videos: Map<string, StoredVideo>,
): Promise<void> {
  const data = [...videos.values()].map((stored) => stored.video).reverse();
  return exchange.json(200, {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: false,
  });
}
