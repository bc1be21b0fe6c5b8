import type { MediaSource } from "./openai-media.js";

/**
 * spendguard's own token prices: models @pydantic/genai-prices does not know yet, and corrections where its
 * data is wrong. Data only; ../own-tokens.ts answers from it before genai-prices does. Prices are USD per
 * million tokens in genai-prices' own shape (`input_mtok`, `output_mtok`, `cache_read_mtok`, ...; a tiered
 * price is `{ base, tiers: [{ start, price }] }`, where `start` is the request's input tokens above which every
 * token of that kind pays `price`), so a snapshot (`spendguard prices update`) can carry rows of the same
 * shape. Every row names the page it was read from, the date and what was read.
 */

export type TieredUsd = { base: number; tiers: readonly { start: number; price: number }[] };
export type UsdPerMTok = number | TieredUsd;

export interface TokenPriceRow {
  provider: string;
  /** The canonical id, as the provider's API names it. */
  model: string;
  /** Other names of the same model (genai-prices' id when this row corrects it). */
  aliases?: readonly string[];
  prices: Readonly<Record<string, UsdPerMTok>>;
  contextWindow?: number;
  maxOutputTokens?: number;
  source: MediaSource;
}

const claudePage = (slug: string) => `https://platform.claude.com/docs/en/models/${slug}/overview`;
const ANTHROPIC_PRICING = "https://docs.anthropic.com/en/docs/about-claude/pricing";

/** Above 200k input tokens, every token of the request pays the long-context rate. */
const long = (base: number, price: number): TieredUsd => ({ base, tiers: [{ start: 200_000, price }] });

export const TOKEN_PRICES: readonly TokenPriceRow[] = [
  {
    provider: "anthropic",
    model: "claude-sonnet-5-5",
    prices: {
      input_mtok: 2,
      output_mtok: 10,
      cache_read_mtok: 0.2,
      cache_write_mtok: 2.5,
      cache_write_1h_mtok: 4,
      web_searches_kcount: 10,
    },
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    source: {
      url: claudePage("sonnet-5-5"),
      asOf: "2026-12-04",
      evidence:
        "Anthropic model page (zh-CN copy): input $2, output $10, 5m cache write $2.50, 1h cache write $4, cache " +
        "read $0.20 per MTok; 1M context, 128K max output; no long-context premium (apidog.com, 2026-09). " +
        "@pydantic/genai-prices 0.1.8 does not know the model. Web search $10 / 1,000 as every Claude model",
    },
  },
  {
    provider: "anthropic",
    model: "claude-sonnet-4-0",
    aliases: ["claude-sonnet-4", "claude-sonnet-4-20250514"],
    prices: {
      input_mtok: long(3, 6),
      output_mtok: long(15, 22.5),
      cache_read_mtok: long(0.3, 0.6),
      cache_write_mtok: long(3.75, 7.5),
      cache_write_1h_mtok: long(6, 12),
      web_searches_kcount: 10,
    },
    contextWindow: 1_000_000,
    maxOutputTokens: 64_000,
    source: {
      url: ANTHROPIC_PRICING,
      asOf: "2026-12-04",
      evidence:
        "Anthropic pricing page, long context: Claude Sonnet 4 above 200K input tokens input $6 (was $3), output " +
        "$22.50 (was $15) per MTok, for every token of the request; cache rates keep their multipliers on the " +
        "long-context input rate (1.25x, 2x, 0.1x: $7.50, $12, $0.60), as genai-prices encodes Sonnet 4.5. " +
        "genai-prices 0.1.8 has Sonnet 4 at the standard rate only (1M context in beta)",
    },
  },
];
