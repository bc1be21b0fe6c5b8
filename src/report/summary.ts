import { nanoToUsd, usdToNano } from "../money.js";
import type { Balance } from "../stores/types.js";
import type { BudgetSummary, CallRecord, ModelTotals } from "../types.js";

/** Counts of calls by outcome, model and provider: what `getSummary()` reports beside the balance. */
export interface Tallies {
  requests: number;
  blocked: number;
  failed: number;
  overspends: number;
  byModel: Record<string, ModelTotals>;
  byProvider: Record<string, ModelTotals>;
  blockedByReason: Record<string, number>;
}

export function emptyTallies(): Tallies {
  return {
    requests: 0,
    blocked: 0,
    failed: 0,
    overspends: 0,
    byModel: {},
    byProvider: {},
    blockedByReason: {},
  };
}

export function tally(tallies: Tallies, record: CallRecord): void {
  if (record.status === "blocked") {
    tallies.blocked++;
    const reason = record.reason ?? "unknown";
    tallies.blockedByReason[reason] = (tallies.blockedByReason[reason] ?? 0) + 1;
    return;
  }
  if (record.status === "failed") {
    tallies.failed++;
    return;
  }
  tallies.requests++;
  if (record.flags.includes("overspend")) tallies.overspends++;
  addTotals(tallies.byModel, record.resolvedModel ?? record.model, record);
  addTotals(tallies.byProvider, record.provider, record);
}

export function summarize(sessionId: string, balance: Balance, tallies: Tallies): BudgetSummary {
  return {
    sessionId,
    budget: nanoToUsd(balance.limit),
    spent: nanoToUsd(balance.spent),
    reserved: nanoToUsd(balance.held),
    remaining: nanoToUsd(Math.max(0, balance.limit - balance.spent - balance.held)),
    utilizationPercent: utilization(balance),
    requests: tallies.requests,
    blocked: tallies.blocked,
    failed: tallies.failed,
    overspends: tallies.overspends,
    byModel: cloneTotals(tallies.byModel),
    byProvider: cloneTotals(tallies.byProvider),
    blockedByReason: { ...tallies.blockedByReason },
  };
}

export function utilization(balance: Balance): number {
  return balance.limit > 0 ? (balance.spent / balance.limit) * 100 : 0;
}

function addTotals(totals: Record<string, ModelTotals>, key: string, record: CallRecord): void {
  const entry = totals[key] ?? { requests: 0, spentUsd: 0, inputTokens: 0, outputTokens: 0 };
  totals[key] = entry;
  entry.requests++;
  entry.spentUsd = nanoToUsd(usdToNano(entry.spentUsd) + usdToNano(record.actualUsd));
  entry.inputTokens += record.usage?.inputTokens ?? 0;
  entry.outputTokens += record.usage?.outputTokens ?? 0;
}

function cloneTotals(totals: Record<string, ModelTotals>): Record<string, ModelTotals> {
  return Object.fromEntries(Object.entries(totals).map(([key, value]) => [key, { ...value }]));
}
