import type { Nano } from "../money.js";

export const DEFAULT_WARNING_THRESHOLDS: readonly number[] = [30, 80, 95];

/**
 * The thresholds (percent of `limit`, ascending) that `spent` has reached and that have not fired yet.
 * Marks them in `fired`, so each fires once until the account is reset. A zero limit never warns.
 */
export function crossedThresholds(
  spent: Nano,
  limit: Nano,
  thresholds: readonly number[],
  fired: Set<number>,
): number[] {
  if (limit <= 0) return [];
  const crossed: number[] = [];
  for (const threshold of thresholds) {
    if (spent * 100 < limit * threshold) break;
    if (fired.has(threshold)) continue;
    fired.add(threshold);
    crossed.push(threshold);
  }
  return crossed;
}
