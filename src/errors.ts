import { formatUsd, type Nano, nanoToUsd } from "./money.js";

/** Survives duplicate installs of spendguard (two copies of this module share the registry symbol). */
const MARKER = Symbol.for("spendguard.error");

export type RuleViolationCode =
  | "panic"
  | "model_not_allowed"
  | "provider_not_allowed"
  | "quality_not_allowed"
  | "size_not_allowed"
  | "count_exceeded"
  | "duration_exceeded"
  | "max_output_exceeded"
  | "max_cost_per_request"
  | "rate_limited"
  | "approval_denied"
  | "session_expired"
  | "locked_out"
  /** A custom rule's own code. */
  | (string & {});

export type SpendguardErrorCode =
  | "budget_exceeded"
  | "unknown_price"
  | "store_unavailable"
  | "invalid_request"
  | "session_closed"
  | RuleViolationCode;

export class SpendguardError extends Error {
  override name = "SpendguardError";
  readonly code: SpendguardErrorCode;
  readonly [MARKER] = true;

  constructor(code: SpendguardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface BudgetExceededDetails {
  sessionId: string;
  estimated: Nano;
  spent: Nano;
  reserved: Nano;
  budget: Nano;
  /** Set when the call was refused because the budget is already used up (overspend or equality). */
  reason?: string;
}

export class BudgetExceededError extends SpendguardError {
  override name = "BudgetExceededError";
  declare readonly code: "budget_exceeded";
  /** The scope that refused: the session itself or one of its ancestors. */
  readonly sessionId: string;
  readonly estimatedCostUsd: number;
  readonly remainingUsd: number;
  readonly spentUsd: number;
  readonly reservedUsd: number;
  readonly budgetUsd: number;

  constructor(details: BudgetExceededDetails) {
    const remaining = Math.max(0, details.budget - details.spent - details.reserved);
    const message =
      details.reason ??
      `Budget exceeded for session \`${details.sessionId}\`: estimated cost ${formatUsd(details.estimated)} ` +
        `would exceed remaining budget ${formatUsd(remaining)}`;
    super("budget_exceeded", message);
    this.sessionId = details.sessionId;
    this.estimatedCostUsd = nanoToUsd(details.estimated);
    this.remainingUsd = nanoToUsd(remaining);
    this.spentUsd = nanoToUsd(details.spent);
    this.reservedUsd = nanoToUsd(details.reserved);
    this.budgetUsd = nanoToUsd(details.budget);
  }
}

export class RuleViolationError extends SpendguardError {
  override name = "RuleViolationError";
  declare readonly code: RuleViolationCode;
  /** For `rate_limited`: how long until the window has room again. */
  readonly retryAfterMs?: number;

  constructor(code: RuleViolationCode, message: string, extra: { retryAfterMs?: number } = {}) {
    super(code, message);
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }
}

export class UnknownPriceError extends SpendguardError {
  override name = "UnknownPriceError";
  declare readonly code: "unknown_price";
  readonly provider: string;
  readonly model: string;

  constructor(provider: string, model: string, hint?: string) {
    super(
      "unknown_price",
      `No price known for ${provider} model \`${model}\`, so the call was refused before anything was sent. ` +
        (hint ??
          `Add one with \`pricing: { "${model}": { inputPerMTok, outputPerMTok } }\`, or price unknown models ` +
            "as another model with `unknownModel: { fallbackModel }`."),
    );
    this.provider = provider;
    this.model = model;
  }
}

export class StoreUnavailableError extends SpendguardError {
  override name = "StoreUnavailableError";
  declare readonly code: "store_unavailable";
  readonly store: string;

  constructor(store: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("store_unavailable", `The ${store} store failed (${reason}); the call was refused (fail closed).`, {
      cause,
    });
    this.store = store;
  }
}

/** The request itself cannot be priced or sent: missing `model`, a malformed parameter, a closed session. */
export class InvalidRequestError extends SpendguardError {
  override name = "InvalidRequestError";
  declare readonly code: "invalid_request" | "session_closed";

  constructor(message: string, code: "invalid_request" | "session_closed" = "invalid_request") {
    super(code, message);
  }
}

export function isSpendguardError(error: unknown): error is SpendguardError {
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
}
