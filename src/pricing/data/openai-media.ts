/**
 * OpenAI media prices: images, speech, transcription, video and the Responses API's built-in tools (layer 2 of
 * the catalog). Data only; ../media.ts resolves requests against it. Money here is in USD as the pages print it
 * (converted to integer nano-USD by media.ts, rounding up).
 *
 * Every table names the OpenAI page it belongs to, the date the copy that was read shows (`asOf`), and what
 * was actually read (`evidence`): OpenAI's own page, or pages quoting it where no stored copy of OpenAI's page
 * could be found. Read 2026-11. Where two sources disagree the higher price is kept, and the row says so.
 */

export interface MediaSource {
  url: string;
  asOf: string;
  evidence: string;
}

const PRICING = "https://developers.openai.com/api/docs/pricing";
const IMAGE_GUIDE = "https://developers.openai.com/api/docs/guides/image-generation";
const modelPage = (id: string) => `https://developers.openai.com/api/docs/models/${id}`;

type Cells = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** A model with its own per-image price table. */
export interface ImageTable {
  kind: "table";
  model: string;
  /** Cheapest first. */
  qualities: readonly string[];
  /** As the page lists them; every quality has a price for every size. */
  sizes: readonly string[];
  /** USD per output image, by quality, then size. */
  perImageUsd: Cells;
  /** USD per million image output tokens, when the model bills output images as tokens. */
  outputImagePerMTokUsd?: number;
  /**
   * Image output tokens per image, by quality, then size. Where tokens x rate exceeds the rounded per-image
   * figure OpenAI prints, the token price is used (what is billed is the tokens).
   */
  outputTokens?: Cells;
  /** Sizes outside `sizes` are priced by the gpt-image-2 token formula below. */
  customSizes?: boolean;
  source: MediaSource;
}

/** A moving alias: priced cell by cell at the dearest of the models it may point to. */
export interface ImageAlias {
  kind: "alias";
  model: string;
  dearestOf: readonly string[];
  qualities: readonly string[];
  sizes: readonly string[];
  source: MediaSource;
}

const GPT_IMAGE_QUALITIES = ["low", "medium", "high"] as const;
const GPT_IMAGE_SIZES = ["1024x1024", "1024x1536", "1536x1024"] as const;

function bySize(square: number, portrait: number, landscape: number): Readonly<Record<string, number>> {
  return { "1024x1024": square, "1024x1536": portrait, "1536x1024": landscape };
}

/**
 * Image output tokens of gpt-image-1, from the cost table of OpenAI's image generation guide. gpt-image-1.5
 * bills the same counts: at its $32/MTok, rounded to $0.001, they reproduce each of its nine published prices.
 */
const GPT_IMAGE_1_OUTPUT_TOKENS: Cells = {
  low: bySize(272, 408, 400),
  medium: bySize(1056, 1584, 1568),
  high: bySize(4160, 6240, 6208),
};

export const OPENAI_IMAGE_TABLES: readonly (ImageTable | ImageAlias)[] = [
  {
    kind: "table",
    model: "dall-e-2",
    qualities: ["standard"],
    sizes: ["256x256", "512x512", "1024x1024"],
    perImageUsd: { standard: { "256x256": 0.016, "512x512": 0.018, "1024x1024": 0.02 } },
    source: {
      url: modelPage("dall-e-2"),
      asOf: "2026-05-12",
      evidence:
        "shut down 2026-05-12 (OpenAI deprecations, quoted by nerova.ai and weighmyprompt.com); the model page " +
        "now shows no price. Last published prices, unchanged since 2023-11, as quoted by docs.dev.xavier.icvr.xyz " +
        "and tokenmix.ai (2026-04-29)",
    },
  },
  {
    kind: "table",
    model: "dall-e-3",
    qualities: ["standard", "hd"],
    sizes: ["1024x1024", "1024x1792", "1792x1024"],
    perImageUsd: {
      standard: { "1024x1024": 0.04, "1024x1792": 0.08, "1792x1024": 0.08 },
      hd: { "1024x1024": 0.08, "1024x1792": 0.12, "1792x1024": 0.12 },
    },
    source: {
      url: modelPage("dall-e-3"),
      asOf: "2026-05-12",
      evidence:
        "shut down 2026-05-12: the OpenAI model page (stored copy, 2026-11) says 'Shut down' and shows no price. " +
        "Last published prices as quoted by docs.dev.xavier.icvr.xyz and tokenmix.ai (2026-04-29)",
    },
  },
  {
    kind: "table",
    model: "gpt-image-1",
    qualities: GPT_IMAGE_QUALITIES,
    sizes: GPT_IMAGE_SIZES,
    perImageUsd: {
      low: bySize(0.011, 0.016, 0.016),
      medium: bySize(0.042, 0.063, 0.063),
      high: bySize(0.167, 0.25, 0.25),
    },
    outputImagePerMTokUsd: 40,
    // 408 x $40/MTok = $0.01632 > $0.016, 1056 -> $0.04224 > $0.042, 1584 -> $0.06336 > $0.063: the token
    // price is kept for those three cells.
    outputTokens: GPT_IMAGE_1_OUTPUT_TOKENS,
    source: {
      url: modelPage("gpt-image-1"),
      asOf: "2026-11",
      evidence:
        "OpenAI model page (ja-JP copy, which already reports the model's 2026-10-23 shutdown) lists these " +
        "per-image prices and $40/MTok image output; token counts from the image generation guide " +
        `(${IMAGE_GUIDE}) as quoted in community.openai.com/t/1275254`,
    },
  },
  {
    kind: "table",
    model: "gpt-image-1-mini",
    qualities: GPT_IMAGE_QUALITIES,
    sizes: GPT_IMAGE_SIZES,
    perImageUsd: {
      low: bySize(0.005, 0.006, 0.006),
      medium: bySize(0.011, 0.015, 0.015),
      high: bySize(0.036, 0.052, 0.052),
    },
    outputImagePerMTokUsd: 8,
    source: {
      url: modelPage("gpt-image-1-mini"),
      asOf: "2026-11",
      evidence: "OpenAI model page (de-DE copy, marked deprecated): per-image table and $8/MTok image output",
    },
  },
  {
    kind: "table",
    model: "gpt-image-1.5",
    qualities: GPT_IMAGE_QUALITIES,
    sizes: GPT_IMAGE_SIZES,
    perImageUsd: {
      low: bySize(0.009, 0.013, 0.013),
      medium: bySize(0.034, 0.051, 0.05),
      high: bySize(0.133, 0.2, 0.199),
    },
    outputImagePerMTokUsd: 32,
    // Tokens x $32/MTok exceed the printed price in three cells, where the token price is kept: low 1024x1536
    // (408 -> $0.013056 > $0.013), medium 1536x1024 (1,568 -> $0.050176 > $0.050), high 1024x1024 (4,160 ->
    // $0.13312 > $0.133).
    outputTokens: GPT_IMAGE_1_OUTPUT_TOKENS,
    source: {
      url: PRICING,
      asOf: "2026-05-10",
      evidence:
        "no stored copy of OpenAI's own page; rows as quoted from it by llmreference.com (refreshed 2026-05-10, " +
        "also $32/MTok image output), aifreeapi.com (2026-03-23), fal.ai and runware.ai, all identical. " +
        "apiyi.com prints $0.200 for high 1536x1024 by merging the two non-square columns; $0.199 is kept",
    },
  },
  {
    kind: "table",
    model: "gpt-image-2",
    qualities: GPT_IMAGE_QUALITIES,
    sizes: GPT_IMAGE_SIZES,
    perImageUsd: {
      low: bySize(0.006, 0.005, 0.005),
      medium: bySize(0.053, 0.041, 0.041),
      high: bySize(0.211, 0.165, 0.165),
    },
    outputImagePerMTokUsd: 30,
    // The token formula gives 1,372 tokens = $0.04116 for medium 1024x1536 / 1536x1024, above the $0.041
    // printed: the token price is kept. Square images cost more than the larger portrait / landscape ones.
    customSizes: true,
    source: {
      url: IMAGE_GUIDE,
      asOf: "2026-05-06",
      evidence:
        "per-image output examples of OpenAI's image generation guide and pricing page as quoted by yingtu.ai " +
        "(2026-05-06), robotsatlas.com and toolcolumn.com (2026-04-22); $30/MTok image output per " +
        "chatgptimages.app (official page checked 2026-04-28) and the gpt-image-2.6-sunburst page of the same family",
    },
  },
  {
    kind: "alias",
    model: "chatgpt-image-latest",
    dearestOf: ["gpt-image-1.5", "gpt-image-2"],
    qualities: GPT_IMAGE_QUALITIES,
    sizes: GPT_IMAGE_SIZES,
    source: {
      url: PRICING,
      asOf: "2026-04-22",
      evidence:
        "a moving alias of the image model ChatGPT uses (toolcolumn.com, 2026-04-22: listed apart from " +
        "gpt-image-2); it was priced as gpt-image-1.5 (aifreeapi.com, 2026-03-23) before ChatGPT Images 2.0, so " +
        "each cell takes the dearer of gpt-image-1.5 and gpt-image-2",
    },
  },
];

/**
 * gpt-image-2 bills each output image as tokens that depend on its quality and on any size (multiples of 16 px,
 * aspect 1:3 to 3:1, 655,360 to 8,294,400 pixels, edges up to 3,840 px). OpenAI publishes only a calculator; the
 * rule below is the one community.openai.com/t/1382699 read out of it, checked here against all six official
 * output examples (tokens x $30/MTok rounds to each printed price). For quality factor q, long edge L, short
 * edge S: a = floor((2qS + L) / 2L); tokens = ceil(q * a * (2,000,000 + W*H) / 4,000,000).
 */
export const GPT_IMAGE_2_OUTPUT_TOKEN_RULE = {
  qualityFactor: { low: 16, medium: 48, high: 96 } as Readonly<Record<string, number>>,
  areaOffset: 2_000_000,
  areaDivisor: 4_000_000,
  limits: { step: 16, minPixels: 655_360, maxPixels: 8_294_400, maxEdge: 3_840, maxAspect: 3 },
  /** A dearest valid size at every quality (tied at low); a brute-force search over all valid sizes is in the tests. */
  largestSize: "2880x2880",
  source: {
    url: IMAGE_GUIDE,
    asOf: "2026-05",
    evidence:
      "community.openai.com/t/1382699 (gpt-image-2 output pricing calculator), matched to the official rows",
  } satisfies MediaSource,
} as const;

/**
 * The most image tokens one input image of an edit can be billed.
 *
 * - gpt-image-1, gpt-image-1-mini, gpt-image-1.5: tiles. The image is fitted in 2048 x 2048 and its short side
 *   scaled to 512 px, then billed 65 + 129 per 512-px tile: at most 1 x 4 tiles = 581 tokens (vision guide).
 *   gpt-image-1.5 keeps that rule (community.openai.com/t/1382940). `input_fidelity: "high"` adds a fixed
 *   4,160 tokens for a square image and 6,240 otherwise (image generation guide); mini does not accept it.
 * - gpt-image-2: 32-px patches with a 1,536-patch budget, small images magnified first, and always high
 *   fidelity (`input_fidelity` is not accepted): at most 1,536 tokens (community.openai.com/t/1382940,
 *   "after 100 edit requests", 2026-06; OpenAI documents nothing).
 * Edits also leak roughly 16-30 text tokens per input image into the prompt's text tokens (same thread).
 */
export const GPT_IMAGE_INPUT_TOKENS = {
  tileBase: 65,
  tilePerTile: 129,
  maxTiles: 4,
  highFidelityExtra: 6_240,
  patchBudget: 1_536,
  /** Models billed by tiles, and whether they accept `input_fidelity: "high"`. */
  tileModels: { "gpt-image-1": true, "gpt-image-1.5": true, "gpt-image-1-mini": false } as Readonly<
    Record<string, boolean>
  >,
  patchModels: ["gpt-image-2"] as readonly string[],
  source: {
    url: "https://developers.openai.com/api/docs/guides/images-vision",
    asOf: "2026-11",
    evidence:
      "tile rule of the vision guide (already used by src/tokenize/image-tokens.ts, read 2026-11-25); high " +
      `fidelity extra from ${IMAGE_GUIDE}; gpt-image-2 patch budget measured in community.openai.com/t/1382940`,
  } satisfies MediaSource,
} as const;

export interface SpeechRow {
  model: string;
  /** USD per million input characters (tts-1 family). */
  perMillionCharactersUsd?: number;
  inputPerMTokUsd?: number;
  outputAudioPerMTokUsd?: number;
  /**
   * Audio output tokens per second of speech. gpt-4o-mini-tts: derived from OpenAI's estimate of $0.015 per
   * minute at $12/MTok = 1,250 tokens a minute = 20.8 a second, rounded up; a measured call billed 5,392
   * tokens for 268 s = 20.1 a second (sanand0/blog, 2025-11-02).
   */
  audioTokensPerSecond?: number;
  /**
   * USD per minute of audio, OpenAI's own estimate for a token-billed model: what audio whose token count is
   * unknown (measured in seconds from an uncompressed response) is charged at.
   */
  perMinuteUsd?: number;
  source: MediaSource;
}

export const OPENAI_SPEECH: readonly SpeechRow[] = [
  {
    model: "tts-1",
    perMillionCharactersUsd: 15,
    source: {
      url: modelPage("tts-1"),
      asOf: "2026-11",
      evidence: "OpenAI model page: Speech generation, $15.00 per 1M characters (TTS-1 HD $30.00)",
    },
  },
  {
    model: "tts-1-hd",
    perMillionCharactersUsd: 30,
    source: {
      url: modelPage("tts-1-hd"),
      asOf: "2026-11",
      evidence: "OpenAI model page (markdown copy): $30 per 1M characters",
    },
  },
  {
    model: "gpt-4o-mini-tts",
    inputPerMTokUsd: 0.6,
    outputAudioPerMTokUsd: 12,
    audioTokensPerSecond: 21,
    perMinuteUsd: 0.015,
    source: {
      url: modelPage("gpt-4o-mini-tts"),
      asOf: "2026-11",
      evidence:
        "OpenAI model page (ja-JP copy, snapshots up to gpt-4o-mini-tts-2025-12-15): text input $0.60, audio " +
        `output $12.00 per 1M tokens; "$0.015 / minute" estimate of ${PRICING} as quoted in ` +
        "community.openai.com/t/1151816",
    },
  },
];

/**
 * Seconds of speech per character at speed 1.0, as a floor: measured voices read 15.3 (gpt-4o-mini-tts) to 16.0
 * (tts-1) characters a second (sanand0/blog, 4,096 characters, 2025-11-02). 6 leaves 2.5x room for
 * instructions asking for slow speech, pauses, and digits or abbreviations spoken out in full. Divide by the
 * request's `speed` (0.25 to 4.0).
 */
export const SPEECH_CHARACTERS_PER_SECOND = 6;

export interface TranscriptionRow {
  model: string;
  billing: "duration" | "tokens";
  /** USD per minute: the price (duration billing) or OpenAI's estimate (token billing). */
  perMinuteUsd: number;
  tokens?: {
    textInputPerMTokUsd: number;
    audioInputPerMTokUsd: number;
    textOutputPerMTokUsd: number;
    audioTokensPerSecond: number;
  };
  /** The API rejects longer audio ("... longer than 1400 seconds which is the maximum for this model"). */
  maxDurationSeconds?: number;
  source: MediaSource;
}

// OpenAI's per-minute estimate for the gpt-4o transcribe models is the audio input alone: $6/MTok x 1,000
// tokens = $0.006, $3/MTok x 1,000 = $0.003 (halfpower.work/?p=3800 reads the page the same way). 1,000 audio
// tokens a minute = 16.7 a second, rounded up; the transcript's text tokens are billed on top.
const ESTIMATE_AUDIO_TOKENS_PER_SECOND = 17;
const DURATION_CAP =
  "audio over 1,400 s is rejected by the API (error text quoted in github.com/rishikanthc/Scriberr/issues/477, " +
  "2026-08-20, and fastrepl/anarlog#7135, 2026-08-28)";

export const OPENAI_TRANSCRIPTION: readonly TranscriptionRow[] = [
  {
    model: "whisper-1",
    billing: "duration",
    perMinuteUsd: 0.006,
    source: {
      url: modelPage("whisper-1"),
      asOf: "2026-11",
      evidence: "OpenAI model page (markdown, ja-JP and fr-FR copies): Transcription, $0.006 per minute",
    },
  },
  {
    model: "gpt-4o-transcribe",
    billing: "tokens",
    perMinuteUsd: 0.006,
    tokens: {
      textInputPerMTokUsd: 2.5,
      audioInputPerMTokUsd: 6,
      textOutputPerMTokUsd: 10,
      audioTokensPerSecond: ESTIMATE_AUDIO_TOKENS_PER_SECOND,
    },
    maxDurationSeconds: 1_400,
    source: {
      url: PRICING,
      asOf: "2026-04-25",
      evidence:
        "pricing page rows (text input $2.50, audio input $6.00, text output $10.00, ~$0.006/min) as quoted by " +
        "tokenmix.ai (2026-04-25) and halfpower.work; the stored model page (markdown) lists only $2.50 / $10, " +
        `labelled audio, and no $6.00 row: the higher audio rate is kept. ${DURATION_CAP}`,
    },
  },
  {
    model: "gpt-4o-mini-transcribe",
    billing: "tokens",
    perMinuteUsd: 0.003,
    tokens: {
      textInputPerMTokUsd: 1.25,
      audioInputPerMTokUsd: 3,
      textOutputPerMTokUsd: 5,
      audioTokensPerSecond: ESTIMATE_AUDIO_TOKENS_PER_SECOND,
    },
    maxDurationSeconds: 1_400,
    source: {
      url: PRICING,
      asOf: "2026-04-25",
      evidence:
        "pricing page rows (text $1.25 / $5.00, audio input $3.00, ~$0.003/min) as read by halfpower.work and " +
        `tokenmix.ai (2026-04-25); snapshot gpt-4o-mini-transcribe-2025-12-15 in the openai SDK. ${DURATION_CAP}`,
    },
  },
  {
    model: "gpt-4o-transcribe-diarize",
    billing: "tokens",
    perMinuteUsd: 0.006,
    tokens: {
      textInputPerMTokUsd: 2.5,
      audioInputPerMTokUsd: 6,
      textOutputPerMTokUsd: 10,
      audioTokensPerSecond: ESTIMATE_AUDIO_TOKENS_PER_SECOND,
    },
    maxDurationSeconds: 1_400,
    source: {
      url: modelPage("gpt-4o-transcribe-diarize"),
      asOf: "2026-11",
      evidence:
        "OpenAI model page (markdown copy) lists the same rates as gpt-4o-transcribe ($2.50 / $10, no audio " +
        `row): priced as gpt-4o-transcribe, keeping its $6.00 audio input. ${DURATION_CAP}`,
    },
  },
];

/**
 * The least bitrate a non-WAV upload is assumed to have, to bound its duration from its size: 6 kbit/s, Opus's
 * lowest (OpenAI accepts ogg / webm Opus); MP3 bottoms out at 8 kbit/s and HE-AAC v2 around 8. Not a hard
 * floor: Speex in Ogg and Opus silence (DTX) go lower. The 1,400 s cap of the gpt-4o transcribe models backs it.
 */
export const MIN_AUDIO_BYTES_PER_SECOND = 750;

export interface VideoTable {
  model: string;
  /** USD per second of output, by size. */
  perSecondUsd: Readonly<Record<string, number>>;
  source: MediaSource;
}

const SORA_SOURCE =
  "pricing page rows as quoted by help.apiyi.com, cometapi.com and magichour.ai (2026); sizes from the openai " +
  "SDK 6.49 VideoSize. The Videos API and every sora-2 model were deprecated 2026-03-24 and removed 2026-09-24 " +
  "(OpenAI deprecations page, quoted by theaimap.app 2026-06-04 and flatkey.ai 2026-06-12); kept for calls " +
  "routed to a gateway that still serves them";

export const OPENAI_VIDEO: readonly VideoTable[] = [
  {
    model: "sora-2",
    perSecondUsd: { "720x1280": 0.1, "1280x720": 0.1 },
    source: { url: PRICING, asOf: "2026-06-12", evidence: SORA_SOURCE },
  },
  {
    model: "sora-2-pro",
    perSecondUsd: { "720x1280": 0.3, "1280x720": 0.3, "1024x1792": 0.5, "1792x1024": 0.5 },
    source: { url: PRICING, asOf: "2026-06-12", evidence: SORA_SOURCE },
  },
];

/**
 * Seconds one video request can generate (openai SDK 6.49 docs): a new video 4, 8 or 12; an extension segment
 * 4, 8, 12, 16 or 20. A remix re-renders its source, whose length the API documents no cap for once extended.
 */
export const VIDEO_SECONDS = { create: 12, extend: 20 } as const;

const TOOLS_EVIDENCE =
  "pricing page's built-in tools rows as quoted by modelcostwatch.com (checked 2026-03-12) and " +
  "community.openai.com/t/1363698 (an OpenAI staff answer)";

export const OPENAI_TOOLS = {
  /** $10 / 1k calls, any model; search content tokens billed as input tokens at the model's rate. */
  webSearch: 0.01,
  /** gpt-4o-mini and gpt-4.1-mini bill a fixed block of input tokens per web_search call instead. */
  webSearchFixedInputTokens: 8_000,
  webSearchFixedBlockModels: ["gpt-4o-mini", "gpt-4.1-mini"] as readonly string[],
  /** web_search_preview: $25 / 1k calls on non-reasoning models (content tokens free), $10 / 1k on reasoning. */
  webSearchPreviewNonReasoning: 0.025,
  webSearchPreviewReasoning: 0.01,
  /** Non-reasoning models as the preview rows name them (gpt-4o, gpt-4.1 and their minis / nano). */
  nonReasoningModels: [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "chatgpt-4o-latest",
  ] as readonly string[],
  /** $2.50 / 1k calls; vector storage ($0.10 / GB / day past the first GB) is not per call. */
  fileSearch: 0.0025,
  /**
   * Code interpreter containers by memory limit, per 20-minute session; since 2026-06-02 billed per minute at the
   * same rate with a 5-minute minimum (changelog, quoted by modeldex.dev and simoncarter.ai). `1g` is the default.
   */
  containerPerSession: { "1g": 0.03, "4g": 0.12, "16g": 0.48, "64g": 1.92 } as Readonly<
    Record<string, number>
  >,
  source: { url: PRICING, asOf: "2026-03-12", evidence: TOOLS_EVIDENCE } satisfies MediaSource,
  containerSource: {
    url: PRICING,
    asOf: "2026-06-02",
    evidence:
      "container rows (1 GB $0.03, 4 GB $0.12, 16 GB $0.48, 64 GB $1.92 per session) as quoted by " +
      "simoncarter.ai and community.openai.com/t/1364328; per-minute billing from 2026-06-02 per the changelog",
  } satisfies MediaSource,
} as const;
