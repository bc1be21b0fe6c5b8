import { InvalidRequestError } from "../../errors.js";
import type { SseFrame } from "../../intercept/sse.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import type { Nano } from "../../money.js";
import { imagePrice, toolCallPrice } from "../../pricing/media.js";
import type { TokenPrice } from "../../pricing/types.js";
import { countChatInput } from "../../tokenize/index.js";
import type { Tokenizer } from "../../tokenize/types.js";
import type { Usage } from "../../types.js";
import { eventSseTap, parseObject } from "../event-stream.js";
import { createMeter, jsonBody } from "../meter.js";
import { readCount, requestTier, requireBody, requireModel } from "../request.js";
import { outputLimitHooks } from "../rule-facts.js";
import { priceAndTokenizer, tokenCost, tokenPlanBase } from "../token-plan.js";
import type { LaterHook, Operation, PlanContext, ProviderMemory } from "../types.js";
import { readOutputLimit } from "./chat.js";
import { isReasoningModel, responsesUsage } from "./usage.js";

const CREATE = "responses.create";
const COMPACT = "responses.compact";

/**
 * Paid built-in tool calls a response may make when the request sets no `max_tool_calls`: strict mode sends
 * this limit so the worst case is bounded.
 */
export const DEFAULT_MAX_TOOL_CALLS = 8;

/**
 * Tokens allowed for the instructions OpenAI adds to the prompt for each built-in tool (not published; an
 * allowance, so the input count stays an upper bound).
 */
const BUILT_IN_TOOL_TOKENS = 1024;

const PAID_TOOLS = new Set([
  "web_search",
  "web_search_preview",
  "file_search",
  "code_interpreter",
  "image_generation",
]);

export interface ResponsesPlan extends CallPlan {
  tokenizer: Tokenizer;
  inputTokens: number;
  reasoning: boolean;
  background: boolean;
  /** Where the sizes of settled responses go, for follow-ups that name them (`previous_response_id`). */
  memory: ProviderMemory;
}

/** `responses.create` (and the `parse` / `stream` helpers, which call it), streaming or not, and background. */
export const responsesCreate: Operation<ResponsesPlan> = {
  path: CREATE,
  url: /\/responses$/,
  plan: (params, context) => planResponse(CREATE, params, context),
  ...outputLimitHooks(["max_output_tokens"]),
  meter: (admission, plan, ledger) => responseMeter(admission, plan, ledger),
};

/** `responses.compact`: a paid summarization of a conversation, billed by tokens like a response. */
export const responsesCompact: Operation<ResponsesPlan> = {
  path: COMPACT,
  url: /\/responses\/compact$/,
  plan: (params, context) => planResponse(COMPACT, params, context),
  meter: (admission, plan, ledger) => responseMeter(admission, plan, ledger),
};

async function planResponse(path: string, params: unknown, context: PlanContext): Promise<ResponsesPlan> {
  const body = requireBody(params, path);
  const model = requireModel(body, path);
  const tier = requestTier(body.service_tier, context.tier);
  const { price, tokenizer } = await priceAndTokenizer(context.catalog, "openai", model, tier);
  const reasoning = isReasoningModel(price.model) || body.reasoning !== undefined;
  const notes: string[] = [];
  let confidence: CallPlan["confidence"] = "high";

  const { messages, tools, responseFormat, unknownItems } = asChat(body);
  let counted: ReturnType<typeof countChatInput>;
  try {
    counted = countChatInput(tokenizer, { model, messages, tools, response_format: responseFormat });
  } catch (error) {
    throw new InvalidRequestError(
      error instanceof Error ? error.message.replace("`messages`", "`input`") : String(error),
    );
  }
  if (counted.confidence !== "high") confidence = counted.confidence;
  notes.push(...counted.notes);

  const builtIn = builtInTools(body.tools);
  let inputTokens = counted.tokens + builtIn.length * BUILT_IN_TOOL_TOKENS;
  if (builtIn.length > 0)
    notes.push(
      `${builtIn.length} built-in tool(s): ${BUILT_IN_TOOL_TOKENS} tokens each allowed for their instructions`,
    );

  // Context the request carries by reference: its size is not in the request.
  const carried: string[] = [];
  if (typeof body.previous_response_id === "string") {
    const known = context.memory.responseTokens.get(body.previous_response_id);
    if (known === undefined) carried.push("previous_response_id (a response this session did not see)");
    else inputTokens += known;
  }
  if (body.conversation !== undefined && body.conversation !== null) carried.push("conversation");
  if (body.prompt !== undefined && body.prompt !== null) carried.push("prompt template");
  if (unknownItems > 0) carried.push(`${unknownItems} item reference(s)`);
  const searchContent = reasoning && builtIn.some((tool) => tool.type.startsWith("web_search"));
  if (searchContent) carried.push("web search results (billed as input tokens on this model)");
  if (carried.length > 0) {
    confidence = "low";
    if (price.contextWindow !== undefined && price.contextWindow > inputTokens) {
      inputTokens = price.contextWindow;
      notes.push(
        `input bounded by the context window (${price.contextWindow} tokens): ${carried.join(", ")}`,
      );
    } else {
      notes.push(`input of unknown size not counted: ${carried.join(", ")}`);
    }
  }

  const paid = builtIn.filter((tool) => PAID_TOOLS.has(tool.type));
  const maxToolCalls = readCount(body, "max_tool_calls");
  const toolCalls = paid.length > 0 ? (maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS) : 0;
  const perCall = Math.max(0, ...paid.map((tool) => toolFee(tool, model, price)));
  if (paid.length > 0)
    notes.push(`up to ${toolCalls} paid built-in tool calls at most ${perCall} nano-USD each`);

  const outputLimit = path === CREATE ? readOutputLimit(body, ["max_output_tokens"]) : undefined;
  const compactLimit = path === COMPACT ? (price.maxOutputTokens ?? price.contextWindow) : undefined;
  const plan: ResponsesPlan = {
    ...tokenPlanBase("openai", price, context, model, tier),
    operation: path,
    stream: body.stream === true,
    hold: {
      kind: "tokens",
      price,
      inputTokens,
      ...(outputLimit !== undefined && { outputLimit }),
      ...(compactLimit !== undefined && { outputLimit: compactLimit }),
      choices: 1,
      cacheWritePossible: price.cacheWrite !== undefined,
      ...(toolCalls > 0 && { extra: toolCalls * perCall }),
    },
    cost: tokenCost(context.catalog, "openai", model, price, {
      charges: (usage) => toolCharges(usage, body.tools, model, price),
      tokensOnly: (usage) => ({ ...usage, webSearches: undefined }),
    }),
    confidence,
    notes,
    tokenizer,
    inputTokens,
    reasoning,
    background: body.background === true,
    memory: context.memory,
    paramsWithLimit(limit) {
      const copy: Record<string, unknown> = { ...body };
      if (limit !== undefined && path === CREATE) copy.max_output_tokens = limit;
      if (paid.length > 0 && maxToolCalls === undefined) copy.max_tool_calls = toolCalls;
      return copy;
    },
  };
  return plan;
}

/** The Responses input as chat messages, for the chat counter (same tokenizer rules, same upper bounds). */
function asChat(body: Record<string, unknown>): {
  messages: unknown[];
  tools: unknown[];
  responseFormat: unknown;
  unknownItems: number;
} {
  const messages: unknown[] = [];
  let unknownItems = 0;
  if (typeof body.instructions === "string") messages.push({ role: "system", content: body.instructions });
  const { input } = body;
  if (typeof input === "string") messages.push({ role: "user", content: input });
  else if (Array.isArray(input)) {
    for (const item of input) {
      if (typeof item !== "object" || item === null) {
        throw new InvalidRequestError("Expected each item of `input` to be an object");
      }
      const entry = item as Record<string, unknown>;
      if (entry.type === "item_reference") unknownItems++;
      else messages.push(itemAsMessage(entry));
    }
  } else if (input !== undefined && input !== null) {
    throw new InvalidRequestError("Expected `input` to be a string or an array of input items");
  }
  const tools: unknown[] = [];
  if (Array.isArray(body.tools)) {
    for (const tool of body.tools as Record<string, unknown>[]) {
      if (tool?.type === "function") {
        tools.push({
          type: "function",
          function: { name: tool.name, description: tool.description, parameters: tool.parameters },
        });
      }
    }
  }
  const format = (body.text as { format?: Record<string, unknown> } | undefined)?.format;
  const responseFormat =
    format?.type === "json_schema"
      ? { type: "json_schema", json_schema: { schema: format.schema, name: format.name } }
      : undefined;
  return { messages, tools, responseFormat, unknownItems };
}

function itemAsMessage(item: Record<string, unknown>): unknown {
  if (item.type === "function_call") {
    return {
      role: "assistant",
      content: "",
      tool_calls: [
        { id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments } },
      ],
    };
  }
  if (item.type === "function_call_output") {
    return { role: "tool", tool_call_id: item.call_id, content: text(item.output) };
  }
  if (typeof item.role === "string") {
    const content = item.content;
    if (typeof content === "string") return { role: item.role, content };
    if (Array.isArray(content)) return { role: item.role, content: content.map(asChatPart) };
    return { role: item.role, content: text(content) };
  }
  // Reasoning items, tool call results and anything newer: their JSON is an upper bound of their tokens.
  return { role: "user", content: JSON.stringify(item) };
}

function asChatPart(part: unknown): unknown {
  const entry = (typeof part === "object" && part !== null ? part : {}) as Record<string, unknown>;
  switch (entry.type) {
    case "input_text":
    case "output_text":
    case "text":
      return { type: "text", text: text(entry.text) };
    case "refusal":
      return { type: "text", text: text(entry.refusal) };
    case "input_image":
      return { type: "image_url", image_url: { url: entry.image_url ?? "file", detail: entry.detail } };
    case "input_file":
      return {
        type: "file",
        file: { file_data: entry.file_data, file_id: entry.file_id, filename: entry.filename },
      };
    case "input_audio":
      return { type: "input_audio", input_audio: entry.input_audio };
    default:
      return { type: "text", text: JSON.stringify(entry) };
  }
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? "");
}

interface BuiltInTool {
  type: string;
  config: Record<string, unknown>;
}

function builtInTools(tools: unknown): BuiltInTool[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .filter((tool): tool is Record<string, unknown> => typeof tool === "object" && tool !== null)
    .filter((tool) => typeof tool.type === "string" && tool.type !== "function" && tool.type !== "custom")
    .map((tool) => ({ type: (tool.type as string).replace(/_\d{4}_\d{2}_\d{2}$/, ""), config: tool }));
}

/** The most one call of a paid built-in tool can cost. */
function toolFee(tool: BuiltInTool, model: string, price: TokenPrice): Nano {
  if (tool.type === "image_generation") {
    const quote = imagePrice(String(tool.config.model ?? "gpt-image-1"), {
      quality: stringOr(tool.config.quality),
      size: stringOr(tool.config.size),
    });
    return quote?.perImage ?? 0;
  }
  // Two sources price searches (genai-prices and the media table): the dearer applies.
  const perCall = toolCallPrice(tool.type, model, memoryLimit(tool.config))?.perCall ?? 0;
  if (tool.type.startsWith("web_search") && price.webSearchPerThousand !== undefined) {
    return Math.max(perCall, Math.ceil(price.webSearchPerThousand / 1000));
  }
  return perCall;
}

/** Charges for the built-in tool calls a response made, beyond its tokens. */
function toolCharges(usage: Usage, tools: unknown, model: string, price: TokenPrice): Nano {
  let total = 0;
  const configured = builtInTools(tools);
  const find = (type: string) =>
    configured.find((tool) => tool.type.startsWith(type)) ?? { type, config: {} as Record<string, unknown> };
  if (usage.webSearches) total += usage.webSearches * toolFee(find("web_search"), model, price);
  if (usage.fileSearches) total += usage.fileSearches * toolFee(find("file_search"), model, price);
  if (usage.containers) total += usage.containers * toolFee(find("code_interpreter"), model, price);
  if (usage.images) total += usage.images * toolFee(find("image_generation"), model, price);
  return total;
}

/** A code interpreter's container memory tier, when the tool names one. */
function memoryLimit(config: Record<string, unknown>): { memoryLimit?: string } {
  const container = config.container as { memory_limit?: unknown } | undefined;
  return typeof container?.memory_limit === "string" ? { memoryLimit: container.memory_limit } : {};
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Settling

/** The outcome of a finished `Response` object, with the built-in tool calls its output made. */
export function responseOutcome(response: Record<string, unknown>): Outcome {
  const usage = responsesUsage(response.usage);
  const outcome: Outcome = usage
    ? { kind: "usage", usage: { ...usage, ...toolCounts(response.output) } }
    : { kind: "hold", flags: ["no_usage"] };
  if (typeof response.model === "string") outcome.responseModel = response.model;
  if (typeof response.id === "string") outcome.requestId = response.id;
  if (outcome.kind === "usage" && typeof response.service_tier === "string") {
    outcome.responseTier = response.service_tier;
  }
  return outcome;
}

function toolCounts(output: unknown): Partial<Usage> {
  if (!Array.isArray(output)) return {};
  const counts: Partial<Usage> = {};
  const containers = new Set<unknown>();
  for (const item of output as Record<string, unknown>[]) {
    switch (item?.type) {
      case "web_search_call":
        counts.webSearches = (counts.webSearches ?? 0) + 1;
        break;
      case "file_search_call":
        counts.fileSearches = (counts.fileSearches ?? 0) + 1;
        break;
      case "code_interpreter_call":
        containers.add(item.container_id ?? item.id);
        break;
      case "image_generation_call":
        counts.images = (counts.images ?? 0) + 1;
        break;
    }
  }
  if (containers.size > 0) counts.containers = containers.size;
  return counts;
}

const TERMINAL = new Set(["completed", "incomplete", "failed", "cancelled"]);
const FINAL_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"]);

function responseMeter(admission: Admission, plan: ResponsesPlan, ledger: CallLedger) {
  let responseId: string | undefined;
  const settle = (outcome: Outcome) => {
    if (outcome.kind === "usage" && outcome.requestId) {
      plan.memory.responseTokens.set(
        outcome.requestId,
        outcome.usage.inputTokens + outcome.usage.outputTokens,
      );
    }
    return ledger.finish(admission, outcome);
  };
  // A background response keeps running after its request ends: its hold waits for the result, by its id.
  const later = () => {
    if (responseId) ledger.awaitLater(responseId, admission);
    else settle({ kind: "hold", flags: ["no_usage"] });
  };
  const remember = (id: unknown) => {
    if (typeof id === "string") responseId = id;
  };
  return createMeter((response) => {
    const contentType = response.headers.get("content-type") ?? "";
    if (plan.stream && contentType.includes("text/event-stream")) {
      return eventSseTap(
        response,
        {
          final(event, data) {
            const inner = data.response as Record<string, unknown> | undefined;
            if (event === "response.created" || event === "response.queued") remember(inner?.id);
            if (!FINAL_EVENTS.has(event) || !inner) return undefined;
            return responseOutcome(inner);
          },
          // Every frame went through `final` first (searched from the end), so `response.created` gave the id.
          unfinished(frames, cutShort) {
            if (plan.background) return { kind: "hold", flags: ["interrupted"] };
            if (!cutShort) return { kind: "hold", flags: ["no_usage"] };
            if (plan.reasoning) return { kind: "hold", flags: ["interrupted", "reasoning_unseen"] };
            return {
              kind: "estimated",
              usage: { inputTokens: plan.inputTokens, outputTokens: countDeltas(plan.tokenizer, frames) },
              flags: ["interrupted"],
            };
          },
        },
        (outcome) => (plan.background && outcome.kind !== "usage" ? later() : settle(outcome)),
      );
    }
    return jsonBody(response, (json, error) => {
      if (!json)
        return settle({
          kind: "hold",
          flags: [error === "interrupted" ? "interrupted" : "malformed_response"],
        });
      remember(json.id);
      if (plan.background && !TERMINAL.has(String(json.status))) return later();
      settle(responseOutcome(json));
    });
  });
}

/** Output tokens of the text, argument and reasoning-summary deltas a cut-short stream delivered. */
function countDeltas(tokenizer: Tokenizer, frames: readonly SseFrame[]): number {
  let tokens = 0;
  for (const frame of frames) {
    const event = frame.event ?? "";
    if (!event.endsWith(".delta")) continue;
    const data = parseObject(frame.data);
    if (typeof data?.delta === "string") tokens += tokenizer.count(data.delta);
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Retrieving a background response settles its hold (once: a second retrieve bills nothing).

function laterResponseMeter(key: string, ledger: CallLedger) {
  return createMeter((response) => {
    const contentType = response.headers.get("content-type") ?? "";
    if (contentType.includes("text/event-stream")) {
      return eventSseTap(
        response,
        {
          final: (event, data) =>
            FINAL_EVENTS.has(event) && data.response
              ? responseOutcome(data.response as Record<string, unknown>)
              : undefined,
          unfinished: () => ({ kind: "hold", flags: ["interrupted"] }),
        },
        (outcome) => {
          if (outcome.kind === "usage") ledger.settleLater(key, outcome);
        },
      );
    }
    return jsonBody(response, (json) => {
      if (json && TERMINAL.has(String(json.status))) {
        const outcome = responseOutcome(json);
        // A cancelled or failed response without usage may still have been billed for what it generated.
        ledger.settleLater(key, outcome.kind === "usage" ? outcome : { kind: "hold", flags: ["no_usage"] });
      }
    });
  });
}

export const responsesRetrieve: LaterHook = {
  path: "responses.retrieve",
  method: "GET",
  url: /\/responses\/([^/]+)$/,
  meter: (key, ledger) => laterResponseMeter(key, ledger),
};

export const responsesCancel: LaterHook = {
  path: "responses.cancel",
  method: "POST",
  url: /\/responses\/([^/]+)\/cancel$/,
  meter: (key, ledger) => laterResponseMeter(key, ledger),
};
