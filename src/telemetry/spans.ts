import type { Admission, CallObserver } from "../ledger/types.js";
import { ATTR, remainingUsd, requestAttributes, resultAttributes, spanName } from "./attributes.js";
import type { OpenTelemetryApi, OtelSpan } from "./types.js";

// Values of @opentelemetry/api's SpanKind.CLIENT and SpanStatusCode.ERROR (stable since API 1.0).
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

const MODEL_CALLS = new Set(["chat", "text_completion", "embeddings", "generate_content"]);

/**
 * Whether a span is another instrumentation's span for one model call (the SDK's own, OpenLLMetry's): it
 * carries a GenAI operation of a model call. SDK spans expose their attributes; the API's interface does not,
 * so a span that hides them is never taken for one.
 */
function isModelCallSpan(span: OtelSpan): boolean {
  const operation = (span as { attributes?: Record<string, unknown> }).attributes?.["gen_ai.operation.name"];
  return typeof operation === "string" && MODEL_CALLS.has(operation);
}

/** Whether spendguard names the call on this span: its own, or one whose owner did not (not a model call's). */
function namesFor(entry: { span: OtelSpan; owned: boolean }): boolean {
  return entry.owned || !isModelCallSpan(entry.span);
}

/**
 * One client span per metered call (`chat gpt-4o`), opened when the hold is taken and ended when the call
 * settles; a refusal is a span of its own with error status and a `spendguard.refused` event. When the span
 * active for the call is another instrumentation's span of that model call (`auto`), or any active span
 * (`active`), the attributes go on it instead, and it is left to its owner to end.
 */
export function spanObserver(
  api: OpenTelemetryApi,
  mode: "auto" | "own" | "active",
  version: string,
): CallObserver {
  const tracer = api.trace.getTracer("spendguard", version);
  /** Each admitted call's span, and whether spendguard opened it (and so must end it). */
  const open = new WeakMap<Admission, { span: OtelSpan; owned: boolean }>();

  function spanFor(name: string): { span: OtelSpan; owned: boolean } {
    if (mode !== "own") {
      const active = api.trace.getActiveSpan();
      if (active?.isRecording() && (mode === "active" || isModelCallSpan(active)))
        return { span: active, owned: false };
    }
    return { span: tracer.startSpan(name, { kind: SPAN_KIND_CLIENT }, api.context.active()), owned: true };
  }

  return {
    onAdmit({ admission, balances }) {
      const entry = spanFor(spanName(admission.record));
      if (!entry.span.isRecording()) return; // no SDK registered: build nothing
      entry.span.setAttributes(requestAttributes(admission.record, admission, namesFor(entry)));
      const remaining = remainingUsd(balances);
      if (remaining !== undefined) entry.span.setAttribute(ATTR.remaining, remaining);
      open.set(admission, entry);
    },

    onSettle({ record, admission, balances, lost }) {
      const entry = admission ? open.get(admission) : spanFor(spanName(record));
      if (!entry?.span.isRecording()) return;
      if (admission) open.delete(admission);
      else entry.span.setAttributes(requestAttributes(record, undefined, namesFor(entry)));
      const { span } = entry;
      // A settle that did not reach the store leaves the hold to be charged in full.
      span.setAttributes(resultAttributes(record, lost ? record.heldUsd : record.actualUsd));
      const remaining = remainingUsd(balances);
      if (remaining !== undefined) span.setAttribute(ATTR.remaining, remaining);
      if (lost) {
        span.setAttribute(ATTR.lost, lost);
        span.addEvent("spendguard.settle_lost", { [ATTR.lost]: lost, [ATTR.held]: record.heldUsd });
      }
      if (record.status === "blocked") {
        span.addEvent("spendguard.refused", { [ATTR.refusalCode]: record.reason ?? "unknown" });
        if (entry.owned) span.setStatus({ code: STATUS_ERROR, message: `refused: ${record.reason}` });
      } else if (record.status === "failed" && entry.owned) {
        span.setStatus({ code: STATUS_ERROR, message: `failed: ${record.reason}` });
      }
      if (entry.owned) span.end();
    },

    onRefuse({ record, error }) {
      const entry = spanFor(spanName(record));
      const { span } = entry;
      if (!span.isRecording()) return;
      span.setAttributes(requestAttributes(record, undefined, namesFor(entry)));
      span.setAttributes({
        [ATTR.outcome]: "blocked",
        [ATTR.errorType]: error.code,
        [ATTR.refusalCode]: error.code,
      });
      span.addEvent("spendguard.refused", {
        [ATTR.refusalCode]: error.code,
        "exception.message": error.message,
        [ATTR.estimate]: record.estimatedUsd,
      });
      if (entry.owned) {
        span.setStatus({ code: STATUS_ERROR, message: error.message });
        span.end();
      }
    },
  };
}
