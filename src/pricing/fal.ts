import { type Nano, roundTo, usdToNano } from "../money.js";
import type { PriceSource } from "../types.js";
import {
  FAL_CUSTOM_SIZE_DEFAULT_SIDE,
  FAL_ENDPOINTS,
  FAL_IMAGE_SIZE_PRESETS,
  FAL_MEGAPIXEL,
  type FalDurations,
  type FalEndpointRow,
  type FalSize,
  type FalTierDimension,
  type FalUnit,
} from "./data/fal-media.js";

/*
 * Layer 2 of the catalog for fal.ai (./data/fal-media.ts), in integer nano-USD rounded up. Endpoint ids match
 * exactly as callers pass them to `subscribe` / `run` / `queue.submit`: no prefix matching, so
 * `fal-ai/flux-pro/v1.1-ultra` is never priced as `fal-ai/flux-pro/v1.1`.
 */

export { FAL_IMAGE_SIZE_PRESETS, FAL_MEGAPIXEL, type FalUnit };

export interface FalEndpointPrice {
  endpoint: string;
  unit: FalUnit;
  /** nano-USD per unit; the dearest tier when the price depends on the request (quality, audio, ...). */
  perUnit: Nano;
  source: PriceSource;
  /** Quality tiers, cheapest first, when the endpoint prices by `quality`. */
  qualities?: string[];
  /** The `image_size` values the endpoint prices by, or the presets a megapixel endpoint accepts. */
  sizes?: string[];
  note?: string;
}

export interface FalQuote {
  endpoint: string;
  unit: FalUnit;
  /** Images, megapixels, seconds, videos or requests. */
  units: number;
  perUnit: Nano;
  /** units x perUnit, plus `promptUsd`: the most the request can cost. */
  amount: Nano;
  /** The charge for the prompt's text tokens, on endpoints that bill them (bounded by its UTF-8 bytes). */
  promptCost?: Nano;
  quality?: string;
  /** The priced size: an `image_size` tier, or WxH of a megapixel endpoint's images. */
  size?: string;
  /** The tier each price-relevant input resolved to (input field -> tier). */
  tiers?: Record<string, string>;
  source: PriceSource;
  /** What was assumed to resolve the request (missing / auto / unlisted values). Empty when nothing was. */
  assumed: string[];
}

type Input = Readonly<Record<string, unknown>>;

interface Endpoint {
  id: string;
  row: FalEndpointRow;
  /** nano-USD per unit, by tier key ("" for an untiered row). */
  prices: ReadonlyMap<string, Nano>;
  dearest: Nano;
  source: PriceSource;
}

const up = (usd: number) => usdToNano(usd, "up");

function combinations(dimensions: readonly FalTierDimension[]): string[][] {
  let combos: string[][] = [[]];
  for (const dimension of dimensions) {
    combos = combos.flatMap((combo) => dimension.tiers.map((tier) => [...combo, tier]));
  }
  return combos;
}

function compile(row: FalEndpointRow, id: string): Endpoint {
  const prices = new Map<string, Nano>();
  const dimensions = row.dimensions ?? [];
  if (typeof row.usd === "number") {
    if (dimensions.length > 0) throw new Error(`fal table: ${id} has dimensions but one price`);
    prices.set("", up(row.usd));
  } else {
    for (const combo of combinations(dimensions)) {
      const key = combo.join("|");
      const usd = row.usd[key];
      if (usd === undefined) throw new Error(`fal table: ${id} has no price for ${key}`);
      prices.set(key, up(usd));
    }
  }
  const source: PriceSource = {
    layer: "media",
    detail: `fal media table (${id}), ${row.source.url}, as of ${row.source.asOf}`,
  };
  return { id, row, prices, dearest: Math.max(...prices.values()), source };
}

const ENDPOINTS = new Map<string, Endpoint>();
for (const row of FAL_ENDPOINTS) {
  for (const id of row.endpoints) {
    if (ENDPOINTS.has(id)) throw new Error(`fal table: ${id} is listed twice`);
    ENDPOINTS.set(id, compile(row, id));
  }
}

const lookup = (endpointId: string) => ENDPOINTS.get(endpointId.trim());

/** Every endpoint id the table prices (for docs and the CLI). */
export function falEndpointIds(): string[] {
  return [...ENDPOINTS.keys()];
}

function dimension(entry: Endpoint, input: string): FalTierDimension | undefined {
  return entry.row.dimensions?.find((d) => d.input === input);
}

function sizesOf(entry: Endpoint): string[] {
  const tiered = dimension(entry, "image_size");
  if (tiered) return [...tiered.tiers];
  if (entry.row.unit === "megapixel" && !entry.row.noSizeInput) return Object.keys(FAL_IMAGE_SIZE_PRESETS);
  return [];
}

/** The endpoint's unit and price. Unknown endpoint: undefined (the caller refuses it). */
export function falEndpoint(endpointId: string): FalEndpointPrice | undefined {
  const entry = lookup(endpointId);
  if (!entry) return undefined;
  const price: FalEndpointPrice = {
    endpoint: entry.id,
    unit: entry.row.unit,
    perUnit: entry.dearest,
    source: entry.source,
  };
  const quality = dimension(entry, "quality");
  if (quality) price.qualities = [...quality.tiers];
  const sizes = sizesOf(entry);
  if (sizes.length > 0) price.sizes = sizes;
  if (entry.row.note !== undefined) price.note = entry.row.note;
  return price;
}

/** Quality tiers, cheapest first ([] when the endpoint has none; undefined for an unknown endpoint). */
export function falImageQualities(endpointId: string): string[] | undefined {
  const entry = lookup(endpointId);
  if (!entry) return undefined;
  return [...(dimension(entry, "quality")?.tiers ?? [])];
}

/**
 * The `image_size` values the endpoint prices by, or for a megapixel endpoint the presets it accepts (any
 * `{ width, height }` is accepted too). [] when neither applies; undefined for an unknown endpoint.
 */
export function falImageSizes(endpointId: string): string[] | undefined {
  const entry = lookup(endpointId);
  return entry ? sizesOf(entry) : undefined;
}

// ---------------------------------------------------------------------------------------------------- tiers

const present = (value: unknown) =>
  value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0);

function seconds(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*s?\s*$/i.exec(value);
  const parsed = match ? Number(match[1]) : Number.NaN;
  return parsed > 0 ? parsed : undefined;
}

/** A tier, or undefined when the value leaves the tier open (priced at the dearest). */
function tierOf(dim: FalTierDimension, raw: unknown, notes: string[] | undefined): string | undefined {
  const escalationTier = dim.escalate?.tier;
  const field = dim.input;
  if (!present(raw)) {
    if (dim.default !== undefined) {
      notes?.push(`${field} not set: fal's default "${dim.default}"`);
      return dim.default;
    }
    notes?.push(`${field} not set: priced at the dearest tier`);
    return undefined;
  }
  const value = String(raw).trim().toLowerCase();
  if (dim.numeric) {
    const wanted = seconds(raw);
    const values = dim.tiers.map(Number);
    if (wanted === undefined) {
      notes?.push(`${field} "${String(raw)}" is not a duration: priced at the dearest tier`);
      return undefined;
    }
    const index = values.findIndex((v) => v >= wanted);
    const fallback = dim.tiers[dim.tiers.length - 1];
    if (index < 0) {
      notes?.push(
        `${field} ${wanted} is longer than any offered (the API rejects it): priced as ${fallback}`,
      );
      return fallback;
    }
    const tier = dim.tiers[index];
    if (values[index] !== wanted)
      notes?.push(`${field} ${wanted} is not offered: priced as the next longer, ${tier}`);
    return tier;
  }
  if (value === "auto") {
    notes?.push(`${field} auto: priced at the dearest tier`);
    return undefined;
  }
  const direct = dim.tiers.find((t) => t.toLowerCase() === value && t !== escalationTier);
  if (direct !== undefined) return direct;
  const alias = dim.aliases?.[value];
  if (alias !== undefined) return alias;
  const prefixed = dim.prefixes?.find(([prefix]) => value.startsWith(prefix));
  if (prefixed) return prefixed[1];
  if (dim.otherwise !== undefined) return dim.otherwise;
  notes?.push(`${field} "${String(raw)}" is not in the table: priced at the dearest tier`);
  return undefined;
}

interface ResolvedTiers {
  key: string;
  perUnit: Nano;
  byInput: Record<string, string>;
}

function resolveTiers(entry: Endpoint, input: Input, notes: string[] | undefined): ResolvedTiers {
  const dims = entry.row.dimensions ?? [];
  if (dims.length === 0) return { key: "", perUnit: entry.dearest, byInput: {} };
  const fixed = dims.map((dim) => tierOf(dim, input[dim.input], notes));
  // Open tiers take whichever value makes the whole combination dearest (tiers can interact, e.g. audio x 4k).
  let best: { combo: string[]; price: Nano } = { combo: [], price: -1 };
  for (const combo of combinations(dims)) {
    const fits = combo.every((tier, i) => {
      const dim = dims[i];
      const chosen = fixed[i];
      if (chosen !== undefined) return tier === chosen;
      return tier !== dim?.escalate?.tier;
    });
    const price = entry.prices.get(combo.join("|")) ?? -1;
    if (fits && price > best.price) best = { combo, price };
  }
  const combo = best.combo.map((tier, i) => {
    const dim = dims[i];
    if (!dim?.escalate || tier === dim.tiers[0] || !present(input[dim.escalate.whenPresent])) return tier;
    return dim.escalate.tier;
  });
  const key = combo.join("|");
  const byInput: Record<string, string> = {};
  dims.forEach((dim, i) => {
    byInput[dim.input] = combo[i] ?? "";
  });
  return { key, perUnit: entry.prices.get(key) ?? entry.dearest, byInput };
}

// ---------------------------------------------------------------------------------------------------- units

function imageCount(row: FalEndpointRow, input: Input, notes: string[] | undefined): number {
  if (row.imagesInput === undefined) return 1;
  const raw = input[row.imagesInput];
  if (!present(raw)) return 1;
  const n = typeof raw === "number" ? raw : Number(raw);
  if (Number.isInteger(n) && n >= 1) return n;
  const count = Number.isFinite(n) && n > 0 ? Math.ceil(n) : 1;
  notes?.push(`${row.imagesInput} "${String(raw)}" is not a positive integer: priced as ${count}`);
  return count;
}

/** Megapixels fal bills for one image of this size: 1024 x 1024-pixel megapixels, rounded up. */
function megapixelsOf(size: FalSize): number {
  return Math.max(1, Math.ceil((size.width * size.height) / FAL_MEGAPIXEL));
}

const positive = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value > 0;

function parseSize(raw: unknown): FalSize | undefined {
  if (typeof raw === "string") {
    const preset = FAL_IMAGE_SIZE_PRESETS[raw.trim().toLowerCase()];
    if (preset) return preset;
    const match = /^\s*(\d{1,5})\s*x\s*(\d{1,5})\s*$/i.exec(raw);
    if (match) {
      const size = { width: Number(match[1]), height: Number(match[2]) };
      return size.width > 0 && size.height > 0 ? size : undefined;
    }
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const { width, height } = raw as { width?: unknown; height?: unknown };
  if ((width !== undefined && !positive(width)) || (height !== undefined && !positive(height)))
    return undefined;
  return {
    width: positive(width) ? (width as number) : FAL_CUSTOM_SIZE_DEFAULT_SIDE,
    height: positive(height) ? (height as number) : FAL_CUSTOM_SIZE_DEFAULT_SIDE,
  };
}

/**
 * Megapixels fal bills for one image of `size`: a preset name, "WxH" or `{ width, height }` (a missing side is
 * fal's default 512). 1024 x 1024 pixels make one megapixel, and each image is rounded up. Unparseable: undefined.
 */
export function falMegapixels(size: unknown): number | undefined {
  const parsed = parseSize(size);
  return parsed ? megapixelsOf(parsed) : undefined;
}

function defaultSizeOf(row: FalEndpointRow): FalSize {
  const size =
    typeof row.defaultSize === "string" ? FAL_IMAGE_SIZE_PRESETS[row.defaultSize] : row.defaultSize;
  return size ?? { width: 1024, height: 1024 };
}

function resolveSize(row: FalEndpointRow, input: Input, notes: string[] | undefined): FalSize {
  const fallback = defaultSizeOf(row);
  const described =
    typeof row.defaultSize === "string" ? row.defaultSize : `${fallback.width}x${fallback.height}`;
  if (row.noSizeInput) {
    notes?.push(`the output size follows the input image: assumed ${described}`);
    return fallback;
  }
  const raw = input.image_size;
  if (!present(raw)) {
    notes?.push(`image_size not set: fal's default ${described}`);
    return fallback;
  }
  const parsed = parseSize(raw);
  if (parsed) {
    if (typeof raw === "object" && raw !== null && (!("width" in raw) || !("height" in raw))) {
      notes?.push(`image_size is missing a side: fal's default ${FAL_CUSTOM_SIZE_DEFAULT_SIDE} px`);
    }
    return parsed;
  }
  notes?.push(`image_size ${JSON.stringify(raw)} is not a known size: priced as ${described}`);
  return fallback;
}

function resolveSeconds(durations: FalDurations, input: Input, notes: string[] | undefined): number {
  const raw = input[durations.input];
  const longest = durations.values[durations.values.length - 1] ?? durations.default;
  if (!present(raw)) {
    notes?.push(`${durations.input} not set: fal's default ${durations.default} s`);
    return durations.default;
  }
  const wanted = seconds(raw);
  if (wanted === undefined) {
    notes?.push(`${durations.input} "${String(raw)}" is not a duration: priced at the longest, ${longest} s`);
    return longest;
  }
  const next = durations.values.find((v) => v >= wanted);
  if (next === undefined) {
    notes?.push(
      `${durations.input} ${wanted} s is longer than any offered (the API rejects it): priced as ${longest} s`,
    );
    return longest;
  }
  if (next !== wanted)
    notes?.push(`${durations.input} ${wanted} s is not offered: priced as the next longer, ${next} s`);
  return next;
}

interface Units {
  units: number;
  size?: string;
}

function requestUnits(entry: Endpoint, input: Input, notes: string[] | undefined): Units {
  const row = entry.row;
  switch (row.unit) {
    case "image":
      return { units: imageCount(row, input, notes) };
    case "megapixel": {
      const size = resolveSize(row, input, notes);
      return {
        units: imageCount(row, input, notes) * megapixelsOf(size),
        size: `${size.width}x${size.height}`,
      };
    }
    case "second": {
      const durations = row.durations;
      if (!durations) throw new Error(`fal table: ${entry.id} is billed per second but has no durations`);
      return { units: resolveSeconds(durations, input, notes) };
    }
    case "video":
    case "request":
      return { units: 1 };
  }
}

/**
 * The most the request can cost: images x price per image (by `quality` / `image_size` / `style` where the
 * endpoint prices by them), images x megapixels of `image_size` (rounded up per image) x price per megapixel,
 * `duration` seconds x price per second, or one video / request. A missing value is fal's documented default
 * (say so in `assumed`); a missing value without one, `auto`, or a value the table does not list is priced at
 * the dearest tier. Unknown endpoint: undefined.
 */
export function falQuote(endpointId: string, input: Input = {}): FalQuote | undefined {
  const entry = lookup(endpointId);
  if (!entry) return undefined;
  const assumed: string[] = [];
  const tiers = resolveTiers(entry, input, assumed);
  const { units, size } = requestUnits(entry, input, assumed);
  const prompt = promptCost(entry.row, input);
  const quote: FalQuote = {
    endpoint: entry.id,
    unit: entry.row.unit,
    units,
    perUnit: tiers.perUnit,
    amount: units * tiers.perUnit + (prompt ?? 0),
    source: entry.source,
    assumed,
  };
  if (prompt !== undefined) quote.promptCost = prompt;
  const quality = tiers.byInput.quality;
  if (quality !== undefined) quote.quality = quality;
  const tieredSize = tiers.byInput.image_size;
  if (tieredSize !== undefined) quote.size = tieredSize;
  else if (size !== undefined) quote.size = size;
  if (Object.keys(tiers.byInput).length > 0) quote.tiers = tiers.byInput;
  return quote;
}

/**
 * The cost of a finished request whose `x-fal-billable-units` header says `billableUnits` (in the endpoint's
 * unit; fractions allowed), rounded to the nearest nano-USD. Where the price depends on the request (quality,
 * audio, resolution), pass its `input`: without it the dearest tier is charged. Unknown endpoint or a negative /
 * non-finite count: undefined.
 */
export function falCostFromUnits(endpointId: string, billableUnits: number, input?: Input): Nano | undefined {
  const entry = lookup(endpointId);
  if (!entry || !Number.isFinite(billableUnits) || billableUnits < 0) return undefined;
  const perUnit = input ? resolveTiers(entry, input, undefined).perUnit : entry.dearest;
  return roundTo(perUnit * billableUnits, "nearest") + (promptCost(entry.row, input ?? {}) ?? 0);
}

const utf8 = new TextEncoder();

/** The prompt's text-token charge, bounded by its UTF-8 bytes; undefined on endpoints that bill none. */
function promptCost(row: FalEndpointRow, input: Input): Nano | undefined {
  if (row.promptTokensPerThousandUsd === undefined) return undefined;
  const prompt = typeof input.prompt === "string" ? input.prompt : "";
  const tokens = utf8.encode(prompt).byteLength;
  return roundTo((tokens * usdToNano(row.promptTokensPerThousandUsd, "up")) / 1000, "up");
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `fal.subscribe` answers `{ data, requestId }`; the queue's result fetch answers the output itself. */
function output(result: unknown): Record<string, unknown> | undefined {
  const body = record(result);
  if (!body) return undefined;
  const data = record(body.data);
  const isOutput = "images" in body || "image" in body || "video" in body || "videos" in body;
  return data && !isOutput ? data : body;
}

function imagesOf(body: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(body.images)) return body.images;
  return record(body.image) ? [body.image] : undefined;
}

/**
 * The billable units of a result when the `x-fal-billable-units` header is absent, counted from its body:
 * images, megapixels of each image (its width x height, rounded up per image), the video's `duration`, videos,
 * or 1 per request. When the body lacks sizes or a duration, `input` (the request) supplies them as `falQuote`
 * resolves them; without it: undefined. Unknown endpoint or an unrecognizable body: undefined.
 */
export function falUnitsFromResult(endpointId: string, result: unknown, input?: Input): number | undefined {
  const entry = lookup(endpointId);
  if (!entry) return undefined;
  if (entry.row.unit === "request") return 1;
  const body = output(result);
  if (!body) return undefined;
  switch (entry.row.unit) {
    case "image":
      return imagesOf(body)?.length;
    case "megapixel": {
      const images = imagesOf(body);
      if (!images) return undefined;
      const assumedSize = input ? megapixelsOf(resolveSize(entry.row, input, undefined)) : undefined;
      let total = 0;
      for (const image of images) {
        const { width, height } = record(image) ?? {};
        if (positive(width) && positive(height)) total += megapixelsOf({ width, height } as FalSize);
        else if (assumedSize !== undefined) total += assumedSize;
        else return undefined;
      }
      return total;
    }
    case "second": {
      const duration = record(body.video)?.duration ?? body.duration;
      if (positive(duration)) return duration as number;
      const durations = entry.row.durations;
      return input && durations ? resolveSeconds(durations, input, undefined) : undefined;
    }
    case "video":
      if (Array.isArray(body.videos)) return body.videos.length;
      return record(body.video) ? 1 : undefined;
  }
}
