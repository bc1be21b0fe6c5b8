import type { Admission, CallObserver } from "../ledger/types.js";
import { nanoToUsd } from "../money.js";
import type { Balance } from "../stores/types.js";
import type { CallRecord } from "../types.js";
import { ATTR, operationName } from "./attributes.js";
import type { Attributes, OpenTelemetryApi, OtelMeter } from "./types.js";

// Bucket boundaries the GenAI conventions advise for these two histograms.
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/**
 * The GenAI client metrics (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`) and spendguard's:
 * `spendguard.cost` (USD by session, provider, model), `spendguard.refusals` (by code), and the gauges
 * `spendguard.budget.{spent,held,remaining,limit}` by budget, as this process last saw them (the dashboard's
 * `/metrics` reads every process's totals from the store).
 */
export function metricObserver(api: OpenTelemetryApi, version: string): CallObserver {
  const balances = new Map<string, Balance>();
  /**
   * The metrics API has no proxy provider: instruments made before the app registers its SDK stay no-ops. So
   * they are made against the provider in force, and again if the app registers another one later.
   */
  let bound: { provider: unknown; instruments: ReturnType<typeof createInstruments> } | undefined;
  function instruments(): ReturnType<typeof createInstruments> {
    const provider = api.metrics.getMeterProvider?.();
    if (!bound || (provider !== undefined && provider !== bound.provider)) {
      bound = {
        provider,
        instruments: createInstruments(api.metrics.getMeter("spendguard", version), balances),
      };
    }
    return bound.instruments;
  }
  const startedAt = new WeakMap<Admission, number>();

  function remember(latest: readonly Balance[]): void {
    for (const balance of latest) {
      // One entry per budget: a new period replaces the last one's.
      balances.set(balance.id, balance);
    }
  }

  function callAttributes(record: CallRecord): Attributes {
    return {
      [ATTR.operation]: operationName(record.operation),
      [ATTR.provider]: record.provider,
      [ATTR.requestModel]: record.model,
      ...(record.responseModel !== undefined && { [ATTR.responseModel]: record.responseModel }),
    };
  }

  function refused(record: CallRecord, code: string): void {
    instruments().refusals.add(1, {
      [ATTR.sessionId]: record.sessionId,
      [ATTR.errorType]: code,
      [ATTR.provider]: record.provider,
    });
  }

  return {
    onAdmit({ admission, balances: latest }) {
      instruments();
      startedAt.set(admission, performance.now());
      remember(latest);
    },

    onSettle({ record, admission, balances: latest, lost }) {
      remember(latest);
      if (record.status === "blocked") {
        refused(record, record.reason ?? "unknown");
        return;
      }
      const { duration, tokens, cost } = instruments();
      const attributes = callAttributes(record);
      const started = admission && startedAt.get(admission);
      if (started !== undefined) {
        const failed = record.status === "failed" ? { [ATTR.errorType]: record.reason ?? "failed" } : {};
        duration.record((performance.now() - started) / 1000, { ...attributes, ...failed });
      }
      if (record.usage && record.status === "settled") {
        tokens.record(record.usage.inputTokens, { ...attributes, [ATTR.tokenType]: "input" });
        tokens.record(record.usage.outputTokens, { ...attributes, [ATTR.tokenType]: "output" });
      }
      const charged = lost ? record.heldUsd : record.actualUsd;
      if (charged > 0) {
        cost.add(charged, {
          [ATTR.sessionId]: record.sessionId,
          [ATTR.provider]: record.provider,
          [ATTR.requestModel]: record.model,
        });
      }
    },

    onRefuse({ record, error }) {
      refused(record, error.code);
    },
  };
}

function createInstruments(meter: OtelMeter, balances: ReadonlyMap<string, Balance>) {
  const tokens = meter.createHistogram("gen_ai.client.token.usage", {
    description: "Tokens billed per call",
    unit: "{token}",
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  const duration = meter.createHistogram("gen_ai.client.operation.duration", {
    description: "Duration of a metered call, from its hold to its settle",
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const cost = meter.createCounter("spendguard.cost", { description: "USD charged", unit: "USD" });
  const refusals = meter.createCounter("spendguard.refusals", {
    description: "Calls refused before they were sent",
    unit: "{call}",
  });
  for (const [name, figure] of [
    ["spent", (balance: Balance) => balance.spent],
    ["held", (balance: Balance) => balance.held],
    ["remaining", (balance: Balance) => Math.max(0, balance.limit - balance.spent - balance.held)],
    ["limit", (balance: Balance) => balance.limit],
  ] as const) {
    meter
      .createObservableGauge(`spendguard.budget.${name}`, {
        description: `USD ${name} by budget`,
        unit: "USD",
      })
      .addCallback((result) => {
        for (const balance of balances.values())
          result.observe(nanoToUsd(figure(balance)), { [ATTR.budgetId]: balance.id });
      });
  }
  return { tokens, duration, cost, refusals };
}
