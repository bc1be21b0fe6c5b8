import type { Nano } from "../money.js";
import type { CallRecord, CallStatus } from "../types.js";

/**
 * The store seam: everything that must be atomic lives behind it, so memory, SQLite and Redis stores give
 * the same guarantees and nothing above them changes. Amounts are integer nano-USD; the core computes every
 * time (`now`, `expiresAt`) and every account key, so stores do no clock or period arithmetic of their own.
 *
 * Contract (the conformance suite checks each line):
 * - `reserve` checks `spent + held + amount <= limit` on every scope and writes the hold on all of them, or
 *   on none, in one atomic step. Equality is allowed. A refusal changes nothing. A `panic` flag on any scope
 *   refuses. With `force` (spend that already happened, such as a batch billed after the fact) it skips both
 *   checks.
 * - Holds whose `expiresAt` has passed are settled at their full amount (never released) by whichever
 *   operation touches their scopes next, with their record flagged `lease_expired`.
 * - `settle` applies once per hold: it removes the hold, adds `actual` to spent on every scope of the hold,
 *   appends the record and reports the warning thresholds this settle crossed, each threshold once per
 *   account until `update({ reset })`. Settling an unknown or already settled hold changes nothing.
 */
export interface BudgetStore {
  readonly name: string;
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  settle(request: SettleRequest): Promise<SettleResult>;
  read(request: ReadRequest): Promise<Balance[]>;
  update(request: UpdateRequest): Promise<Balance>;
  /** Append a record of an attempt that took no hold (blocked before the network). */
  record(record: CallRecord): Promise<void>;
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
  /** Record spend that already happened: no budget or panic check. */
  force?: boolean;
}

export type ReserveResult =
  | { ok: true; balances: Balance[] }
  | { ok: false; reason: "budget" | "panic"; refusedBy: string; balances: Balance[] };

export interface SettleRequest {
  holdId: string;
  actual: Nano;
  now: number;
  /** The finished record of the call, appended in the same step. */
  record: CallRecord;
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
  /** Set or clear flags on the scope id (all periods). */
  flags?: Readonly<Record<string, boolean>>;
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
