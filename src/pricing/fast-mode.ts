import { UnknownPriceError } from "../errors.js";
import { ANTHROPIC_FAST_MODE } from "./data/other-tiers.js";
import type { Rate, TokenPrice } from "./types.js";

const TOKEN_RATES = [
  "input",
  "output",
  "cachedInput",
  "cacheWrite",
  "cacheWrite1h",
  "inputAudio",
  "outputAudio",
  "inputImage",
  "outputImage",
] as const;

/** The model's price in Anthropic fast mode; `UnknownPriceError` when its multiplier is not known. */
export function fastModePrice(price: TokenPrice): TokenPrice {
  const multiplier = ANTHROPIC_FAST_MODE.multipliers[price.model];
  if (multiplier === undefined) {
    const known = Object.keys(ANTHROPIC_FAST_MODE.multipliers).join(", ");
    throw new UnknownPriceError(
      price.provider,
      price.model,
      `Fast mode (\`speed: "fast"\`) has no known price for this model (known: ${known}); send the request ` +
        "without `speed`, or at standard speed.",
    );
  }
  const scaled: TokenPrice = {
    ...price,
    source: { ...price.source, detail: `${price.source.detail} × ${multiplier} (fast mode)` },
  };
  for (const field of TOKEN_RATES) {
    const rate = price[field];
    if (rate) scaled[field] = scaleRate(rate, multiplier);
  }
  return scaled;
}

function scaleRate(rate: Rate, multiplier: number): Rate {
  const scaled: Rate = { base: rate.base * multiplier };
  if (rate.tiers) scaled.tiers = rate.tiers.map((tier) => ({ ...tier, perMTok: tier.perMTok * multiplier }));
  return scaled;
}
