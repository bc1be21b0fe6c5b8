import { expiredRecord } from "../../ledger/ledger-state.js";
import { crossedThresholds } from "../../ledger/warnings.js";
import type { Nano } from "../../money.js";
import type { CallRecord } from "../../types.js";
import { consume } from "../rate-window.js";
import type {
  Balance,
  ReadRequest,
  ReserveRequest,
  ReserveResult,
  ScopeRef,
  SettleRequest,
  SettleResult,
  UpdateRequest,
} from "../types.js";

/** One statement on the transaction's connection. */
export type Query = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

interface Account {
  key: string;
  id: string;
  spent: Nano;
  held: Nano;
  fired: Set<number>;
  flags: Record<string, boolean>;
  override: Nano | undefined;
  dirty: boolean;
}

interface SweptHold {
  amount: Nano;
  scopes: ScopeRef[];
  record: CallRecord;
}

type Warning = SettleResult["warnings"][number];
type Refusal = Extract<ReserveResult, { ok: false }>["reason"];

/**
 * The store transitions as statements on one connection, each run inside one READ COMMITTED transaction
 * (`index.ts`). Locks are always taken in one order, so two transitions never wait on each other in a cycle:
 * hold rows first (a settle deletes its own hold before anything else; the lease sweep skips rows another
 * transaction has locked), then account rows sorted by key (`SELECT … ORDER BY key FOR UPDATE`), then rate
 * windows sorted by key. Every check reads rows it has locked, so no isolation level lets two transactions
 * both pass a check the other's write would fail.
 */
export function createLedger(schema: string, historyLimit: number | undefined) {
  const t = (name: string) => `${schema}.${name}`;
  const sql = {
    sweep: `DELETE FROM ${t("holds")} WHERE hold_id IN (
        SELECT hold_id FROM ${t("holds")} WHERE expires_at <= $1 ORDER BY expires_at FOR UPDATE SKIP LOCKED)
      RETURNING amount, scopes, record`,
    takeHold: `DELETE FROM ${t("holds")} WHERE hold_id = $1 RETURNING amount, scopes`,
    insertHold: `INSERT INTO ${t("holds")} (hold_id, amount, expires_at, scopes, record) VALUES ($1, $2, $3, $4, $5)`,
    lockAccounts: `SELECT a.key, a.spent, a.held, a.fired, s.flags, s.limit_override
      FROM ${t("accounts")} a LEFT JOIN ${t("scope_ids")} s ON s.id = a.id
      WHERE a.key = ANY($1) ORDER BY a.key FOR UPDATE OF a`,
    readAccounts: `SELECT a.key, a.spent, a.held, a.fired FROM ${t("accounts")} a WHERE a.key = ANY($1)`,
    readScopeIds: `SELECT id, flags, limit_override FROM ${t("scope_ids")} WHERE id = ANY($1)`,
    createAccounts: `INSERT INTO ${t("accounts")} (key, id)
      SELECT key, id FROM unnest($1::text[], $2::text[]) AS n(key, id) ORDER BY key ON CONFLICT (key) DO NOTHING`,
    saveAccounts: `UPDATE ${t("accounts")} a SET spent = n.spent, held = n.held, fired = n.fired::double precision[]
      FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS n(key, spent, held, fired)
      WHERE a.key = n.key`,
    lockWindows: `SELECT key, tat FROM ${t("rate_windows")} WHERE key = ANY($1) ORDER BY key FOR UPDATE`,
    createWindows: `INSERT INTO ${t("rate_windows")} (key)
      SELECT key FROM unnest($1::text[]) AS n(key) ORDER BY key ON CONFLICT (key) DO NOTHING`,
    saveWindows: `UPDATE ${t("rate_windows")} w SET tat = n.tat
      FROM unnest($1::text[], $2::double precision[]) AS n(key, tat) WHERE w.key = n.key`,
    // A refund needs no read: it moves the arrival time back by what the call did not use.
    refundWindows: `UPDATE ${t("rate_windows")} w SET tat = w.tat - n.back
      FROM (SELECT key, sum(back) AS back FROM unnest($1::text[], $2::double precision[]) AS u(key, back)
            GROUP BY key ORDER BY key) n
      WHERE w.key = n.key AND w.tat IS NOT NULL`,
    append: `WITH added AS (
        INSERT INTO ${t("history")} (time, status, model, resolved_model, record)
        SELECT time, status, model, resolved_model, record
        FROM unnest($1::double precision[], $2::text[], $3::text[], $4::text[], $5::text[])
          WITH ORDINALITY AS n(time, status, model, resolved_model, record, position)
        ORDER BY position
        RETURNING seq, record)
      INSERT INTO ${t("history_scopes")} (scope_id, seq)
      SELECT DISTINCT scope_id, added.seq FROM added, jsonb_array_elements_text(added.record::jsonb -> 'scopeIds') AS scope_id
      ON CONFLICT DO NOTHING RETURNING seq`,
    trim: `WITH gone AS (DELETE FROM ${t("history")}
        WHERE seq <= (SELECT max(seq) FROM ${t("history")}) - $1 RETURNING seq)
      DELETE FROM ${t("history_scopes")} WHERE seq IN (SELECT seq FROM gone)`,
    saveScopeId: `INSERT INTO ${t("scope_ids")} (id, flags, limit_override) VALUES ($1, $2::jsonb, $4)
      ON CONFLICT (id) DO UPDATE SET flags = ${t("scope_ids")}.flags || excluded.flags,
        limit_override = CASE WHEN $3 THEN excluded.limit_override ELSE ${t("scope_ids")}.limit_override END`,
  };

  async function append(query: Query, records: readonly CallRecord[]): Promise<void> {
    if (records.length === 0) return;
    await query(sql.append, [
      records.map((record) => record.time),
      records.map((record) => record.status),
      records.map((record) => record.model),
      records.map((record) => record.resolvedModel ?? null),
      records.map((record) => JSON.stringify(record)),
    ]);
    if (historyLimit !== undefined) await query(sql.trim, [historyLimit]);
  }

  /** The rows one transition touches: locked and read once, written back by `flush`. */
  function transition(query: Query) {
    const accounts = new Map<string, Account>();
    const records: CallRecord[] = [];

    async function lock(scopes: readonly Pick<ScopeRef, "id" | "key">[]): Promise<void> {
      const wanted = new Map<string, string>();
      for (const scope of scopes) if (!accounts.has(scope.key)) wanted.set(scope.key, scope.id);
      if (wanted.size === 0) return;
      let rows = (await query(sql.lockAccounts, [[...wanted.keys()]])).rows;
      if (rows.length < wanted.size) {
        // First use of an account: create it, then lock every row again in key order.
        const missing = [...wanted].filter(([key]) => !rows.some((row) => row.key === key));
        await query(sql.createAccounts, [missing.map(([key]) => key), missing.map(([, id]) => id)]);
        rows = (await query(sql.lockAccounts, [[...wanted.keys()]])).rows;
      }
      for (const row of rows) {
        const key = row.key as string;
        accounts.set(key, {
          key,
          id: wanted.get(key) as string,
          spent: Number(row.spent),
          held: Number(row.held),
          fired: new Set(row.fired as number[]),
          flags: (row.flags as Record<string, boolean> | null) ?? {},
          override: row.limit_override === null ? undefined : Number(row.limit_override),
          dirty: false,
        });
      }
    }

    /** Balances of accounts that may not be locked (a read): unlocked rows are read as they are now. */
    async function balances(scopes: readonly Pick<ScopeRef, "id" | "key" | "limit">[]): Promise<Balance[]> {
      const unlocked = scopes.filter((scope) => !accounts.has(scope.key));
      const found = new Map<string, Record<string, unknown>>();
      const settings = new Map<string, Record<string, unknown>>();
      if (unlocked.length > 0) {
        const keys = unlocked.map((scope) => scope.key);
        for (const row of (await query(sql.readAccounts, [keys])).rows) found.set(row.key as string, row);
        const ids = unlocked.map((scope) => scope.id);
        for (const row of (await query(sql.readScopeIds, [ids])).rows) settings.set(row.id as string, row);
      }
      return scopes.map((scope) => {
        const entry = accounts.get(scope.key);
        if (entry) return balanceOf(entry, scope);
        const row = found.get(scope.key);
        const setting = settings.get(scope.id);
        return {
          key: scope.key,
          id: scope.id,
          limit: setting?.limit_override != null ? Number(setting.limit_override) : scope.limit,
          spent: row ? Number(row.spent) : 0,
          held: row ? Number(row.held) : 0,
          flags: { ...((setting?.flags as Record<string, boolean> | undefined) ?? {}) },
        };
      });
    }

    const account = (scope: Pick<ScopeRef, "key">): Account => {
      const entry = accounts.get(scope.key);
      if (!entry) throw new Error(`account ${scope.key} was not locked`);
      return entry;
    };
    const limitOf = (scope: Pick<ScopeRef, "key" | "limit">): Nano => account(scope).override ?? scope.limit;

    /** `report: false` (a lease-expiry sweep) leaves thresholds unmarked: the next settle reports them. */
    function apply(scopes: readonly ScopeRef[], amount: Nano, actual: Nano, report: boolean): Warning[] {
      const warnings: Warning[] = [];
      for (const scope of scopes) {
        const entry = account(scope);
        entry.held -= amount;
        entry.spent += actual;
        entry.dirty = true;
        if (!report) continue;
        for (const threshold of crossedThresholds(
          entry.spent,
          limitOf(scope),
          scope.thresholds,
          entry.fired,
        )) {
          warnings.push({ id: scope.id, key: scope.key, threshold });
        }
      }
      return warnings;
    }

    /**
     * Takes the holds whose lease has ended (skipping any another transaction is settling) and locks the
     * accounts they and `scopes` touch, in key order; `settleSwept` then charges them at their full amount.
     */
    async function sweepAndLock(now: number, scopes: readonly ScopeRef[]): Promise<void> {
      const swept: SweptHold[] = (await query(sql.sweep, [now])).rows.map((row) => ({
        amount: Number(row.amount),
        scopes: JSON.parse(row.scopes as string) as ScopeRef[],
        record: JSON.parse(row.record as string) as CallRecord,
      }));
      await lock([...scopes, ...swept.flatMap((hold) => hold.scopes)]);
      for (const hold of swept) {
        apply(hold.scopes, hold.amount, hold.amount, false);
        records.push(expiredRecord(hold.record, hold.amount));
      }
    }

    async function flush(): Promise<void> {
      const dirty = [...accounts.values()].filter((entry) => entry.dirty);
      if (dirty.length > 0) {
        await query(sql.saveAccounts, [
          dirty.map((entry) => entry.key),
          dirty.map((entry) => entry.spent),
          dirty.map((entry) => entry.held),
          dirty.map((entry) => `{${[...entry.fired].join(",")}}`),
        ]);
      }
      await append(query, records);
    }

    return { lock, balances, account, limitOf, apply, sweepAndLock, flush, records };
  }

  function balanceOf(entry: Account, scope: Pick<ScopeRef, "id" | "key" | "limit">): Balance {
    return {
      key: scope.key,
      id: scope.id,
      limit: entry.override ?? scope.limit,
      spent: entry.spent,
      held: entry.held,
      flags: { ...entry.flags },
    };
  }

  return {
    async reserve(query: Query, request: ReserveRequest): Promise<ReserveResult> {
      const tx = transition(query);
      await tx.sweepAndLock(request.now, request.scopes);
      const refuse = async (reason: Refusal, refusedBy: string, retryAfterMs?: number) => {
        // The sweep may have settled holds: keep that, and nothing of this request.
        await tx.flush();
        return {
          ok: false as const,
          reason,
          refusedBy,
          balances: await tx.balances(request.scopes),
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        };
      };
      if (!request.force) {
        for (const scope of request.scopes) {
          const flags = tx.account(scope).flags;
          if (flags.panic) return refuse("panic", scope.id);
          if (flags.locked) return refuse("locked", scope.id);
        }
        for (const scope of request.scopes) {
          const entry = tx.account(scope);
          if (entry.spent + entry.held + request.amount > tx.limitOf(scope))
            return refuse("budget", scope.id);
        }
        const limits = request.limits ?? [];
        if (limits.length > 0) {
          const keys = [...new Set(limits.map((charge) => charge.key))];
          let rows = (await query(sql.lockWindows, [keys])).rows;
          if (rows.length < keys.length) {
            await query(sql.createWindows, [keys]);
            rows = (await query(sql.lockWindows, [keys])).rows;
          }
          const tats = new Map(
            rows.map((row) => [row.key as string, (row.tat as number | null) ?? undefined]),
          );
          for (const charge of limits) {
            const result = consume(tats.get(charge.key), charge, request.now);
            if (!result.ok) return refuse("rate_limit", charge.key, result.retryAfterMs);
            tats.set(charge.key, result.tat);
          }
          await query(sql.saveWindows, [keys, keys.map((key) => tats.get(key))]);
        }
      }
      for (const scope of request.scopes) {
        const entry = tx.account(scope);
        entry.held += request.amount;
        entry.dirty = true;
      }
      await query(sql.insertHold, [
        request.holdId,
        request.amount,
        request.expiresAt,
        JSON.stringify(request.scopes),
        JSON.stringify(request.record),
      ]).catch((error: { code?: string }) => {
        if (error.code === "23505") throw new Error(`Hold ${request.holdId} already exists`);
        throw error;
      });
      await tx.flush();
      return { ok: true, balances: await tx.balances(request.scopes) };
    },

    async settle(query: Query, request: SettleRequest): Promise<SettleResult> {
      // Its own hold first: the only lock a settle may wait for while it holds none.
      const [hold] = (await query(sql.takeHold, [request.holdId])).rows;
      const tx = transition(query);
      const scopes = hold ? (JSON.parse(hold.scopes as string) as ScopeRef[]) : [];
      await tx.sweepAndLock(request.now, scopes);
      if (!hold) {
        await tx.flush();
        return { settled: false, held: 0, balances: [], warnings: [] };
      }
      const amount = Number(hold.amount);
      const warnings = tx.apply(scopes, amount, request.actual, true);
      const refunds = request.refunds ?? [];
      if (refunds.length > 0) {
        await query(sql.refundWindows, [
          refunds.map((charge) => charge.key),
          refunds.map((charge) => (charge.amount * charge.periodMs) / charge.capacity),
        ]);
      }
      tx.records.push(request.record);
      await tx.flush();
      return { settled: true, held: amount, balances: await tx.balances(scopes), warnings };
    },

    async read(query: Query, request: ReadRequest): Promise<Balance[]> {
      const tx = transition(query);
      await tx.sweepAndLock(request.now, []);
      await tx.flush();
      return tx.balances(request.scopes);
    },

    async update(query: Query, request: UpdateRequest): Promise<Balance> {
      const { scope } = request;
      if (request.flags !== undefined || request.limit !== undefined) {
        await query(sql.saveScopeId, [
          scope.id,
          JSON.stringify(request.flags ?? {}),
          request.limit !== undefined,
          request.limit ?? null,
        ]);
      }
      const tx = transition(query);
      await tx.sweepAndLock(request.now, [{ ...scope, thresholds: [] }]);
      if (request.reset) {
        const entry = tx.account(scope);
        entry.spent = 0;
        entry.fired.clear();
        entry.dirty = true;
      }
      await tx.flush();
      const [balance] = await tx.balances([scope]);
      return balance as Balance;
    },

    append,
  };
}
