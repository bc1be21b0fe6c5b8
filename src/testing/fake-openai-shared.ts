import { encodingForModel, loadTokenizer } from "../tokenize/index.js";
import { openaiErrorBody } from "./fake-openai.js";
import type { FakeErrorDetails, FakeExchange, FakeReply, SseFrame } from "./fake-providers.js";

/** Helpers shared by the OpenAI routes other than chat. */

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Token count of `text` with the tokenizer of `model` (spendguard's own, so offline runs match the API). */
export async function countTokens(model: string, text: string): Promise<number> {
  if (text === "") return 0;
  const tokenizer = await loadTokenizer(encodingForModel(model));
  return tokenizer.count(text);
}

/** Answers with the scripted error status, if any. Returns whether it did. */
export async function sendScriptedError(exchange: FakeExchange<FakeReply>): Promise<boolean> {
  const { status, error } = exchange.reply;
  if (status === undefined || status < 400) return false;
  await exchange.json(status, openaiErrorBody(status, error));
  return true;
}

export function sendError(
  exchange: FakeExchange<FakeReply>,
  status: number,
  details: FakeErrorDetails,
): Promise<void> {
  return exchange.json(status, openaiErrorBody(status, details));
}

export function invalidBody(exchange: FakeExchange<FakeReply>): Promise<void> {
  return sendError(exchange, 400, { message: "We could not parse the JSON body of your request." });
}

/** The frame OpenAI's SSE endpoints send for a mid-stream failure; the SDK throws `APIError` on it. */
export function errorFrame(reply: FakeReply, event?: string): SseFrame {
  return {
    ...(event !== undefined && { event }),
    data: JSON.stringify(openaiErrorBody(500, { type: "server_error", ...reply.error })),
  };
}

/** A named SSE event whose JSON carries the same name in `type`. */
export function namedFrame(data: JsonObject & { type: string }, delta = false): SseFrame {
  return { event: data.type, data: JSON.stringify(data), ...(delta && { delta: true }) };
}

/**
 * Scripted usage merged over the computed one: top-level numbers replace, nested `*_details` objects merge
 * key by key. `total_tokens` is recomputed from input and output unless the script set it.
 */
export function mergeUsage(
  computed: JsonObject,
  override: JsonObject | undefined,
  totalFrom?: readonly [input: string, output: string],
): JsonObject {
  const merged: JsonObject = { ...computed };
  for (const [key, value] of Object.entries(override ?? {})) {
    const base = asObject(merged[key]);
    const patch = asObject(value);
    merged[key] = base && patch ? { ...base, ...patch } : value;
  }
  if (totalFrom && override?.total_tokens === undefined && "total_tokens" in computed) {
    const [input, output] = totalFrom;
    merged.total_tokens = Number(merged[input] ?? 0) + Number(merged[output] ?? 0);
  }
  return merged;
}

/** A valid 1×1 transparent PNG: every fake image is this picture. */
export const TINY_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR42mNgAAIAAAUAAen63NgAAAAASUVORK5CYII=";

/** A positive integer from a JSON number or a multipart string field; `fallback` otherwise. */
export function positiveInt(value: unknown, fallback: number): number {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isInteger(number) && number > 0 ? number : fallback;
}

export function stringField(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return undefined;
}
