import { nanoToUsd } from "../money.js";
import type { PriceSource } from "../types.js";
import type { Rate, TokenPrice } from "./types.js";

/** A token price for people: USD per million tokens at the base tier, and where it comes from. */
export interface ModelPrice {
  provider: string;
  model: string;
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
  cacheWrite1hPerMTok?: number;
  /** Input size above which every token pays the higher rates (long context), when the model has one. */
  longContextAbove?: number;
  contextWindow?: number;
  maxOutputTokens?: number;
  source: PriceSource;
}

export function describePrice(price: TokenPrice): ModelPrice {
  const usd = (rate: Rate | undefined) => (rate === undefined ? undefined : nanoToUsd(rate.base));
  const described: ModelPrice = {
    provider: price.provider,
    model: price.model,
    inputPerMTok: nanoToUsd(price.input.base),
    outputPerMTok: nanoToUsd(price.output.base),
    source: price.source,
  };
  const optional = {
    cachedInputPerMTok: usd(price.cachedInput),
    cacheWritePerMTok: usd(price.cacheWrite),
    cacheWrite1hPerMTok: usd(price.cacheWrite1h),
    longContextAbove: price.input.tiers?.[0]?.above,
    contextWindow: price.contextWindow,
    maxOutputTokens: price.maxOutputTokens,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (described as unknown as Record<string, unknown>)[key] = value;
  }
  return described;
}
