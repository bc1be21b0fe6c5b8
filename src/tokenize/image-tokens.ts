import { normalizeModelName, stripDateSnapshot } from "../model-names.js";

/*
 * How many input tokens one image can cost when its size is unknown.
 *
 * Source: https://platform.openai.com/docs/guides/images-vision#calculating-costs (now served at
 * https://developers.openai.com/api/docs/guides/images-vision), read 2026-11-25, plus community measurements
 * where the docs are silent or lower than what the API bills (cited per entry). Where sources disagree the
 * larger bound is kept.
 *
 * Tile models: `low` costs the base; `high` / `auto` fit the image within 2048 x 2048, then scale its short side
 * down to 768 px (images are never scaled up: a 128 x 64 image is billed 1 tile on gpt-4o), and bill each 512-px
 * tile. At most 4 x 2 tiles remain (long side <= 2048, short side <= 768), so the bound is base + 8 x tile.
 *
 * Patch models: 32-px patches up to a patch budget, times a multiplier. `low` is not trusted to lower the bill
 * (measured: "detail: low is of no effect on these patches models").
 */

export type ImageDetail = "low" | "high" | "auto" | "original";

export interface ImageTokenEstimate {
  tokens: number;
  /** `high`: documented numbers. `medium`: a measured or assumed number, or an unknown model. `low`: uncapped. */
  confidence: "high" | "medium" | "low";
  note?: string;
}

interface TileRule {
  kind: "tile";
  base: number;
  tile: number;
  maxTiles: number;
  /** Tokens added whatever the detail (gpt-image-1 high input fidelity). */
  extra?: number;
  /** gpt-image-1 has no `detail`: its input fidelity decides, so `low` cannot be trusted to lower the cost. */
  ignoresDetail?: boolean;
}

interface PatchLimit {
  patches: number;
  multiplier: number;
}

interface PatchRule {
  kind: "patch";
  /** `low` / `high` (and `auto` unless `autoIsOriginal`). Each pair is one source; the largest product wins. */
  high: readonly PatchLimit[];
  /** `original` (and `auto` / omitted when `autoIsOriginal`). Absent: the model has no `original` level. */
  original?: readonly PatchLimit[];
  autoIsOriginal?: boolean;
  /** The docs set no cap on `original`: the bound assumes `original` below and is flagged `low`. */
  originalUncapped?: boolean;
}

interface ImageModelEntry {
  /** Names after normalization and snapshot stripping; a trailing `*` matches a prefix. First match wins. */
  models: readonly string[];
  rule: TileRule | PatchRule;
  confidence: "high" | "medium";
  note?: string;
}

const TILES_768 = 8; // long side <= 2048 (4 tiles), short side <= 768 (2 tiles)
const TILES_512 = 4; // gpt-image-1: short side <= 512 (1 tile)
const MEASURED =
  "community.openai.com/t/introducing-gpt-5-4-mini-and-nano-our-most-capable-small-models-yet/1377015";
const MEASURED_NOTE = `image multiplier not documented; 1.2 as measured on the API (${MEASURED})`;

export const IMAGE_TOKEN_TABLE_AS_OF = "2026-11-25";

const IMAGE_MODELS: readonly ImageModelEntry[] = [
  // Order matters: more specific names first.
  {
    models: ["gpt-4o-mini*"],
    rule: { kind: "tile", base: 2833, tile: 5667, maxTiles: TILES_768 },
    confidence: "high",
  },
  {
    models: ["gpt-4.1-mini*"],
    rule: { kind: "patch", high: [{ patches: 1536, multiplier: 1.62 }] },
    confidence: "high",
  },
  {
    models: ["gpt-4.1-nano*"],
    rule: { kind: "patch", high: [{ patches: 1536, multiplier: 2.46 }] },
    confidence: "high",
  },
  {
    models: [
      "gpt-4o*",
      "chatgpt-4o*",
      "gpt-4.1*",
      "gpt-4.5*",
      "gpt-4-turbo*",
      "gpt-4-vision-preview",
      "gpt-4-1106-vision-preview",
    ],
    rule: { kind: "tile", base: 85, tile: 170, maxTiles: TILES_768 },
    confidence: "high",
  },
  {
    models: ["o1*", "o3*"],
    rule: { kind: "tile", base: 75, tile: 150, maxTiles: TILES_768 },
    confidence: "high",
  },
  {
    models: ["o4-mini*", "codex-mini-latest"],
    rule: { kind: "patch", high: [{ patches: 1536, multiplier: 1.72 }] },
    confidence: "high",
  },
  {
    // Docs: 1,536 x 1.62. Measured: 1,536 x 1.2.
    models: ["gpt-5-mini*"],
    rule: { kind: "patch", high: [{ patches: 1536, multiplier: 1.62 }] },
    confidence: "high",
  },
  {
    // Docs: 1,536 x 2.46. Measured: 1,536 x 1.5.
    models: ["gpt-5-nano*"],
    rule: { kind: "patch", high: [{ patches: 1536, multiplier: 2.46 }] },
    confidence: "high",
  },
  {
    // Docs: 1,536 x 1.62. Measured: 2,500 patches billed at `high`, x 1.2.
    models: ["gpt-5.4-mini*"],
    rule: {
      kind: "patch",
      high: [
        { patches: 1536, multiplier: 1.62 },
        { patches: 2500, multiplier: 1.2 },
      ],
    },
    confidence: "medium",
    note: `gpt-5.4-mini bills up to 2,500 image patches, not the documented 1,536 (${MEASURED})`,
  },
  {
    models: ["gpt-5.4-nano*"],
    rule: {
      kind: "patch",
      high: [
        { patches: 1536, multiplier: 2.46 },
        { patches: 2500, multiplier: 1.2 },
      ],
    },
    confidence: "medium",
    note: `gpt-5.4-nano bills up to 2,500 image patches, not the documented 1,536 (${MEASURED})`,
  },
  {
    // Docs: `high` 2,500 patches, `original` 10,000; `auto` = `high`.
    models: ["gpt-5.4*"],
    rule: {
      kind: "patch",
      high: [{ patches: 2500, multiplier: 1.2 }],
      original: [{ patches: 10_000, multiplier: 1.2 }],
    },
    confidence: "medium",
    note: MEASURED_NOTE,
  },
  {
    // Docs: as gpt-5.4, but `auto` and an omitted detail mean `original`.
    models: ["gpt-5.5*"],
    rule: {
      kind: "patch",
      high: [{ patches: 2500, multiplier: 1.2 }],
      original: [{ patches: 10_000, multiplier: 1.2 }],
      autoIsOriginal: true,
    },
    confidence: "medium",
    note: MEASURED_NOTE,
  },
  {
    // Docs: `low` / `high` have "finite limits" (not given; gpt-5.5's assumed); `original`, `auto` and an omitted
    // detail keep the input size with no patch cap at all.
    models: ["gpt-5.6*"],
    rule: {
      kind: "patch",
      high: [{ patches: 2500, multiplier: 1.2 }],
      original: [{ patches: 10_000, multiplier: 1.2 }],
      autoIsOriginal: true,
      originalUncapped: true,
    },
    confidence: "medium",
    note: "GPT-5.6 image limits for low/high are not documented; gpt-5.5's 2,500 patches x 1.2 assumed",
  },
  {
    // Docs: 1,536-patch budget, multiplier not listed.
    models: ["gpt-5.2*", "gpt-5.3-codex*", "gpt-5-codex-mini*", "gpt-5.1-codex-mini*"],
    rule: { kind: "patch", high: [{ patches: 1536, multiplier: 1.2 }] },
    confidence: "medium",
    note: MEASURED_NOTE,
  },
  {
    models: ["gpt-5", "gpt-5-chat-latest"],
    rule: { kind: "tile", base: 70, tile: 140, maxTiles: TILES_768 },
    confidence: "high",
  },
  {
    models: ["computer-use-preview*"],
    rule: { kind: "tile", base: 65, tile: 129, maxTiles: TILES_768 },
    confidence: "high",
  },
  {
    // Short side scaled to 512 instead of 768; high input fidelity adds 6,240 tokens (4,160 for square images).
    models: ["gpt-image-1"],
    rule: { kind: "tile", base: 65, tile: 129, maxTiles: TILES_512, extra: 6240, ignoresDetail: true },
    confidence: "high",
  },
];

const GPT_5_6_UNCAPPED_NOTE =
  "GPT-5.6 bills original-size images (detail original/auto/omitted) without a patch cap; 10,000 patches x 1.2 " +
  "assumed. A sound bound is the model's context window";

function boundOf(limits: readonly PatchLimit[]): number {
  let most = 0;
  for (const { patches, multiplier } of limits) most = Math.max(most, Math.ceil(patches * multiplier));
  return most;
}

function estimateFor(entry: ImageModelEntry, detail: string | undefined): ImageTokenEstimate {
  const { rule } = entry;
  const withNote = (tokens: number, confidence: ImageTokenEstimate["confidence"], note = entry.note) =>
    note === undefined ? { tokens, confidence } : { tokens, confidence, note };
  if (rule.kind === "tile") {
    const extra = rule.extra ?? 0;
    const low = detail === "low" && !rule.ignoresDetail;
    return withNote(
      low ? rule.base + extra : rule.base + rule.maxTiles * rule.tile + extra,
      entry.confidence,
    );
  }
  const useOriginal =
    rule.original !== undefined &&
    (detail === "original" ||
      (rule.autoIsOriginal === true && detail !== "low" && detail !== "high") ||
      // an unknown detail string: the worst case
      (detail !== undefined && detail !== "low" && detail !== "high" && detail !== "auto"));
  if (useOriginal && rule.original) {
    if (rule.originalUncapped) return withNote(boundOf(rule.original), "low", GPT_5_6_UNCAPPED_NOTE);
    return withNote(boundOf(rule.original), entry.confidence);
  }
  return withNote(boundOf(rule.high), entry.confidence);
}

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function findEntry(model: string): ImageModelEntry | undefined {
  const full = normalizeModelName(model);
  const base = stripDateSnapshot(full);
  return IMAGE_MODELS.find((entry) => entry.models.some((p) => matches(p, base) || matches(p, full)));
}

function worstCapped(entry: ImageModelEntry): number {
  const { rule } = entry;
  if (rule.kind === "tile") return rule.base + rule.maxTiles * rule.tile + (rule.extra ?? 0);
  return Math.max(boundOf(rule.high), rule.original ? boundOf(rule.original) : 0);
}

/** Unknown models: the largest bound in the table, gpt-4o-mini (whose tokens are priced far lower) aside. */
export const UNKNOWN_MODEL_IMAGE_TOKENS = Math.max(
  ...IMAGE_MODELS.filter((entry) => !entry.models.includes("gpt-4o-mini*")).map(worstCapped),
);

/** The most input tokens one image of unknown size can cost, with how sure that bound is. */
export function imageTokenEstimate(model: string, detail: string | undefined): ImageTokenEstimate {
  const entry = findEntry(model);
  if (!entry) {
    return {
      tokens: UNKNOWN_MODEL_IMAGE_TOKENS,
      confidence: "medium",
      note: `no image token rule for model ${JSON.stringify(model)}; assumed the largest known bound (${UNKNOWN_MODEL_IMAGE_TOKENS} tokens per image)`,
    };
  }
  return estimateFor(entry, detail);
}

/** The most input tokens one image of unknown size can cost. */
export function imageTokenBound(model: string, detail: ImageDetail | (string & {}) | undefined): number {
  return imageTokenEstimate(model, detail).tokens;
}
