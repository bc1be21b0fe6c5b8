import { expected } from "./expected.js";

/**
 * Budget periods (DESIGN 2.8): an account key per period, computed from the time in UTC, so a new period simply
 * starts on a new key at zero. No reset job, no reset bug: a hold keeps the key it was taken on and settles
 * into that period.
 */
export type Period = "day" | "week" | "month" | { days: number };

const DAY_MS = 86_400_000;

export function validatePeriod(value: unknown): Period | undefined {
  if (value === undefined) return undefined;
  if (value === "day" || value === "week" || value === "month") return value;
  const days = (value as { days?: unknown } | null)?.days;
  if (typeof value === "object" && value !== null && Number.isInteger(days) && (days as number) >= 1) {
    return { days: days as number };
  }
  throw expected("period", '"day", "week", "month" or { days: n } (n >= 1)', value);
}

/** The account key of `id` at `now`: `id` itself without a period, else `id:2026-11-25` and the like. */
export function periodKey(id: string, period: Period | undefined, now: number): string {
  if (period === undefined) return id;
  const date = new Date(now);
  if (period === "month") return `${id}:${date.toISOString().slice(0, 7)}`;
  if (period === "day") return `${id}:${day(now)}`;
  if (period === "week") {
    const weekday = (date.getUTCDay() + 6) % 7; // Monday = 0
    return `${id}:week-${day(now - weekday * DAY_MS)}`;
  }
  const epochDay = Math.floor(now / DAY_MS);
  return `${id}:${period.days}d-${day((epochDay - (epochDay % period.days)) * DAY_MS)}`;
}

/** How a period is written in the store's scope registry (and read back by the CLI). */
export function periodLabel(period: Period | undefined): string | undefined {
  if (period === undefined) return undefined;
  return typeof period === "string" ? period : `${period.days}d`;
}

export function parsePeriodLabel(label: string | undefined): Period | undefined {
  if (label === undefined) return undefined;
  if (label === "day" || label === "week" || label === "month") return label;
  const days = /^(\d+)d$/.exec(label)?.[1];
  return days ? { days: Number(days) } : undefined;
}

function day(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
