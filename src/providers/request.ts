import { InvalidRequestError } from "../errors.js";
import type { CallInfo } from "../ledger/call-ledger.js";
import type { ServiceTier } from "../types.js";

// ---------------------------------------------------------------------------------------------------------
// Reading request bodies: every malformed field is a typed error naming the field.

export function requireBody(params: unknown, operation: string): Record<string, unknown> {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new InvalidRequestError(`Expected the ${operation} params to be an object, got ${typeof params}`);
  }
  return params as Record<string, unknown>;
}

export function requireModel(body: Record<string, unknown>, operation: string, fallback?: string): string {
  const model = body.model ?? fallback;
  if (typeof model !== "string" || model.length === 0) {
    throw new InvalidRequestError(
      `Expected \`model\` to be a non-empty string in ${operation} params: spendguard prices each call by its model`,
    );
  }
  return model;
}

/** A positive integer field, or undefined when absent. */
export function readCount(
  body: Record<string, unknown>,
  name: string,
  max = 2 ** 31 - 1,
): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidRequestError(
      `Expected \`${name}\` to be an integer >= 1${max < 2 ** 31 - 1 ? ` and <= ${max}` : ""}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The tier a request is billed at: `service_tier: "flex" | "priority"` wins over the client's. */
export function requestTier(serviceTier: unknown, fallback: ServiceTier): ServiceTier {
  if (serviceTier === "flex" || serviceTier === "priority") return serviceTier;
  return fallback;
}

export function callInfo(provider: string, path: string, params: unknown, tier: ServiceTier): CallInfo {
  const body = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  return {
    provider,
    operation: path,
    model: typeof body.model === "string" ? body.model : "",
    stream: body.stream === true,
    tier,
  };
}
