import type { Usage } from "../../types.js";

/** OpenAI chat `CompletionUsage` → normalized Usage; undefined when the usage is missing or malformed. */
export function chatUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  if (input === undefined || output === undefined) return undefined;
  const inputDetails = details(usage.prompt_tokens_details);
  const outputDetails = details(usage.completion_tokens_details);
  const normalized: Usage = { inputTokens: input, outputTokens: output };
  setCount(normalized, "cachedInputTokens", inputDetails.cached_tokens);
  setCount(normalized, "cacheWriteTokens", inputDetails.cache_write_tokens);
  setCount(normalized, "inputAudioTokens", inputDetails.audio_tokens);
  setCount(normalized, "reasoningTokens", outputDetails.reasoning_tokens);
  setCount(normalized, "outputAudioTokens", outputDetails.audio_tokens);
  return normalized;
}

/** Reasoning models spend hidden tokens that a stream never shows (o-series, gpt-5 and later, not chat). */
export function isReasoningModel(model: string): boolean {
  const name = model.toLowerCase();
  if (/^o\d/.test(name)) return true;
  return /^gpt-([5-9]|\d{2,})/.test(name) && !name.includes("chat");
}

function details(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function setCount(usage: Usage, key: keyof Usage, value: unknown): void {
  const parsed = count(value);
  if (parsed !== undefined && parsed > 0) (usage as unknown as Record<string, number>)[key] = parsed;
}
