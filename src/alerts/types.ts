export interface WebhookAlertOptions {
  /** Where alerts are POSTed as JSON. Never written to errors or logs beyond its origin (it may hold a token). */
  url: string;
  /**
   * Signs each delivery: `x-spendguard-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
   * `x-spendguard-timestamp` (epoch seconds), so the receiver can check origin and freshness.
   */
  secret?: string;
  /** Attempts per alert (a network error, a timeout, 408, 429 or 5xx is retried). @default 5 */
  maxAttempts?: number;
  /** Wait before the first retry; each next one waits twice as long. @default 500 */
  backoffMs?: number;
  /** Per attempt. @default 5000 */
  timeoutMs?: number;
  /**
   * Also alert when a single call's hold is more than this fraction of its budget (0.25: a quarter), the sign
   * of a runaway prompt or output limit. Off by default.
   */
  largeHoldFraction?: number;
  /** Extra headers on every delivery (an auth header of the receiver). */
  headers?: Readonly<Record<string, string>>;
  /** Told when an alert could not be delivered after every attempt (besides a process warning). */
  onError?: (error: Error) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A warning threshold crossed: sent once per threshold and period across every process sharing the store. */
export interface ThresholdAlert {
  type: "budget.threshold";
  budgetId: string;
  /** The budget period (`2026-12-04`, `week-2026-11-30`), or null for a budget without periods. */
  period: string | null;
  threshold: number;
  percentUsed: number;
  spentUsd: number;
  reservedUsd: number;
  budgetUsd: number;
  remainingUsd: number;
  /** ISO 8601. */
  time: string;
}

/** One call held more than `largeHoldFraction` of its budget (sent for each such call, by its process). */
export interface LargeHoldAlert {
  type: "call.large_hold";
  budgetId: string;
  callId: string;
  provider: string;
  model: string;
  holdUsd: number;
  budgetUsd: number;
  /** The hold as a fraction of the budget. */
  fraction: number;
  time: string;
}

export type Alert = ThresholdAlert | LargeHoldAlert;
