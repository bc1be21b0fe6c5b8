/**
 * Money inside spendguard is an integer number of nano-USD (1e-9 USD). Floats only exist at the API
 * boundary (options, summaries, errors). A Number holds integers exactly up to 2^53, i.e. about
 * $9 million of nano-USD, which is far above any budget this library guards.
 */
export type Nano = number;

export const NANO_PER_USD = 1_000_000_000;

export type Rounding = "up" | "nearest" | "down";

/** Absorbs binary float noise such as 0.29 * 1e9 = 290000000.00000006 before rounding up or down. */
const FLOAT_NOISE = 1e-6;

export function roundTo(value: number, rounding: Rounding): number {
  const nearest = Math.round(value);
  if (Math.abs(value - nearest) < FLOAT_NOISE) return nearest;
  if (rounding === "up") return Math.ceil(value);
  if (rounding === "down") return Math.floor(value);
  return nearest;
}

/** USD (a float from the user) to integer nano-USD. */
export function usdToNano(usd: number, rounding: Rounding = "nearest"): Nano {
  return roundTo(usd * NANO_PER_USD, rounding);
}

export function nanoToUsd(nano: Nano): number {
  return nano / NANO_PER_USD;
}

/** `$0.012000`: the format every message uses (6 decimals, like AgentGuard's). */
export function formatUsd(nano: Nano, decimals = 6): string {
  const sign = nano < 0 ? "-" : "";
  return `${sign}$${(Math.abs(nano) / NANO_PER_USD).toFixed(decimals)}`;
}

/**
 * Exact `a * b / divisor` for non-negative integers, rounded as asked. Plain Number arithmetic while the
 * product is exact, BigInt beyond that (a million tokens at $600 per million tokens overflows 2^53).
 */
export function mulDiv(a: number, b: number, divisor: number, rounding: Rounding): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) return divideRounded(product, divisor, rounding);
  const big = BigInt(a) * BigInt(b);
  const d = BigInt(divisor);
  let quotient = big / d;
  const remainder = big % d;
  if (remainder !== 0n) {
    if (rounding === "up") quotient += 1n;
    else if (rounding === "nearest" && remainder * 2n >= d) quotient += 1n;
  }
  return Number(quotient);
}

function divideRounded(numerator: number, divisor: number, rounding: Rounding): number {
  const quotient = Math.floor(numerator / divisor);
  const remainder = numerator - quotient * divisor;
  if (remainder === 0) return quotient;
  if (rounding === "up") return quotient + 1;
  if (rounding === "nearest" && remainder * 2 >= divisor) return quotient + 1;
  return quotient;
}

/**
 * A balance (USD) rounded to `decimals` for display, so that the parts shown add up to the budget shown: spent
 * and reserved round up, the budget down: a display never understates spend nor overstates what is left.
 */
export function displayBalance(
  balance: { budget: number; spent: number; reserved: number },
  decimals = 6,
): { budget: number; spent: number; reserved: number; remaining: number } {
  const unit = 10 ** (9 - decimals);
  const units = (usd: number, rounding: Rounding) => roundTo(usdToNano(usd) / unit, rounding);
  const budget = units(balance.budget, "down");
  const spent = units(balance.spent, "up");
  // Rounding both up can pass the budget by a unit; reserved gives way, spent never does.
  const reserved = Math.max(0, Math.min(units(balance.reserved, "up"), budget - spent));
  const remaining = Math.max(0, budget - spent - reserved);
  const usd = (count: number) => count / 10 ** decimals;
  return { budget: usd(budget), spent: usd(spent), reserved: usd(reserved), remaining: usd(remaining) };
}

/**
 * The largest amount every store holds exactly (2^53 - 1 nano-USD, about $9.0 million): a Number is exact up
 * to it, and Redis' Lua and SQLite's INTEGER hold it without wrapping. A cost above it is recorded at it, and
 * each account's spent stops there too, so no sum can ever wrap (a spent at the bound refuses every call).
 */
export const MAX_NANO: Nano = Number.MAX_SAFE_INTEGER;

/** `a + b`, stopping at `MAX_NANO`: how every store adds a cost to spent. */
export function addCapped(a: Nano, b: Nano): Nano {
  return Math.min(a + b, MAX_NANO);
}
