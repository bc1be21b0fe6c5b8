import type {
  Usage as GenaiUsage,
  ModelInfo,
  ModelPrice,
  PriceCalculationResult,
  PriceOptions,
} from "@pydantic/genai-prices";
import { type Nano, usdToNano } from "../money.js";
import type { Rate, TokenPrice } from "./types.js";

const PACKAGE = "@pydantic/genai-prices";

/** The part of @pydantic/genai-prices the catalog uses, loaded on first use. */
export interface GenaiPrices {
  /** `@pydantic/genai-prices@0.1.8`: recorded as the source of every price it answers. */
  detail: string;
  calcPrice(usage: GenaiUsage, modelId: string, options?: PriceOptions): PriceCalculationResult;
}

let loaded: Promise<GenaiPrices> | undefined;

/**
 * Loads the package (about 50 ms and 15 MB of price data), so only ever call this lazily. Shared by every
 * catalog in the process; a failed load is retried by the next call.
 */
export function loadGenaiPrices(): Promise<GenaiPrices> {
  if (loaded === undefined) {
    const loading = load();
    loaded = loading;
    loading.catch(() => {
      if (loaded === loading) loaded = undefined;
    });
  }
  return loaded;
}

async function load(): Promise<GenaiPrices> {
  const module = await import("@pydantic/genai-prices");
  const version = await installedVersion();
  return {
    detail: version === undefined ? PACKAGE : `${PACKAGE}@${version}`,
    calcPrice: module.calcPrice,
  };
}

/** Read from the installed package.json: the package exports no version and does not export its package.json. */
async function installedVersion(): Promise<string | undefined> {
  try {
    const [{ createRequire }, { readFileSync }, { dirname, join }] = await Promise.all([
      import("node:module"),
      import("node:fs"),
      import("node:path"),
    ]);
    let dir = dirname(createRequire(import.meta.url).resolve(PACKAGE));
    for (let depth = 0; depth < 4; depth++) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<
          string,
          unknown
        >;
        if (manifest.name === PACKAGE && typeof manifest.version === "string") return manifest.version;
      } catch {
        // no package.json at this level: keep walking up
      }
      dir = dirname(dir);
    }
  } catch {
    // not resolvable from here (a bundle): the source is recorded without a version
  }
  return undefined;
}

export interface GenaiMatch {
  /** The provider genai-prices answered for. */
  providerId: string;
  /** genai-prices' canonical id, e.g. `gpt-4o-mini` for `gpt-4o-mini-2024-07-18`. */
  modelId: string;
  /** The prices in force at the requested time. */
  price: ModelPrice;
  contextWindow: number | undefined;
  /** `day`: prices change on start dates (UTC midnight); `instant`: they change with the time of day. */
  validity: "always" | "day" | "instant";
}

/**
 * genai-prices' own model matching, through `calcPrice` with zero usage: it returns the matched model and the
 * price for the timestamp. Without a provider, genai-prices picks one from the model name.
 */
export function lookupGenai(
  genai: GenaiPrices,
  provider: string | undefined,
  model: string,
  at: Date,
): GenaiMatch | undefined {
  const options: PriceOptions = { timestamp: at };
  if (provider !== undefined) options.providerId = provider;
  const result = genai.calcPrice({}, model, options);
  if (result === null || continuesVersion(model, result.model.id)) return undefined;
  return {
    providerId: result.provider.id,
    modelId: result.model.id,
    price: result.model_price,
    contextWindow: result.model.context_window,
    validity: validityOf(result.model),
  };
}

/**
 * genai-prices matches by prefix, so a model newer than its data (`claude-sonnet-5-5`) would be priced as the
 * older one it starts with (`claude-sonnet-5`): a name that continues the matched id with a version number is
 * not that model. A date snapshot (`-0613`, `-20250514`) is not a version number.
 */
export function continuesVersion(model: string, matchedId: string): boolean {
  const id = matchedId.toLowerCase();
  const name = model.toLowerCase();
  return name.startsWith(id) && /^[-.]\d{1,2}(?!\d)/.test(name.slice(id.length));
}

function validityOf(model: ModelInfo): GenaiMatch["validity"] {
  if (!Array.isArray(model.prices)) return "always";
  return model.prices.some((entry) => entry.constraint?.type === "time_of_date") ? "instant" : "day";
}

export type TokenRates = Pick<
  TokenPrice,
  | "input"
  | "output"
  | "cachedInput"
  | "cacheWrite"
  | "cacheWrite1h"
  | "inputAudio"
  | "outputAudio"
  | "inputImage"
  | "outputImage"
  | "webSearchPerThousand"
>;

/**
 * genai-prices' price keys as integer nano-USD rates. `undefined` when the model has neither an input nor an
 * output token price (per-hour audio, per-page OCR, free moderation): that is not a token model.
 */
export function tokenRates(price: ModelPrice): TokenRates | undefined {
  const input = toRate(price.input_mtok);
  const output = toRate(price.output_mtok);
  if (input === undefined && output === undefined) return undefined;
  const rates: TokenRates = { input: input ?? { base: 0 }, output: output ?? { base: 0 } };
  const optional = {
    cachedInput: price.cache_read_mtok,
    cacheWrite: price.cache_write_mtok ?? price.cache_write_5m_mtok,
    cacheWrite1h: price.cache_write_1h_mtok,
    inputAudio: price.input_audio_mtok,
    outputAudio: price.output_audio_mtok,
    inputImage: price.input_image_mtok,
    outputImage: price.output_image_mtok,
  } as const;
  for (const [field, value] of Object.entries(optional) as [keyof typeof optional, GenaiValue][]) {
    const rate = toRate(value);
    if (rate !== undefined) rates[field] = rate;
  }
  const searches = perUnit(price.web_searches_kcount);
  if (searches !== undefined) rates.webSearchPerThousand = searches;
  return rates;
}

type GenaiValue = ModelPrice[string];
interface GenaiTiered {
  base: number;
  tiers: { start: number; price: number }[];
}

function isTiered(value: GenaiValue): value is GenaiTiered {
  return typeof value === "object" && value !== null && Array.isArray((value as GenaiTiered).tiers);
}

function toRate(value: GenaiValue): Rate | undefined {
  if (typeof value === "number") return { base: usdToNano(value) };
  if (!isTiered(value)) return undefined;
  const tiers = [...value.tiers]
    .sort((a, b) => a.start - b.start)
    .map((tier) => ({ above: tier.start, perMTok: usdToNano(tier.price) }));
  return tiers.length > 0 ? { base: usdToNano(value.base), tiers } : { base: usdToNano(value.base) };
}

/** A per-unit price (per thousand searches); a tiered one takes its highest price, the safe side. */
function perUnit(value: GenaiValue): Nano | undefined {
  if (typeof value === "number") return usdToNano(value);
  if (!isTiered(value)) return undefined;
  return Math.max(usdToNano(value.base), ...value.tiers.map((tier) => usdToNano(tier.price)));
}
