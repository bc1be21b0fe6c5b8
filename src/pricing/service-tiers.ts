import { mulDiv, usdToNano } from "../money.js";
import type { ServiceTier } from "../types.js";
import {
  OPENAI_BATCH,
  OPENAI_FLEX,
  OPENAI_PRIORITY_ROWS,
  OPENAI_PRIORITY_UNLISTED,
  type PriorityRow,
  type TierMultiplier,
} from "./data/openai-tiers.js";
import { ANTHROPIC_BATCH, GENERIC_BATCH, NON_OPENAI_TIER_NOTE } from "./data/other-tiers.js";
import type { Rate, TokenPrice } from "./types.js";

const RATE_FIELDS = [
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

const UNLISTED_FIELDS = RATE_FIELDS.filter(
  (field) => field !== "input" && field !== "output" && field !== "cachedInput",
);

const PRIORITY_BY_MODEL = new Map(OPENAI_PRIORITY_ROWS.map((row) => [row.model, row]));

/**
 * The price of a service tier, derived from the standard price (layer 4 of the catalog). User overrides are
 * used as they are for every tier. Derived rates round up so they stay integers on the safe side.
 */
export function applyServiceTier(standard: TokenPrice, tier: ServiceTier): TokenPrice {
  if (tier === "standard" || standard.source.layer === "override") return { ...standard, tier };
  if (standard.provider === "openai") {
    if (tier === "batch") return scaled(standard, tier, OPENAI_BATCH);
    if (tier === "flex") return scaled(standard, tier, OPENAI_FLEX);
    const row = PRIORITY_BY_MODEL.get(standard.model);
    return row === undefined
      ? scaled(standard, tier, OPENAI_PRIORITY_UNLISTED)
      : fromPriorityRow(standard, row);
  }
  if (tier === "batch") {
    return scaled(standard, tier, standard.provider === "anthropic" ? ANTHROPIC_BATCH : GENERIC_BATCH);
  }
  return { ...standard, tier, source: { ...standard.source, tierRule: NON_OPENAI_TIER_NOTE(tier) } };
}

function scaled(price: TokenPrice, tier: ServiceTier, multiplier: TierMultiplier): TokenPrice {
  return {
    ...scaleRates(price, multiplier),
    tier,
    source: {
      ...price.source,
      tierRule: `${multiplier.rule}; ${multiplier.source}, as of ${multiplier.asOf}`,
    },
  };
}

/** Every token rate of `price` times numerator / denominator, rounded up. */
export function scaleRates(
  price: TokenPrice,
  multiplier: Pick<TierMultiplier, "numerator" | "denominator">,
): TokenPrice {
  const result: TokenPrice = { ...price };
  for (const field of RATE_FIELDS) {
    const rate = price[field];
    if (rate !== undefined) result[field] = scaleRate(rate, multiplier);
  }
  return result;
}

function scaleRate(
  rate: Rate,
  { numerator, denominator }: Pick<TierMultiplier, "numerator" | "denominator">,
): Rate {
  const base = mulDiv(rate.base, numerator, denominator, "up");
  if (rate.tiers === undefined) return { base };
  return {
    base,
    tiers: rate.tiers.map((tier) => ({
      above: tier.above,
      perMTok: mulDiv(tier.perMTok, numerator, denominator, "up"),
    })),
  };
}

/**
 * A published priority row. The row's flat rate applies at every request size; where a standard long-context
 * rate is higher it is kept (see OPENAI_PRIORITY_ROWS on "excludes long context"). Rates the row does not list
 * (cache writes, audio, images) follow the unlisted-model rule; a row without a cached-input price ("—")
 * charges cached tokens the priority input rate.
 */
function fromPriorityRow(standard: TokenPrice, row: PriorityRow): TokenPrice {
  const result = scaled(standard, "priority", OPENAI_PRIORITY_UNLISTED);
  const derived = UNLISTED_FIELDS.some((field) => standard[field] !== undefined);
  result.source = {
    ...standard.source,
    detail: `${standard.source.detail}; priority row "${row.label}", ${row.source}, as of ${row.asOf}`,
  };
  if (derived) {
    result.source.tierRule = `rates the priority row does not list: ${OPENAI_PRIORITY_UNLISTED.rule}`;
  }
  result.input = atLeastStandard(usdToNano(row.inputPerMTok), standard.input);
  result.output = atLeastStandard(usdToNano(row.outputPerMTok), standard.output);
  result.cachedInput =
    row.cachedInputPerMTok === undefined
      ? result.input
      : atLeastStandard(usdToNano(row.cachedInputPerMTok), standard.cachedInput ?? standard.input);
  return result;
}

function atLeastStandard(perMTok: number, standard: Rate): Rate {
  const tiers = standard.tiers?.map((tier) => ({
    above: tier.above,
    perMTok: Math.max(perMTok, tier.perMTok),
  }));
  if (tiers === undefined || tiers.every((tier) => tier.perMTok === perMTok)) return { base: perMTok };
  return { base: perMTok, tiers };
}
