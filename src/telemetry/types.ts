/**
 * The slice of `@opentelemetry/api` spendguard uses, typed structurally so that spendguard's own types do not
 * require the package (an optional peer). Any 1.x release of the API satisfies it.
 */
export type AttributeValue = string | number | boolean | readonly string[];
export type Attributes = Record<string, AttributeValue | undefined>;

export interface OtelSpan {
  setAttribute(key: string, value: AttributeValue): unknown;
  setAttributes(attributes: Attributes): unknown;
  addEvent(name: string, attributes?: Attributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  isRecording(): boolean;
  end(endTime?: number): void;
}

export interface OtelTracer {
  startSpan(name: string, options?: { kind?: number; attributes?: Attributes }, context?: unknown): OtelSpan;
}

export interface OtelInstrument {
  record?(value: number, attributes?: Attributes): void;
  add?(value: number, attributes?: Attributes): void;
}

export interface OtelObservableResult {
  observe(value: number, attributes?: Attributes): void;
}

export interface OtelMeter {
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: Attributes): void };
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(value: number, attributes?: Attributes): void };
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): { addCallback(callback: (result: OtelObservableResult) => void): void };
}

export interface OpenTelemetryApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    getActiveSpan(): OtelSpan | undefined;
  };
  metrics: { getMeter(name: string, version?: string): OtelMeter; getMeterProvider?(): unknown };
  context: { active(): unknown };
}

export interface OpenTelemetryOptions {
  /**
   * `auto`: when the span active for the call is another instrumentation's span of that model call (its
   * `gen_ai.operation.name` is `chat`, `embeddings`, ...: the SDK's own or OpenLLMetry's), spendguard's
   * attributes go on it; otherwise spendguard opens a client span of its own, a child of the active span.
   * `own`: always a span of its own. `active`: the attributes go on whatever span is active (a span of its own
   * only when none is recording). `none`: metrics only. @default "auto"
   */
  spans?: "auto" | "own" | "active" | "none";
  /** Record the metrics (`gen_ai.client.*`, `spendguard.*`). @default true */
  metrics?: boolean;
  /**
   * The `@opentelemetry/api` module to use. By default spendguard loads it itself, and is a no-op when it is
   * not installed; pass yours when your bundler keeps a separate copy.
   */
  api?: OpenTelemetryApi;
}
