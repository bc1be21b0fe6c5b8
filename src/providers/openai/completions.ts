import { InvalidRequestError } from "../../errors.js";
import type { Tokenizer } from "../../tokenize/types.js";
import { readCount, requireBody, requireModel } from "../request.js";
import { outputLimitHooks } from "../rule-facts.js";
import { priceAndTokenizer, tokenCost, tokenPlanBase } from "../token-plan.js";
import type { Operation } from "../types.js";
import { type ChatPlan, readChoices } from "./chat.js";
import { dataStreamMeter } from "./data-stream.js";
import { chatUsage } from "./usage.js";

const PATH = "completions.create";
/** The legacy API's own default when `max_tokens` is absent. */
const LEGACY_DEFAULT_MAX_TOKENS = 16;

/** Legacy `completions.create` (gpt-3.5-turbo-instruct, davinci-002, babbage-002). */
export const legacyCompletions: Operation<ChatPlan> = {
  path: PATH,
  url: /(?<!\/chat)\/completions$/,
  // Without max_tokens the legacy endpoint stops at 16 tokens.
  ...outputLimitHooks(["max_tokens"], 16),
  async plan(params, context) {
    const body = requireBody(params, PATH);
    const model = requireModel(body, PATH);
    const stream = body.stream === true;
    const { price, tokenizer } = await priceAndTokenizer(context.catalog, "openai", model, context.tier);
    const prompts = promptTokens(tokenizer, body.prompt);
    const suffix = typeof body.suffix === "string" ? tokenizer.count(body.suffix) : 0;
    const perPrompt = Math.max(readChoices(body.n), readChoices(body.best_of, "best_of"));
    const inputTokens = prompts.tokens + suffix * prompts.count;
    const streamOptions = body.stream_options as Record<string, unknown> | undefined | null;
    return {
      ...tokenPlanBase("openai", price, context, model, context.tier),
      operation: PATH,
      stream,
      // Every prompt of a batch prompt is completed `best_of` times (at least `n`), each up to max_tokens.
      hold: {
        kind: "tokens",
        price,
        inputTokens,
        outputLimit: readCount(body, "max_tokens") ?? LEGACY_DEFAULT_MAX_TOKENS,
        choices: perPrompt * prompts.count,
        cacheWritePossible: false,
      },
      cost: tokenCost(context.catalog, "openai", model, price),
      confidence: "high",
      notes:
        body.max_tokens === undefined
          ? [`max_tokens defaults to ${LEGACY_DEFAULT_MAX_TOKENS} on this API`]
          : [],
      tokenizer,
      inputTokens,
      reasoning: false,
      callerWantsUsage: stream && streamOptions?.include_usage === true,
      paramsWithLimit() {
        const copy: Record<string, unknown> = { ...body };
        if (stream) copy.stream_options = { ...(streamOptions ?? {}), include_usage: true };
        return copy;
      },
    };
  },
  meter: (admission, plan, ledger) =>
    dataStreamMeter(admission, plan, ledger, {
      usageOf: chatUsage,
      countOutput: (payloads) => countLegacyOutput(plan.tokenizer, payloads),
    }),
};

/** Tokens of `prompt` (a string, token ids, or a batch of either) and how many prompts it holds. */
function promptTokens(tokenizer: Tokenizer, prompt: unknown): { tokens: number; count: number } {
  if (typeof prompt === "string") return { tokens: tokenizer.count(prompt), count: 1 };
  if (!Array.isArray(prompt) || prompt.length === 0) {
    throw new InvalidRequestError("Expected `prompt` to be a string, an array of strings or of token arrays");
  }
  if (prompt.every((item) => typeof item === "number")) return { tokens: prompt.length, count: 1 };
  let tokens = 0;
  for (const item of prompt) {
    if (typeof item === "string") tokens += tokenizer.count(item);
    else if (Array.isArray(item)) tokens += item.length;
    else
      throw new InvalidRequestError(
        "Expected `prompt` to be a string, an array of strings or of token arrays",
      );
  }
  return { tokens, count: prompt.length };
}

/** Output tokens carried by the `choices[].text` of streamed legacy chunks. */
function countLegacyOutput(tokenizer: Tokenizer, payloads: readonly string[]): number {
  let tokens = 0;
  for (const payload of payloads) {
    try {
      const chunk = JSON.parse(payload) as { choices?: { text?: unknown }[] };
      for (const choice of chunk.choices ?? []) {
        if (typeof choice.text === "string") tokens += tokenizer.count(choice.text);
      }
    } catch {
      // a malformed frame: counted as nothing (the SDK reports it to the caller)
    }
  }
  return tokens;
}
