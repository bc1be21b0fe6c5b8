import { encodingForModel, imageTokenEstimate, loadTokenizer, type Tokenizer } from "../tokenize/index.js";
import { DEFAULT_CHAT_CONTENT } from "./fake-openai.js";
import {
  asObject,
  invalidBody,
  type JsonObject,
  mergeUsage,
  namedFrame,
  sendError,
  sendScriptedError,
  TINY_PNG_BASE64,
  unixNow,
} from "./fake-openai-shared.js";
import type { FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitEvery, splitInto, splitWords } from "./fake-text.js";

/**
 * The OpenAI Responses API on the real wire format (checked against openai 6.x: `Response`,
 * `ResponseStreamEvent`, `ResponseStream` and its accumulator).
 *
 * Token model, deterministic so tests can assert exact numbers:
 * - input tokens: the model's tokenizer over the text of `instructions` and `input` (strings, message
 *   contents, `input_text` / `output_text` parts, function calls and their outputs), 4 tokens per message
 *   or item, 3 for the reply, the JSON of `tools` and of a `json_schema` text format, and spendguard's image
 *   token bound per `input_image`. A `previous_response_id` adds that response's input and visible output;
 * - output tokens: one per word of text, one per function call plus one per 4 characters of its arguments,
 *   plus the scripted reasoning tokens (reasoning tokens are part of the output tokens, as in the API).
 */

export type OpenAIResponsesBuiltInCall =
  | "web_search_call"
  | "file_search_call"
  | "code_interpreter_call"
  | "image_generation_call";

export interface OpenAIResponsesUsage {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number };
  total_tokens?: number;
}

export interface OpenAIResponsesReply extends FakeReply {
  /**
   * Merged over the computed usage (nested details too); `null`: `usage` is null. Scripted reasoning tokens
   * add a reasoning item and count in the output tokens unless `output_tokens` is scripted too. Output
   * tokens never exceed `max_output_tokens`.
   */
  usage?: OpenAIResponsesUsage | null;
  /** The tier reported in the finished response (default: the requested one, `default` for `auto`). */
  serviceTier?: "auto" | "default" | "flex" | "scale" | "priority";
  /**
   * How the response ends (default: `incomplete` when `max_output_tokens` cut it, else `completed`). A
   * `failed` response carries `error` (from the reply's `error`, default `server_error`).
   */
  responseStatus?: "completed" | "incomplete" | "failed";
  /** `incomplete_details.reason` of an incomplete response (default `max_output_tokens`). */
  incompleteReason?: "max_output_tokens" | "content_filter";
  /** Built-in tool calls to put in the output, before the message, one item each. */
  builtInCalls?: OpenAIResponsesBuiltInCall[];
  /** `background: true`: how many retrieves answer `in_progress` before the response is done (default 1). */
  backgroundPolls?: number;
}

/** Retrieve, cancel and delete of a stored response: only the shared fields (errors, delays, faults). */
export type OpenAIResponsesRetrieveReply = FakeReply;

export interface OpenAIInputTokensReply extends FakeReply {
  /** Reported instead of the computed count. */
  inputTokens?: number;
}

const MESSAGE_OVERHEAD = 4;
const REPLY_PRIMING = 3;
const ARGUMENT_PIECE_CHARS = 4;

interface StoredResponse {
  /** The finished response, usage included. */
  final: JsonObject;
  /** Every stream event of the response, `sequence_number` = index. */
  events: StreamEvent[];
  background: boolean;
  backgroundPolls: number;
  polls: number;
  done: boolean;
  cancelled: boolean;
  /** Input plus visible output tokens: what a follow-up turn pays again as input. */
  contextTokens: number;
}

interface StreamEvent {
  data: JsonObject & { type: string; sequence_number: number };
  delta: boolean;
}

export function openaiResponsesRoutes(): FakeRoute<any>[] {
  const stored = new Map<string, StoredResponse>();
  const responses: FakeRoute<OpenAIResponsesReply> = {
    name: "openai.responses",
    method: "POST",
    path: "/v1/responses",
    handle: (exchange) => handleCreate(exchange, stored),
  };
  const inputTokens: FakeRoute<OpenAIInputTokensReply> = {
    name: "openai.responses.inputTokens",
    method: "POST",
    path: "/v1/responses/input_tokens",
    handle: (exchange) => handleInputTokens(exchange, stored),
  };
  const retrieve: FakeRoute<OpenAIResponsesRetrieveReply> = {
    name: "openai.responses.retrieve",
    method: "GET",
    path: /^\/v1\/responses\/[^/]+$/,
    handle: (exchange) => handleRetrieve(exchange, stored),
  };
  const cancel: FakeRoute<OpenAIResponsesRetrieveReply> = {
    name: "openai.responses.retrieve",
    method: "POST",
    path: /^\/v1\/responses\/[^/]+\/cancel$/,
    handle: (exchange) => handleCancel(exchange, stored),
  };
  const remove: FakeRoute<OpenAIResponsesRetrieveReply> = {
    name: "openai.responses.retrieve",
    method: "DELETE",
    path: /^\/v1\/responses\/[^/]+$/,
    handle: (exchange) => handleDelete(exchange, stored),
  };
  const compact: FakeRoute<OpenAIResponsesReply> = {
    name: "openai.responses",
    method: "POST",
    path: "/v1/responses/compact",
    handle: (exchange) => handleCompact(exchange),
  };
  return [{ ...responses, reset: () => stored.clear() }, compact, inputTokens, retrieve, cancel, remove];
}

/** `responses.compact`: a `response.compaction` with one summary message, billed like a response. */
async function handleCompact(exchange: FakeExchange<OpenAIResponsesReply>): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  if (typeof body.model !== "string") {
    return sendError(exchange, 400, { message: "Missing required parameter: 'model'.", param: "model" });
  }
  if (await sendScriptedError(exchange)) return;
  const summary = reply.content ?? "Summary of the conversation so far.";
  const inputTokens = reply.usage?.input_tokens ?? (await countResponsesInput(body, body.model));
  const outputTokens = summary.split(/\s+/).filter(Boolean).length;
  const usage =
    reply.usage === null
      ? undefined
      : mergeUsage(
          {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + outputTokens,
          },
          (reply.usage ?? {}) as JsonObject,
        );
  return exchange.json(200, {
    id: reply.id ?? `cmp_${seq}`,
    object: "response.compaction",
    created_at: Math.floor(Date.now() / 1000),
    output: [
      {
        id: `msg_${seq}`,
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: summary, annotations: [] }],
      },
    ],
    ...(usage && { usage }),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Create

async function handleCreate(
  exchange: FakeExchange<OpenAIResponsesReply>,
  stored: Map<string, StoredResponse>,
): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  if (typeof body.model !== "string") {
    return sendError(exchange, 400, { message: "Missing required parameter: 'model'.", param: "model" });
  }
  if (await sendScriptedError(exchange)) return;

  let previousTokens = 0;
  if (typeof body.previous_response_id === "string") {
    const previous = stored.get(body.previous_response_id);
    if (!previous) {
      return sendError(exchange, 404, {
        message: `Previous response with id '${body.previous_response_id}' not found.`,
        param: "previous_response_id",
      });
    }
    previousTokens = previous.contextTokens;
  }

  const model = body.model;
  const maxOutputTokens =
    typeof body.max_output_tokens === "number" && body.max_output_tokens >= 0
      ? body.max_output_tokens
      : undefined;
  const plan = planOutput(reply, maxOutputTokens, seq);
  const inputTokens = reply.usage?.input_tokens ?? previousTokens + (await countResponsesInput(body, model));
  const usage = buildUsage(reply, plan, inputTokens, maxOutputTokens);
  const status = reply.responseStatus ?? (plan.truncated ? "incomplete" : "completed");
  const background = body.background === true;
  const createdAt = unixNow();
  const requestedTier = typeof body.service_tier === "string" ? body.service_tier : "auto";

  const base = {
    id: reply.id ?? `resp_${seq}`,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background,
    completed_at: null,
    error: null,
    incomplete_details: null,
    model: reply.model ?? model,
    output: [],
    ...echoedParams(body, maxOutputTokens),
    service_tier: requestedTier,
    usage: null,
  };
  const snapshot = (fields: JsonObject): JsonObject => ({ ...base, ...fields });
  const final = snapshot({
    status,
    completed_at: status === "completed" ? createdAt : null,
    error:
      status === "failed"
        ? {
            code: reply.error?.code ?? "server_error",
            message: reply.error?.message ?? "The model failed to generate a response.",
          }
        : null,
    incomplete_details:
      status === "incomplete" ? { reason: reply.incompleteReason ?? "max_output_tokens" } : null,
    output: plan.items.map((item) => item.final),
    service_tier: reply.serviceTier ?? (requestedTier === "auto" ? "default" : requestedTier),
    usage,
  });
  const events = buildEvents(plan, {
    created: snapshot({ status: background ? "queued" : "in_progress" }),
    inProgress: snapshot({}),
    final,
  });
  const record: StoredResponse = {
    final,
    events,
    background,
    backgroundPolls: Math.max(0, reply.backgroundPolls ?? 1),
    polls: 0,
    // A streamed response finishes while it streams, background or not.
    done: !background || body.stream === true,
    cancelled: false,
    contextTokens: (usage ? Number(usage.input_tokens) : inputTokens) + plan.visibleTokens,
  };
  if (body.store !== false) stored.set(String(base.id), record);

  if (body.stream === true) return streamEvents(exchange, events, -1);
  if (background) return exchange.json(200, snapshot({ status: "queued" }));
  return exchange.json(200, final);
}

/** The request parameters a `Response` object echoes back, with the API's defaults. */
function echoedParams(body: JsonObject, maxOutputTokens: number | undefined): JsonObject {
  const or = (key: string, fallback: unknown): unknown => (body[key] === undefined ? fallback : body[key]);
  return {
    instructions: or("instructions", null),
    max_output_tokens: maxOutputTokens ?? null,
    metadata: or("metadata", {}),
    parallel_tool_calls: or("parallel_tool_calls", true),
    previous_response_id: or("previous_response_id", null),
    reasoning: or("reasoning", { effort: null, summary: null }),
    store: or("store", true),
    temperature: or("temperature", 1),
    text: or("text", { format: { type: "text" }, verbosity: "medium" }),
    tool_choice: or("tool_choice", "auto"),
    tools: or("tools", []),
    top_p: or("top_p", 1),
    truncation: or("truncation", "disabled"),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Output planning

interface PlannedItem {
  /** The item as it appears in the finished response. */
  final: JsonObject & { id: string; type: string };
  /** The item as `response.output_item.added` shows it. */
  added: JsonObject;
  kind: "reasoning" | "builtin" | "message" | "function";
  /** Text deltas (message) or argument pieces (function call). */
  pieces: string[];
}

interface OutputPlan {
  items: PlannedItem[];
  /** Tokens of text and function calls, reasoning excluded. */
  visibleTokens: number;
  reasoningTokens: number;
  truncated: boolean;
}

function planOutput(reply: OpenAIResponsesReply, limit: number | undefined, seq: number): OutputPlan {
  const items: PlannedItem[] = [];
  const reasoningTokens = reply.usage?.output_tokens_details?.reasoning_tokens ?? 0;
  let room = (limit ?? Number.POSITIVE_INFINITY) - reasoningTokens;
  let truncated = room < 0;
  room = Math.max(0, room);

  if (reasoningTokens > 0) {
    const item = { id: `rs_${seq}_0`, type: "reasoning", summary: [] };
    items.push({ final: item, added: item, kind: "reasoning", pieces: [] });
  }
  for (const [index, type] of (reply.builtInCalls ?? []).entries()) {
    items.push(builtInItem(type, `${seq}_${index}`));
  }

  const text =
    reply.content ?? (reply.toolCalls && reply.toolCalls.length > 0 ? undefined : DEFAULT_CHAT_CONTENT);
  let visibleTokens = 0;
  if (text !== undefined) {
    const words = splitWords(text);
    const kept = words.slice(0, room);
    room -= kept.length;
    visibleTokens += kept.length;
    const cut = kept.length < words.length;
    if (cut) truncated = true;
    if (kept.length > 0 || words.length === 0) {
      const keptText = kept.join("");
      const id = `msg_${seq}_${items.length}`;
      items.push({
        kind: "message",
        pieces: reply.chunks === undefined ? kept : splitInto(keptText, reply.chunks),
        added: { id, type: "message", status: "in_progress", content: [], role: "assistant" },
        final: {
          id,
          type: "message",
          status: cut ? "incomplete" : "completed",
          content: [outputText(keptText)],
          role: "assistant",
        },
      });
    }
  }

  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    if (room <= 0) {
      truncated = true;
      break;
    }
    room -= 1;
    const pieces = splitEvery(call.arguments, ARGUMENT_PIECE_CHARS);
    const kept = pieces.slice(0, room);
    room -= kept.length;
    visibleTokens += 1 + kept.length;
    const cut = kept.length < pieces.length;
    if (cut) truncated = true;
    const id = `fc_${seq}_${items.length}`;
    const fields = { id, type: "function_call", call_id: `call_${seq}_${index}`, name: call.name };
    items.push({
      kind: "function",
      pieces: kept,
      added: { ...fields, status: "in_progress", arguments: "" },
      final: { ...fields, status: cut ? "incomplete" : "completed", arguments: kept.join("") },
    });
  }
  return { items, visibleTokens, reasoningTokens, truncated };
}

function outputText(text: string): JsonObject {
  return { type: "output_text", annotations: [], logprobs: [], text };
}

function builtInItem(type: OpenAIResponsesBuiltInCall, suffix: string): PlannedItem {
  const kind = "builtin" as const;
  switch (type) {
    case "web_search_call": {
      const fields = { id: `ws_${suffix}`, type, action: { type: "search", query: "fake search query" } };
      return {
        kind,
        pieces: [],
        added: { ...fields, status: "in_progress" },
        final: { ...fields, status: "completed" },
      };
    }
    case "file_search_call": {
      const fields = { id: `fs_${suffix}`, type, queries: ["fake search query"] };
      return {
        kind,
        pieces: [],
        added: { ...fields, status: "in_progress", results: null },
        final: { ...fields, status: "completed", results: null },
      };
    }
    case "code_interpreter_call": {
      const fields = { id: `ci_${suffix}`, type, code: "print(6 * 7)", container_id: "cntr_fake" };
      return {
        kind,
        pieces: [],
        added: { ...fields, status: "in_progress", outputs: null },
        final: { ...fields, status: "completed", outputs: [{ type: "logs", logs: "42\n" }] },
      };
    }
    case "image_generation_call": {
      const fields = { id: `ig_${suffix}`, type };
      return {
        kind,
        pieces: [],
        added: { ...fields, status: "in_progress", result: null },
        final: {
          ...fields,
          status: "completed",
          result: TINY_PNG_BASE64,
          background: "opaque",
          output_format: "png",
          quality: "medium",
          size: "1024x1024",
          revised_prompt: "A fake picture.",
        },
      };
    }
  }
}

/** The progress events a built-in tool call sends between its `added` and `done` events. */
const BUILT_IN_PROGRESS: Record<OpenAIResponsesBuiltInCall, readonly string[]> = {
  web_search_call: [
    "response.web_search_call.in_progress",
    "response.web_search_call.searching",
    "response.web_search_call.completed",
  ],
  file_search_call: [
    "response.file_search_call.in_progress",
    "response.file_search_call.searching",
    "response.file_search_call.completed",
  ],
  code_interpreter_call: [
    "response.code_interpreter_call.in_progress",
    "response.code_interpreter_call.interpreting",
    "response.code_interpreter_call.completed",
  ],
  image_generation_call: [
    "response.image_generation_call.in_progress",
    "response.image_generation_call.generating",
    "response.image_generation_call.completed",
  ],
};

function buildUsage(
  reply: OpenAIResponsesReply,
  plan: OutputPlan,
  inputTokens: number,
  limit: number | undefined,
): JsonObject | null {
  if (reply.usage === null) return null;
  const override = reply.usage ?? {};
  let outputTokens = override.output_tokens ?? plan.visibleTokens + plan.reasoningTokens;
  if (limit !== undefined) outputTokens = Math.min(outputTokens, limit);
  return mergeUsage(
    {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    },
    { ...override, input_tokens: inputTokens, output_tokens: outputTokens } as JsonObject,
    ["input_tokens", "output_tokens"],
  );
}

// ---------------------------------------------------------------------------------------------------------
// Stream events

function buildEvents(
  plan: OutputPlan,
  snapshots: { created: JsonObject; inProgress: JsonObject; final: JsonObject },
): StreamEvent[] {
  const events: StreamEvent[] = [];
  const push = (type: string, fields: JsonObject, delta = false): void => {
    events.push({ data: { type, sequence_number: events.length, ...fields }, delta });
  };

  push("response.created", { response: snapshots.created });
  push("response.in_progress", { response: snapshots.inProgress });
  for (const [outputIndex, item] of plan.items.entries()) {
    const at = { output_index: outputIndex };
    const itemId = { item_id: item.final.id };
    push("response.output_item.added", { ...at, item: item.added });
    if (item.kind === "builtin") {
      const progress = BUILT_IN_PROGRESS[item.final.type as OpenAIResponsesBuiltInCall];
      for (const type of progress) push(type, { ...at, ...itemId });
    } else if (item.kind === "message") {
      const part = { ...at, ...itemId, content_index: 0 };
      const text = item.pieces.join("");
      push("response.content_part.added", { ...part, part: outputText("") });
      for (const piece of item.pieces) {
        push("response.output_text.delta", { ...part, delta: piece, logprobs: [] }, true);
      }
      push("response.output_text.done", { ...part, text, logprobs: [] });
      push("response.content_part.done", { ...part, part: outputText(text) });
    } else if (item.kind === "function") {
      for (const piece of item.pieces) {
        push("response.function_call_arguments.delta", { ...at, ...itemId, delta: piece }, true);
      }
      push("response.function_call_arguments.done", {
        ...at,
        ...itemId,
        name: item.final.name,
        arguments: item.final.arguments,
      });
    }
    push("response.output_item.done", { ...at, item: item.final });
  }
  const status = snapshots.final.status;
  const terminal =
    status === "incomplete"
      ? "response.incomplete"
      : status === "failed"
        ? "response.failed"
        : "response.completed";
  push(terminal, { response: snapshots.final });
  return events;
}

function streamEvents(
  exchange: FakeExchange<FakeReply>,
  events: readonly StreamEvent[],
  startingAfter: number,
): Promise<void> {
  const sent = events.filter((event) => event.data.sequence_number > startingAfter);
  const first = sent[0]?.data.sequence_number ?? 0;
  const frames: SseFrame[] = sent.map((event) => namedFrame(event.data, event.delta));
  const { reply } = exchange;
  // The documented event has code/message/param at the top level; the API has also been seen sending them
  // nested under `error`, which is the shape that makes the SDK throw. Both are sent.
  const errorFrame = (index: number): SseFrame => {
    const error = {
      type: reply.error?.type ?? "server_error",
      code: reply.error?.code ?? "server_error",
      message: reply.error?.message ?? "The server had an error while processing your request.",
      param: reply.error?.param ?? null,
    };
    return namedFrame({
      type: "error",
      sequence_number: first + index,
      code: error.code,
      message: error.message,
      param: error.param,
      error,
    });
  };
  return exchange.sse(frames, { errorFrame });
}

// ---------------------------------------------------------------------------------------------------------
// Retrieve, cancel, delete

function storedFor(
  exchange: FakeExchange<FakeReply>,
  stored: Map<string, StoredResponse>,
): { id: string; record: StoredResponse } | undefined {
  const id = decodeURIComponent(exchange.request.path.split("/")[3] ?? "");
  const record = stored.get(id);
  return record ? { id, record } : undefined;
}

function notFound(exchange: FakeExchange<FakeReply>, id: string): Promise<void> {
  return sendError(exchange, 404, { message: `Response with id '${id}' not found.`, param: null });
}

function responseId(exchange: FakeExchange<FakeReply>): string {
  return decodeURIComponent(exchange.request.path.split("/")[3] ?? "");
}

async function handleRetrieve(
  exchange: FakeExchange<OpenAIResponsesRetrieveReply>,
  stored: Map<string, StoredResponse>,
): Promise<void> {
  if (await sendScriptedError(exchange)) return;
  const found = storedFor(exchange, stored);
  if (!found) return notFound(exchange, responseId(exchange));
  const { record } = found;
  const { query } = exchange.request;

  if (query.stream === "true") {
    if (record.cancelled) {
      return streamEvents(exchange, record.events.slice(0, 2), Number(query.starting_after ?? -1));
    }
    // Streaming a background response follows it to the end.
    record.done = true;
    const startingAfter = query.starting_after === undefined ? -1 : Number(query.starting_after);
    return streamEvents(exchange, record.events, Number.isFinite(startingAfter) ? startingAfter : -1);
  }
  if (record.cancelled) return exchange.json(200, cancelledSnapshot(record));
  if (!record.done && record.polls < record.backgroundPolls) {
    record.polls += 1;
    return exchange.json(200, pendingSnapshot(record, "in_progress"));
  }
  record.done = true;
  return exchange.json(200, record.final);
}

async function handleCancel(
  exchange: FakeExchange<OpenAIResponsesRetrieveReply>,
  stored: Map<string, StoredResponse>,
): Promise<void> {
  if (await sendScriptedError(exchange)) return;
  const found = storedFor(exchange, stored);
  if (!found) return notFound(exchange, responseId(exchange));
  const { record } = found;
  if (!record.background) {
    return sendError(exchange, 400, {
      message: "Only responses created with background=true can be cancelled.",
      param: null,
    });
  }
  if (record.done) return exchange.json(200, record.final);
  record.cancelled = true;
  return exchange.json(200, cancelledSnapshot(record));
}

async function handleDelete(
  exchange: FakeExchange<OpenAIResponsesRetrieveReply>,
  stored: Map<string, StoredResponse>,
): Promise<void> {
  if (await sendScriptedError(exchange)) return;
  const found = storedFor(exchange, stored);
  if (!found) return notFound(exchange, responseId(exchange));
  stored.delete(found.id);
  return exchange.json(200, { id: found.id, object: "response.deleted", deleted: true });
}

function pendingSnapshot(record: StoredResponse, status: string): JsonObject {
  return {
    ...record.final,
    status,
    completed_at: null,
    error: null,
    incomplete_details: null,
    output: [],
    usage: null,
  };
}

function cancelledSnapshot(record: StoredResponse): JsonObject {
  return pendingSnapshot(record, "cancelled");
}

// ---------------------------------------------------------------------------------------------------------
// Input tokens

async function handleInputTokens(
  exchange: FakeExchange<OpenAIInputTokensReply>,
  stored: Map<string, StoredResponse>,
): Promise<void> {
  if (await sendScriptedError(exchange)) return;
  const body = asObject(exchange.request.body) ?? {};
  const model = typeof body.model === "string" ? body.model : "gpt-4o";
  const previous =
    typeof body.previous_response_id === "string" ? stored.get(body.previous_response_id) : undefined;
  const inputTokens =
    exchange.reply.inputTokens ?? (previous?.contextTokens ?? 0) + (await countResponsesInput(body, model));
  return exchange.json(200, { object: "response.input_tokens", input_tokens: inputTokens });
}

/** Input tokens of a Responses request (see the token model at the top of this file). */
export async function countResponsesInput(body: JsonObject, model: string): Promise<number> {
  const tokenizer = await loadTokenizer(encodingForModel(model));
  let tokens = REPLY_PRIMING;
  if (typeof body.instructions === "string") tokens += MESSAGE_OVERHEAD + tokenizer.count(body.instructions);
  const input = body.input;
  if (typeof input === "string") tokens += MESSAGE_OVERHEAD + tokenizer.count(input);
  else if (Array.isArray(input)) {
    for (const item of input) tokens += countInputItem(tokenizer, model, item);
  }
  if (Array.isArray(body.tools) && body.tools.length > 0)
    tokens += tokenizer.count(JSON.stringify(body.tools));
  const format = asObject(asObject(body.text)?.format);
  if (format?.type === "json_schema") tokens += tokenizer.count(JSON.stringify(format));
  return tokens;
}

function countInputItem(tokenizer: Tokenizer, model: string, value: unknown): number {
  const item = asObject(value);
  if (!item) return 0;
  const type = item.type;
  if (type === "reasoning") return 0;
  if (type === "message" || (type === undefined && typeof item.role === "string")) {
    return MESSAGE_OVERHEAD + countContent(tokenizer, model, item.content);
  }
  if (type === "function_call") {
    return (
      MESSAGE_OVERHEAD +
      tokenizer.count(String(item.name ?? "")) +
      tokenizer.count(String(item.arguments ?? ""))
    );
  }
  if (type === "function_call_output") return MESSAGE_OVERHEAD + countContent(tokenizer, model, item.output);
  return MESSAGE_OVERHEAD + tokenizer.count(JSON.stringify(item));
}

function countContent(tokenizer: Tokenizer, model: string, content: unknown): number {
  if (typeof content === "string") return tokenizer.count(content);
  if (!Array.isArray(content)) return 0;
  let tokens = 0;
  for (const value of content) {
    const part = asObject(value);
    if (!part) continue;
    if (typeof part.text === "string") tokens += tokenizer.count(part.text);
    else if (typeof part.refusal === "string") tokens += tokenizer.count(part.refusal);
    else if (part.type === "input_image") {
      tokens += imageTokenEstimate(model, typeof part.detail === "string" ? part.detail : undefined).tokens;
    }
  }
  return tokens;
}
