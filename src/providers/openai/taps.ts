import { type BodyTap, tapResponse } from "../../intercept/body-tap.js";
import { createSseSplitter } from "../../intercept/sse.js";
import type { Outcome } from "../../ledger/types.js";
import { countStreamedChatOutput } from "../../tokenize/index.js";
import type { ChatPlan } from "./chat.js";
import { chatUsage } from "./usage.js";

/**
 * Reads a JSON body as it passes to the SDK; calls `done` once with the parsed body, or with
 * `"malformed"` (not JSON) / `"interrupted"` (the body failed or was cancelled before its end).
 */
export function jsonTap(
  response: Response,
  done: (json: unknown, error?: "malformed" | "interrupted") => void,
): Response {
  const chunks: Uint8Array[] = [];
  const tap: BodyTap = {
    chunk(bytes) {
      chunks.push(bytes);
      return bytes;
    },
    end() {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        done(undefined, "malformed");
        return undefined;
      }
      if (typeof json !== "object" || json === null) done(undefined, "malformed");
      else done(json);
      return undefined;
    },
    stop() {
      done(undefined, "interrupted");
    },
  };
  return tapResponse(response, tap, { eager: true });
}

const encoder = new TextEncoder();
const USAGE_NULL = /"usage"\s*:\s*null/;

/**
 * Passes an OpenAI chat SSE stream to the SDK: settles from the usage chunk as soon as it arrives, hides
 * that chunk when the caller did not ask for it (spendguard injected `include_usage`), and keeps the data
 * payloads so that an interrupted stream can be charged for the deltas it delivered.
 */
export function sseTap(
  response: Response,
  context: { plan: ChatPlan; finish: (outcome: Outcome) => void },
): Response {
  const { plan, finish } = context;
  const hide = !plan.callerWantsUsage;
  const decoder = new TextDecoder();
  const splitter = createSseSplitter();
  const payloads: string[] = [];
  let settled = false;
  let responseModel: string | undefined;
  let requestId: string | undefined;

  const settle = (outcome: Outcome) => {
    if (settled) return;
    settled = true;
    payloads.length = 0;
    finish(outcome);
  };

  const identify = (payload: string) => {
    if (responseModel !== undefined || requestId !== undefined) return;
    try {
      const chunk = JSON.parse(payload) as Record<string, unknown>;
      if (typeof chunk.model === "string") responseModel = chunk.model;
      if (typeof chunk.id === "string") requestId = chunk.id;
    } catch {
      // a malformed frame: the SDK reports it to the caller
    }
  };

  /** Returns whether the frame is the usage-only chunk. */
  const observe = (payload: string): boolean => {
    if (settled || payload === "[DONE]") return false;
    if (!payload.includes('"usage"') || USAGE_NULL.test(payload)) {
      if (payloads.length === 0) identify(payload);
      payloads.push(payload);
      return false;
    }
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      payloads.push(payload);
      return false;
    }
    const usage = chatUsage(chunk.usage);
    const isUsageChunk = Array.isArray(chunk.choices) && chunk.choices.length === 0;
    if (!usage) {
      payloads.push(payload);
      return false;
    }
    settle({
      kind: "usage",
      usage,
      ...(typeof chunk.model === "string" && { responseModel: chunk.model }),
      ...(typeof chunk.id === "string" && { requestId: chunk.id }),
      ...(typeof chunk.service_tier === "string" && { responseTier: chunk.service_tier }),
    });
    return isUsageChunk;
  };

  const ids = () => ({
    ...(responseModel !== undefined && { responseModel }),
    ...(requestId !== undefined && { requestId }),
  });

  const interrupted = () => {
    if (settled) return;
    if (plan.reasoning) {
      settle({ kind: "hold", flags: ["interrupted", "reasoning_unseen"], ...ids() });
      return;
    }
    const outputTokens = countStreamedChatOutput(plan.tokenizer, payloads).tokens;
    settle({
      kind: "estimated",
      usage: { inputTokens: plan.inputTokens, outputTokens },
      flags: ["interrupted"],
      ...ids(),
    });
  };

  return tapResponse(response, {
    chunk(bytes) {
      const frames = splitter.push(decoder.decode(bytes, { stream: true }));
      if (!hide) {
        for (const frame of frames) observe(frame.data);
        return bytes;
      }
      let kept = "";
      for (const frame of frames) {
        if (!observe(frame.data)) kept += frame.raw;
      }
      return kept ? encoder.encode(kept) : undefined;
    },
    end() {
      const tail = decoder.decode() + splitter.rest();
      // The stream ended without a usage chunk: the provider sent none.
      if (!settled) settle({ kind: "hold", flags: ["no_usage"], ...ids() });
      return hide && tail ? encoder.encode(tail) : undefined;
    },
    stop() {
      interrupted();
    },
  });
}
