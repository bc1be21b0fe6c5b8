import { UnknownPriceError } from "../errors.js";
import { ANTHROPIC_FAST_MODE } from "./data/other-tiers.js";
import { scaleRates } from "./service-tiers.js";
import type { TokenPrice } from "./types.js";

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
  return {
    ...scaleRates(price, { numerator: multiplier, denominator: 1 }),
    source: {
      ...price.source,
      detail: `${price.source.detail} × ${multiplier} (fast mode, ${ANTHROPIC_FAST_MODE.source})`,
    },
  };
}
