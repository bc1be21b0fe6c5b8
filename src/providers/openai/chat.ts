import { InvalidRequestError } from "../../errors.js";
import type { CallPlan } from "../../ledger/types.js";
import type { TokenPrice } from "../../pricing/types.js";
import { countChatInput, countStreamedChatOutput } from "../../tokenize/index.js";
import type { Tokenizer } from "../../tokenize/types.js";
import type { ServiceTier } from "../../types.js";
import { requestTier, requireBody, requireModel } from "../request.js";
import { outputLimitHooks } from "../rule-facts.js";
import { priceAndTokenizer, tokenCost } from "../token-plan.js";
import type { Operation } from "../types.js";
import { dataStreamMeter } from "./data-stream.js";
import { chatUsage, isReasoningModel } from "./usage.js";

export const CHAT_OPERATION = "chat.completions.create";

/** `chat.completions.create`, streaming or not; the SDK's `parse`, `stream` and `runTools` helpers call it. */
export const chatCompletions: Operation<ChatPlan> = {
  path: CHAT_OPERATION,
  url: /\/chat\/completions$/,
  plan: planChat,
  ...outputLimitHooks(["max_completion_tokens", "max_tokens"]),
  meter: (admission, plan, ledger) =>
    dataStreamMeter(admission, plan, ledger, {
      usageOf: chatUsage,
      countOutput: (payloads) => countStreamedChatOutput(plan.tokenizer, payloads).tokens,
    }),
};

/** A chat completions request, planned: validated, priced, its input counted, its output limit read. */
export interface ChatPlan extends CallPlan {
  tokenizer: Tokenizer;
  inputTokens: number;
  reasoning: boolean;
  /** The caller asked for the usage chunk of a stream themselves (so it is not hidden from them). */
  callerWantsUsage: boolean;
}

export function planChat(
  params: unknown,
  context: Parameters<Operation["plan"]>[1],
): ChatPlan | Promise<ChatPlan> {
  const body = requireBody(params, CHAT_OPERATION);
  const model = requireModel(body, CHAT_OPERATION);
  const tier = requestTier(body.service_tier, context.tier);
  const found = priceAndTokenizer(context.catalog, "openai", model, tier);
  return found instanceof Promise
    ? found.then((loaded) => chatPlan(body, model, tier, loaded, context))
    : chatPlan(body, model, tier, found, context);
}

function chatPlan(
  body: Record<string, unknown>,
  model: string,
  tier: ServiceTier,
  { price, tokenizer }: { price: TokenPrice; tokenizer: Tokenizer },
  context: Parameters<Operation["plan"]>[1],
): ChatPlan {
  const stream = body.stream === true;
  const outputLimit = readOutputLimit(body, ["max_completion_tokens", "max_tokens"]);
  const choices = readChoices(body.n);

  let count: ReturnType<typeof countChatInput>;
  try {
    count = countChatInput(tokenizer, {
      model,
      messages: body.messages,
      tools: body.tools,
      functions: body.functions,
      tool_choice: body.tool_choice,
      response_format: body.response_format,
    });
  } catch (error) {
    throw new InvalidRequestError(error instanceof Error ? error.message : String(error));
  }

  const streamOptions = body.stream_options as Record<string, unknown> | undefined | null;
  // Built field by field, without spreads: this runs on every call (object spreads cost several µs here).
  const hold: ChatPlan["hold"] = {
    kind: "tokens",
    price,
    inputTokens: count.tokens,
    choices,
    // OpenAI caches prompts automatically: where a cache-write price exists it can apply to any request.
    cacheWritePossible: price.cacheWrite !== undefined,
  };
  if (outputLimit !== undefined) hold.outputLimit = outputLimit;
  const plan: ChatPlan = {
    provider: "openai",
    model,
    tier,
    resolvedModel: price.model,
    priceSource: price.source,
    fromHelper: context.fromHelper,
    operation: CHAT_OPERATION,
    stream,
    hold,
    cost: tokenCost(context.catalog, "openai", model, price),
    confidence: count.confidence,
    notes: count.notes,
    tokenizer,
    inputTokens: count.tokens,
    reasoning: isReasoningModel(price.model) || body.reasoning_effort !== undefined,
    callerWantsUsage: stream && streamOptions?.include_usage === true,
    paramsWithLimit(limit) {
      const copy: Record<string, unknown> = { ...body };
      if (stream) copy.stream_options = { ...(streamOptions ?? {}), include_usage: true };
      if (limit !== undefined) copy.max_completion_tokens = limit;
      return copy;
    },
  };
  if (price.unpriced) plan.unpriced = true;
  return plan;
}

/** The smallest of the output limit fields the request sets, or undefined. */
export function readOutputLimit(body: Record<string, unknown>, names: readonly string[]): number | undefined {
  let limit: number | undefined;
  for (const name of names) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new InvalidRequestError(
        `Expected \`${name}\` to be an integer >= 1, got ${JSON.stringify(value)}`,
      );
    }
    limit = limit === undefined ? value : Math.min(limit, value);
  }
  return limit;
}

export function readChoices(n: unknown, name = "n"): number {
  if (n === undefined || n === null) return 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 128) {
    throw new InvalidRequestError(
      `Expected \`${name}\` to be an integer from 1 to 128, got ${JSON.stringify(n)}`,
    );
  }
  return n;
}
