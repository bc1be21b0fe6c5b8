import type { Nano } from "../money.js";
import { affordableOutputTokens, usageCost, worstCaseCost } from "../pricing/cost.js";
import type { CallPlan, TokenHold } from "./types.js";

/** Output tokens per choice that estimate mode expects when the request allows more. */
export const EXPECTED_OUTPUT_TOKENS = 1024;

/** No provider accepts an output limit above this; also keeps the arithmetic far from 2^53. */
const MAX_OUTPUT_LIMIT = 2 ** 31 - 1;

export type HoldSize =
  | {
      ok: true;
      /** What the ledger holds. */
      amount: Nano;
      /** The worst case of the request as it will be sent. */
      worstCase: Nano;
      /** The expected cost. */
      expected: Nano;
      /** Output tokens per choice the worst case assumes (0 for calls priced per unit). */
      outputTokens: number;
      /** Set when strict mode must add this output limit to the request. */
      injectLimit?: number;
      notes: string[];
    }
  | {
      ok: false;
      /** The smallest hold that would have been needed. */
      amount: Nano;
      outputTokens: number;
      notes: string[];
    };

/**
 * How much to hold for a call (DESIGN 2.2). Calls priced per unit hold their known worst case (estimate mode:
 * their expected cost). Token calls, strict: exact input at the highest input rate that can apply plus the
 * maximum output the request allows; when the request sets no output limit, strict mode injects the model's
 * maximum output clamped to what `remaining` affords, and refuses below `minOutputTokens`. A limit the caller
 * set is never raised or lowered. Estimate mode holds the expected cost and injects nothing.
 */
export function sizeHold(
  plan: CallPlan,
  mode: "strict" | "estimate",
  remaining: Nano,
  minOutputTokens: number,
): HoldSize {
  const { hold } = plan;
  if (hold.kind === "fixed") {
    const amount = mode === "strict" ? hold.amount : hold.expected;
    return {
      ok: true,
      amount,
      worstCase: hold.amount,
      expected: hold.expected,
      outputTokens: 0,
      notes: [hold.units],
    };
  }
  return sizeTokenHold(hold, mode, remaining, minOutputTokens);
}

function sizeTokenHold(
  hold: TokenHold,
  mode: "strict" | "estimate",
  remaining: Nano,
  minOutputTokens: number,
): HoldSize {
  const { price, inputTokens, choices, cacheWritePossible } = hold;
  const extra = hold.extra ?? 0;
  const notes: string[] = [];
  const worst = (perChoice: number) =>
    worstCaseCost(price, { inputTokens, outputTokens: perChoice * choices, cacheWritePossible }) + extra;
  const modelMax = modelOutputBound(hold);
  const expectedPerChoice = Math.min(
    hold.outputLimit ?? modelMax ?? EXPECTED_OUTPUT_TOKENS,
    EXPECTED_OUTPUT_TOKENS,
  );
  const expected = usageCost(price, { inputTokens, outputTokens: expectedPerChoice * choices }, "up") + extra;

  if (hold.outputLimit !== undefined) {
    const amount = worst(hold.outputLimit);
    return {
      ok: true,
      amount: mode === "strict" ? amount : expected,
      worstCase: amount,
      expected,
      outputTokens: hold.outputLimit,
      notes,
    };
  }

  if (mode === "estimate") {
    const bound = modelMax ?? MAX_OUTPUT_LIMIT;
    if (modelMax === undefined)
      notes.push("the model's maximum output is unknown: the worst case is unbounded");
    return { ok: true, amount: expected, worstCase: worst(bound), expected, outputTokens: bound, notes };
  }

  const affordable = Math.floor(
    affordableOutputTokens(price, { inputTokens, cacheWritePossible }, Math.max(0, remaining - extra)) /
      choices,
  );
  // Only the context window bounds the output: the provider enforces its own (smaller) maximum, so sending no
  // limit is safe when the budget covers the whole window, and avoids a limit the API might reject as too large.
  if (price.maxOutputTokens === undefined && modelMax !== undefined && affordable >= modelMax) {
    notes.push(`output bounded by the context window (${modelMax} tokens): no limit injected`);
    const amount = worst(modelMax);
    return { ok: true, amount, worstCase: amount, expected, outputTokens: modelMax, notes };
  }

  const limit = Math.min(modelMax ?? MAX_OUTPUT_LIMIT, affordable, MAX_OUTPUT_LIMIT);
  if (limit < minOutputTokens) {
    notes.push(
      `the remaining budget affords ${Math.max(0, limit)} output tokens, below the minimum of ${minOutputTokens}`,
    );
    return { ok: false, amount: worst(minOutputTokens), outputTokens: minOutputTokens, notes };
  }
  if (modelMax === undefined || limit < modelMax) {
    notes.push(`output limit ${limit} injected: what the remaining budget affords`);
  } else {
    notes.push(`output limit ${limit} injected: the model's maximum output`);
  }
  const amount = worst(limit);
  return {
    ok: true,
    amount,
    worstCase: amount,
    expected: Math.min(expected, amount),
    outputTokens: limit,
    injectLimit: limit,
    notes,
  };
}

/** The most output tokens per choice the model can produce, from its known maximum or its context window. */
function modelOutputBound(hold: TokenHold): number | undefined {
  const { maxOutputTokens, contextWindow } = hold.price;
  if (maxOutputTokens !== undefined) return maxOutputTokens;
  if (contextWindow !== undefined) return Math.max(0, contextWindow - hold.inputTokens);
  return undefined;
}
