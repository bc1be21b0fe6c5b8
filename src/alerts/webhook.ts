import { createHmac, randomUUID } from "node:crypto";
import { expected } from "../expected.js";
import type { CallObserver } from "../ledger/types.js";
import { nanoToUsd } from "../money.js";
import type { WarningEvent } from "../types.js";
import type { Alert, WebhookAlertOptions } from "./types.js";

export interface WebhookAlerts extends CallObserver {
  /** Resolves once every alert sent so far was delivered or given up on (`session.close()` waits for it). */
  flush(): Promise<void>;
}

/**
 * Alerts POSTed to a webhook, as a session observer: warning thresholds (the store decides which settle
 * crossed one, so each fires once per period across every process sharing it) and, optionally, single calls
 * holding a large part of their budget. Delivery runs in the background, retried with backoff: it never
 * delays or fails a call.
 */
export function webhookAlerts(options: WebhookAlertOptions): WebhookAlerts {
  const settings = validate(options);
  const pending = new Set<Promise<void>>();

  function send(alert: Alert): void {
    const delivery = deliver(settings, alert).finally(() => pending.delete(delivery));
    pending.add(delivery);
  }

  return {
    onWarning(event: WarningEvent) {
      send({
        type: "budget.threshold",
        budgetId: event.sessionId,
        period: event.period ?? null,
        threshold: event.threshold,
        percentUsed: event.utilizationPercent,
        spentUsd: event.spent,
        reservedUsd: event.reserved,
        budgetUsd: event.budget,
        remainingUsd: event.remaining,
        time: new Date().toISOString(),
      });
    },
    onAdmit({ admission, balances }) {
      const fraction = settings.largeHoldFraction;
      const budget = balances[0];
      if (fraction === undefined || !budget || budget.limit <= 0) return;
      if (admission.held <= budget.limit * fraction) return;
      send({
        type: "call.large_hold",
        budgetId: budget.id,
        callId: admission.id,
        provider: admission.plan.provider,
        model: admission.plan.model,
        holdUsd: nanoToUsd(admission.held),
        budgetUsd: nanoToUsd(budget.limit),
        fraction: admission.held / budget.limit,
        time: new Date().toISOString(),
      });
    },
    async flush() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

type Settings = Required<Pick<WebhookAlertOptions, "url" | "maxAttempts" | "backoffMs" | "timeoutMs">> &
  Pick<WebhookAlertOptions, "secret" | "largeHoldFraction" | "headers" | "onError"> & {
    fetch: typeof fetch;
    origin: string;
  };

async function deliver(settings: Settings, alert: Alert): Promise<void> {
  const body = JSON.stringify(alert);
  // The same id on every attempt: a receiver that saw a delivery whose answer was lost can drop the retry.
  const deliveryId = randomUUID();
  let problem = "";
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    if (attempt > 1) await sleep(settings.backoffMs * 2 ** (attempt - 2));
    try {
      const response = await settings.fetch(settings.url, {
        method: "POST",
        headers: headersFor(settings, body, alert.type, deliveryId),
        body,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return;
      problem = `HTTP ${response.status}`;
      if (!retryable(response.status)) break;
    } catch (error) {
      problem = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "network error";
    }
  }
  const error = new Error(
    `spendguard: the ${alert.type} alert for \`${alert.budgetId}\` was not delivered to ${settings.origin}: ${problem}`,
  );
  process.emitWarning(error.message, { code: "SPENDGUARD_ALERT_UNDELIVERED" });
  try {
    settings.onError?.(error);
  } catch {
    // a throwing onError must not surface as an unhandled rejection
  }
}

function headersFor(
  settings: Settings,
  body: string,
  type: string,
  deliveryId: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    ...settings.headers,
    "content-type": "application/json",
    "user-agent": "spendguard-alerts",
    "x-spendguard-event": type,
    "x-spendguard-delivery": deliveryId,
  };
  if (settings.secret !== undefined) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac("sha256", settings.secret).update(`${timestamp}.${body}`).digest("hex");
    headers["x-spendguard-timestamp"] = timestamp;
    headers["x-spendguard-signature"] = `sha256=${signature}`;
  }
  return headers;
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function validate(options: WebhookAlertOptions): Settings {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  let parsed: URL;
  try {
    parsed = new URL(String(options.url));
  } catch {
    throw expected("url", "an http(s) URL", "<hidden>");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw expected("url", "an http(s) URL", parsed.protocol);
  }
  if (options.secret !== undefined && (typeof options.secret !== "string" || options.secret.length === 0)) {
    throw expected("secret", "a non-empty string", "<hidden>");
  }
  const count = (name: "maxAttempts" | "backoffMs" | "timeoutMs", fallback: number, min: number) => {
    const value = options[name] ?? fallback;
    if (!Number.isInteger(value) || value < min) throw expected(name, `an integer >= ${min}`, value);
    return value;
  };
  const fraction = options.largeHoldFraction;
  if (fraction !== undefined && (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1))) {
    throw expected("largeHoldFraction", "a number in (0, 1]", fraction);
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    throw expected("onError", "a function", options.onError);
  }
  const fetcher = options.fetch ?? globalThis.fetch;
  if (typeof fetcher !== "function") throw expected("fetch", "a fetch function", options.fetch);
  return {
    url: parsed.href,
    origin: parsed.origin,
    maxAttempts: count("maxAttempts", 5, 1),
    backoffMs: count("backoffMs", 500, 0),
    timeoutMs: count("timeoutMs", 5000, 1),
    fetch: fetcher,
    ...(options.secret !== undefined && { secret: options.secret }),
    ...(fraction !== undefined && { largeHoldFraction: fraction }),
    ...(options.headers !== undefined && { headers: { ...options.headers } }),
    ...(options.onError !== undefined && { onError: options.onError }),
  };
}
