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

/**
 * Responses `ResponseUsage` (also Batch usage) → Usage: `input_tokens` with `input_tokens_details`
 * (`cached_tokens`, `cache_write_tokens`), `output_tokens` with `output_tokens_details.reasoning_tokens`.
 */
export function responsesUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  const input = count(usage.input_tokens);
  const output = count(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const inputDetails = details(usage.input_tokens_details);
  const outputDetails = details(usage.output_tokens_details);
  const normalized: Usage = { inputTokens: input, outputTokens: output };
  setCount(normalized, "cachedInputTokens", inputDetails.cached_tokens);
  setCount(normalized, "cacheWriteTokens", inputDetails.cache_write_tokens);
  setCount(normalized, "reasoningTokens", outputDetails.reasoning_tokens);
  return normalized;
}

/** Embeddings `{ prompt_tokens, total_tokens }` → Usage. */
export function embeddingsUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const input = count((raw as Record<string, unknown>).prompt_tokens);
  return input === undefined ? undefined : { inputTokens: input, outputTokens: 0 };
}

/**
 * gpt-image `ImagesResponse.usage` → Usage: input text and image tokens, output image tokens (all output is
 * image tokens unless `output_tokens_details` says otherwise).
 */
export function imagesUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  const input = count(usage.input_tokens);
  const output = count(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const inputDetails = details(usage.input_tokens_details);
  const outputDetails = usage.output_tokens_details;
  const normalized: Usage = { inputTokens: input, outputTokens: output };
  setCount(normalized, "inputImageTokens", inputDetails.image_tokens);
  const outputImages =
    typeof outputDetails === "object" && outputDetails !== null
      ? details(outputDetails).image_tokens
      : output;
  setCount(normalized, "outputImageTokens", outputImages);
  return normalized;
}

/** Transcription usage: `{ type: "duration", seconds }` or `{ type: "tokens", ... }`. */
export function transcriptionUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  if (usage.type === "duration") {
    const seconds = typeof usage.seconds === "number" && usage.seconds >= 0 ? usage.seconds : undefined;
    return seconds === undefined ? undefined : { inputTokens: 0, outputTokens: 0, seconds };
  }
  const input = count(usage.input_tokens);
  const output = count(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const normalized: Usage = { inputTokens: input, outputTokens: output };
  setCount(normalized, "inputAudioTokens", details(usage.input_token_details).audio_tokens);
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
