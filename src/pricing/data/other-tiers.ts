import type { TierMultiplier } from "./openai-tiers.js";

/** Service-tier rules for providers other than OpenAI. Data only, with source and date per rule. */

export const ANTHROPIC_BATCH: TierMultiplier = {
  numerator: 1,
  denominator: 2,
  rule: "batch = 50% of standard on every token rate (Anthropic Message Batches API)",
  source: "https://platform.claude.com/docs/en/build-with-claude/batch-processing",
  asOf: "2026-11",
};

/** Other providers' batch APIs: the common 50% discount, assumed rather than read from each price sheet. */
export const GENERIC_BATCH: TierMultiplier = {
  numerator: 1,
  denominator: 2,
  rule: "batch = 50% of standard (the usual batch discount, not checked for this provider)",
  source: "assumption: no price page checked",
  asOf: "2026-11",
};

/** `flex` and `priority` are OpenAI tiers; elsewhere they are priced at standard. */
export const NON_OPENAI_TIER_NOTE = (tier: string): string =>
  `${tier} is an OpenAI service tier; this provider is priced at its standard rates`;
