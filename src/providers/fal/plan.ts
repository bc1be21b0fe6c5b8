import { InvalidRequestError, UnknownPriceError } from "../../errors.js";
import type { CallPlan, Outcome } from "../../ledger/types.js";
import { falCostFromUnits, falQuote, falUnitsFromResult } from "../../pricing/fal.js";
import type { ServiceTier } from "../../types.js";

export type FalInput = Readonly<Record<string, unknown>>;

/** A fal call's plan: its worst case from the endpoint's price table (per image, megapixel, second, video). */
export function falPlan(
  operation: string,
  endpointId: unknown,
  options: unknown,
  tier: ServiceTier,
): CallPlan {
  if (typeof endpointId !== "string" || endpointId.length === 0) {
    throw new InvalidRequestError(
      `Expected an endpoint id (like "fal-ai/flux/dev") as the first argument of ${operation}`,
    );
  }
  const input = inputOf(options);
  const quote = falQuote(endpointId, input);
  if (!quote) {
    throw new UnknownPriceError(
      "fal",
      endpointId,
      "spendguard's fal price table does not list this endpoint. Meter it with " +
        '`session.guard({ provider: "fal", model, estimateUsd }, fn)` and your own worst case.',
    );
  }
  const units = `${quote.units} ${quote.unit}${quote.units === 1 ? "" : "s"}`;
  return {
    provider: "fal",
    operation,
    model: endpointId,
    stream: operation === "stream",
    tier,
    resolvedModel: quote.endpoint,
    priceSource: quote.source,
    hold: { kind: "fixed", amount: quote.amount, expected: quote.amount, units },
    cost: () => quote.amount,
    confidence: quote.assumed.length > 0 ? "medium" : "high",
    notes: [...quote.assumed],
    fromHelper: false,
    paramsWithLimit: () => options,
  };
}

export function inputOf(options: unknown): FalInput {
  const input = (options as { input?: unknown } | null | undefined)?.input;
  return typeof input === "object" && input !== null ? (input as FalInput) : {};
}

/**
 * A finished request's cost: the `x-fal-billable-units` header when spendguard saw it, else the units counted
 * from the result (images, their sizes, the video's duration); neither known: the hold is charged.
 */
export function falOutcome(
  endpointId: string,
  input: FalInput,
  result: unknown,
  billedUnits?: number,
): Outcome {
  const requestId = (result as { requestId?: unknown } | null)?.requestId;
  const ids = typeof requestId === "string" && requestId ? { requestId } : {};
  const units = billedUnits ?? falUnitsFromResult(endpointId, result, input);
  const actual = units === undefined ? undefined : falCostFromUnits(endpointId, units, input);
  if (actual === undefined) return { kind: "hold", flags: ["no_usage"], ...ids };
  return { kind: "cost", actual, ...ids };
}
