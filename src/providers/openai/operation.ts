import { InvalidRequestError } from "../../errors.js";
import type { TransportMeter } from "../../intercept/meters.js";
import type { CallInfo } from "../../ledger/call-ledger.js";
import type { Admission, CallLedger, CallPlan } from "../../ledger/types.js";
import type { Nano } from "../../money.js";
import { usageCost } from "../../pricing/cost.js";
import type { PriceCatalog, TokenPrice } from "../../pricing/types.js";
import { encodingForModel, loadedTokenizer, loadTokenizer } from "../../tokenize/index.js";
import type { Tokenizer } from "../../tokenize/types.js";
import type { ServiceTier, Usage } from "../../types.js";

/**
 * One paid method of the OpenAI client: how to plan a call from its arguments and how to meter its HTTP
 * response. A new endpoint is one file exporting one of these (see `operations.ts`).
 */
export interface Operation<P extends CallPlan = CallPlan> {
  /** The SDK method path, e.g. `images.generate`. */
  path: string;
  /** The argument holding the request body (`videos.remix(id, body)` has it second). */
  paramsArg: number;
  /** The request path(s) of the paid HTTP request, matched against the URL's path. */
  url: RegExp;
  plan(params: unknown, context: PlanContext): Promise<P>;
  meter(admission: Admission, plan: P, ledger: CallLedger): OperationMeter;
}

export interface PlanContext {
  catalog: PriceCatalog;
  /** The wrapped client's tier (or the session's). */
  tier: ServiceTier;
  fromHelper: boolean;
  /** The arguments of the SDK call (for operations that need more than the body, like `videos.remix`). */
  args: readonly unknown[];
  /** What the session remembers about earlier responses (sizes of previous responses, lengths of videos). */
  memory: ProviderMemory;
}

export interface OperationMeter extends TransportMeter {
  /** Whether a failed attempt may have reached the provider (a timeout, an abort, a dropped socket). */
  readonly mayBeBilled: boolean;
}

/** Facts remembered across calls of one session, bounded. */
export interface ProviderMemory {
  /** Tokens a stored response carries into a follow-up (`previous_response_id`): its input plus output. */
  responseTokens: BoundedMap<string, number>;
  /** Videos this session generated: a remix or an edit costs what its source does. */
  videos: BoundedMap<string, { model: string; seconds: number; size: string }>;
}

export interface BoundedMap<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
}

export function boundedMap<K, V>(limit = 10_000): BoundedMap<K, V> {
  const entries = new Map<K, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > limit) entries.delete(entries.keys().next().value as K);
    },
  };
}

export function createProviderMemory(): ProviderMemory {
  return { responseTokens: boundedMap(), videos: boundedMap() };
}

// ---------------------------------------------------------------------------------------------------------
// Reading request bodies: every malformed field is a typed error naming the field.

export function requireBody(params: unknown, operation: string): Record<string, unknown> {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new InvalidRequestError(`Expected the ${operation} params to be an object, got ${typeof params}`);
  }
  return params as Record<string, unknown>;
}

export function requireModel(body: Record<string, unknown>, operation: string, fallback?: string): string {
  const model = body.model ?? fallback;
  if (typeof model !== "string" || model.length === 0) {
    throw new InvalidRequestError(
      `Expected \`model\` to be a non-empty string in ${operation} params: spendguard prices each call by its model`,
    );
  }
  return model;
}

/** A positive integer field, or undefined when absent. */
export function readCount(
  body: Record<string, unknown>,
  name: string,
  max = 2 ** 31 - 1,
): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidRequestError(
      `Expected \`${name}\` to be an integer >= 1${max < 2 ** 31 - 1 ? ` and <= ${max}` : ""}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The tier a request is billed at: `service_tier: "flex" | "priority"` wins over the client's. */
export function requestTier(serviceTier: unknown, fallback: ServiceTier): ServiceTier {
  if (serviceTier === "flex" || serviceTier === "priority") return serviceTier;
  return fallback;
}

export function callInfo(path: string, params: unknown, tier: ServiceTier): CallInfo {
  const body = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  return {
    provider: "openai",
    operation: path,
    model: typeof body.model === "string" ? body.model : "",
    stream: body.stream === true,
    tier,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Token models

/** The model's price and tokenizer: cached after the first call, so the hot path does not await. */
export async function priceAndTokenizer(
  catalog: PriceCatalog,
  model: string,
  tier: ServiceTier,
): Promise<{ price: TokenPrice; tokenizer: Tokenizer }> {
  const encoding = encodingForModel(model);
  const price = catalog.cachedTokenPrice("openai", model, tier);
  const tokenizer = loadedTokenizer(encoding);
  if (price && tokenizer) return { price, tokenizer };
  const [resolved, loaded] = await Promise.all([
    catalog.tokenPrice("openai", model, tier),
    loadTokenizer(encoding),
  ]);
  return { price: resolved, tokenizer: loaded };
}

/**
 * What a token usage costs, at the tier the response reports when that tier costs differently (`flex`,
 * `priority`: a request sent at `auto` may be served at either), plus any charges beyond tokens (`extra`
 * prices those itself, so `tokensOnly` removes them from what the token price sees).
 */
export function tokenCost(
  catalog: PriceCatalog,
  model: string,
  price: TokenPrice,
  extra?: { charges(usage: Usage): Nano; tokensOnly(usage: Usage): Usage },
): CallPlan["cost"] {
  return (usage, responseTier) => {
    const tier = responseTier === "flex" || responseTier === "priority" ? responseTier : undefined;
    const add = extra ? extra.charges(usage) : 0;
    const tokens = extra ? extra.tokensOnly(usage) : usage;
    if (tier === undefined || tier === price.tier) return usageCost(price, tokens, "nearest") + add;
    return catalog
      .tokenPrice("openai", model, tier)
      .catch(() => price)
      .then((repriced) => usageCost(repriced, tokens, "nearest") + add);
  };
}

/** The plan fields every token-priced operation shares. */
export function tokenPlanBase(price: TokenPrice, context: PlanContext, model: string, tier: ServiceTier) {
  return {
    provider: "openai",
    model,
    tier,
    resolvedModel: price.model,
    priceSource: price.source,
    ...(price.unpriced && { unpriced: true }),
    fromHelper: context.fromHelper,
  };
}
