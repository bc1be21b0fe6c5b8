import type { BudgetExceededError } from "./errors.js";
import { expected } from "./expected.js";
import { type KeysOf, rejectUnknownKeys } from "./known-keys.js";
import type { CallObserver } from "./ledger/types.js";
import { DEFAULT_WARNING_THRESHOLDS } from "./ledger/warnings.js";
import { type Period, validatePeriod } from "./periods.js";
import type { PriceOverride } from "./pricing/types.js";

/** Per-model overrides, and optionally `snapshot`: the price snapshot directory to price from. */
export type PricingOptions = { readonly snapshot?: string } & {
  readonly [model: string]: PriceOverride | string | undefined;
};

import { type ResolvedRules, resolveRules } from "./rules/engine.js";
import type { Rules } from "./rules/types.js";
import type { BudgetStore } from "./stores/types.js";
import type { CallRecord, OverspendEvent, ServiceTier, WarningEvent } from "./types.js";

export { describe, expected } from "./expected.js";

export interface ReservationOptions {
  /**
   * `strict` holds the worst case (exact input + the maximum output the request allows) and injects an output
   * limit the remaining budget can afford when the request sets none: committed spend never exceeds the
   * budget. `estimate` holds the expected cost: overspend is possible and reported through `onOverspend`.
   * @default "strict"
   */
  mode?: "strict" | "estimate";
  /** Below this many affordable output tokens, strict mode refuses the call instead of sending it. @default 16 */
  minOutputTokens?: number;
}

export interface SessionOptions {
  /** The budget in USD. 0 is allowed (every paid call is refused). */
  budgetUsd: number;
  /** Names the budget: the same id in another process (with a shared store) is the same budget. */
  id?: string;
  /** Where holds, balances and history live. @default memoryStore() */
  store?: BudgetStore;
  /** Service tier the calls are billed at, unless a wrapped client or the request says otherwise. @default "standard" */
  tier?: ServiceTier;
  /** Percentages of the budget at which `onWarning` fires, once each, ascending. @default [30, 80, 95] */
  warningThresholds?: readonly number[];
  onWarning?: (event: WarningEvent) => void;
  /** When given, a refused call resolves to `null` instead of rejecting, after calling this once. */
  onBudgetExceeded?: (error: BudgetExceededError) => void;
  /** After every settled call, with its record. */
  onCost?: (record: CallRecord) => void;
  /** When a call cost more than its hold (price data wrong, provider ignored a limit). */
  onOverspend?: (event: OverspendEvent) => void;
  /** After every refused call (budget, rule, unknown price, invalid request), with its record. With it, a rule refusal resolves to `null`. */
  onBlocked?: (record: CallRecord) => void;
  /** Rules every call must pass (DESIGN 2.7): models, providers, image quality and size, rate limits, approval, ... */
  rules?: Rules;
  /** Labels written on every record of this session (`{ team: "search", env: "prod" }`). */
  tags?: Readonly<Record<string, string>>;
  history?: {
    /** Keep each request's prompt in its record. @default false */
    includePrompts?: boolean;
    /** Records the session's own memory store keeps (when no `store` is given). @default 1000 */
    limit?: number;
  };
  reservation?: ReservationOptions;
  /** How long a hold may stay open before it is settled at its full amount. @default 900000 (15 min) */
  holdTtlMs?: number;
  /**
   * Your own prices, USD per million tokens, keyed by model name. They win over the bundled data. `snapshot`: a
   * directory written by `spendguard prices update`, whose newest snapshot replaces the bundled price data
   * (default: the `SPENDGUARD_PRICES` environment variable).
   */
  pricing?: PricingOptions;
  /** Price models the catalog does not know as this model instead of refusing them. */
  unknownModel?: { fallbackModel: string };
  /**
   * A budget per period (UTC): `budgetUsd` each day, week (from Monday), month or run of `{ days }`. Without it
   * the budget never renews.
   */
  period?: Period;
  /** Milliseconds since the epoch; for tests of leases. @default Date.now */
  clock?: () => number;
  /**
   * Told about every admitted, settled and refused call and every warning: `openTelemetry()`,
   * `webhookAlerts()`, or your own. A child session inherits its parent's.
   */
  observers?: readonly CallObserver[];
  anthropic?: {
    /**
     * Count each request's input exactly with Anthropic's free `messages.countTokens` (one extra round trip
     * per call) instead of bounding it locally (o200k × 1.25, a safe over-estimate). @default false
     */
    exactInputTokens?: boolean;
  };
}

/** Every key of `SessionOptions`: adding an option is one line here next to its line in the interface. */
export const SESSION_OPTION_KEYS = {
  budgetUsd: true,
  id: true,
  store: true,
  tier: true,
  warningThresholds: true,
  onWarning: true,
  onBudgetExceeded: true,
  onCost: true,
  onOverspend: true,
  onBlocked: true,
  rules: true,
  tags: true,
  history: true,
  reservation: true,
  holdTtlMs: true,
  pricing: true,
  unknownModel: true,
  period: true,
  clock: true,
  anthropic: true,
  observers: true,
} as const satisfies KeysOf<SessionOptions>;

const NESTED_OPTION_KEYS = {
  reservation: { mode: true, minOutputTokens: true } satisfies KeysOf<ReservationOptions>,
  history: { includePrompts: true, limit: true } satisfies KeysOf<NonNullable<SessionOptions["history"]>>,
  unknownModel: { fallbackModel: true } satisfies KeysOf<NonNullable<SessionOptions["unknownModel"]>>,
  anthropic: { exactInputTokens: true } satisfies KeysOf<NonNullable<SessionOptions["anthropic"]>>,
} as const;

/** Unknown keys in session options (and in their nested groups) throw, naming the closest valid key. */
export function rejectUnknownOptions(options: object, known: Readonly<Record<string, true>>): void {
  rejectUnknownKeys(options, known);
  for (const [group, keys] of Object.entries(NESTED_OPTION_KEYS)) {
    const value = (options as Record<string, unknown>)[group];
    if (typeof value === "object" && value !== null) rejectUnknownKeys(value, keys, `${group}.`);
  }
}

export interface ResolvedOptions {
  budgetUsd: number;
  period: Period | undefined;
  rules: ResolvedRules;
  includePrompts: boolean;
  id: string;
  tier: ServiceTier;
  warningThresholds: readonly number[];
  mode: "strict" | "estimate";
  minOutputTokens: number;
  holdTtlMs: number;
}

const TIERS: readonly ServiceTier[] = ["standard", "batch", "flex", "priority"];

export function validateTier(name: string, tier: unknown): ServiceTier {
  if (typeof tier !== "string" || !TIERS.includes(tier as ServiceTier)) {
    throw expected(name, `one of ${TIERS.map((t) => `"${t}"`).join(", ")}`, tier);
  }
  return tier as ServiceTier;
}

export function resolveOptions(options: SessionOptions, generateId: () => string): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  rejectUnknownOptions(options, SESSION_OPTION_KEYS);
  const { budgetUsd } = options;
  if (typeof budgetUsd !== "number" || !Number.isFinite(budgetUsd) || budgetUsd < 0) {
    throw expected("budgetUsd", "a finite number >= 0", budgetUsd);
  }
  if (budgetUsd > 9_000_000) throw expected("budgetUsd", "at most 9000000 (USD)", budgetUsd);

  const id = options.id ?? generateId();
  if (typeof id !== "string" || id.length === 0 || id.length > 200) {
    throw expected("id", "a non-empty string of at most 200 characters", id);
  }
  const tier = options.tier === undefined ? "standard" : validateTier("tier", options.tier);

  const thresholds = options.warningThresholds ?? DEFAULT_WARNING_THRESHOLDS;
  if (!Array.isArray(thresholds)) throw expected("warningThresholds", "an array of percentages", thresholds);
  for (const threshold of thresholds) {
    if (typeof threshold !== "number" || !Number.isFinite(threshold) || threshold <= 0 || threshold > 100) {
      throw expected("warningThresholds", "percentages in (0, 100]", threshold);
    }
  }

  for (const name of [
    "onWarning",
    "onBudgetExceeded",
    "onCost",
    "onOverspend",
    "onBlocked",
    "clock",
  ] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "function") throw expected(name, "a function", value);
  }

  const reservation = options.reservation ?? {};
  if (typeof reservation !== "object" || reservation === null) {
    throw expected("reservation", "an object", reservation);
  }
  const mode = reservation.mode ?? "strict";
  if (mode !== "strict" && mode !== "estimate") {
    throw expected("reservation.mode", '"strict" or "estimate"', mode);
  }
  const minOutputTokens = reservation.minOutputTokens ?? 16;
  if (!Number.isInteger(minOutputTokens) || minOutputTokens < 1) {
    throw expected("reservation.minOutputTokens", "an integer >= 1", minOutputTokens);
  }

  const holdTtlMs = options.holdTtlMs ?? 15 * 60_000;
  if (typeof holdTtlMs !== "number" || !Number.isFinite(holdTtlMs) || holdTtlMs <= 0) {
    throw expected("holdTtlMs", "a positive number of milliseconds", holdTtlMs);
  }

  if (options.store !== undefined) validateStore(options.store);
  if (options.unknownModel !== undefined) {
    const fallback = options.unknownModel?.fallbackModel;
    if (typeof fallback !== "string" || fallback.length === 0) {
      throw expected("unknownModel.fallbackModel", "a model name", fallback);
    }
  }

  if (options.anthropic !== undefined) {
    if (typeof options.anthropic !== "object" || options.anthropic === null) {
      throw expected("anthropic", "an object like { exactInputTokens: true }", options.anthropic);
    }
    const exact = options.anthropic.exactInputTokens;
    if (exact !== undefined && typeof exact !== "boolean") {
      throw expected("anthropic.exactInputTokens", "a boolean", exact);
    }
  }

  if (options.tags !== undefined) {
    const tags = options.tags;
    if (
      typeof tags !== "object" ||
      tags === null ||
      Object.values(tags).some((value) => typeof value !== "string")
    ) {
      throw expected("tags", "an object of string labels", tags);
    }
  }
  if (options.observers !== undefined) {
    const observers = options.observers;
    if (!Array.isArray(observers) || observers.some((entry) => typeof entry !== "object" || entry === null)) {
      throw expected("observers", "an array of observers (e.g. [openTelemetry()])", observers);
    }
  }
  const history = options.history ?? {};
  if (typeof history !== "object" || history === null) throw expected("history", "an object", history);
  if (history.includePrompts !== undefined && typeof history.includePrompts !== "boolean") {
    throw expected("history.includePrompts", "a boolean", history.includePrompts);
  }
  if (history.limit !== undefined && (!Number.isInteger(history.limit) || history.limit < 1)) {
    throw expected("history.limit", "an integer >= 1", history.limit);
  }

  return {
    budgetUsd,
    period: validatePeriod(options.period),
    rules: resolveRules(options.rules),
    includePrompts: history.includePrompts === true,
    id,
    tier,
    warningThresholds: [...new Set(thresholds)].sort((a, b) => a - b),
    mode,
    minOutputTokens,
    holdTtlMs,
  };
}

function validateStore(store: unknown): void {
  const methods = ["reserve", "settle", "read", "update", "record", "history", "register", "scopes"];
  if (typeof store !== "object" || store === null)
    throw expected("store", "a store (e.g. memoryStore())", store);
  for (const method of methods) {
    if (typeof (store as Record<string, unknown>)[method] !== "function") {
      throw expected("store", `a store with a \`${method}\` method`, store);
    }
  }
}
