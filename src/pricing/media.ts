import { normalizeModelName, stripDateSnapshot } from "../model-names.js";
import { mulDiv, type Nano, usdToNano } from "../money.js";
import type { PriceSource } from "../types.js";
import {
  GPT_IMAGE_2_OUTPUT_TOKEN_RULE,
  GPT_IMAGE_INPUT_TOKENS,
  type ImageTable,
  type MediaSource,
  MIN_AUDIO_BYTES_PER_SECOND,
  OPENAI_IMAGE_TABLES,
  OPENAI_SPEECH,
  OPENAI_TOOLS,
  OPENAI_TRANSCRIPTION,
  OPENAI_VIDEO,
  SPEECH_CHARACTERS_PER_SECOND,
  VIDEO_SECONDS,
} from "./data/openai-media.js";

/*
 * Layer 2 of the catalog: OpenAI's media prices (./data/openai-media.ts), in integer nano-USD rounded up.
 * Model names resolve by normalizing and removing a dated snapshot, never by prefix: `gpt-image-1.5-2025-12-16`
 * is `gpt-image-1.5`, and `gpt-image-1.5` is never priced as `gpt-image-1`.
 */

export { MIN_AUDIO_BYTES_PER_SECOND, SPEECH_CHARACTERS_PER_SECOND };

export interface ImagePriceQuote {
  /** The canonical model the table prices. */
  model: string;
  quality: string;
  /** The size the price is for (the dearest listed size when the request's size was missing or unlisted). */
  size: string;
  perImage: Nano;
  source: PriceSource;
  /** What was assumed to resolve the request (missing / auto / unlisted values). Empty when nothing was. */
  assumed: string[];
}

export type SpeechPrice =
  | { model: string; kind: "characters"; perMillionCharacters: Nano; source: PriceSource }
  | {
      model: string;
      kind: "tokens";
      inputPerMTok: Nano;
      outputAudioPerMTok: Nano;
      audioTokensPerSecond: number;
      /** OpenAI's per-minute estimate: the rate for audio measured in seconds whose tokens are unknown. */
      perMinute?: Nano;
      source: PriceSource;
    };

export interface TranscriptionPrice {
  model: string;
  billing: "duration" | "tokens";
  /** Duration billing: the price per minute. Token billing: OpenAI's estimate, which covers the audio input only. */
  perMinute: Nano;
  tokens?: {
    textInputPerMTok: Nano;
    audioInputPerMTok: Nano;
    textOutputPerMTok: Nano;
    audioTokensPerSecond?: number;
  };
  /** Longer audio is rejected by the API, so no call bills more than this many seconds. */
  maxDurationSeconds?: number;
  source: PriceSource;
}

export interface VideoPriceQuote {
  model: string;
  size: string;
  perSecond: Nano;
  source: PriceSource;
  assumed: string[];
}

export interface ToolCallQuote {
  tool: string;
  perCall: Nano;
  unit: "call" | "container";
  source: PriceSource;
  note?: string;
  /** Input tokens billed per call at the model's input rate on top of `perCall` (web_search on mini models). */
  fixedInputTokensPerCall?: number;
}

const canonical = (model: string) => stripDateSnapshot(normalizeModelName(model));
const up = (usd: number) => usdToNano(usd, "up");
const perMTokToNano = (tokens: number, perMTokUsd: number) => mulDiv(tokens, up(perMTokUsd), 1_000_000, "up");

function mediaSource(table: string, source: MediaSource): PriceSource {
  return { layer: "media", detail: `OpenAI media table (${table}), ${source.url}, as of ${source.asOf}` };
}

// ---------------------------------------------------------------------------------------------------- images

interface ImageModel {
  model: string;
  qualities: readonly string[];
  sizes: readonly string[];
  /** Effective nano-USD per image, by quality, then size. */
  cells: ReadonlyMap<string, ReadonlyMap<string, Nano>>;
  /** Prices any valid WxH (gpt-image-2). */
  custom?: (quality: string, width: number, height: number) => Nano;
  source: PriceSource;
}

const GPT2 = GPT_IMAGE_2_OUTPUT_TOKEN_RULE;

function parseSize(size: string): { width: number; height: number } | undefined {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) return undefined;
  return { width: Number(match[1]), height: Number(match[2]) };
}

function validGptImage2Size(width: number, height: number): boolean {
  const { step, minPixels, maxPixels, maxEdge, maxAspect } = GPT2.limits;
  const pixels = width * height;
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  return (
    short > 0 &&
    width % step === 0 &&
    height % step === 0 &&
    pixels >= minPixels &&
    pixels <= maxPixels &&
    long <= maxEdge &&
    long <= maxAspect * short
  );
}

/** Image output tokens gpt-image-2 bills for one image (see GPT_IMAGE_2_OUTPUT_TOKEN_RULE). */
export function gptImage2OutputTokens(quality: string, width: number, height: number): number | undefined {
  const factor = GPT2.qualityFactor[quality];
  if (factor === undefined || width <= 0 || height <= 0) return undefined;
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const shortAxis = Math.floor((2 * factor * short + long) / (2 * long));
  const numerator = factor * shortAxis * (GPT2.areaOffset + width * height);
  return Math.ceil(numerator / GPT2.areaDivisor);
}

function tableCells(table: ImageTable): Map<string, Map<string, Nano>> {
  const cells = new Map<string, Map<string, Nano>>();
  for (const quality of table.qualities) {
    const row = new Map<string, Nano>();
    for (const size of table.sizes) {
      const published = table.perImageUsd[quality]?.[size];
      if (published === undefined)
        throw new Error(`media table: ${table.model} has no ${quality} ${size} price`);
      let tokens = table.outputTokens?.[quality]?.[size];
      if (tokens === undefined && table.customSizes) {
        const parsed = parseSize(size);
        if (parsed) tokens = gptImage2OutputTokens(quality, parsed.width, parsed.height);
      }
      const rate = table.outputImagePerMTokUsd;
      const byTokens = tokens !== undefined && rate !== undefined ? perMTokToNano(tokens, rate) : 0;
      row.set(size, Math.max(up(published), byTokens));
    }
    cells.set(quality, row);
  }
  return cells;
}

function buildImageModels(): Map<string, ImageModel> {
  const models = new Map<string, ImageModel>();
  for (const table of OPENAI_IMAGE_TABLES) {
    const source = mediaSource(`images: ${table.model}`, table.source);
    if (table.kind === "table") {
      const rate = table.outputImagePerMTokUsd;
      const custom =
        table.customSizes && rate !== undefined
          ? (quality: string, width: number, height: number) => {
              const tokens = gptImage2OutputTokens(quality, width, height) ?? 0;
              return perMTokToNano(tokens, rate);
            }
          : undefined;
      const model: ImageModel = {
        model: table.model,
        qualities: table.qualities,
        sizes: table.sizes,
        cells: tableCells(table),
        source,
      };
      models.set(table.model, custom ? { ...model, custom } : model);
      continue;
    }
    const cells = new Map<string, Map<string, Nano>>();
    for (const quality of table.qualities) {
      const row = new Map<string, Nano>();
      for (const size of table.sizes) {
        let dearest = 0;
        for (const target of table.dearestOf) {
          const price = models.get(target)?.cells.get(quality)?.get(size);
          if (price === undefined)
            throw new Error(`media table: ${table.model} needs ${target} ${quality} ${size}`);
          dearest = Math.max(dearest, price);
        }
        row.set(size, dearest);
      }
      cells.set(quality, row);
    }
    models.set(table.model, {
      model: table.model,
      qualities: table.qualities,
      sizes: table.sizes,
      cells,
      source,
    });
  }
  return models;
}

const IMAGE_MODELS = buildImageModels();

function imageModel(model: string): ImageModel | undefined {
  return IMAGE_MODELS.get(canonical(model));
}

function dearestSize(entry: ImageModel, quality: string): { size: string; price: Nano } {
  let best = { size: "", price: -1 };
  for (const size of entry.sizes) {
    const price = entry.cells.get(quality)?.get(size) ?? -1;
    if (price > best.price) best = { size, price };
  }
  return best;
}

function resolveQuality(entry: ImageModel, requested: string | undefined, assumed: string[]): string {
  const top = entry.qualities[entry.qualities.length - 1] ?? "";
  const quality = requested?.trim().toLowerCase();
  if (quality !== undefined && entry.qualities.includes(quality)) return quality;
  if (quality === undefined || quality === "" || quality === "auto") {
    if (entry.qualities.length > 1) {
      assumed.push(`quality ${quality === "auto" ? "auto" : "not set"}: priced at the dearest tier "${top}"`);
    }
  } else if (entry.qualities.length === 1) {
    assumed.push(`${entry.model} has no quality tiers: "${requested}" priced as "${top}"`);
  } else {
    assumed.push(
      `quality "${requested}" is not in ${entry.model}'s table: priced at the dearest tier "${top}"`,
    );
  }
  return top;
}

/**
 * The price of ONE output image. Missing or `auto` quality is priced at the model's dearest tier, missing or
 * `auto` size at its dearest size; a size the table does not list at the dearest listed size, except on
 * gpt-image-2, which bills any size by its token rule (never below the dearest listed size; a size outside its
 * documented limits, which the API rejects, at the dearest valid size). Unknown model: undefined.
 */
export function imagePrice(
  model: string,
  options: { quality?: string; size?: string } = {},
): ImagePriceQuote | undefined {
  const entry = imageModel(model);
  if (!entry) return undefined;
  const assumed: string[] = [];
  const quality = resolveQuality(entry, options.quality, assumed);
  const dearest = dearestSize(entry, quality);
  const quote = (size: string, perImage: Nano): ImagePriceQuote => ({
    model: entry.model,
    quality,
    size,
    perImage,
    source: entry.source,
    assumed,
  });
  const size = options.size?.trim().toLowerCase();
  if (size === undefined || size === "" || size === "auto") {
    assumed.push(`size ${size === "auto" ? "auto" : "not set"}: priced at the dearest size ${dearest.size}`);
    return quote(dearest.size, dearest.price);
  }
  const listed = entry.cells.get(quality)?.get(size);
  if (listed !== undefined) return quote(size, listed);
  if (entry.custom) {
    const parsed = parseSize(size);
    if (parsed && validGptImage2Size(parsed.width, parsed.height)) {
      const byTokens = entry.custom(quality, parsed.width, parsed.height);
      assumed.push(
        `size ${size} is not in the table: priced by ${entry.model}'s output token rule, at least the ` +
          `dearest listed size ${dearest.size}`,
      );
      return quote(`${parsed.width}x${parsed.height}`, Math.max(byTokens, dearest.price));
    }
    const largest = parseSize(GPT2.largestSize);
    const price = largest ? entry.custom(quality, largest.width, largest.height) : dearest.price;
    assumed.push(
      `size "${options.size}" is outside ${entry.model}'s documented size limits: priced at its dearest valid ` +
        `size ${GPT2.largestSize}`,
    );
    return quote(GPT2.largestSize, Math.max(price, dearest.price));
  }
  assumed.push(
    `size "${options.size}" is not in ${entry.model}'s table: priced as the dearest listed size ${dearest.size}`,
  );
  return quote(dearest.size, dearest.price);
}

/** The model's quality tiers, cheapest first (for rules that lower a request's quality). */
export function imageQualities(model: string): string[] | undefined {
  const entry = imageModel(model);
  return entry ? [...entry.qualities] : undefined;
}

/** The sizes the model's table lists. */
export function imageSizes(model: string): string[] | undefined {
  const entry = imageModel(model);
  return entry ? [...entry.sizes] : undefined;
}

/**
 * The most image input tokens one input image of an edit can be billed (see GPT_IMAGE_INPUT_TOKENS):
 * tile models 65 + 4 x 129 = 581, plus 6,240 with `input_fidelity: "high"` where the model accepts it;
 * gpt-image-2 always 1,536 (patch budget, always high fidelity); chatgpt-image-latest the larger of the two.
 * Missing fidelity is the API's default, `low`. Not a gpt-image model: undefined.
 */
export function imageInputTokenBound(model: string, inputFidelity?: "low" | "high"): number | undefined {
  const name = canonical(model);
  if (name === "chatgpt-image-latest") {
    const bounds = ["gpt-image-1.5", "gpt-image-2"].map((m) => imageInputTokenBound(m, inputFidelity) ?? 0);
    return Math.max(...bounds);
  }
  const rule = GPT_IMAGE_INPUT_TOKENS;
  if (rule.patchModels.includes(name)) return rule.patchBudget;
  const acceptsHigh = rule.tileModels[name];
  if (acceptsHigh === undefined) return undefined;
  const tiles = rule.tileBase + rule.maxTiles * rule.tilePerTile;
  return acceptsHigh && inputFidelity === "high" ? tiles + rule.highFidelityExtra : tiles;
}

// ---------------------------------------------------------------------------------------------------- audio

const SPEECH = new Map(
  OPENAI_SPEECH.map((row): [string, SpeechPrice] => {
    const source = mediaSource(`speech: ${row.model}`, row.source);
    if (row.perMillionCharactersUsd !== undefined) {
      return [
        row.model,
        {
          model: row.model,
          kind: "characters",
          perMillionCharacters: up(row.perMillionCharactersUsd),
          source,
        },
      ];
    }
    return [
      row.model,
      {
        model: row.model,
        kind: "tokens",
        inputPerMTok: up(row.inputPerMTokUsd ?? 0),
        outputAudioPerMTok: up(row.outputAudioPerMTokUsd ?? 0),
        audioTokensPerSecond: row.audioTokensPerSecond ?? 0,
        ...(row.perMinuteUsd !== undefined && { perMinute: up(row.perMinuteUsd) }),
        source,
      },
    ];
  }),
);

/** tts-1 / tts-1-hd per million input characters; gpt-4o-mini-tts (and its snapshots) per token. */
export function speechPrice(model: string): SpeechPrice | undefined {
  const price = SPEECH.get(canonical(model));
  return price ? { ...price } : undefined;
}

const TRANSCRIPTION = new Map(
  OPENAI_TRANSCRIPTION.map((row): [string, TranscriptionPrice] => {
    const price: TranscriptionPrice = {
      model: row.model,
      billing: row.billing,
      perMinute: up(row.perMinuteUsd),
      source: mediaSource(`transcription: ${row.model}`, row.source),
    };
    if (row.tokens) {
      price.tokens = {
        textInputPerMTok: up(row.tokens.textInputPerMTokUsd),
        audioInputPerMTok: up(row.tokens.audioInputPerMTokUsd),
        textOutputPerMTok: up(row.tokens.textOutputPerMTokUsd),
        audioTokensPerSecond: row.tokens.audioTokensPerSecond,
      };
    }
    if (row.maxDurationSeconds !== undefined) price.maxDurationSeconds = row.maxDurationSeconds;
    return [row.model, price];
  }),
);

/** whisper-1 per minute of audio; the gpt-4o transcribe models per token, with their per-minute estimate. */
export function transcriptionPrice(model: string): TranscriptionPrice | undefined {
  const price = TRANSCRIPTION.get(canonical(model));
  if (!price) return undefined;
  return price.tokens ? { ...price, tokens: { ...price.tokens } } : { ...price };
}

const ascii = (bytes: Uint8Array, at: number) =>
  String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;

/** The byte rate of an uncompressed fmt chunk whose fields agree with each other; undefined for anything else. */
function pcmByteRate(view: DataView, body: number, size: number): number | undefined {
  if (size < 16 || body + 16 > view.byteLength) return undefined;
  let format = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const byteRate = view.getUint32(body + 8, true);
  const blockAlign = view.getUint16(body + 12, true);
  const bits = view.getUint16(body + 14, true);
  if (format === EXTENSIBLE) {
    if (size < 40 || body + 26 > view.byteLength) return undefined;
    format = view.getUint16(body + 24, true);
  }
  if (format !== PCM && format !== IEEE_FLOAT) return undefined;
  if (channels === 0 || sampleRate === 0 || bits === 0 || bits % 8 !== 0) return undefined;
  if (blockAlign !== (channels * bits) / 8 || byteRate !== sampleRate * blockAlign) return undefined;
  return byteRate;
}

/**
 * The exact duration of a RIFF/WAVE file of uncompressed PCM or float samples: data chunk size / fmt byte rate.
 * A data chunk cut short (or marked 0 / 0xFFFFFFFF by a streaming writer) counts the bytes present. Anything
 * else (another container, compressed WAV formats, a header that is truncated or inconsistent): undefined.
 */
export function wavDurationSeconds(bytes: Uint8Array): number | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < 12) return undefined;
  if (ascii(bytes, 0) !== "RIFF" || ascii(bytes, 8) !== "WAVE") return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let byteRate: number | undefined;
  let dataBytes: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length && (byteRate === undefined || dataBytes === undefined)) {
    const id = ascii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const available = bytes.length - body;
    if (id === "fmt ") {
      byteRate = pcmByteRate(view, body, size);
      if (byteRate === undefined) return undefined;
    } else if (id === "data") {
      dataBytes = size === 0 || size > available ? available : size;
    }
    offset = body + size + (size % 2);
  }
  if (byteRate === undefined || dataBytes === undefined) return undefined;
  return dataBytes / byteRate;
}

// ---------------------------------------------------------------------------------------------------- video

interface VideoModel {
  model: string;
  sizes: ReadonlyMap<string, Nano>;
  source: PriceSource;
}

const VIDEO = new Map(
  OPENAI_VIDEO.map((table): [string, VideoModel] => [
    table.model,
    {
      model: table.model,
      sizes: new Map(Object.entries(table.perSecondUsd).map(([size, usd]) => [size, up(usd)])),
      source: mediaSource(`video: ${table.model}`, table.source),
    },
  ]),
);

/**
 * Per second of generated video. Missing or `auto` size: the dearest listed size. An unlisted size: the dearest
 * listed size, scaled up by pixel count when it is larger (the API only accepts listed sizes; no sora-2 1080p
 * price was found).
 */
export function videoPrice(model: string, size?: string): VideoPriceQuote | undefined {
  const entry = VIDEO.get(canonical(model));
  if (!entry) return undefined;
  let dearest = { size: "", price: -1 };
  for (const [listed, price] of entry.sizes) if (price > dearest.price) dearest = { size: listed, price };
  const assumed: string[] = [];
  const quote = (resolved: string, perSecond: Nano): VideoPriceQuote => ({
    model: entry.model,
    size: resolved,
    perSecond,
    source: entry.source,
    assumed,
  });
  const requested = size?.trim().toLowerCase();
  if (requested === undefined || requested === "" || requested === "auto") {
    assumed.push(
      `size ${requested === "auto" ? "auto" : "not set"}: priced at the dearest size ${dearest.size}`,
    );
    return quote(dearest.size, dearest.price);
  }
  const listed = entry.sizes.get(requested);
  if (listed !== undefined) return quote(requested, listed);
  const parsed = parseSize(requested);
  const reference = parseSize(dearest.size);
  if (parsed && reference && parsed.width * parsed.height > reference.width * reference.height) {
    const scaled = mulDiv(
      dearest.price,
      parsed.width * parsed.height,
      reference.width * reference.height,
      "up",
    );
    assumed.push(
      `size ${requested} is not in ${entry.model}'s table: priced as ${dearest.size} scaled up by pixel count`,
    );
    return quote(requested, scaled);
  }
  assumed.push(`size "${size}" is not in ${entry.model}'s table: priced as the dearest size ${dearest.size}`);
  return quote(dearest.size, dearest.price);
}

/**
 * The most seconds one video request can generate: 20, an extension segment's longest (a new video is at most
 * 12). For a remix or extension whose length is unknown. A remix of an already extended video is not capped by
 * any documented number.
 */
export function videoMaxSeconds(model: string): number | undefined {
  return VIDEO.has(canonical(model)) ? Math.max(VIDEO_SECONDS.create, VIDEO_SECONDS.extend) : undefined;
}

// ---------------------------------------------------------------------------------------------------- tools

const TOOL_ALIASES: Readonly<Record<string, string>> = {
  web_search: "web_search",
  web_search_2025_08_26: "web_search",
  web_search_preview: "web_search_preview",
  web_search_preview_2025_03_11: "web_search_preview",
  file_search: "file_search",
  code_interpreter: "code_interpreter",
};

const SUB_SEARCHES = "one call can run several sub-searches, each billed as a call";

/**
 * Built-in tools of the Responses API. web_search / web_search_preview and file_search per call,
 * code_interpreter per container session (`memoryLimit` as the tool's `container.memory_limit`, default `1g`).
 * `image_generation` is priced per image by `imagePrice` (plus the calling model's tokens): undefined here, as
 * for any other tool.
 */
export function toolCallPrice(
  tool: string,
  model: string,
  options: { memoryLimit?: string } = {},
): ToolCallQuote | undefined {
  const name = TOOL_ALIASES[tool.trim().toLowerCase()];
  if (name === undefined) return undefined;
  const source = mediaSource(`tools: ${name}`, OPENAI_TOOLS.source);
  const modelName = canonical(model);
  if (name === "web_search") {
    if (OPENAI_TOOLS.webSearchFixedBlockModels.includes(modelName)) {
      return {
        tool: name,
        perCall: up(OPENAI_TOOLS.webSearch),
        unit: "call",
        source,
        fixedInputTokensPerCall: OPENAI_TOOLS.webSearchFixedInputTokens,
        note: `${modelName} bills search content as a fixed ${OPENAI_TOOLS.webSearchFixedInputTokens} input tokens per call; ${SUB_SEARCHES}`,
      };
    }
    return {
      tool: name,
      perCall: up(OPENAI_TOOLS.webSearch),
      unit: "call",
      source,
      note: `search content tokens are billed as input tokens at the model's rate; ${SUB_SEARCHES}`,
    };
  }
  if (name === "web_search_preview") {
    const nonReasoning = OPENAI_TOOLS.nonReasoningModels.includes(modelName);
    return {
      tool: name,
      // The table cannot tell every reasoning model apart, so any model not known as non-reasoning keeps the
      // dearer non-reasoning call price; reasoning models bill $10 / 1k calls plus their content tokens.
      perCall: up(OPENAI_TOOLS.webSearchPreviewNonReasoning),
      unit: "call",
      source,
      note: nonReasoning
        ? `search content tokens are free on non-reasoning models; ${SUB_SEARCHES}`
        : `priced at the non-reasoning $25 / 1k calls; a reasoning model bills $10 / 1k calls plus its search ` +
          `content tokens at its input rate; ${SUB_SEARCHES}`,
    };
  }
  if (name === "file_search") {
    return {
      tool: name,
      perCall: up(OPENAI_TOOLS.fileSearch),
      unit: "call",
      source,
      note: "vector storage ($0.10 / GB / day past the first GB) is billed apart, not per call",
    };
  }
  const tiers = OPENAI_TOOLS.containerPerSession;
  const requested = options.memoryLimit?.trim().toLowerCase() ?? "1g";
  const known = tiers[requested];
  const dearest = Object.entries(tiers).reduce((a, b) => (b[1] > a[1] ? b : a));
  const [limit, usd] = known === undefined ? dearest : [requested, known];
  const assumed =
    known === undefined
      ? `memory limit "${options.memoryLimit}" is not priced: priced at the dearest tier ${limit}; `
      : "";
  return {
    tool: name,
    perCall: up(usd),
    unit: "container",
    source: mediaSource(`tools: code_interpreter ${limit}`, OPENAI_TOOLS.containerSource),
    note:
      `${assumed}one ${limit} container session (20 minutes); billed per minute with a 5-minute minimum since ` +
      "2026-06-02, so a container kept busy past 20 minutes bills more",
  };
}

/** The longest a non-WAV upload of this many bytes is assumed to play, in whole seconds (MIN_AUDIO_BYTES_PER_SECOND). */
export function maxAudioSecondsForBytes(byteLength: number): number {
  return Math.ceil(byteLength / MIN_AUDIO_BYTES_PER_SECOND);
}
