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
  const fiveMinutes = creation ? (count(creation.ephemeral_5m_input_tokens) ?? 0) : written;
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
