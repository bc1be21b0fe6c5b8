/**
 * OpenAI service-tier prices that @pydantic/genai-prices does not encode. Data only; the rules that apply it
 * live in ../service-tiers.ts. Every rule and row names its source and the date it was read.
 */

/** A tier priced as a fraction of the standard rates (kept as a fraction so integer rates stay integers). */
export interface TierMultiplier {
  numerator: number;
  denominator: number;
  /** Shown in `PriceSource.tierRule`. */
  rule: string;
  source: string;
  asOf: string;
}

export const OPENAI_BATCH: TierMultiplier = {
  numerator: 1,
  denominator: 2,
  rule: "batch = 50% of standard on every token rate (OpenAI Batch API)",
  source: "https://developers.openai.com/api/docs/guides/batch",
  asOf: "2026-11",
};

export const OPENAI_FLEX: TierMultiplier = {
  numerator: 1,
  denominator: 2,
  rule: "flex = Batch API rates, 50% of standard on every token rate (OpenAI flex processing)",
  source: "https://developers.openai.com/api/docs/guides/flex-processing",
  asOf: "2026-11",
};

/**
 * Priority for a model without a published row. 2.5× is the highest priority/standard ratio in OpenAI's
 * table (GPT-5.5: $12.50 vs $5.00 input, $75 vs $30 output; every other row is between 1.67× and 2×).
 */
export const OPENAI_PRIORITY_UNLISTED: TierMultiplier = {
  numerator: 5,
  denominator: 2,
  rule: "priority: no published row for this model, priced at 2.5× standard (the highest ratio in OpenAI's priority table)",
  source: "https://openai.com/api-priority-processing/",
  asOf: "2026-11",
};

/** One row of OpenAI's priority-processing price table, in USD per million tokens. */
export interface PriorityRow {
  /** The canonical id @pydantic/genai-prices resolves the model to. */
  model: string;
  /** The row's name on OpenAI's page, and the aliases the canonical id covers. */
  label: string;
  inputPerMTok: number;
  /** Absent where the page shows "—" (no cached-input price): cached tokens then pay the input rate. */
  cachedInputPerMTok?: number;
  outputPerMTok: number;
  source: string;
  asOf: string;
}

const PRIORITY_PAGE = "https://openai.com/api-priority-processing/";
const READ_ON = "2026-11";

/**
 * "Excludes long context": OpenAI does not serve requests estimated above 128K prompt tokens at priority. The
 * catalog keeps the priority rate for every request size (and takes a standard long-context rate instead only
 * where it is higher, which no row currently needs), so a hold is never smaller than what can be billed; a
 * request served at standard reports `service_tier: "default"` and settles at the standard price.
 */
export const OPENAI_PRIORITY_ROWS: readonly PriorityRow[] = [
  row("gpt-5.5", "GPT-5.5", 12.5, 1.25, 75),
  row("gpt-5.4-mini", "GPT-5.4 mini", 1.5, 0.15, 9),
  row("gpt-5.4", "GPT-5.4", 5, 0.5, 30),
  row("gpt-5.2", "GPT-5.2", 3.5, 0.35, 28),
  row("gpt-5.1", "GPT-5.1, GPT-5.1 codex (gpt-5.1-codex resolves to gpt-5.1)", 2.5, 0.25, 20),
  row("gpt-5", "GPT-5, GPT-5 codex (gpt-5-codex resolves to gpt-5)", 2.5, 0.25, 20),
  row("gpt-5-mini", "GPT-5 mini", 0.45, 0.045, 3.6),
  row("gpt-4.1", "GPT-4.1", 3.5, 0.875, 14),
  row("gpt-4.1-mini", "GPT-4.1 mini", 0.7, 0.175, 2.8),
  row("gpt-4.1-nano", "GPT-4.1 nano", 0.2, 0.05, 0.8),
  row("gpt-4o", "GPT-4o (gpt-4o-2024-11-20, gpt-4o-2024-08-06)", 4.25, 2.125, 17),
  row("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", 8.75, undefined, 26.25),
  row("gpt-4o-mini", "GPT-4o mini", 0.25, 0.125, 1),
  row("o3", "o3", 3.5, 0.875, 14),
  row("o4-mini", "o4-mini", 2, 0.5, 8),
];

function row(
  model: string,
  label: string,
  inputPerMTok: number,
  cachedInputPerMTok: number | undefined,
  outputPerMTok: number,
): PriorityRow {
  const priced: PriorityRow = {
    model,
    label,
    inputPerMTok,
    outputPerMTok,
    source: PRIORITY_PAGE,
    asOf: READ_ON,
  };
  if (cachedInputPerMTok !== undefined) priced.cachedInputPerMTok = cachedInputPerMTok;
  return priced;
}
