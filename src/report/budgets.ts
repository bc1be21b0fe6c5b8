import { nanoToUsd, usdToNano } from "../money.js";
import { parsePeriodLabel, periodKey } from "../periods.js";
import type { Balance, BudgetStore, ScopeInfo } from "../stores/types.js";
import type { BudgetSummary, CallRecord } from "../types.js";
import { emptyTallies, summarize, tally, utilization } from "./summary.js";

/**
 * Reading and steering budgets straight from a store, without a session: what the `spendguard` command and
 * the dashboard use (and any tool of yours). Every budget a session registered is listed, in its current period.
 */
export interface BudgetStatus {
  id: string;
  parentId?: string;
  /** `day`, `week`, `month`, `<n>d`, or undefined for a budget without periods. */
  period?: string;
  /** The account key of the current period (`nightly:2026-11-25`). */
  key: string;
  /** The budget in force: the operator's override when set, else the one the code gave. */
  budgetUsd: number;
  /** The budget the code gave (before any override). */
  codeBudgetUsd: number;
  overridden: boolean;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  utilizationPercent: number;
  panic: boolean;
  locked: boolean;
  createdAt: number;
}

export interface StoreReadOptions {
  /** @default Date.now() */
  now?: number;
}

export async function listBudgets(
  store: BudgetStore,
  options: StoreReadOptions = {},
): Promise<BudgetStatus[]> {
  const now = options.now ?? Date.now();
  const scopes = await store.scopes();
  if (scopes.length === 0) return [];
  const refs = scopes.map((scope) => ({ id: scope.id, key: keyOf(scope, now), limit: scope.limit }));
  const balances = await store.read({ scopes: refs, now });
  return scopes
    .map((scope, index) => status(scope, balances[index] as Balance))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function budgetStatus(
  store: BudgetStore,
  id: string,
  options: StoreReadOptions = {},
): Promise<BudgetStatus | undefined> {
  return (await listBudgets(store, options)).find((budget) => budget.id === id);
}

/**
 * What `session.getSummary()` reports for a session, rebuilt from the store: its balance and every record of
 * its own calls (a parent's summary does not count its children's calls, as in the session).
 */
export async function storeSummary(
  store: BudgetStore,
  id: string,
  options: StoreReadOptions = {},
): Promise<BudgetSummary | undefined> {
  const now = options.now ?? Date.now();
  const scope = (await store.scopes()).find((entry) => entry.id === id);
  if (!scope) return undefined;
  const [balance] = await store.read({ scopes: [{ id, key: keyOf(scope, now), limit: scope.limit }], now });
  const tallies = emptyTallies();
  // Like `spent`, the counts and tables cover the budget's children too.
  for (const record of await store.history({ sessionId: id })) tally(tallies, record);
  return summarize(id, balance as Balance, tallies);
}

/** Sets the operator's budget for `id` (all periods), or clears it with `null` (the code's budget applies). */
export async function setBudget(
  store: BudgetStore,
  id: string,
  budgetUsd: number | null,
  options: StoreReadOptions = {},
): Promise<BudgetStatus> {
  if (budgetUsd !== null && (!Number.isFinite(budgetUsd) || budgetUsd < 0 || budgetUsd > 9_000_000)) {
    throw new TypeError(`Expected a budget in USD between 0 and 9000000, got ${String(budgetUsd)}`);
  }
  const scope = await requireScope(store, id);
  const now = options.now ?? Date.now();
  await store.update({
    scope: { id, key: keyOf(scope, now), limit: scope.limit },
    now,
    limit: budgetUsd === null ? null : usdToNano(budgetUsd),
  });
  return (await budgetStatus(store, id, options)) as BudgetStatus;
}

/** Zeroes the current period's spend of `id` and re-arms its warnings (holds in flight stay held). */
export async function resetBudget(
  store: BudgetStore,
  id: string,
  options: StoreReadOptions = {},
): Promise<BudgetStatus> {
  const scope = await requireScope(store, id);
  const now = options.now ?? Date.now();
  await store.update({ scope: { id, key: keyOf(scope, now), limit: scope.limit }, now, reset: true });
  return (await budgetStatus(store, id, options)) as BudgetStatus;
}

/**
 * The kill switch for a whole store: panic on every registered budget (or only `ids`), so every process using
 * the store refuses every paid call from its next one.
 */
export async function setPanic(
  store: BudgetStore,
  on: boolean,
  options: StoreReadOptions & { ids?: readonly string[] } = {},
): Promise<string[]> {
  const now = options.now ?? Date.now();
  const scopes = (await store.scopes()).filter((scope) => !options.ids || options.ids.includes(scope.id));
  for (const scope of scopes) {
    await store.update({
      scope: { id: scope.id, key: keyOf(scope, now), limit: scope.limit },
      now,
      flags: { panic: on },
    });
  }
  return scopes.map((scope) => scope.id);
}

export type ReportDimension = "model" | "provider" | "day" | "session";

export interface ReportRow {
  key: string;
  requests: number;
  blocked: number;
  failed: number;
  spentUsd: number;
  inputTokens: number;
  outputTokens: number;
}

/** Totals of the store's history by model, provider, UTC day or session, dearest first (days: oldest first). */
export async function report(
  store: BudgetStore,
  options: { by?: ReportDimension; since?: number; sessionId?: string } = {},
): Promise<ReportRow[]> {
  const by = options.by ?? "model";
  const rows = new Map<string, ReportRow & { nano: number }>();
  const records = await store.history({
    ...(options.sessionId !== undefined && { sessionId: options.sessionId }),
  });
  for (const record of records) {
    if (options.since !== undefined && record.time < options.since) continue;
    const key = keyFor(record, by);
    const row = rows.get(key) ?? {
      key,
      requests: 0,
      blocked: 0,
      failed: 0,
      spentUsd: 0,
      inputTokens: 0,
      outputTokens: 0,
      nano: 0,
    };
    rows.set(key, row);
    if (record.status === "blocked") row.blocked++;
    else if (record.status === "failed") row.failed++;
    else {
      row.requests++;
      row.nano += usdToNano(record.actualUsd);
      row.inputTokens += record.usage?.inputTokens ?? 0;
      row.outputTokens += record.usage?.outputTokens ?? 0;
    }
  }
  const result = [...rows.values()].map(({ nano, ...row }) => ({ ...row, spentUsd: nanoToUsd(nano) }));
  return by === "day"
    ? result.sort((a, b) => a.key.localeCompare(b.key))
    : result.sort((a, b) => b.spentUsd - a.spentUsd || a.key.localeCompare(b.key));
}

function keyFor(record: CallRecord, by: ReportDimension): string {
  if (by === "provider") return record.provider;
  if (by === "session") return record.sessionId;
  if (by === "day") return new Date(record.time).toISOString().slice(0, 10);
  return record.resolvedModel ?? record.model;
}

async function requireScope(store: BudgetStore, id: string): Promise<ScopeInfo> {
  const scope = (await store.scopes()).find((entry) => entry.id === id);
  if (!scope)
    throw new TypeError(`No budget \`${id}\` in this store (a session registers its budget when it starts)`);
  return scope;
}

function keyOf(scope: ScopeInfo, now: number): string {
  return periodKey(scope.id, parsePeriodLabel(scope.period), now);
}

function status(scope: ScopeInfo, balance: Balance): BudgetStatus {
  const result: BudgetStatus = {
    id: scope.id,
    key: balance.key,
    budgetUsd: nanoToUsd(balance.limit),
    codeBudgetUsd: nanoToUsd(scope.limit),
    overridden: scope.limitOverride !== undefined,
    spentUsd: nanoToUsd(balance.spent),
    reservedUsd: nanoToUsd(balance.held),
    remainingUsd: nanoToUsd(Math.max(0, balance.limit - balance.spent - balance.held)),
    utilizationPercent: utilization(balance),
    panic: balance.flags.panic === true,
    locked: balance.flags.locked === true,
    createdAt: scope.createdAt,
  };
  if (scope.parentId !== undefined) result.parentId = scope.parentId;
  if (scope.period !== undefined) result.period = scope.period;
  return result;
}
