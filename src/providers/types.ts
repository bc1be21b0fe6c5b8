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
  /** The SDK method path, e.g. `images.generate` (the operation's name in records and rules). */
  path: string;
  /**
   * The paid HTTP request (a POST), matched against the URL's path; its capture groups (ids in the path, as
   * in `/videos/{id}/remix`) reach the plan as `args`.
   */
  url: RegExp;
  /** Synchronous when everything it needs is already loaded (the hot path), a promise otherwise. */
  plan(params: unknown, context: PlanContext): P | Promise<P>;
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
  /** The ids the request path carries (the capture groups of the operation's `url`). */
  args: readonly string[];
  /** What the session remembers about earlier responses (sizes of previous responses, lengths of videos). */
  memory: ProviderMemory;
  /** Exact input tokens from the provider's free counting endpoint, when the session asks for them. */
  countTokens?: (params: Record<string, unknown>) => Promise<number>;
}

/** How one attempt settles from its successful response (error responses and failures settle in the engine). */
export interface OperationMeter {
  /** Called with the attempt's response (2xx); returns the response to hand on. */
  observe(response: Response): Response | Promise<Response>;
}

/** A free request whose response may settle work billed later (`GET /responses/{id}`, `GET /videos/{id}`). */
export interface LaterHook {
  /** Its SDK method, for documentation (`responses.retrieve`). */
  path: string;
  method: "GET" | "POST";
  /** Matched against the URL's path; the first capture group is the provider id the hold waits under. */
  url: RegExp;
  meter(key: string, ledger: CallLedger, catalog: PriceCatalog): OperationMeter;
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
