import type { Nano } from "../money.js";
import type { PriceSource, ServiceTier } from "../types.js";

/**
 * A token rate in integer nano-USD per million tokens ($0.15 / MTok = 150_000_000), optionally tiered by the
 * request's total input tokens: when the request's input exceeds `above`, every token of this kind pays
 * `perMTok` (whole-request thresholds, as OpenAI's and Anthropic's long-context prices work).
 */
export interface Rate {
  base: number;
  /** Sorted ascending by `above`. */
  tiers?: readonly { above: number; perMTok: number }[];
}

/** Everything spendguard needs to price a token model, resolved once per model and tier, then cached. */
export interface TokenPrice {
  provider: string;
  /** The catalog's canonical id (`gpt-4o-mini` for `gpt-4o-mini-2024-07-18`). */
  model: string;
  tier: ServiceTier;
  input: Rate;
  output: Rate;
  cachedInput?: Rate;
  cacheWrite?: Rate;
  cacheWrite1h?: Rate;
  inputAudio?: Rate;
  outputAudio?: Rate;
  inputImage?: Rate;
  outputImage?: Rate;
  /** nano-USD per 1,000 server-side web searches. */
  webSearchPerThousand?: Nano;
  /** The most output tokens the model can produce in one response, when known. */
  maxOutputTokens?: number;
  contextWindow?: number;
  source: PriceSource;
  /** Priced as another model through `unknownModel.fallbackModel`. */
  unpriced?: boolean;
}

/** A user's own price for a model, in USD per million tokens (the `pricing` option). Used as is for every tier. */
export interface PriceOverride {
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
  cacheWrite1hPerMTok?: number;
  maxOutputTokens?: number;
  contextWindow?: number;
  /** Apply only to this provider's calls. */
  provider?: string;
}

export interface CatalogOptions {
  /** Keyed by model name, matched case-insensitively on the name the caller used and on the resolved name. */
  overrides?: Readonly<Record<string, PriceOverride>>;
  /** Price unknown models as this model (the record is flagged `unpriced`) instead of refusing them. */
  fallbackModel?: string;
}

export interface PriceCatalog {
  /**
   * The price of a token model for a provider and service tier. Loads the bundled price data lazily on the
   * first call. Rejects with `UnknownPriceError` when no layer knows the model.
   */
  tokenPrice(provider: string, model: string, tier: ServiceTier, at?: Date): Promise<TokenPrice>;
  /** The price `tokenPrice` would answer, when it is already resolved and cached (the no-await fast path). */
  cachedTokenPrice(provider: string, model: string, tier: ServiceTier, at?: Date): TokenPrice | undefined;
  /** The version of the price data this catalog answers from: a snapshot's, or `bundled-<date>`. */
  readonly snapshot: string;
}
