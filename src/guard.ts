import { InvalidRequestError } from "./errors.js";
import type { CallLedger, CallPlan, Outcome } from "./ledger/types.js";
import { type Nano, usdToNano } from "./money.js";
import { expected } from "./options.js";
import { usageCost } from "./pricing/cost.js";
import type { PriceCatalog, TokenPrice } from "./pricing/types.js";
import type { ProviderId, ServiceTier, Usage } from "./types.js";

/** A call to an API spendguard does not wrap (MiniMax, a self-hosted model, a SaaS): what to hold for it. */
export interface GuardRequest {
  provider: ProviderId;
  model: string;
  /** Names the call in history. @default "guard" */
  operation?: string;
  /** The most the call can cost, in USD: held before `fn` runs. */
  estimateUsd?: number;
  /** Or the token usage to price from the catalog (the provider's model must have a known token price). */
  usage?: Usage;
  tier?: ServiceTier;
}

/**
 * Reports what the call really cost: a USD amount, or its usage (priced from the catalog). Called at most
 * once; without it the hold is charged in full.
 */
export type GuardSettle = (actual: number | { usage: Usage }) => void;

export interface GuardPlan {
  plan: CallPlan;
  /** The model's token price, when the catalog knows it (needed to settle with a usage). */
  price: TokenPrice | undefined;
}

/** The plan of a guarded call: a fixed hold of `estimateUsd`, or of its `usage` at the catalog's price. */
export async function guardPlan(
  request: GuardRequest,
  catalog: PriceCatalog,
  tier: ServiceTier,
): Promise<GuardPlan> {
  if (typeof request !== "object" || request === null) throw expected("request", "an object", request);
  const { provider, model, estimateUsd, usage } = request;
  const operation = request.operation ?? "guard";
  if (typeof provider !== "string" || provider.length === 0)
    throw expected("provider", "a provider name", provider);
  if (typeof model !== "string" || model.length === 0) throw expected("model", "a model name", model);
  if (typeof operation !== "string" || operation.length === 0) {
    throw expected("operation", "a name for the call", operation);
  }
  if ((estimateUsd === undefined) === (usage === undefined)) {
    throw new TypeError(
      "Expected exactly one of `estimateUsd` (USD) or `usage` (tokens to price) in guard()",
    );
  }
  if (
    estimateUsd !== undefined &&
    (typeof estimateUsd !== "number" || !Number.isFinite(estimateUsd) || estimateUsd < 0)
  ) {
    throw expected("estimateUsd", "a finite number >= 0 (USD)", estimateUsd);
  }
  if (usage !== undefined) validateUsage("usage", usage);

  // With a usage the price must be known (UnknownPriceError refuses the call); with a USD estimate it only
  // matters if the caller settles with a usage later.
  const price =
    usage !== undefined
      ? await catalog.tokenPrice(provider, model, tier)
      : await catalog.tokenPrice(provider, model, tier).catch(() => undefined);
  const amount: Nano =
    usage !== undefined && price ? usageCost(price, usage, "up") : usdToNano(estimateUsd ?? 0, "up");
  const units =
    usage !== undefined
      ? `${usage.inputTokens} input + ${usage.outputTokens} output tokens`
      : "the caller's estimate";
  return {
    price,
    plan: {
      provider,
      operation,
      model,
      stream: false,
      tier,
      resolvedModel: price?.model ?? model,
      priceSource:
        usage !== undefined && price
          ? price.source
          : { layer: "override", detail: "estimateUsd from the caller" },
      hold: { kind: "fixed", amount, expected: amount, units },
      cost: (settled) => (price ? usageCost(price, settled, "nearest") : amount),
      confidence: usage !== undefined ? "medium" : "low",
      notes: [`held ${units}`],
      fromHelper: false,
      paramsWithLimit: () => undefined,
    },
  };
}

/**
 * Runs `fn` under a hold: `settle()` inside it reports the real cost; returning without settling charges the
 * hold; throwing without settling releases it (the call is assumed not to have been billed). A refused call
 * never runs `fn`.
 */
export async function runGuarded<T>(
  ledger: CallLedger,
  { plan, price }: GuardPlan,
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
      settled = guardOutcome(actual, price, plan);
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

function guardOutcome(actual: unknown, price: TokenPrice | undefined, plan: CallPlan): Outcome {
  if (typeof actual === "number") {
    if (!Number.isFinite(actual) || actual < 0)
      throw expected("settle(actualUsd)", "a finite number >= 0 (USD)", actual);
    return { kind: "cost", actual: usdToNano(actual) };
  }
  const usage = (actual as { usage?: unknown } | null)?.usage;
  if (usage === undefined) throw expected("settle()", "a USD amount or { usage }", actual);
  validateUsage("settle({ usage })", usage);
  if (!price) {
    throw new InvalidRequestError(
      `settle({ usage }) needs a token price for ${plan.provider} \`${plan.model}\`, and none is known: settle with the USD amount`,
    );
  }
  return { kind: "usage", usage };
}

function validateUsage(name: string, usage: unknown): asserts usage is Usage {
  if (typeof usage !== "object" || usage === null)
    throw expected(name, "an object like { inputTokens, outputTokens }", usage);
  for (const [field, value] of Object.entries(usage)) {
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw expected(`${name}.${field}`, "an integer >= 0", value);
  }
  for (const field of ["inputTokens", "outputTokens"] as const) {
    if ((usage as Record<string, unknown>)[field] === undefined)
      throw expected(`${name}.${field}`, "an integer >= 0", undefined);
  }
}
