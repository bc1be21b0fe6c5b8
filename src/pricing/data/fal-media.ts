import type { MediaSource } from "./openai-media.js";

/**
 * fal.ai endpoint prices (layer 2 of the catalog): data only; ../fal.ts resolves requests against it. Money here
 * is in USD as the pages print it (converted to integer nano-USD by fal.ts, rounding up).
 *
 * fal bills each endpoint in one unit (docs.fal.ai "Model APIs > Pricing"): per image, per megapixel of output,
 * per second of video, flat per video, or per request; the billed quantity comes back in the result's
 * `x-fal-billable-units` header. Every row names the page it was read from, the date that page shows (`asOf`;
 * fal's model pages and their llms.txt copies carry no date, so those rows give the month they were read) and
 * what was read (`evidence`). Read 2026-11.
 *
 * Where sources disagree: fal's own page wins when one was found; among third-party pages only, the higher price
 * is kept, and the row says so.
 */

export type FalUnit = "image" | "megapixel" | "second" | "video" | "request";

/**
 * An input field the price depends on. Each tier has its own price; the row's `usd` is keyed by the tiers of
 * all its dimensions joined with "|", in dimension order.
 */
export interface FalTierDimension {
  /** The input field, as passed to `fal.subscribe(id, { input })`. */
  input: string;
  /** Cheapest first. */
  tiers: readonly string[];
  /** The tier fal uses when the field is absent, when its page documents one; otherwise the dearest. */
  default?: string;
  /** Input values (lower-cased strings) that name a tier under another name. */
  aliases?: Readonly<Record<string, string>>;
  /** Input values starting with the first string belong to the second's tier. */
  prefixes?: readonly (readonly [string, string])[];
  /** The tier of every other value the endpoint accepts; absent: any unlisted value is priced at the dearest. */
  otherwise?: string;
  /** The tiers are durations in seconds: an unlisted duration is priced as the next longer one. */
  numeric?: true;
  /** A non-empty value in this other field moves any tier but the cheapest to `tier` (Kling's voice control). */
  escalate?: { whenPresent: string; tier: string };
}

/** Seconds a `second`-billed endpoint can generate, from its `duration` enum. */
export interface FalDurations {
  input: string;
  /** Ascending. */
  values: readonly number[];
  /** fal's default when the field is absent. */
  default: number;
}

export interface FalSize {
  width: number;
  height: number;
}

export interface FalEndpointRow {
  /** Endpoint ids exactly as passed to `subscribe` / `run`; ids sharing one price share a row. */
  endpoints: readonly string[];
  unit: FalUnit;
  /** USD per unit; keyed by tier ("high|1024x1024") when the row has dimensions. */
  usd: number | Readonly<Record<string, number>>;
  dimensions?: readonly FalTierDimension[];
  /** image / megapixel: the field holding the image count, when the endpoint has one (default 1). */
  imagesInput?: string;
  /** megapixel: fal's default `image_size` (a preset name), or the size assumed when the endpoint has none. */
  defaultSize?: string | FalSize;
  /** megapixel: the endpoint takes no `image_size` (its output follows an input image). */
  noSizeInput?: true;
  /** second: the durations the endpoint accepts. */
  durations?: FalDurations;
  /**
   * A charge per 1,000 tokens of the request's `prompt` on top of the units (fal's gpt-image endpoints). The
   * prompt's tokens are bounded by its UTF-8 bytes (no tokenizer gives more tokens than bytes).
   */
  promptTokensPerThousandUsd?: number;
  source: MediaSource;
  note?: string;
}

/**
 * fal bills megapixels of 1024 x 1024 pixels, each image rounded up: "Images are billed by rounding up to the
 * nearest megapixel" (fal-ai/flux-1/dev playground), and flux/dev's $0.025 / MP is quoted as the price of one
 * 1024x1024 image (workflowlab.dev, 2026-05-25), which 1,000,000-pixel megapixels would bill as 2.
 */
export const FAL_MEGAPIXEL = 1024 * 1024;

/**
 * fal's `image_size` presets. fal's client types list the names only; the sizes are as fal's FLUX model pages
 * and third-party guides give them (agentskills.market "fal flux prompting", agent-skills.md "fal-text-to-image",
 * 2026). One guide gives `square` as 1024x1024: either way it bills 1 MP.
 */
export const FAL_IMAGE_SIZE_PRESETS: Readonly<Record<string, FalSize>> = {
  square_hd: { width: 1024, height: 1024 },
  square: { width: 512, height: 512 },
  portrait_4_3: { width: 768, height: 1024 },
  portrait_16_9: { width: 576, height: 1024 },
  landscape_4_3: { width: 1024, height: 768 },
  landscape_16_9: { width: 1024, height: 576 },
};

/** fal's `ImageSize` object defaults a missing side to 512 (client types, `ImageSize`). */
export const FAL_CUSTOM_SIZE_DEFAULT_SIDE = 512;

const model = (id: string) => `https://fal.ai/models/${id}`;
const llms = (id: string) => `https://fal.ai/models/${id}/llms.txt`;
const READ = "2026-11";
const UNDATED = "fal model page (undated; read 2026-11)";

const GENERATE_AUDIO: FalTierDimension = {
  input: "generate_audio",
  tiers: ["off", "on"],
  default: "on",
  aliases: { false: "off", true: "on" },
};

const DURATION = (values: readonly number[], fallback: number): FalDurations => ({
  input: "duration",
  values,
  default: fallback,
});

const KLING_V3_SECONDS = DURATION([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 5);

/** Kling v3: audio off / on, and voice control (a `voice_ids` list) on top of audio. */
const KLING_V3_AUDIO: FalTierDimension = {
  ...GENERATE_AUDIO,
  tiers: ["off", "on", "voice"],
  escalate: { whenPresent: "voice_ids", tier: "voice" },
};

const GPT_IMAGE_QUALITY: FalTierDimension = {
  input: "quality",
  tiers: ["low", "medium", "high"],
  default: "high",
};

function gptImageCells(): Record<string, number> {
  const perImage: Record<string, readonly [number, number, number]> = {
    low: [0.009, 0.013, 0.013],
    medium: [0.034, 0.051, 0.05],
    high: [0.133, 0.2, 0.199],
  };
  const cells: Record<string, number> = {};
  for (const [quality, [square, portrait, landscape]] of Object.entries(perImage)) {
    cells[`${quality}|1024x1024`] = square;
    cells[`${quality}|1024x1536`] = portrait;
    cells[`${quality}|1536x1024`] = landscape;
  }
  return cells;
}

const GPT_IMAGE_15_SOURCE: MediaSource = {
  url: llms("fal-ai/gpt-image-1.5"),
  asOf: READ,
  evidence:
    `${UNDATED}: low $0.009 1024x1024 / $0.013 other sizes; medium $0.034 / $0.051 1024x1536 / $0.050 ` +
    "1536x1024; high $0.133 / $0.200 / $0.199 per image, the same cells as OpenAI's own gpt-image-1.5 table",
};

const GPT_IMAGE_TEXT_TOKENS =
  "also bills the model's reasoning at $0.010 / 1k output text tokens, which no request states: not included";

export const FAL_ENDPOINTS: readonly FalEndpointRow[] = [
  // ------------------------------------------------------------------------------------------ per megapixel
  {
    endpoints: ["fal-ai/flux/dev", "fal-ai/flux-1/dev"],
    unit: "megapixel",
    usd: 0.025,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: model("fal-ai/flux/dev"),
      asOf: READ,
      evidence:
        `${UNDATED}: fal-ai/flux-1/dev playground "Your request will cost $0.025 per megapixel. Images are billed ` +
        'by rounding up to the nearest megapixel", its llms.txt "$0.025 per megapixels"; workflowlab.dev ' +
        "(2026-05-25) and the fal docs' input schema (default landscape_4_3, 1-4 images) agree",
    },
  },
  {
    endpoints: ["fal-ai/flux/schnell", "fal-ai/flux-1/schnell"],
    unit: "megapixel",
    usd: 0.003,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: model("fal-ai/flux/schnell"),
      asOf: "2026-05-11",
      evidence:
        "no stored copy of fal's page; $0.003 / MP in workflowlab.dev's provider table (verified 2026-05-11), " +
        "oauth.openai-hk.com's fal price list, a fal-based skill (skillspool.org) and MeshAgent's fal table. " +
        "muapi.ai's $0.005 per generation is labelled an estimate, not kept",
    },
  },
  {
    endpoints: ["fal-ai/flux/dev/image-to-image", "fal-ai/flux-1/dev/image-to-image"],
    unit: "megapixel",
    usd: 0.03,
    imagesInput: "num_images",
    noSizeInput: true,
    defaultSize: { width: 2048, height: 2048 },
    source: {
      url: model("fal-ai/flux/dev/image-to-image"),
      asOf: READ,
      evidence:
        "no stored copy of fal's page; MeshAgent's fal pricing table (GitHub) lists $0.03 / MP, " +
        "oauth.openai-hk.com's fal list $0.025 / MP: the higher is kept",
    },
    note: "the output takes the input image's size, which the request does not state: a 2048x2048 (4 MP) image is assumed",
  },
  {
    endpoints: ["fal-ai/flux-pro/v1.1"],
    unit: "megapixel",
    usd: 0.04,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: model("fal-ai/flux-pro/v1.1"),
      asOf: "2026-12-04",
      evidence:
        "fal's pricing for FLUX1.1 [pro] is $0.04 / MP (as runflow.io 2026-03, lumenfall.ai, MeshAgent's fal table, " +
        "oauth.openai-hk.com and Black Forest Labs' own $0.04 / image, and APIYI's 2026 list quoting the official " +
        "$0.04); only a fal-based skill table (skillspool.org) said $0.055, which was kept until 2026-12-04",
    },
  },
  {
    endpoints: ["fal-ai/flux-pro/new", "fal-ai/flux-pro"],
    unit: "megapixel",
    usd: 0.05,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: model("fal-ai/flux-pro/new"),
      asOf: READ,
      evidence:
        "no stored copy of fal's page; MeshAgent's fal table lists flux-pro/new at $0.05 / MP, " +
        "oauth.openai-hk.com at $0.05. fal-ai/flux-pro is the same FLUX.1 [pro] model (fal: /new is its " +
        "accelerated version); no separate price for it was found",
    },
  },
  {
    endpoints: ["fal-ai/flux-lora"],
    unit: "megapixel",
    usd: 0.035,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: model("fal-ai/flux-lora"),
      asOf: READ,
      evidence: "no stored copy of fal's page; $0.035 / MP in a fal-based skill table (skillspool.org)",
    },
  },
  {
    endpoints: ["fal-ai/stable-diffusion-v35-large"],
    unit: "megapixel",
    usd: 0.065,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: model("fal-ai/stable-diffusion-v35-large"),
      asOf: "2025-12-29",
      evidence:
        "lumenfall.ai's provider data: fal official, $0.065 per output megapixel, source_url the fal model page, " +
        "effective 2025-12-29 (APIBouncer's $0.035 per image is not confirmed by any source)",
    },
  },
  {
    endpoints: ["fal-ai/stable-diffusion-v35-medium"],
    unit: "megapixel",
    usd: 0.02,
    imagesInput: "num_images",
    defaultSize: "landscape_4_3",
    source: {
      url: llms("fal-ai/stable-diffusion-v35-medium"),
      asOf: READ,
      evidence: `${UNDATED}: "$0.02 per megapixels"`,
    },
  },
  // ---------------------------------------------------------------------------------------------- per image
  {
    endpoints: ["fal-ai/flux-pro/v1.1-ultra"],
    unit: "image",
    usd: 0.06,
    imagesInput: "num_images",
    source: {
      url: "https://fal.ai/docs/model-api-reference/image-generation-api/flux-pro-v1.1-ultra",
      asOf: READ,
      evidence:
        'fal API reference (undated): "At $0.06 per image", cost per image $0.06, up to 4 images; lumenfall.ai ' +
        "and Black Forest Labs $0.06",
    },
  },
  {
    endpoints: [
      "fal-ai/flux-pro/kontext",
      "fal-ai/flux-pro/kontext/text-to-image",
      "fal-ai/flux-pro/kontext/multi",
    ],
    unit: "image",
    usd: 0.04,
    imagesInput: "num_images",
    source: {
      url: model("fal-ai/flux-pro/kontext"),
      asOf: READ,
      evidence:
        "no stored copy of fal's page; oauth.openai-hk.com's fal list ($0.04, also /text-to-image and /multi), a " +
        "fal-based skill table ($0.04 / image flat) and Black Forest Labs' Kontext [pro] $0.04",
    },
  },
  {
    endpoints: [
      "fal-ai/flux-pro/kontext/max",
      "fal-ai/flux-pro/kontext/max/text-to-image",
      "fal-ai/flux-pro/kontext/max/multi",
    ],
    unit: "image",
    usd: 0.08,
    imagesInput: "num_images",
    source: {
      url: model("fal-ai/flux-pro/kontext/max"),
      asOf: READ,
      evidence:
        "no stored copy of fal's page; oauth.openai-hk.com's fal list ($0.08) and Black Forest Labs' Kontext " +
        "[max] $0.08",
    },
  },
  {
    endpoints: ["fal-ai/recraft/v3/text-to-image", "fal-ai/recraft-v3"],
    unit: "image",
    usd: { raster: 0.04, vector: 0.08 },
    dimensions: [
      {
        input: "style",
        tiers: ["raster", "vector"],
        default: "raster",
        prefixes: [["vector_illustration", "vector"]],
        otherwise: "raster",
      },
    ],
    source: {
      url: model("fal-ai/recraft/v3/text-to-image"),
      asOf: "2026-05-01",
      evidence:
        'fal\'s schema for `style` (client 1.10.1): "Vector images cost 2X as much", default realistic_image; ' +
        "$0.04 per image in a fal skill note (keigit.com, 2026-05-01); LiteLLM lists $0.0398: the higher is kept",
    },
    note: "one image per request; vector_illustration styles bill twice",
  },
  {
    endpoints: ["fal-ai/ideogram/v2"],
    unit: "image",
    usd: 0.08,
    source: {
      url: "https://ideogram.ai/features/api-pricing",
      asOf: "2026-11-16",
      evidence:
        "no stored copy of fal's page; Ideogram's own API price for 2.0 Default is $0.08 per image, and fal's " +
        "ideogram/v2/turbo llms.txt price ($0.05) equals Ideogram's 2.0 Turbo price, so fal passes Ideogram's " +
        "list prices through",
    },
    note: "one image per request",
  },
  {
    endpoints: ["fal-ai/ideogram/v2/turbo"],
    unit: "image",
    usd: 0.05,
    source: { url: llms("fal-ai/ideogram/v2/turbo"), asOf: READ, evidence: `${UNDATED}: "$0.05 per images"` },
    note: "one image per request",
  },
  {
    endpoints: ["fal-ai/gpt-image-1.5"],
    unit: "image",
    usd: gptImageCells(),
    imagesInput: "num_images",
    dimensions: [
      GPT_IMAGE_QUALITY,
      { input: "image_size", tiers: ["1024x1024", "1536x1024", "1024x1536"], default: "1024x1024" },
    ],
    source: GPT_IMAGE_15_SOURCE,
    promptTokensPerThousandUsd: 0.005,
    note: GPT_IMAGE_TEXT_TOKENS,
  },
  {
    endpoints: ["fal-ai/gpt-image-1.5/edit"],
    unit: "image",
    usd: gptImageCells(),
    imagesInput: "num_images",
    // `auto` (the default) lets the model pick: priced at the dearest size.
    dimensions: [GPT_IMAGE_QUALITY, { input: "image_size", tiers: ["1024x1024", "1536x1024", "1024x1536"] }],
    source: {
      ...GPT_IMAGE_15_SOURCE,
      evidence: `${GPT_IMAGE_15_SOURCE.evidence}; no separate page for /edit was found: priced as generation`,
    },
    promptTokensPerThousandUsd: 0.005,
    note: `${GPT_IMAGE_TEXT_TOKENS}; input images may add image input tokens`,
  },
  {
    endpoints: ["fal-ai/gpt-image-1/text-to-image"],
    unit: "image",
    usd: {
      "low|1024x1024": 0.011,
      "low|1536x1024": 0.016,
      "low|1024x1536": 0.016,
      "medium|1024x1024": 0.042,
      "medium|1536x1024": 0.063,
      "medium|1024x1536": 0.063,
      "high|1024x1024": 0.167,
      "high|1536x1024": 0.25,
      "high|1024x1536": 0.25,
    },
    imagesInput: "num_images",
    // `auto` (the default) lets the model pick: priced at the dearest size and quality.
    dimensions: [
      { input: "quality", tiers: ["low", "medium", "high"] },
      { input: "image_size", tiers: ["1024x1024", "1536x1024", "1024x1536"] },
    ],
    promptTokensPerThousandUsd: 0.002,
    source: {
      url: llms("fal-ai/gpt-image-1/text-to-image"),
      asOf: "2026-12-04",
      evidence:
        "fal llms.txt (undated; read 2026-12-04): $0.002 per 1,000 input text tokens; low $0.011 for 1024x1024 or " +
        "$0.016 for any other size, medium $0.042 / $0.063, high $0.167 / $0.25 per output image; the total " +
        "rounded up to the nearest cent",
    },
    note: "fal rounds each request's total up to the nearest cent: up to $0.01 more than this table",
  },
  {
    endpoints: ["fal-ai/nano-banana", "fal-ai/nano-banana/edit"],
    unit: "image",
    usd: 0.039,
    imagesInput: "num_images",
    source: {
      url: model("fal-ai/nano-banana"),
      asOf: "2026-01-26",
      evidence:
        "lumenfall.ai's provider data: fal official, $0.039 per image for Gemini 2.5 Flash Image " +
        "(fal-ai/gemini-25-flash-image and /edit, the model behind fal-ai/nano-banana), effective 2026-01-26",
    },
  },
  {
    endpoints: ["fal-ai/imagen4/preview"],
    unit: "image",
    usd: 0.04,
    imagesInput: "num_images",
    source: {
      url: model("fal-ai/imagen4/preview"),
      asOf: "2026-01-26",
      evidence: "lumenfall.ai's provider data: fal official, $0.04 per image, effective 2026-01-26",
    },
    note: "no source prices the 2K resolution apart: priced as 1K",
  },
  // --------------------------------------------------------------------------------------------- per second
  {
    endpoints: ["fal-ai/veo3", "fal-ai/veo3/image-to-video"],
    unit: "second",
    usd: { off: 0.2, on: 0.4 },
    dimensions: [GENERATE_AUDIO],
    durations: DURATION([4, 6, 8], 8),
    source: {
      url: llms("fal-ai/veo3"),
      asOf: READ,
      evidence: `${UNDATED}: "$0.20 (audio off) or $0.40 (audio on)" per second; 4s / 6s / 8s, default 8s`,
    },
  },
  {
    endpoints: ["fal-ai/veo3/fast", "fal-ai/veo3/fast/image-to-video"],
    unit: "second",
    usd: { off: 0.1, on: 0.15 },
    dimensions: [GENERATE_AUDIO],
    durations: DURATION([4, 6, 8], 8),
    source: {
      url: "https://fal.ai/learn/devs/veo3-developer-guide-building-production-ready-video-generation-applications",
      asOf: READ,
      evidence:
        'fal developer guide (undated): "fal-ai/veo3/fast ... at $0.10-$0.15/second", read as audio off / on ' +
        "like fal-ai/veo3's $0.20 / $0.40",
    },
  },
  {
    endpoints: ["fal-ai/veo3.1", "fal-ai/veo3.1/image-to-video"],
    unit: "second",
    usd: {
      "off|720p": 0.2,
      "off|1080p": 0.2,
      "off|4k": 0.4,
      "on|720p": 0.4,
      "on|1080p": 0.4,
      "on|4k": 0.6,
    },
    dimensions: [GENERATE_AUDIO, { input: "resolution", tiers: ["720p", "1080p", "4k"], default: "720p" }],
    durations: DURATION([4, 6, 8], 8),
    source: {
      url: llms("fal-ai/veo3.1"),
      asOf: READ,
      evidence:
        `${UNDATED} and its playground: $0.20 without / $0.40 with audio at 720p or 1080p, $0.40 / $0.60 at 4k, ` +
        "per second; image-to-video costs the same (videopromptkit.com)",
    },
  },
  {
    endpoints: [
      "fal-ai/kling-video/v2.1/master/text-to-video",
      "fal-ai/kling-video/v2.1/master/image-to-video",
    ],
    unit: "second",
    usd: 0.28,
    durations: DURATION([5, 10], 5),
    source: {
      url: llms("fal-ai/kling-video/v2.1/master/text-to-video"),
      asOf: READ,
      evidence: `${UNDATED} (and image-to-video's): "For 5s video your request will cost $1.40. For every additional second ... $0.28"`,
    },
  },
  {
    endpoints: ["fal-ai/kling-video/v2.1/standard/image-to-video"],
    unit: "second",
    usd: 0.056,
    durations: DURATION([5, 10], 5),
    source: {
      url: llms("fal-ai/kling-video/v2.1/standard/image-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: $0.28 for 5s, $0.056 for every additional second`,
    },
  },
  {
    endpoints: ["fal-ai/kling-video/v2.1/pro/image-to-video"],
    unit: "second",
    usd: 0.098,
    durations: DURATION([5, 10], 5),
    source: {
      url: llms("fal-ai/kling-video/v2.1/pro/image-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: $0.49 for 5s, $0.098 for every additional second`,
    },
  },
  {
    endpoints: [
      "fal-ai/kling-video/v2.5-turbo/pro/text-to-video",
      "fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
    ],
    unit: "second",
    usd: 0.07,
    durations: DURATION([5, 10], 5),
    source: {
      url: llms("fal-ai/kling-video/v2.5-turbo/pro/image-to-video"),
      asOf: READ,
      evidence:
        `${UNDATED}: $0.35 for 5s, $0.07 for every additional second; eachlabs.ai (2026-06-08) quotes the same ` +
        "text for text-to-video",
    },
  },
  {
    endpoints: ["fal-ai/kling-video/v2.5-turbo/standard/image-to-video"],
    unit: "second",
    usd: 0.042,
    durations: DURATION([5, 10], 5),
    source: {
      url: llms("fal-ai/kling-video/v2.5-turbo/standard/image-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: $0.21 for 5s, $0.042 for every additional second`,
    },
  },
  {
    endpoints: ["fal-ai/kling-video/v3/pro/text-to-video", "fal-ai/kling-video/v3/pro/image-to-video"],
    unit: "second",
    usd: { off: 0.112, on: 0.168, voice: 0.196 },
    dimensions: [KLING_V3_AUDIO],
    durations: KLING_V3_SECONDS,
    source: {
      url: "https://fal.ai/models/fal-ai/kling-video/v3/pro/image-to-video",
      asOf: "2026-06-14",
      evidence:
        "fal playground: $0.112 (audio off) or $0.168 (audio on) per second, $0.196 with voice control; the same " +
        "in fal's Kling 3.0 Pro guide (last updated 2026-06-14) for its text-to-video endpoint. A fal skill note " +
        "(keigit.com, 2026-05-01) lists $0.224 / s: fal's own page is kept",
    },
  },
  {
    endpoints: [
      "fal-ai/kling-video/v3/turbo/pro/text-to-video",
      "fal-ai/kling-video/v3/turbo/pro/image-to-video",
    ],
    unit: "second",
    usd: 0.14,
    durations: KLING_V3_SECONDS,
    source: {
      url: llms("fal-ai/kling-video/v3/turbo/pro/text-to-video"),
      asOf: "2026-12-04",
      evidence:
        "fal llms.txt for both endpoints (undated; read 2026-12-04): $0.14 for every second of video, a 5s video " +
        "$0.70; durations 3 to 15 s, default 5; muapi.ai lists the same $0.14 / s",
    },
  },
  {
    endpoints: [
      "fal-ai/kling-video/v3/standard/text-to-video",
      "fal-ai/kling-video/v3/standard/image-to-video",
    ],
    unit: "second",
    usd: { off: 0.084, on: 0.126, voice: 0.154 },
    dimensions: [KLING_V3_AUDIO],
    durations: KLING_V3_SECONDS,
    source: {
      url: llms("fal-ai/kling-video/v3/standard/text-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: $0.084 (audio off) or $0.126 (audio on) per second, $0.154 with voice control`,
    },
  },
  {
    endpoints: ["fal-ai/minimax/hailuo-02/standard/image-to-video"],
    unit: "second",
    usd: { "512P": 0.017, "768P": 0.045 },
    dimensions: [{ input: "resolution", tiers: ["512P", "768P"], default: "768P" }],
    durations: DURATION([6, 10], 6),
    source: {
      url: llms("fal-ai/minimax/hailuo-02/standard/image-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: $0.045 / s at 768P, "roughly $0.017/sec" at 512P (a 6 s 768p video $0.27)`,
    },
  },
  {
    endpoints: ["fal-ai/minimax/hailuo-02/standard/text-to-video"],
    unit: "second",
    usd: 0.045,
    durations: DURATION([6, 10], 6),
    source: {
      url: model("fal-ai/minimax/hailuo-02/standard/text-to-video"),
      asOf: READ,
      evidence:
        "fal page (undated): 768p only; no stored price for text-to-video: the 768P $0.045 / s of the standard " +
        "image-to-video endpoint",
    },
  },
  {
    endpoints: ["fal-ai/sora-2/text-to-video", "fal-ai/sora-2/image-to-video"],
    unit: "second",
    usd: 0.1,
    durations: DURATION([4, 8, 12, 16, 20], 4),
    source: {
      url: llms("fal-ai/sora-2/text-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: "$0.1/s for Sora 2"`,
    },
  },
  {
    endpoints: ["fal-ai/sora-2/text-to-video/pro", "fal-ai/sora-2/image-to-video/pro"],
    unit: "second",
    usd: { "720p": 0.3, "1080p": 0.5, true_1080p: 0.7 },
    dimensions: [{ input: "resolution", tiers: ["720p", "1080p", "true_1080p"], default: "1080p" }],
    durations: DURATION([4, 8, 12, 16, 20], 4),
    source: {
      url: "https://fal.ai/learn/tools/kling-3-0-pro-vs-sora-2-pro",
      asOf: READ,
      evidence:
        "fal comparison guide (undated): Sora 2 Pro $0.30 / s at 720p, $0.50 at (legacy) 1080p, $0.70 at true " +
        "1080p, audio included; fal's API reference: $0.50 / s at 1080p",
    },
  },
  // ---------------------------------------------------------------------------------------------- per video
  {
    endpoints: [
      "fal-ai/minimax/hailuo-2.3/standard/text-to-video",
      "fal-ai/minimax/hailuo-2.3/standard/image-to-video",
    ],
    unit: "video",
    usd: { "6": 0.28, "10": 0.56 },
    dimensions: [{ input: "duration", tiers: ["6", "10"], default: "6", numeric: true }],
    source: {
      url: llms("fal-ai/minimax/hailuo-2.3/standard/text-to-video"),
      asOf: READ,
      evidence: `${UNDATED} (and image-to-video's): $0.28 per 6 second, $0.56 per 10 second video`,
    },
  },
  {
    endpoints: [
      "fal-ai/minimax/hailuo-2.3/pro/text-to-video",
      "fal-ai/minimax/hailuo-2.3/pro/image-to-video",
    ],
    unit: "video",
    usd: 0.49,
    source: {
      url: llms("fal-ai/minimax/hailuo-2.3/pro/text-to-video"),
      asOf: "2026-06-12",
      evidence:
        `${UNDATED} (and image-to-video's): $0.49 per video; fal's Kling V3 Pro vs Hailuo 2.3 Pro guide ` +
        "(last updated 2026-06-12): $0.49 flat",
    },
  },
  {
    endpoints: ["fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video"],
    unit: "video",
    usd: { "6": 0.19, "10": 0.32 },
    dimensions: [{ input: "duration", tiers: ["6", "10"], default: "6", numeric: true }],
    source: {
      url: llms("fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: $0.19 per 6 second, $0.32 per 10 second video`,
    },
  },
  {
    endpoints: ["fal-ai/minimax/hailuo-2.3-fast/pro/image-to-video"],
    unit: "video",
    usd: 0.33,
    source: {
      url: llms("fal-ai/minimax/hailuo-2.3-fast/pro/image-to-video"),
      asOf: READ,
      evidence: `${UNDATED}: "$0.33 per videos"; crepal.ai (verified 2026-03) says $0.32: the higher is kept`,
    },
  },
  {
    endpoints: ["fal-ai/minimax/video-01", "fal-ai/minimax/video-01/image-to-video"],
    unit: "video",
    usd: 0.5,
    source: {
      url: model("fal-ai/minimax/video-01"),
      asOf: READ,
      evidence:
        "no stored copy of fal's page; MeshAgent's fal table lists the video-01 family (live, director, " +
        "subject-reference) at $0.50 per video, a fal integration comment ~$0.28 (APIBouncer 0.28): the higher " +
        "is kept",
    },
  },
];
