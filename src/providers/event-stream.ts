import { tapResponse } from "../intercept/body-tap.js";
import { type SseFrame, splitSse } from "../intercept/sse.js";
import type { Outcome } from "../ledger/types.js";

/** How a stream of named events (Responses, images, audio) settles. */
export interface EventStreamSettlement {
  /** The outcome a final event carries (`response.completed` …), or undefined for any other event. */
  final(event: string, data: Record<string, unknown>): Outcome | undefined;
  /** A stream that was cut short (`break`, abort, error), or that ended without a final event. */
  unfinished(frames: readonly SseFrame[], cutShort: boolean): Outcome;
}

const decoder = new TextDecoder();

/**
 * Passes a named-event SSE stream to the SDK untouched and undecoded; once it ends (or is cut short) the
 * text is decoded once and searched from the end for the final event. `settle` gets exactly one outcome.
 */
export function eventSseTap(
  response: Response,
  settlement: EventStreamSettlement,
  settle: (outcome: Outcome) => void,
): Response {
  const received: Uint8Array[] = [];
  let done = false;
  const finish = (cutShort: boolean) => {
    if (done) return;
    done = true;
    const frames = splitSse(decoder.decode(Buffer.concat(received)));
    received.length = 0;
    for (let index = frames.length - 1; index >= 0; index--) {
      const frame = frames[index];
      if (!frame) continue;
      const data = parseObject(frame.data);
      const event = frame.event ?? (typeof data?.type === "string" ? data.type : undefined);
      if (!data || !event) continue;
      const outcome = settlement.final(event, data);
      if (outcome) return settle(outcome);
    }
    settle(settlement.unfinished(frames, cutShort));
  };
  return tapResponse(response, {
    chunk(bytes) {
      received.push(bytes);
      return bytes;
    },
    end() {
      finish(false);
      return undefined;
    },
    stop() {
      finish(true);
    },
  });
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
