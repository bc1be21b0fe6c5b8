import type { Usage } from "../../types.js";

/**
 * Anthropic `Usage` → normalized Usage. Anthropic's `input_tokens` EXCLUDES cache reads and writes (they
 * are additive), so the normalized total input is their sum; writes split into 5-minute and 1-hour when
 * `cache_creation` says so, otherwise all count as 5-minute writes.
 */
export function anthropicUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  const uncached = count(usage.input_tokens);
  const output = count(usage.output_tokens);
  if (uncached === undefined || output === undefined) return undefined;
  const read = count(usage.cache_read_input_tokens) ?? 0;
  const written = count(usage.cache_creation_input_tokens) ?? 0;
  const creation = usage.cache_creation as Record<string, unknown> | null | undefined;
  const oneHour = count(creation?.ephemeral_1h_input_tokens) ?? 0;
  // Writes the breakdown does not account for are priced as 5-minute writes (dearer than plain input).
  const fiveMinutes = Math.max(count(creation?.ephemeral_5m_input_tokens) ?? 0, written - oneHour);
  const normalized: Usage = {
    inputTokens: uncached + read + Math.max(written, fiveMinutes + oneHour),
    outputTokens: output,
  };
  if (read > 0) normalized.cachedInputTokens = read;
  if (fiveMinutes > 0) normalized.cacheWriteTokens = fiveMinutes;
  if (oneHour > 0) normalized.cacheWrite1hTokens = oneHour;
  const thinking = count(
    (usage.output_tokens_details as Record<string, unknown> | null | undefined)?.thinking_tokens,
  );
  if (thinking) normalized.reasoningTokens = thinking;
  const searches = count(
    (usage.server_tool_use as Record<string, unknown> | null | undefined)?.web_search_requests,
  );
  if (searches) normalized.webSearches = searches;
  return normalized;
}

/**
 * A stream's usage, as the SDK accumulates it: `message_start` gives the input and cache counts, each
 * `message_delta` overwrites the cumulative output count and any other field it repeats (never adds).
 */
export function mergeStreamUsage(
  start: unknown,
  deltas: readonly unknown[],
): Record<string, unknown> | undefined {
  if (typeof start !== "object" || start === null) return undefined;
  const merged: Record<string, unknown> = { ...(start as Record<string, unknown>) };
  for (const delta of deltas) {
    if (typeof delta !== "object" || delta === null) continue;
    for (const [key, value] of Object.entries(delta))
      if (value !== null && value !== undefined) merged[key] = value;
  }
  return merged;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** What `usage.iterations` (beta) bills beyond the top-level usage. */
export interface ExtraIterations {
  /** Compaction runs: the same model, and not included in the top-level fields. */
  compaction?: Usage;
  /** Advisor sub-inferences: billed at the advisor model's own rates. */
  advisors: { model: string; usage: Usage }[];
}

export function extraIterations(raw: unknown): ExtraIterations {
  const iterations = (raw as { iterations?: unknown } | null | undefined)?.iterations;
  const extra: ExtraIterations = { advisors: [] };
  if (!Array.isArray(iterations)) return extra;
  for (const entry of iterations as Record<string, unknown>[]) {
    const usage = anthropicUsage(entry);
    if (!usage) continue;
    if (entry.type === "compaction")
      extra.compaction = extra.compaction ? addUsage(extra.compaction, usage) : usage;
    else if (entry.type === "advisor_message" && typeof entry.model === "string") {
      extra.advisors.push({ model: entry.model, usage });
    }
  }
  return extra;
}

export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = { ...a };
  for (const [key, value] of Object.entries(b) as [keyof Usage, number | undefined][]) {
    if (typeof value === "number") sum[key] = (sum[key] ?? 0) + value;
  }
  return sum;
}
