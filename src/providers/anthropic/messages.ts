import { InvalidRequestError } from "../../errors.js";
import type { SseFrame } from "../../intercept/sse.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import { fastModePrice } from "../../pricing/fast-mode.js";
import type { TokenPrice } from "../../pricing/types.js";
import type { Tokenizer } from "../../tokenize/types.js";
import type { ServiceTier } from "../../types.js";
import { eventSseTap, parseObject } from "../event-stream.js";
import { createMeter, jsonBody } from "../meter.js";
import { readCount, requireBody, requireModel } from "../request.js";
import { priceAndTokenizer, tokenCost, tokenPlanBase } from "../token-plan.js";
import type { Operation, PlanContext } from "../types.js";
import { cacheWriteOf, countClaudeInput } from "./input-tokens.js";
import { anthropicUsage, mergeStreamUsage } from "./usage.js";

/** Server-side web searches a response may run when the tool sets no `max_uses`: strict mode sends this. */
export const DEFAULT_MAX_USES = 8;

export interface MessagesPlan extends CallPlan {
  tokenizer: Tokenizer;
  inputTokens: number;
}

function messagesOperation(path: string): Operation<MessagesPlan> {
  return {
    path,
    paramsArg: 0,
    url: /\/v1\/messages$/,
    plan: (params, context) => planMessages(path, params, context, context.tier),
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

  // Web search and fetch results join the input: their size is unknown before the call.
  const serverTools = (Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : []).filter(
    (tool) => typeof tool?.type === "string" && /^web_(search|fetch)_/.test(tool.type as string),
  );
  const searches = serverTools.filter((tool) => (tool.type as string).startsWith("web_search_"));
  const maxUses = searches
    .map((tool) => readCount(tool, "max_uses") ?? DEFAULT_MAX_USES)
    .reduce((a, b) => a + b, 0);
  if (serverTools.length > 0) {
    confidence = "low";
    if (price.contextWindow !== undefined && price.contextWindow > inputTokens) {
      inputTokens = price.contextWindow;
      notes.push(
        `input bounded by the context window (${price.contextWindow} tokens): server tool results join it`,
      );
    }
  }
  const perSearch = Math.ceil((price.webSearchPerThousand ?? 0) / 1000);

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
      ...(maxUses > 0 && { extra: maxUses * perSearch }),
    },
    cost: messagesCost(context, model, standard.price, fast ? price : undefined),
    confidence,
    notes,
    fromHelper: context.fromHelper,
    tokenizer,
    inputTokens,
    paramsWithLimit() {
      if (searches.every((tool) => tool.max_uses !== undefined)) return { ...body };
      // Strict bound on paid searches: each web search tool gets a max_uses.
      const tools = (body.tools as Record<string, unknown>[]).map((tool) =>
        searches.includes(tool) && tool.max_uses === undefined
          ? { ...tool, max_uses: DEFAULT_MAX_USES }
          : tool,
      );
      return { ...body, tools };
    },
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
  const settle = (outcome: Outcome) => void ledger.finish(admission, outcome);
  return createMeter(/\/v1\/messages$/, (response) => {
    const contentType = response.headers.get("content-type") ?? "";
    if (plan.stream && contentType.includes("text/event-stream")) {
      return eventSseTap(
        response,
        { final: () => undefined, unfinished: (frames, cutShort) => streamOutcome(frames, cutShort, plan) },
        settle,
      );
    }
    return jsonBody(response, (json, error) => {
      if (!json)
        return settle({
          kind: "hold",
          flags: [error === "interrupted" ? "interrupted" : "malformed_response"],
        });
      settle(messageOutcome(json));
    });
  });
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
function streamOutcome(frames: readonly SseFrame[], cutShort: boolean, plan: MessagesPlan): Outcome {
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
  const ids: { responseModel?: string; requestId?: string } = {};
  if (typeof start?.model === "string") ids.responseModel = start.model;
  if (typeof start?.id === "string") ids.requestId = start.id;
  const merged = mergeStreamUsage(start?.usage, deltas);
  const usage = anthropicUsage(merged);
  const speed = merged?.speed;
  if (finished && usage)
    return { kind: "usage", usage, ...ids, ...(typeof speed === "string" && { responseTier: speed }) };
  if (!cutShort) return { kind: "hold", flags: ["no_usage"], ...ids };
  // Exact input and cache counts from message_start; the output counted from what streamed.
  const base = usage ?? { inputTokens: plan.inputTokens, outputTokens: 0 };
  const outputTokens = Math.ceil(plan.tokenizer.count(streamedText) * 1.25);
  return {
    kind: "estimated",
    usage: { ...base, outputTokens: Math.max(base.outputTokens, outputTokens) },
    flags: ["interrupted"],
    ...ids,
  };
}
