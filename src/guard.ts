import { InvalidRequestError } from "./errors.js";
import { expected } from "./expected.js";
import { type KeysOf, rejectUnknownKeys } from "./known-keys.js";
import type { CallLedger, CallPlan, Outcome } from "./ledger/types.js";
import { type Nano, usdToNano } from "./money.js";
import { usageCost } from "./pricing/cost.js";
import {
  type MediaQuote,
  minimaxBillableCharacters,
  minimaxSpeechQuote,
  minimaxVideoQuote,
} from "./pricing/minimax.js";
import type { PriceCatalog } from "./pricing/types.js";
import type { RequestFacts } from "./rules/types.js";
import type { PriceSource, ProviderId, ServiceTier, Usage } from "./types.js";

/** A call to an API spendguard does not wrap (MiniMax, a self-hosted model, a SaaS): what to hold for it. */
export interface GuardRequest {
  provider: ProviderId;
  model: string;
  /** Names the call in history. @default "guard" */
  operation?: string;
  /** The most the call can cost, in USD: held before `fn` runs. */
  estimateUsd?: number;
  /** Or what the call will use, priced from the catalog (the model must have a known price). */
  estimate?: GuardEstimate;
  tier?: ServiceTier;
}

/** Every key of `GuardRequest` and of each form of `GuardEstimate` (unknown keys throw; see known-keys.ts). */
export const GUARD_REQUEST_KEYS = {
  provider: true,
  model: true,
  operation: true,
  estimateUsd: true,
  estimate: true,
  tier: true,
} as const satisfies KeysOf<GuardRequest>;

const GUARD_ESTIMATE_KEYS = {
  inputTokens: true,
  outputTokens: true,
  seconds: true,
  resolution: true,
  characters: true,
  text: true,
} as const satisfies KeysOf<GuardEstimate>;

/** Throws on a key `guard()` does not know, in the request or its `estimate`. */
export function rejectUnknownGuardKeys(request: unknown): void {
  if (typeof request !== "object" || request === null) return;
  rejectUnknownKeys(request, GUARD_REQUEST_KEYS);
  const { estimate } = request as GuardRequest;
  if (typeof estimate === "object" && estimate !== null) {
    rejectUnknownKeys(estimate, GUARD_ESTIMATE_KEYS, "estimate.");
  }
}

/**
 * What a guarded call will use: tokens of a token model, the clip of a MiniMax video model (`seconds`, up to the
 * longest the model offers, and `resolution`; missing means the dearest), or the text of a MiniMax speech model.
 */
export type GuardEstimate =
  | { inputTokens: number; outputTokens: number }
  | { seconds?: number; resolution?: string }
  | { characters?: number; text?: string };

/**
 * Reports what the call really cost: a USD amount, or its usage priced from the catalog (`{ inputTokens,
 * outputTokens }`, `{ seconds }` of video, `{ characters }` spoken). Called at most once; without it the hold
 * is charged in full.
 */
export type GuardSettle = (actual: number | { usage: Partial<Usage> }) => void;

/** How a guarded call is priced: its hold, and what a reported usage costs (undefined: not priceable). */
interface GuardPricing {
  amount: Nano;
  units: string;
  resolvedModel: string;
  source: PriceSource;
  costOf(usage: Partial<Usage>): Nano | undefined;
  notes: string[];
}

export interface GuardPlan {
  plan: CallPlan;
  /** Prices a usage `fn` reports, when the model has a known price. */
  costOf: (usage: Partial<Usage>) => Nano | undefined;
}

/** The plan of a guarded call: a fixed hold of `estimateUsd`, or of its `estimate` at the catalog's price. */
export async function guardPlan(
  request: GuardRequest,
  catalog: PriceCatalog,
  tier: ServiceTier,
): Promise<GuardPlan> {
  if (typeof request !== "object" || request === null) throw expected("request", "an object", request);
  const { provider, model, estimateUsd, estimate } = request;
  const operation = request.operation ?? "guard";
  if (typeof provider !== "string" || provider.length === 0)
    throw expected("provider", "a provider name", provider);
  if (typeof model !== "string" || model.length === 0) throw expected("model", "a model name", model);
  if (typeof operation !== "string" || operation.length === 0) {
    throw expected("operation", "a name for the call", operation);
  }
  if ((estimateUsd === undefined) === (estimate === undefined)) {
    throw new TypeError(
      "Expected exactly one of `estimateUsd` (USD) or `estimate` (what to price) in guard()",
    );
  }
  if (
    estimateUsd !== undefined &&
    (typeof estimateUsd !== "number" || !Number.isFinite(estimateUsd) || estimateUsd < 0)
  ) {
    throw expected("estimateUsd", "a finite number >= 0 (USD)", estimateUsd);
  }

  // With an estimate the price must be known (UnknownPriceError refuses the call); with a USD amount it only
  // matters if `fn` settles with a usage.
  const pricing =
    estimate !== undefined
      ? await priceEstimate(provider, model, estimate, catalog, tier)
      : await priceEstimate(provider, model, undefined, catalog, tier).catch(() => undefined);
  const amount = estimate !== undefined && pricing ? pricing.amount : usdToNano(estimateUsd ?? 0, "up");
  const units = estimate !== undefined && pricing ? pricing.units : "the caller's estimate";
  const costOf = (usage: Partial<Usage>) => pricing?.costOf(usage);
  return {
    costOf,
    plan: {
      provider,
      operation,
      model,
      stream: false,
      tier,
      resolvedModel: pricing?.resolvedModel ?? model,
      priceSource:
        estimate !== undefined && pricing
          ? pricing.source
          : { layer: "override", detail: "estimateUsd from the caller" },
      hold: { kind: "fixed", amount, expected: amount, units },
      cost: (usage) => costOf(usage) ?? amount,
      confidence: estimate !== undefined ? "medium" : "low",
      notes: [`held ${units}`, ...(pricing?.notes ?? [])],
      fromHelper: false,
      paramsWithLimit: () => undefined,
    },
  };
}

/**
 * The price of a guarded call from the catalog: MiniMax's video and speech tables, else the model's token
 * price. `estimate` undefined: only `costOf` matters (the hold is the caller's USD amount).
 */
async function priceEstimate(
  provider: string,
  model: string,
  estimate: GuardEstimate | undefined,
  catalog: PriceCatalog,
  tier: ServiceTier,
): Promise<GuardPricing> {
  const given = (estimate ?? {}) as Record<string, unknown>;
  if (provider === "minimax" && minimaxVideoQuote(model)) {
    const seconds = optionalCount(given, "seconds", "estimate.seconds");
    const resolution = given.resolution;
    if (resolution !== undefined && typeof resolution !== "string") {
      throw expected("estimate.resolution", 'a resolution like "768P"', resolution);
    }
    const quote = minimaxVideoQuote(model, {
      ...(seconds !== undefined && { duration: seconds }),
      ...(resolution !== undefined && { resolution }),
    }) as MediaQuote;
    return {
      amount: quote.amount,
      units: `a ${quote.units} s ${quote.resolution ?? ""} clip`.replace("  ", " "),
      resolvedModel: quote.model,
      source: quote.source,
      notes: quote.assumed,
      costOf: (usage) =>
        usage.seconds === undefined
          ? undefined
          : minimaxVideoQuote(model, {
              duration: usage.seconds,
              ...(quote.resolution !== undefined && { resolution: quote.resolution }),
            })?.amount,
    };
  }
  if (provider === "minimax" && minimaxSpeechQuote(model, 0)) {
    const text = given.text;
    if (text !== undefined && typeof text !== "string") throw expected("estimate.text", "a string", text);
    const characters =
      optionalCount(given, "characters", "estimate.characters") ??
      (text !== undefined ? minimaxBillableCharacters(text) : undefined);
    if (estimate !== undefined && characters === undefined) {
      throw expected("estimate", "{ characters } or { text } for a speech model", estimate);
    }
    const quote = minimaxSpeechQuote(model, characters ?? 0) as MediaQuote;
    return {
      amount: quote.amount,
      units: `${quote.units} characters`,
      resolvedModel: quote.model,
      source: quote.source,
      notes: quote.assumed,
      costOf: (usage) =>
        usage.characters === undefined ? undefined : minimaxSpeechQuote(model, usage.characters)?.amount,
    };
  }
  const price = await catalog.tokenPrice(provider, model, tier);
  let amount = 0;
  if (estimate !== undefined) {
    validateUsage("estimate", estimate);
    amount = usageCost(price, estimate, "up");
  }
  const tokens = estimate as Usage | undefined;
  return {
    amount,
    units: tokens ? `${tokens.inputTokens} input + ${tokens.outputTokens} output tokens` : "",
    resolvedModel: price.model,
    source: price.source,
    notes: [],
    costOf: (usage) => {
      if (usage.inputTokens === undefined || usage.outputTokens === undefined) return undefined;
      return usageCost(price, usage as Usage, "nearest");
    },
  };
}

function optionalCount(source: Record<string, unknown>, field: string, name: string): number | undefined {
  const value = source[field];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw expected(name, "a number >= 0", value);
  return value;
}

/** A guarded call as the rules see it: its model, and the seconds of a video clip. */
export function guardFacts(request: GuardRequest): RequestFacts {
  const facts: RequestFacts = { model: typeof request.model === "string" ? request.model : "" };
  const seconds = (request.estimate as { seconds?: unknown } | undefined)?.seconds;
  if (typeof seconds === "number") facts.seconds = seconds;
  else if (request.provider === "minimax" && request.estimate !== undefined) {
    // No length given: the clip may be as long as the model makes them.
    const longest = minimaxVideoQuote(facts.model)?.maxDurationSeconds;
    if (longest !== undefined) facts.seconds = longest;
  }
  return facts;
}

/**
 * Runs `fn` under a hold: `settle()` inside it reports the real cost; returning without settling charges the
 * hold; throwing without settling releases it (the call is assumed not to have been billed). A refused call
 * never runs `fn`.
 */
export async function runGuarded<T>(
  ledger: CallLedger,
  { plan, costOf }: GuardPlan,
  fn: (settle: GuardSettle) => T | Promise<T>,
): Promise<T | null> {
  let admission: Awaited<ReturnType<CallLedger["admit"]>>;
  try {
    admission = await ledger.admit(plan);
  } catch (error) {
    if (ledger.resolvesNullOnRefusal(error)) return null;
    throw error;
  }
  let settled: Outcome | undefined;
  let running = true;
  // A settle() with a bad value still means the call ran: charge the hold rather than release it.
  let rejected = false;
  const settle: GuardSettle = (actual) => {
    if (!running)
      throw new InvalidRequestError("settle() was called after the guarded function had finished");
    if (settled) throw new InvalidRequestError("settle() was already called for this guarded call");
    try {
      settled = guardOutcome(actual, costOf, plan);
    } catch (error) {
      rejected = true;
      throw error;
    }
  };
  const unsettled: Outcome = { kind: "hold", flags: ["no_usage"] };
  let result: T;
  try {
    result = await fn(settle);
  } catch (error) {
    running = false;
    const failed: Outcome = { kind: "failed", reason: error instanceof Error ? error.name : "error" };
    await ledger.finish(admission, settled ?? (rejected ? unsettled : failed));
    throw error;
  }
  running = false;
  await ledger.finish(admission, settled ?? unsettled);
  return result;
}

function guardOutcome(actual: unknown, costOf: GuardPlan["costOf"], plan: CallPlan): Outcome {
  if (typeof actual === "number") {
    if (!Number.isFinite(actual) || actual < 0)
      throw expected("settle(actualUsd)", "a finite number >= 0 (USD)", actual);
    return { kind: "cost", actual: usdToNano(actual) };
  }
  const usage = (actual as { usage?: unknown } | null)?.usage;
  if (usage === undefined) throw expected("settle()", "a USD amount or { usage }", actual);
  validateCounts("settle({ usage })", usage);
  const cost = costOf(usage as Partial<Usage>);
  if (cost === undefined) {
    throw new InvalidRequestError(
      `settle({ usage }) cannot price this usage for ${plan.provider} \`${plan.model}\` (no known price, or ` +
        "not the units it is priced by): settle with the USD amount",
    );
  }
  const tokens = usage as Partial<Usage>;
  return {
    kind: "cost",
    actual: cost,
    usage: { ...tokens, inputTokens: tokens.inputTokens ?? 0, outputTokens: tokens.outputTokens ?? 0 },
  };
}

function validateCounts(name: string, usage: unknown): void {
  if (typeof usage !== "object" || usage === null) throw expected(name, "an object of counts", usage);
  for (const [field, value] of Object.entries(usage)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw expected(`${name}.${field}`, "a number >= 0", value);
  }
}

function validateUsage(name: string, usage: unknown): asserts usage is Usage {
  validateCounts(name, usage);
  for (const field of ["inputTokens", "outputTokens"] as const) {
    if ((usage as Record<string, unknown>)[field] === undefined)
      throw expected(`${name}.${field}`, "an integer >= 0", undefined);
  }
}
