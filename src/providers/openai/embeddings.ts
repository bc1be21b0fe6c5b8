import { InvalidRequestError } from "../../errors.js";
import type { CallPlan } from "../../ledger/types.js";
import type { Tokenizer } from "../../tokenize/types.js";
import { createMeter, jsonBody, jsonOutcome } from "../meter.js";
import { requireBody, requireModel } from "../request.js";
import { priceAndTokenizer, tokenCost, tokenPlanBase } from "../token-plan.js";
import type { Operation } from "../types.js";
import { embeddingsUsage } from "./usage.js";

const PATH = "embeddings.create";

/** `embeddings.create`: the input tokens are counted exactly, and are all that is billed. */
export const embeddings: Operation = {
  path: PATH,
  url: /\/embeddings$/,
  async plan(params, context): Promise<CallPlan> {
    const body = requireBody(params, PATH);
    const model = requireModel(body, PATH);
    const { price, tokenizer } = await priceAndTokenizer(context.catalog, "openai", model, context.tier);
    const inputTokens = inputTokensOf(tokenizer, body.input);
    return {
      ...tokenPlanBase("openai", price, context, model, context.tier),
      operation: PATH,
      stream: false,
      hold: { kind: "tokens", price, inputTokens, outputLimit: 0, choices: 1, cacheWritePossible: false },
      cost: tokenCost(context.catalog, "openai", model, price),
      confidence: "high",
      notes: [],
      paramsWithLimit: () => ({ ...body }),
    };
  },
  meter: (admission, _plan, ledger) =>
    createMeter((response) =>
      jsonBody(response, (json, error) =>
        ledger.finish(
          admission,
          jsonOutcome(json, error, (body) => embeddingsUsage(body.usage)),
        ),
      ),
    ),
};

function inputTokensOf(tokenizer: Tokenizer, input: unknown): number {
  if (typeof input === "string") return tokenizer.count(input);
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((item) => typeof item === "number")) return input.length;
    let tokens = 0;
    for (const item of input) {
      if (typeof item === "string") tokens += tokenizer.count(item);
      else if (Array.isArray(item)) tokens += item.length;
      else throw invalidInput();
    }
    return tokens;
  }
  throw invalidInput();
}

function invalidInput(): InvalidRequestError {
  return new InvalidRequestError(
    "Expected `input` to be a string, an array of strings, an array of token ids, or an array of token arrays",
  );
}
