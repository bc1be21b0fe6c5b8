import { InvalidRequestError } from "../../errors.js";
import type { TransportMeter } from "../../intercept/meters.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import type { PriceCatalog } from "../../pricing/types.js";
import { countChatInput, encodingForModel, loadedTokenizer, loadTokenizer } from "../../tokenize/index.js";
import type { Tokenizer } from "../../tokenize/types.js";
import type { ServiceTier } from "../../types.js";
import { jsonBody, sseTap } from "./taps.js";
import { chatUsage, isReasoningModel } from "./usage.js";

export const CHAT_OPERATION = "chat.completions.create";

export interface PlanContext {
  catalog: PriceCatalog;
  /** The wrapped client's tier (or the session's). */
  tier: ServiceTier;
  fromHelper: boolean;
}

/** A chat completions request, planned: validated, priced, its input counted, its output limit read. */
export interface ChatPlan extends CallPlan {
  tokenizer: Tokenizer;
  reasoning: boolean;
  /** The caller asked for the usage chunk of a stream themselves (so it is not hidden from them). */
  callerWantsUsage: boolean;
}

export async function planChat(params: unknown, context: PlanContext): Promise<ChatPlan> {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new InvalidRequestError(
      `Expected the chat.completions.create params to be an object, got ${typeof params}`,
    );
  }
  const body = params as Record<string, unknown>;
  const model = body.model;
  if (typeof model !== "string" || model.length === 0) {
    throw new InvalidRequestError(
      "Expected `model` to be a non-empty string in chat.completions.create params: spendguard prices each call by its model",
    );
  }
  const stream = body.stream === true;
  const tier = requestTier(body.service_tier, context.tier);
  const outputLimit = readOutputLimit(body);
  const choices = readChoices(body.n);

  // Both are cached after the first call: no await on the hot path.
  const encoding = encodingForModel(model);
  let price = context.catalog.cachedTokenPrice("openai", model, tier);
  let tokenizer = loadedTokenizer(encoding);
  if (!price || !tokenizer) {
    [price, tokenizer] = await Promise.all([
      context.catalog.tokenPrice("openai", model, tier),
      loadTokenizer(encoding),
    ]);
  }

  let count: ReturnType<typeof countChatInput>;
  try {
    count = countChatInput(tokenizer, {
      model,
      messages: body.messages,
      tools: body.tools,
      functions: body.functions,
      tool_choice: body.tool_choice,
      response_format: body.response_format,
    });
  } catch (error) {
    throw new InvalidRequestError(error instanceof Error ? error.message : String(error));
  }

  const streamOptions = body.stream_options as Record<string, unknown> | undefined | null;
  const callerWantsUsage = stream && streamOptions?.include_usage === true;
  const reasoning = isReasoningModel(price.model) || body.reasoning_effort !== undefined;

  return {
    provider: "openai",
    operation: CHAT_OPERATION,
    model,
    stream,
    tier,
    price,
    inputTokens: count.tokens,
    ...(outputLimit !== undefined && { outputLimit }),
    choices,
    // OpenAI caches prompts automatically: where a cache-write price exists it can apply to any request.
    cacheWritePossible: price.cacheWrite !== undefined,
    confidence: count.confidence,
    notes: count.notes,
    fromHelper: context.fromHelper,
    tokenizer,
    reasoning,
    callerWantsUsage,
    paramsWithLimit(limit) {
      const copy: Record<string, unknown> = { ...body };
      if (stream) copy.stream_options = { ...(streamOptions ?? {}), include_usage: true };
      if (limit !== undefined) copy.max_completion_tokens = limit;
      return copy;
    },
  };
}

export interface ChatMeter extends TransportMeter {
  /** Whether a failed attempt may have reached the provider (a timeout, an abort, a dropped socket). */
  readonly mayBeBilled: boolean;
}

/** Meters the HTTP response of an admitted chat completion and settles it (DESIGN 2.4). */
export function chatMeter(admission: Admission, plan: ChatPlan, ledger: CallLedger): ChatMeter {
  let failedAttemptMayBeBilled = false;
  return {
    matches: (url) => pathOf(url).endsWith("/chat/completions"),
    failed(error) {
      if (mayHaveReachedProvider(error)) failedAttemptMayBeBilled = true;
    },
    observe(response) {
      if (!response.ok) return response;
      const finish = (outcome: Outcome) => void ledger.finish(admission, outcome);
      const contentType = response.headers.get("content-type") ?? "";
      if (plan.stream && contentType.includes("text/event-stream")) {
        return sseTap(response, { plan, finish });
      }
      return jsonBody(response, (json, error) => finish(jsonOutcome(json, error)));
    },
    get mayBeBilled() {
      return failedAttemptMayBeBilled;
    },
  };
}

/** How a non-streaming chat completion settles: from its usage, or at the hold when it has none. */
function jsonOutcome(json: object | undefined, error: "malformed" | "interrupted" | undefined): Outcome {
  if (json === undefined) {
    return { kind: "hold", flags: [error === "interrupted" ? "interrupted" : "malformed_response"] };
  }
  const body = json as Record<string, unknown>;
  const usage = chatUsage(body.usage);
  const outcome: Outcome = usage ? { kind: "usage", usage } : { kind: "hold", flags: ["no_usage"] };
  if (typeof body.model === "string") outcome.responseModel = body.model;
  if (typeof body.id === "string") outcome.requestId = body.id;
  if (outcome.kind === "usage" && typeof body.service_tier === "string")
    outcome.responseTier = body.service_tier;
  return outcome;
}

function requestTier(serviceTier: unknown, fallback: ServiceTier): ServiceTier {
  if (serviceTier === "flex" || serviceTier === "priority") return serviceTier;
  return fallback;
}

function readOutputLimit(body: Record<string, unknown>): number | undefined {
  let limit: number | undefined;
  for (const name of ["max_completion_tokens", "max_tokens"] as const) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new InvalidRequestError(
        `Expected \`${name}\` to be an integer >= 1, got ${JSON.stringify(value)}`,
      );
    }
    limit = limit === undefined ? value : Math.min(limit, value);
  }
  return limit;
}

function readChoices(n: unknown): number {
  if (n === undefined || n === null) return 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 128) {
    throw new InvalidRequestError(`Expected \`n\` to be an integer from 1 to 128, got ${JSON.stringify(n)}`);
  }
  return n;
}

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
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
