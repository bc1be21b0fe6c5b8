import type { SpendguardError } from "../errors.js";
import type { Nano } from "../money.js";
import type { TokenPrice } from "../pricing/types.js";
import type { RequestFacts, RequestRewrite } from "../rules/types.js";
import type { Balance, RateCharge, ScopeRef } from "../stores/types.js";
import type {
  CallFlag,
  CallRecord,
  CostEstimate,
  PriceSource,
  ServiceTier,
  Usage,
  WarningEvent,
} from "../types.js";

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
  /** The model the price was resolved to, and where the price came from. */
  resolvedModel: string;
  priceSource: PriceSource;
  /** Priced as another model through `unknownModel.fallbackModel`. */
  unpriced?: boolean;
  /** How much to hold. */
  hold: TokenHold | FixedHold;
  /** What a usage costs (the provider's, or one counted by spendguard), at the tier the response reports. */
  cost(usage: Usage, responseTier?: string): Nano | Promise<Nano>;
  confidence: "high" | "medium" | "low";
  notes: string[];
  /** The params to send: a copy with `limit` set as the output limit when strict mode injects one. */
  paramsWithLimit(limit: number | undefined): unknown;
  /** Whether the response goes through a helper of the SDK (parse, stream, runTools): never resolve null. */
  fromHelper: boolean;
}

/** Token models: the worst case is the input plus the most output the request allows (DESIGN 2.2). */
export interface TokenHold {
  kind: "tokens";
  price: TokenPrice;
  /** Input tokens as an upper bound of what the provider will bill. */
  inputTokens: number;
  /** The caller's own output limit per choice, when the request sets one. */
  outputLimit?: number;
  /** Parallel choices (`n`, `best_of`): the output limit applies to each. */
  choices: number;
  /** Whether a cache-write rate can apply to the input (it can cost more than plain input). */
  cacheWritePossible: boolean;
  /** Charges beyond tokens that the worst case must include (built-in tool calls, images of an edit). */
  extra?: Nano;
}

/** Priced per unit (images, characters, seconds): the worst case is known from the request alone. */
export interface FixedHold {
  kind: "fixed";
  amount: Nano;
  expected: Nano;
  /** The units the amount stands for, for estimates and notes (`2 images`, `12 s of video`). */
  units: string;
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
  /** The accounts the hold was taken on, innermost first. */
  scopes: readonly ScopeRef[];
  record: CallRecord;
  /** The rate windows the call consumed, and the tokens it was charged to them (for refunds on settle). */
  charges?: readonly RateCharge[];
  chargedTokens?: number;
}

export type Outcome =
  /** The provider reported usage. */
  | { kind: "usage"; usage: Usage; responseModel?: string; responseTier?: string; requestId?: string }
  /** The call was cut short, or the provider reports no usage: usage counted by spendguard. Capped at the hold. */
  | {
      kind: "estimated";
      usage: Usage;
      flags: CallFlag[];
      responseModel?: string;
      requestId?: string;
    }
  /** The provider reported usage that the adapter priced itself (several models in one batch). */
  | { kind: "cost"; actual: Nano; usage?: Usage; requestId?: string }
  /** Nothing reliable is known: charge the hold (the provider may have billed all of it). */
  | { kind: "hold"; flags: CallFlag[]; responseModel?: string; requestId?: string }
  /** A rule refused the call after its hold was taken (approval denied): release it, record it as blocked. */
  | { kind: "refused"; code: string }
  /** The provider refused or failed before doing billable work: release the hold. */
  | { kind: "failed"; reason: string };

/** Facts about a call known before it could be planned (used to screen and to record refusals). */
export interface CallInfo {
  provider: string;
  operation: string;
  model: string;
  stream: boolean;
  tier: ServiceTier;
}

export interface AdmitContext {
  /** What `screen` rewrote, for the record. */
  rewrites?: readonly string[];
  /** The params as they will be sent (custom rules, approvers, and prompts in history see them). */
  params?: unknown;
}

/** What screening decided for a call that passes: the rewrite to apply before planning, if any. */
export interface Screened {
  rewrite?: RequestRewrite;
  rewrites: string[];
}

export interface CallLedger {
  readonly sessionId: string;
  /**
   * The rules the request alone decides (panic, expiry, lockout, provider, model, images, video, output):
   * the rewrite to apply before planning (at once, when the call passes), or a promise rejecting with the
   * refusal (already recorded).
   */
  screen(info: CallInfo, facts: () => RequestFacts): Screened | Promise<Screened>;
  /** Rules, price, worst case, strict clamp, atomic hold. Rejects with the refusal (already recorded). */
  admit(plan: CallPlan, context?: AdmitContext): Promise<Admission>;
  /** Settle exactly once (later calls for the same admission are ignored). Never rejects. */
  finish(admission: Admission, outcome: Outcome): Promise<void>;
  estimate(plan: CallPlan): Promise<CostEstimate>;
  /** Whether refusals of this session resolve to `null` (an `onBudgetExceeded` callback was given). */
  resolvesNullOnRefusal(error: unknown): boolean;
  /**
   * Work the provider bills later (background responses, videos, queued jobs): the hold stays open under the
   * provider's id until `settleLater` finds its result; a second settle of the same id bills nothing.
   */
  awaitLater(key: string, admission: Admission): void;
  settleLater(key: string, outcome: Outcome): boolean;
  isAwaited(key: string): boolean;
  /**
   * Spend that happened without a hold (a batch billed after the fact, a second attempt a middleware sent):
   * recorded in full, even over budget, flagged `unreserved`.
   */
  charge(plan: CallPlan, usage: Usage, requestId?: string): Promise<CallRecord>;
}

/**
 * Told about every metered call, whatever door it came through (SDK wrapper, transport, `guard`, batch): the
 * seam telemetry and alert sinks plug into. Hooks run synchronously on the call's path: keep them cheap; a hook
 * that throws is reported as a process warning and the call goes on.
 */
export interface CallObserver {
  /** A hold was taken: the call is about to be sent. */
  onAdmit?(event: AdmitEvent): void;
  /** An admitted call (or an unreserved charge) ended: its record is final (`settled`, `failed`, `blocked`). */
  onSettle?(event: SettleEvent): void;
  /** A call was refused before anything was held or sent. */
  onRefuse?(event: RefuseEvent): void;
  /** A budget crossed a warning threshold: once per threshold and period across every process of the store. */
  onWarning?(event: WarningEvent): void;
  /** Finish background work (deliveries in flight); `session.close()` waits for it within its timeout. */
  flush?(): Promise<void>;
}

export interface AdmitEvent {
  admission: Admission;
  /** The accounts the hold was taken on, after it, innermost first. */
  balances: readonly Balance[];
}

export interface SettleEvent {
  record: CallRecord;
  /** Absent for spend charged without a hold (`settleBatch`). */
  admission?: Admission;
  /** The accounts after the settle, innermost first (empty when the store could not be reached). */
  balances: readonly Balance[];
  /**
   * Set when this settle did not reach the store: the hold stays and is charged in full when its lease ends
   * (`store_unavailable`), or its lease had already ended and charged it (`lease_expired`).
   */
  lost?: "store_unavailable" | "lease_expired";
}

export interface RefuseEvent {
  record: CallRecord;
  error: SpendguardError;
}
