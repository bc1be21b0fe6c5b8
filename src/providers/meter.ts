import { bufferText, shareParsed } from "../intercept/body-tap.js";
import type { Outcome } from "../ledger/types.js";
import type { Usage } from "../types.js";
import type { OperationMeter } from "./types.js";

/** A meter that hands each successful response of an attempt to `observe`. */
export function createMeter(observe: (response: Response) => Response | Promise<Response>): OperationMeter {
  return { observe };
}

/**
 * Whether a failed attempt may have reached the provider (and been billed). A refused or unresolvable
 * connection never did; a timeout, an abort or a socket closed mid-request may have.
 */
export function mayHaveReachedProvider(error: unknown): boolean {
  const codes = new Set<string>();
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.add(code);
    current = (current as { cause?: unknown }).cause;
  }
  for (const code of ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH"]) {
    if (codes.has(code)) return false;
  }
  return true;
}

/**
 * Reads a JSON body before the SDK gets it; calls `done` once with the parsed body, or with `"malformed"`
 * (not a JSON object) / `"interrupted"` (the body failed before its end).
 */
export async function jsonBody(
  response: Response,
  done: (json: Record<string, unknown> | undefined, error?: "malformed" | "interrupted") => void,
): Promise<Response> {
  const read = await bufferText(response);
  if ("error" in read) {
    done(undefined, "interrupted");
    return read.response;
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    json = undefined;
  }
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    done(json as Record<string, unknown>);
    shareParsed(read.response, json);
  } else done(undefined, "malformed");
  return read.response;
}

/** How a JSON response settles: from its usage, or at the hold when it has none or was not readable. */
export function jsonOutcome(
  json: Record<string, unknown> | undefined,
  error: "malformed" | "interrupted" | undefined,
  usageOf: (body: Record<string, unknown>) => Usage | undefined,
): Outcome {
  if (json === undefined) {
    return { kind: "hold", flags: [error === "interrupted" ? "interrupted" : "malformed_response"] };
  }
  const usage = usageOf(json);
  const outcome: Outcome = usage ? { kind: "usage", usage } : { kind: "hold", flags: ["no_usage"] };
  if (typeof json.model === "string") outcome.responseModel = json.model;
  if (typeof json.id === "string") outcome.requestId = json.id;
  if (outcome.kind === "usage" && typeof json.service_tier === "string")
    outcome.responseTier = json.service_tier;
  return outcome;
}
