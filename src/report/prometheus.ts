import { nanoToUsd, usdToNano } from "../money.js";
import type { BudgetStore } from "../stores/types.js";
import { type BudgetStatus, listBudgets, type StoreReadOptions } from "./budgets.js";

/** The content type of the Prometheus text exposition format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/**
 * Every budget of a store and the calls in its history, in the Prometheus text format: what `GET /metrics`
 * of the dashboard serves. Read from the store, so one scrape sees the spend of every process sharing it.
 * Balances are exact; the call, cost and token counters sum the history the store keeps (its `historyLimit`
 * newest records), so they are exact only while the history holds every call.
 */
export async function prometheusText(store: BudgetStore, options: StoreReadOptions = {}): Promise<string> {
  const budgets = await listBudgets(store, options);
  const records = await store.history({});
  const families: Family[] = [...budgetFamilies(budgets), ...callFamilies(records)];
  return `${families.map(render).join("\n")}\n`;
}

function budgetFamilies(budgets: readonly BudgetStatus[]): Family[] {
  const gauge = (name: string, help: string, value: (budget: BudgetStatus) => number): Family => ({
    name,
    type: "gauge",
    help,
    samples: budgets.map((budget) => ({ labels: budgetLabels(budget), value: value(budget) })),
  });
  return [
    gauge(
      "spendguard_budget_limit_usd",
      "The budget in force, in USD (per period for a period budget).",
      (b) => b.budgetUsd,
    ),
    gauge("spendguard_budget_spent_usd", "USD spent in the current period.", (b) => b.spentUsd),
    gauge("spendguard_budget_reserved_usd", "USD held by calls in flight.", (b) => b.reservedUsd),
    gauge(
      "spendguard_budget_remaining_usd",
      "Budget minus spent minus held, never negative.",
      (b) => b.remainingUsd,
    ),
    gauge(
      "spendguard_budget_utilization_ratio",
      "Spent divided by the budget.",
      (b) => b.utilizationPercent / 100,
    ),
    gauge("spendguard_budget_panic", "1 while the kill switch is on.", (b) => (b.panic ? 1 : 0)),
    gauge("spendguard_budget_locked", "1 while a lockout refuses every call.", (b) => (b.locked ? 1 : 0)),
  ];
}

function budgetLabels(budget: BudgetStatus): Record<string, string> {
  // The account key is `id` or `id:<period>`: the period label says which period the figures are for.
  const period = budget.key === budget.id ? "" : budget.key.slice(budget.id.length + 1);
  return { budget: budget.id, period };
}

function callFamilies(records: Awaited<ReturnType<BudgetStore["history"]>>): Family[] {
  const calls = new Map<string, { labels: Record<string, string>; value: number }>();
  const cost = new Map<string, { labels: Record<string, string>; value: number }>();
  const tokens = new Map<string, { labels: Record<string, string>; value: number }>();
  const refusals = new Map<string, { labels: Record<string, string>; value: number }>();
  const add = (map: typeof calls, labels: Record<string, string>, value: number) => {
    const key = JSON.stringify(labels);
    const entry = map.get(key) ?? { labels, value: 0 };
    entry.value += value;
    map.set(key, entry);
  };
  for (const record of records) {
    const call = { session: record.sessionId, provider: record.provider, model: record.model };
    add(calls, { ...call, status: record.status }, 1);
    if (record.status === "blocked")
      add(refusals, { session: record.sessionId, reason: record.reason ?? "" }, 1);
    if (record.status !== "settled") continue;
    // Summed in nano-USD, as the store sums spend, so the totals match the balances exactly.
    add(cost, call, usdToNano(record.actualUsd));
    if (record.usage) {
      add(tokens, { ...call, type: "input" }, record.usage.inputTokens);
      add(tokens, { ...call, type: "output" }, record.usage.outputTokens);
    }
  }
  const family = (
    name: string,
    help: string,
    map: typeof calls,
    scale = (value: number) => value,
  ): Family => ({
    name,
    type: "counter",
    help,
    samples: [...map.values()].map((sample) => ({ labels: sample.labels, value: scale(sample.value) })),
  });
  return [
    family(
      "spendguard_calls_total",
      "Calls in the store's history, by session, provider, model and status.",
      calls,
    ),
    family(
      "spendguard_cost_usd_total",
      "USD charged, by session, provider and model (from history).",
      cost,
      nanoToUsd,
    ),
    family(
      "spendguard_tokens_total",
      "Tokens billed, by session, provider, model and type (from history).",
      tokens,
    ),
    family(
      "spendguard_refusals_total",
      "Calls refused before they were sent, by session and reason.",
      refusals,
    ),
  ];
}

function render(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples)
    lines.push(`${family.name}${labelText(sample.labels)} ${number(sample.value)}`);
  return lines.join("\n");
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`;
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
