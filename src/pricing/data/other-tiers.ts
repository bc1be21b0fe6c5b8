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

/**
 * Anthropic fast mode (`speed: "fast"`): a multiplier on every token rate of the model, cache rates included
 * (they apply on top of the fast base rates). A model not listed here is refused in fast mode rather than
 * priced at its standard rate.
 */
export const ANTHROPIC_FAST_MODE: {
  multipliers: Readonly<Record<string, number>>;
  source: string;
  asOf: string;
} = {
  multipliers: {
    "claude-opus-4-6": 6,
    "claude-opus-4-7": 6,
    "claude-opus-4-8": 2,
    "claude-opus-5": 2,
    // Read 2026-12-04: fast mode is GA on Opus 5.5 at 2x ($8 / $40 per MTok: docs.litellm.ai/blog/claude_opus_5_5,
    // apidog.com Sonnet 5.5 pricing table). Fable 5.2 and Mythos 5.2 also have fast mode, but no price for it was
    // found: they stay refused in fast mode (genai-prices 0.1.8 does not know either model anyway).
    "claude-opus-5-5": 2,
  },
  source: "https://platform.claude.com/docs/en/build-with-claude/fast-mode (pricing section)",
  asOf: "2026-12-04",
};
