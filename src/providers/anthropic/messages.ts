import { InvalidRequestError } from "../../errors.js";
import type { SseFrame } from "../../intercept/sse.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import { usageCost } from "../../pricing/cost.js";
import { fastModePrice } from "../../pricing/fast-mode.js";
import type { TokenPrice } from "../../pricing/types.js";
import type { Tokenizer } from "../../tokenize/types.js";
import type { ServiceTier } from "../../types.js";
import { eventSseTap, parseObject } from "../event-stream.js";
import { createMeter, jsonBody } from "../meter.js";
import { readCount, requireBody, requireModel } from "../request.js";
import { outputLimitHooks } from "../rule-facts.js";
import { priceAndTokenizer, tokenCost, tokenPlanBase } from "../token-plan.js";
import type { Operation, PlanContext } from "../types.js";
import { cacheWriteOf, countClaudeInput } from "./input-tokens.js";
import { serverToolBound } from "./server-tools.js";
import { addUsage, anthropicUsage, extraIterations, mergeStreamUsage } from "./usage.js";

export interface MessagesPlan extends CallPlan {
  tokenizer: Tokenizer;
  inputTokens: number;
  advisorPrices: ReadonlyMap<string, TokenPrice>;
}

function messagesOperation(path: string): Operation<MessagesPlan> {
  return {
    path,
    url: /\/v1\/messages$/,
    plan: (params, context) => planMessages(path, params, context, context.tier),
    ...outputLimitHooks(["max_tokens"]),
    meter: (admission, plan, ledger) => messagesMeter(admission, plan, ledger),
  };
}

/** `messages.create` (and `messages.stream`, `parse`, which call it) and `beta.messages.create`. */
export const messagesCreate = messagesOperation("messages.create");
export const betaMessagesCreate = messagesOperation("beta.messages.create");

export async function planMessages(
  path: string,
  params: unknown,
  context: PlanContext,
  tier: ServiceTier,
): Promise<MessagesPlan> {
  const body = requireBody(params, path);
  const model = requireModel(body, path);
  const notes: string[] = [];
  const maxTokens = readCount(body, "max_tokens");
  if (maxTokens === undefined) {
    throw new InvalidRequestError(
      "Expected `max_tokens` (an integer >= 1): Anthropic requires it, and it bounds the cost",
    );
  }
  const standard = await priceAndTokenizer(context.catalog, "anthropic", model, tier);
  const { tokenizer } = standard;
  // Fast mode bills a multiple of every token rate; a response served at standard speed bills standard.
  const fast = body.speed === "fast";
  const price = fast ? fastModePrice(standard.price) : standard.price;
  if (fast) notes.push("fast mode: held at the fast-mode rates");
  let inputTokens: number;
  let confidence: CallPlan["confidence"];
  let cacheWrite: "none" | "5m" | "1h";
  const exact = context.countTokens ? await exactCount(context.countTokens, body) : undefined;
  if (exact !== undefined) {
    inputTokens = exact;
    confidence = "high";
    cacheWrite = cacheWriteOf(body);
    notes.push("input counted exactly by messages.countTokens");
  } else {
    const counted = countClaudeInput(tokenizer, body);
    ({ tokens: inputTokens, confidence, cacheWrite } = counted);
    notes.push(...counted.notes);
    if (context.countTokens) notes.push("messages.countTokens failed: input bounded locally");
  }

  // Server tool results (searches, fetched pages, advice) join the input: their size is unknown before the call.
  const tools = await serverToolBound(body, price, context, tier);
  notes.push(...tools.notes);
  if (tools.growsContext) {
    confidence = "low";
    if (price.contextWindow !== undefined && price.contextWindow > inputTokens) {
      inputTokens = price.contextWindow;
      notes.push(
        `input bounded by the context window (${price.contextWindow} tokens): server tool results join it`,
      );
    }
  }

  // The dearest input rate that can apply: a cache write only where cache_control asks for one.
  const holdPrice: TokenPrice =
    cacheWrite === "1h"
      ? price
      : { ...price, cacheWrite1h: undefined, ...(cacheWrite === "none" && { cacheWrite: undefined }) };
  return {
    ...tokenPlanBase("anthropic", price, context, model, tier),
    operation: path,
    stream: body.stream === true,
    hold: {
      kind: "tokens",
      price: holdPrice,
      inputTokens,
      outputLimit: maxTokens,
      choices: 1,
      cacheWritePossible: cacheWrite !== "none",
      ...(tools.extra > 0 && { extra: tools.extra }),
    },
    cost: messagesCost(context, model, standard.price, fast ? price : undefined),
    confidence,
    notes,
    fromHelper: context.fromHelper,
    tokenizer,
    inputTokens,
    advisorPrices: tools.advisorPrices,
    // Strict bound on paid server tools: each web search and advisor tool gets a max_uses.
    paramsWithLimit: () => (tools.tools === body.tools ? { ...body } : { ...body, tools: tools.tools }),
  };
}

/** A message's cost at the speed the response reports (`usage.speed`), the requested one when it says none. */
function messagesCost(
  context: PlanContext,
  model: string,
  standard: TokenPrice,
  fast: TokenPrice | undefined,
): CallPlan["cost"] {
  const atStandard = tokenCost(context.catalog, "anthropic", model, standard);
  if (!fast) return atStandard;
  const atFast = tokenCost(context.catalog, "anthropic", model, fast);
  return (usage, speed) => (speed === "standard" ? atStandard(usage) : atFast(usage));
}

/** The exact count, or undefined when the counting endpoint failed (the local bound is safe to use). */
async function exactCount(
  countTokens: NonNullable<PlanContext["countTokens"]>,
  body: Record<string, unknown>,
): Promise<number | undefined> {
  try {
    const tokens = await countTokens(countParams(body));
    return Number.isInteger(tokens) && tokens >= 0 ? tokens : undefined;
  } catch {
    return undefined;
  }
}

/** The fields `messages.countTokens` accepts. */
function countParams(body: Record<string, unknown>): Record<string, unknown> {
  const fields = ["model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers"];
  return Object.fromEntries(
    fields.filter((field) => body[field] !== undefined).map((field) => [field, body[field]]),
  );
}

export function messagesMeter(admission: Admission, plan: MessagesPlan, ledger: CallLedger) {
  return createMeter((response) => {
    const settle = (outcome: Outcome, usage?: unknown) => {
      return withIterations(outcome, usage, plan).then((final) => ledger.finish(admission, final));
    };
    const contentType = response.headers.get("content-type") ?? "";
    if (plan.stream && contentType.includes("text/event-stream")) {
      let rawUsage: unknown;
      const unfinished = (frames: readonly SseFrame[], cutShort: boolean) => {
        const streamed = streamOutcome(frames, cutShort, plan);
        rawUsage = streamed.rawUsage;
        return streamed.outcome;
      };
      return eventSseTap(response, { final: () => undefined, unfinished }, (outcome) =>
        settle(outcome, rawUsage),
      );
    }
    return jsonBody(response, (json, error) => {
      if (!json)
        return settle({
          kind: "hold",
          flags: [error === "interrupted" ? "interrupted" : "malformed_response"],
        });
      return settle(messageOutcome(json), json.usage);
    });
  });
}

/**
 * Adds what the top-level usage leaves out (beta `usage.iterations`): compaction runs at the message's rates,
 * advisor sub-inferences at their own model's rates.
 */
async function withIterations(outcome: Outcome, rawUsage: unknown, plan: MessagesPlan): Promise<Outcome> {
  if (outcome.kind !== "usage" || rawUsage === undefined) return outcome;
  const extra = extraIterations(rawUsage);
  const usage = extra.compaction ? addUsage(outcome.usage, extra.compaction) : outcome.usage;
  if (extra.advisors.length === 0) return { ...outcome, usage };
  let actual = await plan.cost(usage, outcome.responseTier);
  for (const advisor of extra.advisors) {
    const price = plan.advisorPrices.get(advisor.model);
    // An advisor the request did not name cannot be priced: the hold (which covers the named ones) is charged.
    if (!price) return { kind: "hold", flags: ["no_usage"], ...ids(outcome) };
    actual += usageCost(price, advisor.usage, "nearest");
  }
  return { kind: "cost", actual, usage, ...ids(outcome) };
}

function ids(outcome: { requestId?: string }): { requestId?: string } {
  return outcome.requestId === undefined ? {} : { requestId: outcome.requestId };
}

/** The outcome of a finished `Message`. */
export function messageOutcome(message: Record<string, unknown>): Outcome {
  const usage = anthropicUsage(message.usage);
  const outcome: Outcome = usage ? { kind: "usage", usage } : { kind: "hold", flags: ["no_usage"] };
  const speed = (message.usage as { speed?: unknown } | null | undefined)?.speed;
  if (outcome.kind === "usage" && typeof speed === "string") outcome.responseTier = speed;
  if (typeof message.model === "string") outcome.responseModel = message.model;
  if (typeof message.id === "string") outcome.requestId = message.id;
  return outcome;
}

/**
 * A stream's outcome: `message_start` carries the input and cache counts, the last `message_delta` the final
 * output count. Cut short before that, the output is counted from the deltas that arrived.
 */
function streamOutcome(
  frames: readonly SseFrame[],
  cutShort: boolean,
  plan: MessagesPlan,
): { outcome: Outcome; rawUsage: unknown } {
  let start: Record<string, unknown> | undefined;
  const deltas: unknown[] = [];
  let finished = false;
  let streamedText = "";
  for (const frame of frames) {
    const data = parseObject(frame.data);
    if (!data) continue;
    const type = frame.event ?? data.type;
    if (type === "message_start") start = data.message as Record<string, unknown> | undefined;
    else if (type === "message_delta") {
      deltas.push(data.usage);
      finished = true;
    } else if (type === "content_block_delta") {
      const delta = data.delta as Record<string, unknown> | undefined;
      for (const key of ["text", "partial_json", "thinking"])
        if (typeof delta?.[key] === "string") streamedText += delta[key];
    }
  }
  const known: { responseModel?: string; requestId?: string } = {};
  if (typeof start?.model === "string") known.responseModel = start.model;
  if (typeof start?.id === "string") known.requestId = start.id;
  const merged = mergeStreamUsage(start?.usage, deltas);
  const usage = anthropicUsage(merged);
  const speed = merged?.speed;
  if (finished && usage) {
    const outcome: Outcome = { kind: "usage", usage, ...known };
    if (typeof speed === "string") outcome.responseTier = speed;
    return { outcome, rawUsage: merged };
  }
  if (!cutShort) return { outcome: { kind: "hold", flags: ["no_usage"], ...known }, rawUsage: undefined };
  // Exact input and cache counts from message_start; the output counted from what streamed.
  const base = usage ?? { inputTokens: plan.inputTokens, outputTokens: 0 };
  const outputTokens = Math.ceil(plan.tokenizer.count(streamedText) * 1.25);
  const outcome: Outcome = {
    kind: "estimated",
    usage: { ...base, outputTokens: Math.max(base.outputTokens, outputTokens) },
    flags: ["interrupted"],
    ...known,
  };
  return { outcome, rawUsage: undefined };
}
