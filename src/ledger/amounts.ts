import { MAX_NANO, type Nano } from "../money.js";
import type { CallFlag } from "../types.js";

/**
 * The one place a cost is checked before any store sees it. A cost must be a finite number >= 0 of nano-USD;
 * above `MAX_NANO` (a response over-reporting usage, `settle(1e10)`) it is recorded at `MAX_NANO` and flagged
 * `cost_overflow`, which is more than any budget and so refuses every later call, in every store alike.
 */
export type BoundedCost = { ok: true; actual: Nano; flag?: CallFlag } | { ok: false; why: string };

export function boundCost(actual: unknown): BoundedCost {
  if (typeof actual !== "number" || !Number.isFinite(actual) || actual < 0) {
    return {
      ok: false,
      why: `Expected a cost that is a finite number >= 0 (nano-USD), got \`${String(actual)}\` (${typeof actual})`,
    };
  }
  if (actual > MAX_NANO) return { ok: true, actual: MAX_NANO, flag: "cost_overflow" };
  return { ok: true, actual: Math.round(actual) };
}
