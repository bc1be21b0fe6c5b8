import type { CallPlan } from "../ledger/types.js";
import type { Nano } from "../money.js";
import { usageCost } from "../pricing/cost.js";
import type { PriceCatalog, TokenPrice } from "../pricing/types.js";
import { encodingForModel, loadedTokenizer, loadTokenizer } from "../tokenize/index.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { ServiceTier, Usage } from "../types.js";
import type { PlanContext } from "./types.js";

// ---------------------------------------------------------------------------------------------------------
// Token models

/** The model's price and tokenizer: cached after the first call, so the hot path does not await. */
/** The price and tokenizer of a model: at once when both are loaded already (every call after the first). */
export function priceAndTokenizer(
  catalog: PriceCatalog,
  provider: string,
  model: string,
  tier: ServiceTier,
): { price: TokenPrice; tokenizer: Tokenizer } | Promise<{ price: TokenPrice; tokenizer: Tokenizer }> {
  const encoding = encodingForModel(model);
  const price = catalog.cachedTokenPrice(provider, model, tier);
  const tokenizer = loadedTokenizer(encoding);
  if (price && tokenizer) return { price, tokenizer };
  return Promise.all([catalog.tokenPrice(provider, model, tier), loadTokenizer(encoding)]).then(
    ([resolved, loaded]) => ({ price: resolved, tokenizer: loaded }),
  );
}

/**
 * What a token usage costs, at the tier the response reports when that tier costs differently (`flex`,
 * `priority`: a request sent at `auto` may be served at either), plus any charges beyond tokens (`extra`
 * prices those itself, so `tokensOnly` removes them from what the token price sees).
 */
export function tokenCost(
  catalog: PriceCatalog,
  provider: string,
  model: string,
  price: TokenPrice,
  extra?: { charges(usage: Usage): Nano; tokensOnly(usage: Usage): Usage },
): CallPlan["cost"] {
  return (usage, responseTier) => {
    const tier = responseTier === "flex" || responseTier === "priority" ? responseTier : undefined;
    const add = extra ? extra.charges(usage) : 0;
    const tokens = extra ? extra.tokensOnly(usage) : usage;
    if (tier === undefined || tier === price.tier) return usageCost(price, tokens, "nearest") + add;
    return catalog
      .tokenPrice(provider, model, tier)
      .catch(() => price)
      .then((repriced) => usageCost(repriced, tokens, "nearest") + add);
  };
}

/** The plan fields every token-priced operation shares. */
export function tokenPlanBase(
  provider: string,
  price: TokenPrice,
  context: PlanContext,
  model: string,
  tier: ServiceTier,
) {
  return {
    provider,
    model,
    tier,
    resolvedModel: price.model,
    priceSource: price.source,
    ...(price.unpriced && { unpriced: true }),
    fromHelper: context.fromHelper,
  };
}
