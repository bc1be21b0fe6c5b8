import type { ModelInfo, ModelPrice, Provider } from "@pydantic/genai-prices";
import type { TokenPriceRow } from "../data/token-prices.js";

/** The price data a diff compares: genai-prices' providers and spendguard's own token rows. */
export interface PriceData {
  genai: readonly Provider[];
  tokens: readonly TokenPriceRow[];
}

/** A model's prices in force, flattened to `input_mtok` / `input_mtok>200000` → USD. */
export type FlatPrices = Record<string, number>;

export interface PriceChange {
  /** `anthropic/claude-sonnet-4-0` (genai-prices) or `table:anthropic/claude-sonnet-5-5` (spendguard's rows). */
  model: string;
  kind: "added" | "removed" | "changed";
  before?: FlatPrices;
  after?: FlatPrices;
  /** changed: the largest ratio between an old and a new rate, either way (2 = doubled or halved; ∞ = a rate dropped). */
  factor?: number;
}

export interface DiffLimits {
  /** A model whose rate moved by more than this factor either way is suspicious. @default 2 */
  maxFactor?: number;
  /** Removing more than this share of the models is suspicious. @default 0.05 */
  maxRemovedShare?: number;
}

/** What changes from `before` to `after`, sorted by model. Unchanged models are left out. */
export function diffPrices(before: PriceData, after: PriceData, now = new Date()): PriceChange[] {
  const old = flatten(before, now);
  const next = flatten(after, now);
  const changes: PriceChange[] = [];
  for (const [model, prices] of next) {
    const was = old.get(model);
    if (was === undefined) changes.push({ model, kind: "added", after: prices });
    else if (!same(was, prices))
      changes.push({ model, kind: "changed", before: was, after: prices, factor: factorOf(was, prices) });
  }
  for (const [model, prices] of old) {
    if (!next.has(model)) changes.push({ model, kind: "removed", before: prices });
  }
  return changes.sort((a, b) => a.model.localeCompare(b.model));
}

/** The findings that make an update suspicious (refused without `--force`); empty when there are none. */
export function suspicious(
  changes: readonly PriceChange[],
  before: PriceData,
  limits: DiffLimits = {},
): string[] {
  const maxFactor = limits.maxFactor ?? 2;
  const maxRemovedShare = limits.maxRemovedShare ?? 0.05;
  const findings: string[] = [];
  for (const change of changes) {
    if (change.kind === "changed" && (change.factor ?? 1) > maxFactor) {
      findings.push(
        `${change.model}: a rate changed by ${formatFactor(change.factor ?? 1)} (more than ${maxFactor}x): ` +
          describeChange(change),
      );
    }
  }
  const removed = changes.filter((change) => change.kind === "removed").length;
  const total = flatten(before, new Date()).size;
  if (total > 0 && removed / total > maxRemovedShare) {
    findings.push(
      `${removed} of ${total} models would be removed (more than ${Math.round(maxRemovedShare * 100)}%)`,
    );
  }
  return findings;
}

/** One line per change: `changed anthropic/x: input_mtok 3 → 6, output_mtok 15 → 22.5 (2x)`. */
export function describeChange(change: PriceChange): string {
  if (change.kind === "added") return `added ${change.model}: ${describe(change.after)}`;
  if (change.kind === "removed") return `removed ${change.model}: ${describe(change.before)}`;
  const keys = new Set([...Object.keys(change.before ?? {}), ...Object.keys(change.after ?? {})]);
  const moved = [...keys]
    .filter((key) => change.before?.[key] !== change.after?.[key])
    .map((key) => `${key} ${change.before?.[key] ?? "-"} → ${change.after?.[key] ?? "-"}`);
  return `changed ${change.model}: ${moved.join(", ")} (${formatFactor(change.factor ?? 1)})`;
}

const describe = (prices: FlatPrices | undefined) =>
  Object.entries(prices ?? {})
    .map(([key, usd]) => `${key} ${usd}`)
    .join(", ");

const formatFactor = (factor: number) =>
  Number.isFinite(factor) ? `${Math.round(factor * 100) / 100}x` : "∞x";

function flatten(data: PriceData, now: Date): Map<string, FlatPrices> {
  const models = new Map<string, FlatPrices>();
  for (const provider of data.genai) {
    for (const model of provider.models) models.set(`${provider.id}/${model.id}`, flat(inForce(model, now)));
  }
  for (const row of data.tokens)
    models.set(`table:${row.provider}/${row.model}`, flat(row.prices as ModelPrice));
  return models;
}

/** The price entry in force at `now`: the latest start date passed, else the unconditional one. */
function inForce(model: ModelInfo, now: Date): ModelPrice {
  if (!Array.isArray(model.prices)) return model.prices;
  const today = now.toISOString().slice(0, 10);
  let chosen: ModelPrice | undefined;
  let chosenStart = "";
  const merged: ModelPrice = {};
  for (const entry of model.prices) {
    const constraint = entry.constraint;
    if (constraint === undefined) {
      if (chosen === undefined) chosen = entry.prices;
    } else if (constraint.type === "start_date") {
      if (constraint.start_date <= today && constraint.start_date >= chosenStart) {
        chosen = entry.prices;
        chosenStart = constraint.start_date;
      }
    } else {
      // time-of-day prices: keep the dearest of each rate, the safe side for a comparison
      for (const [key, value] of Object.entries(entry.prices)) {
        const rate = flatRate(value);
        const held = flatRate(merged[key]);
        if (rate !== undefined && (held === undefined || rate > held)) merged[key] = value;
      }
    }
  }
  return { ...merged, ...(chosen ?? {}) };
}

function flatRate(value: ModelPrice[string]): number | undefined {
  if (typeof value === "number") return value;
  return value === undefined ? undefined : value.base;
}

function flat(prices: ModelPrice): FlatPrices {
  const out: FlatPrices = {};
  for (const [key, value] of Object.entries(prices)) {
    if (typeof value === "number") out[key] = value;
    else if (value !== undefined) {
      out[key] = value.base;
      for (const tier of value.tiers) out[`${key}>${tier.start}`] = tier.price;
    }
  }
  return out;
}

function same(a: FlatPrices, b: FlatPrices): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function factorOf(a: FlatPrices, b: FlatPrices): number {
  let factor = 1;
  for (const [key, before] of Object.entries(a)) {
    const after = b[key];
    // a rate that disappears makes that usage free: as suspicious as any price cut can be
    if (after === undefined) return Number.POSITIVE_INFINITY;
    if (after === before) continue;
    const low = Math.min(before, after);
    const high = Math.max(before, after);
    factor = Math.max(factor, low === 0 ? Number.POSITIVE_INFINITY : high / low);
  }
  return factor;
}
