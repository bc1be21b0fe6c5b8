import type { TransportMeter } from "../intercept/meters.js";
import type { Admission, CallLedger, CallPlan } from "../ledger/types.js";
import type { PriceCatalog } from "../pricing/types.js";
import type { RequestFacts, RequestRewrite } from "../rules/types.js";
import type { ServiceTier } from "../types.js";

/**
 * The provider seam: one paid method of an SDK client, as a plan (how to price and hold a call from its
 * arguments) and a meter (how to settle it from the HTTP response). A new endpoint is one file exporting one
 * of these, listed in its provider's `operations.ts`.
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
  /** What rules need from the params (image quality and size, seconds, output limit); the model alone by default. */
  facts?(params: unknown, context: Pick<PlanContext, "args" | "memory">): RequestFacts;
  /** The params with the rules' changes applied, on a copy (a cheaper quality, a lower output limit). */
  rewrite?(params: unknown, rewrite: RequestRewrite): unknown;
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
  /** Exact input tokens from the provider's free counting endpoint, when the session asks for them. */
  countTokens?: (params: Record<string, unknown>) => Promise<number>;
}

export interface OperationMeter extends TransportMeter {
  /** Whether a failed attempt may have reached the provider (a timeout, an abort, a dropped socket). */
  readonly mayBeBilled: boolean;
}

/** A free method whose response may settle work billed later (`responses.retrieve`, `videos.retrieve`). */
export interface LaterHook {
  /** The provider id the call is about, from its arguments. */
  key(args: readonly unknown[]): string | undefined;
  optionsArg: number;
  meter(key: string, ledger: CallLedger, catalog: PriceCatalog): TransportMeter;
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
