import type { Nano } from "../money.js";
import type { CallRecord, CallStatus } from "../types.js";

/**
 * The store seam: everything that must be atomic lives behind it, so memory, SQLite and Redis stores give
 * the same guarantees and nothing above them changes. Amounts are integer nano-USD; the core computes every
 * time (`now`, `expiresAt`) and every account key, so stores do no clock or period arithmetic of their own.
 *
 * Contract (the conformance suite checks each line):
 * - `reserve` checks `spent + held + amount <= limit` on every scope and writes the hold on all of them, or
 *   on none, in one atomic step. Equality is allowed. A refusal changes nothing. A `panic` or `locked` flag on
 *   any scope refuses. Its rate windows (`limits`) are checked and consumed in the same step (GCRA, see
 *   `rate-window.ts`): any window without room refuses, with the wait until it has room. With `force` (spend
 *   that already happened, such as a batch billed after the fact) it skips every check.
 * - The limit of an account is the operator's override (`update({ limit })`) when one is set for its scope id,
 *   otherwise the `limit` the request passes; balances report the limit in force.
 * - Holds whose `expiresAt` has passed are settled at their full amount (never released) by whichever
 *   operation touches their scopes next, with their record flagged `lease_expired`.
 * - `settle` applies once per hold: it removes the hold, adds `actual` to spent on every scope of the hold,
 *   appends the record and reports the warning thresholds this settle crossed, each threshold once per
 *   account until `update({ reset })`. Settling an unknown or already settled hold changes nothing. Its
 *   `refunds` give back to rate windows what the call did not use.
 * - `register` remembers what a scope id is (parent, limit, period) so that tools reading the store (the CLI,
 *   the dashboard) can list every budget; `scopes` lists them.
 */
export interface BudgetStore {
  readonly name: string;
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  settle(request: SettleRequest): Promise<SettleResult>;
  read(request: ReadRequest): Promise<Balance[]>;
  update(request: UpdateRequest): Promise<Balance>;
  /** Append a record of an attempt that took no hold (blocked before the network). */
  record(record: CallRecord): Promise<void>;
  /** Upsert the description of scope ids (idempotent; called once per session and process). */
  register(scopes: readonly ScopeInfo[]): Promise<void>;
  /** Every registered scope id, with the operator's limit override when one is set. */
  scopes(): Promise<ScopeInfo[]>;
  history(query: HistoryQuery): Promise<CallRecord[]>;
  /**
   * Optional: exact balances without awaiting, for stores that live in this process. Session getters use it
   * when present and otherwise report the balances returned by the latest operation.
   */
  readSync?(request: ReadRequest): Balance[];
  close?(): Promise<void>;
}

/** One account a hold is taken on: a session (or ancestor) in one budget period. */
export interface ScopeRef {
  /** The session id. */
  id: string;
  /** The account key: the id, or the id and its period (`nightly:2026-11-25`). */
  key: string;
  /** The budget of this account. */
  limit: Nano;
  /** Warning thresholds in percent of `limit`, ascending. */
  thresholds: readonly number[];
}

/** What a scope id is: for listing budgets, not for enforcing them (requests carry what enforcement needs). */
export interface ScopeInfo {
  id: string;
  /** The parent session's id, for a child budget. */
  parentId?: string;
  /** The budget the code gave it, per period. */
  limit: Nano;
  /** `"day" | "week" | "month" | "<n>d"`, or undefined for a budget without periods. */
  period?: string;
  thresholds: readonly number[];
  /** The operator's override of `limit` (`spendguard budget set`), when set. */
  limitOverride?: Nano;
  /** Epoch ms of the first registration. */
  createdAt: number;
}

export interface Balance {
  key: string;
  id: string;
  limit: Nano;
  spent: Nano;
  held: Nano;
  /** Flags of the scope id (`panic`). */
  flags: Readonly<Record<string, boolean>>;
}

export interface ReserveRequest {
  holdId: string;
  amount: Nano;
  /** Innermost first: the session, then its parent, and so on. */
  scopes: readonly ScopeRef[];
  now: number;
  expiresAt: number;
  /** Written as the hold's record if its lease expires before it settles. */
  record: CallRecord;
  /** Record spend that already happened: no budget, flag or rate check. */
  force?: boolean;
  /** Rate windows this call consumes, checked and consumed with the hold. */
  limits?: readonly RateCharge[];
}

/**
 * One use of a rate window. A window allows `capacity` (requests, tokens or nano-USD) per `periodMs` as a GCRA:
 * a burst of up to `capacity`, refilled continuously at `capacity / periodMs`.
 */
export interface RateCharge {
  /** The window's own key (`nightly:rate:0:requests`); its state is one number, the theoretical arrival time. */
  key: string;
  capacity: number;
  periodMs: number;
  amount: number;
}

export type ReserveResult =
  | { ok: true; balances: Balance[] }
  | {
      ok: false;
      reason: "budget" | "panic" | "locked" | "rate_limit";
      /** The scope id (budget, flags) or the window key (rate_limit) that refused. */
      refusedBy: string;
      balances: Balance[];
      /** For `rate_limit`: milliseconds until the window has room for this call. */
      retryAfterMs?: number;
    };

export interface SettleRequest {
  holdId: string;
  actual: Nano;
  now: number;
  /** The finished record of the call, appended in the same step. */
  record: CallRecord;
  /** What to give back to rate windows (the estimate consumed more tokens or USD than the call used). */
  refunds?: readonly RateCharge[];
}

export interface SettleResult {
  /** False when the hold was unknown or already settled (by an earlier settle or by its lease). */
  settled: boolean;
  /** The amount the hold had reserved (0 when not settled). */
  held: Nano;
  balances: Balance[];
  /** Thresholds this settle crossed, ascending per scope. */
  warnings: { id: string; key: string; threshold: number }[];
}

export interface ReadRequest {
  scopes: readonly Pick<ScopeRef, "id" | "key" | "limit">[];
  now: number;
}

export interface UpdateRequest {
  scope: Pick<ScopeRef, "id" | "key" | "limit">;
  now: number;
  /** Zero the account's spent and re-arm its warnings; holds in flight stay held. */
  reset?: boolean;
  /** Set or clear flags on the scope id (all periods): `panic`, `locked`. */
  flags?: Readonly<Record<string, boolean>>;
  /** Set (a number) or clear (`null`) the operator's limit override of the scope id (all periods). */
  limit?: Nano | null;
}

export interface HistoryQuery {
  /** Records of this session (any scope the call was held on) only. */
  sessionId?: string;
  /** Newest first; at most this many. */
  limit?: number;
  /** Only records older than this time (epoch ms), for paging. */
  before?: number;
  status?: CallStatus;
  model?: string;
}

export type { CallRecord };
