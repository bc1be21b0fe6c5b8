import { createRequire } from "node:module";
import { expected } from "../expected.js";
import type { CallObserver } from "../ledger/types.js";
import { metricObserver } from "./metrics.js";
import { spanObserver } from "./spans.js";
import type { OpenTelemetryApi, OpenTelemetryOptions } from "./types.js";

export type { OpenTelemetryOptions } from "./types.js";

const VERSION = "0.1.0";

/**
 * Spans and metrics for every metered call, through `@opentelemetry/api` (an optional peer): pass it in a
 * session's `observers`. spendguard never starts an SDK or exporter: without the package, or without an SDK
 * registered by your app, this does nothing.
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): CallObserver {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  const spans = options.spans ?? "auto";
  if (spans !== "auto" && spans !== "own" && spans !== "active" && spans !== "none") {
    throw expected("spans", '"auto", "own", "active" or "none"', spans);
  }
  if (options.metrics !== undefined && typeof options.metrics !== "boolean") {
    throw expected("metrics", "a boolean", options.metrics);
  }
  if (options.api !== undefined && !isApi(options.api)) {
    throw expected("api", "the @opentelemetry/api module", options.api);
  }
  const api = options.api ?? loadOpenTelemetryApi();
  if (!api) return {};
  const parts: CallObserver[] = [];
  if (spans !== "none") parts.push(spanObserver(api, spans, VERSION));
  if (options.metrics !== false) parts.push(metricObserver(api, VERSION));
  return combine(parts);
}

/** `@opentelemetry/api` when it is installed, else undefined. */
export function loadOpenTelemetryApi(
  load: (name: string) => unknown = createRequire(import.meta.url),
): OpenTelemetryApi | undefined {
  try {
    const loaded = load("@opentelemetry/api");
    return isApi(loaded) ? loaded : undefined;
  } catch {
    return undefined;
  }
}

function isApi(value: unknown): value is OpenTelemetryApi {
  const api = value as Partial<OpenTelemetryApi> | null;
  return (
    typeof api === "object" &&
    api !== null &&
    typeof api.trace?.getTracer === "function" &&
    typeof api.metrics?.getMeter === "function" &&
    typeof api.context?.active === "function"
  );
}

function combine(parts: readonly CallObserver[]): CallObserver {
  if (parts.length === 1) return parts[0] as CallObserver;
  return {
    onAdmit: (event) => {
      for (const part of parts) part.onAdmit?.(event);
    },
    onSettle: (event) => {
      for (const part of parts) part.onSettle?.(event);
    },
    onRefuse: (event) => {
      for (const part of parts) part.onRefuse?.(event);
    },
  };
}
