import { tapResponse } from "../../intercept/body-tap.js";
import { splitSse } from "../../intercept/sse.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import type { Usage } from "../../types.js";
import { createMeter, jsonBody, jsonOutcome } from "../meter.js";
import type { OperationMeter } from "../types.js";

/**
 * Chat completions and legacy completions: a JSON body, or an SSE stream of data-only frames ending in
 * `data: [DONE]`, whose usage arrives in a last chunk with `choices: []` when `include_usage` is asked for.
 */
export interface DataStream {
  /** Hide the usage chunk (spendguard asked for it; the caller did not). */
  hide: boolean;
  /** A reasoning model: an interrupted stream cannot be counted (its hidden tokens never stream). */
  reasoning: boolean;
  inputTokens: number;
  usageOf(raw: unknown): Usage | undefined;
  /** Output tokens carried by the data payloads of an interrupted stream. */
  countOutput(payloads: readonly string[]): number;
}

export function dataStreamMeter(
  admission: Admission,
  plan: CallPlan & { inputTokens: number; reasoning: boolean; callerWantsUsage: boolean },
  ledger: CallLedger,
  options: {
    usageOf(raw: unknown): Usage | undefined;
    countOutput(payloads: readonly string[]): number;
  },
): OperationMeter {
  const finish = (outcome: Outcome) => ledger.finish(admission, outcome);
  return createMeter((response) => {
    const contentType = response.headers.get("content-type") ?? "";
    if (plan.stream && contentType.includes("text/event-stream")) {
      const stream: DataStream = {
        hide: !plan.callerWantsUsage,
        reasoning: plan.reasoning,
        inputTokens: plan.inputTokens,
        usageOf: options.usageOf,
        countOutput: options.countOutput,
      };
      return dataSseTap(response, stream, finish);
    }
    return jsonBody(response, (json, error) =>
      finish(jsonOutcome(json, error, (body) => options.usageOf(body.usage))),
    );
  });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FRAME_END = Buffer.from("\n\n");
const USAGE_ONLY = Buffer.from('"choices":[]');
const USAGE_NULL_END = Buffer.from('"usage":null}\n\n');
const CR = 0x0d;
const LF = 0x0a;
/** The usage chunk is the last data frame before `[DONE]`: a completed stream is searched this far back. */
const TAIL_BYTES = 16_384;
const USAGE_NULL = /"usage"\s*:\s*null/;

/**
 * Passes an OpenAI chat SSE stream to the SDK. Chunks go through untouched and undecoded (a native byte
 * search per chunk is all the hot path does); the text is decoded once, at the end, to settle from the usage
 * chunk, or, when the stream was cut short, to count the deltas it delivered. When the caller did not ask for
 * the usage chunk (spendguard injected `include_usage`), only complete frames are handed on, so the frame
 * holding it can be removed.
 */
function dataSseTap(response: Response, stream: DataStream, finish: (outcome: Outcome) => void): Response {
  const { hide, usageOf } = stream;
  const received: Uint8Array[] = [];
  let heldBack: Uint8Array | undefined;
  let settled = false;

  const settle = (outcome: Outcome) => {
    if (settled) return;
    settled = true;
    received.length = 0;
    finish(outcome);
  };

  /**
   * Settle from what was received: the usage chunk if it came (near the end, so a completed stream decodes
   * only its tail), otherwise, for a stream cut short, from the deltas it delivered.
   */
  const settleFromReceived = (interrupted: boolean) => {
    if (settled) return;
    const tailUsage = findUsage(payloadsOf(decodeTail(received, TAIL_BYTES)), usageOf);
    if (tailUsage) return settle(tailUsage);
    const ids = identify(payloadsOf(decodeTail(received.slice(0, 1), Number.POSITIVE_INFINITY)));
    if (!interrupted) return settle({ kind: "hold", flags: ["no_usage"], ...ids });
    if (stream.reasoning) return settle({ kind: "hold", flags: ["interrupted", "reasoning_unseen"], ...ids });
    const outputTokens = stream.countOutput(payloadsOf(decoder.decode(Buffer.concat(received))));
    settle({
      kind: "estimated",
      usage: { inputTokens: stream.inputTokens, outputTokens },
      flags: ["interrupted"],
      ...ids,
    });
  };

  /** Hands on the complete frames of `bytes` (plus what was held back), minus the usage-only frame. */
  const completeFrames = (bytes: Uint8Array): Uint8Array | undefined => {
    const length = bytes.length;
    // The usual chunk: whole frames ending in a blank line.
    if (!heldBack && length > 1 && bytes[length - 1] === LF && bytes[length - 2] === LF) {
      // OpenAI writes `usage` last, and the usage frame is the last data frame: a chunk ending in
      // `"usage":null}` holds only ordinary deltas (an O(1) check); anything else gets a byte search.
      if (endsWith(bytes, USAGE_NULL_END)) return bytes;
      return bytesIndexOf(bytes, USAGE_ONLY) === -1 ? bytes : withoutUsageFrame(asBuffer(bytes), false);
    }
    const region = heldBack ? Buffer.concat([heldBack, bytes]) : asBuffer(bytes);
    heldBack = undefined;
    if (region.includes(CR)) return withoutUsageFrame(region, true);
    const end = region.lastIndexOf(FRAME_END);
    if (end === -1) {
      heldBack = region;
      return undefined;
    }
    const complete = region.subarray(0, end + FRAME_END.length);
    if (end + FRAME_END.length < region.length) heldBack = region.subarray(end + FRAME_END.length);
    // Only `[DONE]` follows the usage frame: a region whose last frame is an ordinary delta cannot hold it.
    if (endsWith(complete, USAGE_NULL_END) || !complete.includes(USAGE_ONLY)) return complete;
    return withoutUsageFrame(complete, false);
  };

  /** Decodes a region holding the usage frame, settles from it, and re-encodes the other frames. */
  const withoutUsageFrame = (region: Buffer, mayBeIncomplete: boolean): Uint8Array | undefined => {
    const text = decoder.decode(region);
    const frames = splitSse(text);
    let kept = "";
    let consumed = 0;
    for (const frame of frames) {
      consumed += frame.raw.length;
      const usage = findUsage([frame.data], usageOf);
      if (usage && isUsageOnly(frame.data)) settle(usage);
      else kept += frame.raw;
    }
    if (mayBeIncomplete && consumed < text.length) heldBack = Buffer.from(text.slice(consumed));
    return kept ? encoder.encode(kept) : undefined;
  };

  return tapResponse(response, {
    chunk(bytes) {
      if (!settled) received.push(bytes);
      return hide ? completeFrames(bytes) : bytes;
    },
    end() {
      const tail = heldBack;
      heldBack = undefined;
      settleFromReceived(false);
      return tail;
    },
    stop() {
      settleFromReceived(true);
    },
  });
}

function endsWith(bytes: Uint8Array, suffix: Uint8Array): boolean {
  const offset = bytes.length - suffix.length;
  if (offset < 0) return false;
  for (let index = 0; index < suffix.length; index++) {
    if (bytes[offset + index] !== suffix[index]) return false;
  }
  return true;
}

/** Buffer's native byte search, on any Uint8Array, without wrapping it first. */
function bytesIndexOf(bytes: Uint8Array, pattern: Buffer): number {
  return Buffer.prototype.indexOf.call(bytes, pattern) as number;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The text of the last `limit` bytes received (a multi-byte character cut at the start only garbles itself). */
function decodeTail(chunks: readonly Uint8Array[], limit: number): string {
  let size = 0;
  let first = chunks.length;
  while (first > 0 && size < limit) {
    first -= 1;
    size += chunks[first]?.length ?? 0;
  }
  return decoder.decode(Buffer.concat(chunks.slice(first)));
}

function payloadsOf(text: string): string[] {
  return splitSse(text)
    .map((frame) => frame.data)
    .filter((data) => data !== "" && data !== "[DONE]");
}

function isUsageOnly(payload: string): boolean {
  return payload.includes('"choices":[]');
}

/** The settle outcome of the last chunk that carries usage, if any. */
function findUsage(
  payloads: readonly string[],
  usageOf: (raw: unknown) => Usage | undefined,
): Outcome | undefined {
  for (let index = payloads.length - 1; index >= 0; index--) {
    const payload = payloads[index] ?? "";
    if (!payload.includes('"usage"') || USAGE_NULL.test(payload)) continue;
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      continue;
    }
    const usage = usageOf(chunk.usage);
    if (!usage) continue;
    const outcome: Outcome & { kind: "usage" } = { kind: "usage", usage };
    if (typeof chunk.model === "string") outcome.responseModel = chunk.model;
    if (typeof chunk.id === "string") outcome.requestId = chunk.id;
    if (typeof chunk.service_tier === "string") outcome.responseTier = chunk.service_tier;
    return outcome;
  }
  return undefined;
}

/** The response id and model, from the first chunk that parses. */
function identify(payloads: readonly string[]): { responseModel?: string; requestId?: string } {
  for (const payload of payloads) {
    try {
      const chunk = JSON.parse(payload) as Record<string, unknown>;
      const ids: { responseModel?: string; requestId?: string } = {};
      if (typeof chunk.model === "string") ids.responseModel = chunk.model;
      if (typeof chunk.id === "string") ids.requestId = chunk.id;
      return ids;
    } catch {
      // a malformed frame: the SDK reports it to the caller
    }
  }
  return {};
}
