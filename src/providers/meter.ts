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
 * Settles from a JSON body as the SDK reads it: the SDK's own `json()` (or `text()`) parse is the only parse,
 * and `done` runs inside it, before the call returns to its caller. A body nobody reads in the same turn (a
 * call nobody awaits, `.asResponse()`) is read by spendguard instead, and kept for whoever reads it later.
 * `done` runs once, with the parsed body, or with `"malformed"` (not a JSON object) / `"interrupted"` (the body
 * failed before its end).
 */
export function jsonBody(
  response: Response,
  done: (json: Record<string, unknown> | undefined, error?: "malformed" | "interrupted") => unknown,
): Response {
  let finished = false;
  /** Settles once; resolves when the settle has landed (so balances are exact when the caller gets the result). */
  const finish = (value: unknown, error?: "malformed" | "interrupted"): unknown => {
    if (finished) return undefined;
    finished = true;
    if (error) return done(undefined, error);
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return done(value as Record<string, unknown>);
    return done(undefined, "malformed");
  };
  const { json, text } = response;
  Object.defineProperties(response, {
    json: {
      configurable: true,
      writable: true,
      value: () =>
        json.call(response).then(
          async (value: unknown) => {
            await finish(value);
            return value;
          },
          (error: unknown) => {
            finish(undefined, error instanceof SyntaxError ? "malformed" : "interrupted");
            throw error;
          },
        ),
    },
    text: {
      configurable: true,
      writable: true,
      value: () =>
        text.call(response).then(
          async (body: string) => {
            await finish(parseJson(body));
            return body;
          },
          (error: unknown) => {
            finish(undefined, "interrupted");
            throw error;
          },
        ),
    },
  });
  setImmediate(() => {
    if (finished || response.bodyUsed) return;
    void bufferText(response).then((read) => {
      if ("error" in read) return finish(undefined, "interrupted");
      const parsed = parseJson(read.text);
      finish(parsed);
      if (parsed !== undefined) shareParsed(read.response, parsed);
    });
  });
  return response;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
