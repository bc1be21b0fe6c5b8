import type { RateCharge } from "./types.js";

/**
 * GCRA (the generic cell rate algorithm): a window of `capacity` per `periodMs` keeps one number, the
 * theoretical arrival time `tat`. A use of `amount` moves it `amount × periodMs / capacity` later; the use fits
 * while the new `tat` is at most `periodMs` ahead of now. So "N per minute" lets a burst of N through at once,
 * then one more every minute / N as room comes back (a smooth rate, not a calendar minute). SQLite and Redis
 * implement these same two lines.
 */
export function consume(
  tat: number | undefined,
  charge: RateCharge,
  now: number,
): { ok: true; tat: number } | { ok: false; retryAfterMs: number } {
  const increment = (charge.amount * charge.periodMs) / charge.capacity;
  const next = Math.max(tat ?? now, now) + increment;
  const ahead = next - now;
  if (ahead <= charge.periodMs) return { ok: true, tat: next };
  return { ok: false, retryAfterMs: Math.ceil(ahead - charge.periodMs) };
}

/** Gives back `amount` of a window (the call used less than it was charged). */
export function refund(tat: number | undefined, charge: RateCharge): number | undefined {
  if (tat === undefined) return undefined;
  return tat - (charge.amount * charge.periodMs) / charge.capacity;
}
