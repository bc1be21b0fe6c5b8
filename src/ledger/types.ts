import type { Nano } from "../money.js";
import type { TokenPrice } from "../pricing/types.js";
import type { CallFlag, CallRecord, CostEstimate, ServiceTier, Usage } from "../types.js";

/**
 * The seam between provider adapters and the session's ledger: an adapter turns a request into a plan,
 * the ledger admits it (rules, price, hold), the adapter sends it and reports an outcome, the ledger settles.
 */
export interface CallPlan {
  provider: string;
  /** The SDK method path, e.g. `chat.completions.create`. */
  operation: string;
  model: string;
  stream: boolean;
  tier: ServiceTier;
  price: TokenPrice;
  /** Input tokens as an upper bound of what the provider will bill. */
  inputTokens: number;
  /** The caller's own output limit per choice, when the request sets one. */
  outputLimit?: number;
  /** Parallel choices (`n`): the output limit applies to each. */
  choices: number;
  /** Whether a cache-write rate can apply to the input (it can cost more than plain input). */
  cacheWritePossible: boolean;
  confidence: "high" | "medium" | "low";
  notes: string[];
  /** The params to send: a copy with `limit` set as the output limit when strict mode injects one. */
  paramsWithLimit(limit: number | undefined): unknown;
  /** Whether the response goes through a helper of the SDK (parse, stream, runTools): never resolve null. */
  fromHelper: boolean;
}

export interface Admission {
  /** The call's id, also the record's id. */
  id: string;
  holdId: string;
  held: Nano;
  plan: CallPlan;
  /** The params to send (a copy; the caller's object is never mutated). */
  params: unknown;
  /** The output limit strict mode injected, when it did. */
  injectedLimit?: number;
  startedAt: number;
  record: CallRecord;
}

export type Outcome =
  /** The provider reported usage. */
  | { kind: "usage"; usage: Usage; responseModel?: string; responseTier?: string; requestId?: string }
  /** The call was cut short; usage counted from what was seen. Capped at the hold. */
  | {
      kind: "estimated";
      usage: Usage;
      flags: CallFlag[];
      responseModel?: string;
      requestId?: string;
    }
  /** Nothing reliable is known: charge the hold (the provider may have billed all of it). */
  | { kind: "hold"; flags: CallFlag[]; responseModel?: string; requestId?: string }
  /** The provider refused or failed before doing billable work: release the hold. */
  | { kind: "failed"; reason: string };

export interface CallLedger {
  readonly sessionId: string;
  /** Rules, price, worst case, strict clamp, atomic hold. Rejects with the refusal (already recorded). */
  admit(plan: CallPlan): Promise<Admission>;
  /** Settle exactly once (later calls for the same admission are ignored). Never rejects. */
  finish(admission: Admission, outcome: Outcome): Promise<void>;
  estimate(plan: CallPlan): Promise<CostEstimate>;
  /** Whether refusals of this session resolve to `null` (an `onBudgetExceeded` callback was given). */
  resolvesNullOnRefusal(error: unknown): boolean;
}
