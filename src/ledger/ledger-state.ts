import type { Nano } from "../money.js";
import { addCapped, nanoToUsd } from "../money.js";
import { consume, refund } from "../stores/rate-window.js";
import type {
  Balance,
  ReadRequest,
  ReserveRequest,
  ReserveResult,
  ScopeInfo,
  ScopeRef,
  SettleRequest,
  SettleResult,
  UpdateRequest,
} from "../stores/types.js";
import type { CallRecord } from "../types.js";
import { crossedThresholds } from "./warnings.js";

/**
 * The ledger as a synchronous state machine: every transition runs to completion without an `await`, which
 * is what makes it atomic inside one process (JavaScript runs one task at a time). The memory store wraps it;
 * SQLite and Redis implement the same transitions in a transaction and in Lua.
 */
export interface LedgerState {
  reserve(request: ReserveRequest): ReserveResult;
  settle(request: SettleRequest): SettleResult;
  read(request: ReadRequest): Balance[];
  update(request: UpdateRequest): Balance;
  register(scopes: readonly ScopeInfo[]): void;
  scopes(): ScopeInfo[];
  /** Number of holds not yet settled (for tests and diagnostics). */
  openHolds(): number;
}

interface Account {
  key: string;
  id: string;
  limit: Nano;
  spent: Nano;
  held: Nano;
  fired: Set<number>;
}

interface Hold {
  amount: Nano;
  scopes: readonly ScopeRef[];
  expiresAt: number;
  record: CallRecord;
}

/** `onRecord` receives the records of settled holds (including those settled by lease expiry). */
export function createLedgerState(onRecord: (record: CallRecord) => void): LedgerState {
  const accounts = new Map<string, Account>();
  const holds = new Map<string, Hold>();
  const flags = new Map<string, Record<string, boolean>>();
  const overrides = new Map<string, Nano>();
  const windows = new Map<string, number>();
  const registry = new Map<string, ScopeInfo>();
  let nextExpiry = Number.POSITIVE_INFINITY;

  function account(scope: Pick<ScopeRef, "id" | "key" | "limit">): Account {
    let found = accounts.get(scope.key);
    const limit = overrides.get(scope.id) ?? scope.limit;
    if (!found) {
      found = { key: scope.key, id: scope.id, limit, spent: 0, held: 0, fired: new Set() };
      accounts.set(scope.key, found);
    } else {
      found.limit = limit;
    }
    return found;
  }

  function balance(entry: Account): Balance {
    return {
      key: entry.key,
      id: entry.id,
      limit: entry.limit,
      spent: entry.spent,
      held: entry.held,
      flags: flags.get(entry.id) ?? {},
    };
  }

  /**
   * Moves a hold into spent. `report: false` (a lease-expiry sweep, which has no caller to tell) leaves the
   * thresholds unmarked, so the next settle on the account reports them.
   */
  function apply(hold: Hold, actual: Nano, report = true): { id: string; key: string; threshold: number }[] {
    const warnings: { id: string; key: string; threshold: number }[] = [];
    for (const scope of hold.scopes) {
      const entry = account(scope);
      entry.held -= hold.amount;
      entry.spent = addCapped(entry.spent, actual);
      if (!report) continue;
      for (const threshold of crossedThresholds(entry.spent, entry.limit, scope.thresholds, entry.fired)) {
        warnings.push({ id: scope.id, key: scope.key, threshold });
      }
    }
    return warnings;
  }

  /** Settle expired holds at their full amount: the provider may have billed them. */
  function sweep(now: number): void {
    if (now < nextExpiry) return;
    nextExpiry = Number.POSITIVE_INFINITY;
    for (const [holdId, hold] of holds) {
      if (hold.expiresAt <= now) {
        holds.delete(holdId);
        apply(hold, hold.amount, false);
        onRecord(expiredRecord(hold.record, hold.amount));
      } else if (hold.expiresAt < nextExpiry) {
        nextExpiry = hold.expiresAt;
      }
    }
  }

  return {
    reserve(request) {
      sweep(request.now);
      const entries = request.scopes.map(account);
      const refuse = (
        reason: "budget" | "panic" | "locked" | "rate_limit",
        refusedBy: string,
        retryAfterMs?: number,
      ) =>
        ({
          ok: false,
          reason,
          refusedBy,
          balances: entries.map(balance),
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        }) as const;
      if (!request.force) {
        for (const scope of request.scopes) {
          const scopeFlags = flags.get(scope.id);
          if (scopeFlags?.panic) return refuse("panic", scope.id);
          if (scopeFlags?.locked) return refuse("locked", scope.id);
        }
        for (const entry of entries) {
          if (entry.spent + entry.held + request.amount > entry.limit) return refuse("budget", entry.id);
        }
        const consumed: [string, number][] = [];
        for (const charge of request.limits ?? []) {
          const result = consume(windows.get(charge.key), charge, request.now);
          if (!result.ok) return refuse("rate_limit", charge.key, result.retryAfterMs);
          consumed.push([charge.key, result.tat]);
        }
        for (const [key, tat] of consumed) windows.set(key, tat);
      }
      if (holds.has(request.holdId)) throw new Error(`Hold ${request.holdId} already exists`);
      for (const entry of entries) entry.held += request.amount;
      holds.set(request.holdId, {
        amount: request.amount,
        scopes: request.scopes,
        expiresAt: request.expiresAt,
        record: request.record,
      });
      if (request.expiresAt < nextExpiry) nextExpiry = request.expiresAt;
      return { ok: true, balances: entries.map(balance) };
    },

    settle(request) {
      sweep(request.now);
      const hold = holds.get(request.holdId);
      if (!hold) return { settled: false, held: 0, balances: [], warnings: [] };
      holds.delete(request.holdId);
      const warnings = apply(hold, request.actual);
      for (const charge of request.refunds ?? []) {
        const tat = refund(windows.get(charge.key), charge);
        if (tat !== undefined) windows.set(charge.key, tat);
      }
      onRecord(request.record);
      return {
        settled: true,
        held: hold.amount,
        balances: hold.scopes.map((scope) => balance(account(scope))),
        warnings,
      };
    },

    read(request) {
      sweep(request.now);
      return request.scopes.map((scope) => balance(account(scope)));
    },

    update(request) {
      sweep(request.now);
      if (request.limit === null) overrides.delete(request.scope.id);
      else if (request.limit !== undefined) overrides.set(request.scope.id, request.limit);
      const entry = account(request.scope);
      if (request.reset) {
        entry.spent = 0;
        entry.fired.clear();
      }
      if (request.flags) flags.set(entry.id, { ...flags.get(entry.id), ...request.flags });
      return balance(entry);
    },

    register(scopes) {
      for (const scope of scopes) {
        const known = registry.get(scope.id);
        registry.set(scope.id, { ...scope, createdAt: known?.createdAt ?? scope.createdAt });
      }
    },

    scopes() {
      return [...registry.values()].map((scope) => {
        const override = overrides.get(scope.id);
        return override === undefined ? { ...scope } : { ...scope, limitOverride: override };
      });
    },

    openHolds() {
      return holds.size;
    },
  };
}

export function expiredRecord(record: CallRecord, amount: Nano): CallRecord {
  return {
    ...record,
    status: "settled",
    actualUsd: nanoToUsd(amount),
    source: "estimated",
    flags: [...record.flags, "lease_expired"],
  };
}
