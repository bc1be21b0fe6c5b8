import { InvalidRequestError, UnknownPriceError } from "../../errors.js";
import type { CallPlan, Outcome } from "../../ledger/types.js";
import {
  FAL_IMAGE_SIZE_PRESETS,
  falCostFromUnits,
  falImageQualities,
  falQuote,
  falUnitsFromResult,
} from "../../pricing/fal.js";
import type { RequestFacts, RequestRewrite } from "../../rules/types.js";
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

/**
 * A fal request as the rules see it: the quality and size fal will use (its documented default when the input
 * names none), the number of images, the seconds of video.
 */
export function falFacts(endpointId: string, options: unknown): RequestFacts {
  const input = inputOf(options);
  const quote = falQuote(endpointId, input);
  const facts: RequestFacts = { model: endpointId };
  if (quote?.quality !== undefined) facts.quality = quote.quality;
  const qualities = falImageQualities(endpointId);
  if (qualities && qualities.length > 0) facts.qualities = qualities;
  const size =
    sizeOf(input.image_size) ?? (quote?.size && /^\d+x\d+$/.test(quote.size) ? quote.size : undefined);
  if (size !== undefined) facts.size = size;
  if (quote && (quote.unit === "image" || quote.unit === "megapixel")) {
    facts.count = typeof input.num_images === "number" ? input.num_images : 1;
  }
  const seconds = quote?.unit === "second" ? quote.units : secondsOf(input.duration);
  if (seconds !== undefined) facts.seconds = seconds;
  return facts;
}

/** The options with the rules' quality written into the input (a copy). */
export function falRewrite(options: unknown, rewrite: RequestRewrite): unknown {
  if (rewrite.quality === undefined) return options;
  const given = (typeof options === "object" && options !== null ? options : {}) as Record<string, unknown>;
  return { ...given, input: { ...inputOf(options), quality: rewrite.quality } };
}

function sizeOf(value: unknown): string | undefined {
  if (typeof value === "string") {
    const preset = FAL_IMAGE_SIZE_PRESETS[value];
    if (preset) return `${preset.width}x${preset.height}`;
    return /^\d+x\d+$/.test(value) ? value : undefined;
  }
  const { width, height } = (value ?? {}) as { width?: unknown; height?: unknown };
  return typeof width === "number" && typeof height === "number" ? `${width}x${height}` : undefined;
}

function secondsOf(value: unknown): number | undefined {
  const seconds = typeof value === "string" ? Number.parseFloat(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
