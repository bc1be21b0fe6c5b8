import { asObject, countTokens, type JsonObject, mergeUsage, namedFrame } from "./fake-openai-shared.js";
import type { FakeErrorDetails, FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitEvery, splitInto, splitWords } from "./fake-text.js";

/**
 * Anthropic's Messages API on the real wire format (checked against @anthropic-ai/sdk 1.14: `Message`,
 * `Usage`, `RawMessageStreamEvent`, `MessageTokensCount`, `MessageBatch`, `ModelInfo` and the SDK's SSE
 * parser, which ignores frames without an `event:` line and throws on `event: error`).
 *
 * The fake's token model, deterministic so tests can assert exact numbers:
 * - input: spendguard's token count of every text in tools, system and messages (no per-message overhead);
 *   an image or a non-text document counts ATTACHMENT_TOKENS; earlier thinking blocks count nothing (the API
 *   strips them). `input_tokens` excludes the cached part, as on the real API;
 * - cache: each `cache_control` breakpoint closes a segment of the prompt (tools → system → messages). A
 *   segment whose whole prefix was seen before on this server is a cache read, otherwise a cache write (1h
 *   when the breakpoint says `ttl: "1h"`, else 5m). There is no minimum cacheable length;
 * - output: one token per word of thinking and of text, and per tool call one for its name plus one per 4
 *   characters of its JSON input. Output stops at `max_tokens` (`stop_reason: "max_tokens"`); thinking also
 *   stops at `budget_tokens`.
 */

// ---------------------------------------------------------------------------------------------------------
// Reply types

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
  server_tool_use?: { web_search_requests?: number; web_fetch_requests?: number } | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
  service_tier?: "standard" | "priority" | "batch" | null;
  speed?: "standard" | "fast" | null;
  inference_geo?: string | null;
}

export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

export interface AnthropicMessageReply extends FakeReply {
  /** The thinking text when the request enables thinking (default: a short fixed sentence). */
  thinking?: string;
  /**
   * Merged over the computed usage (nested objects key by key), in the JSON response and in both stream
   * events. Nothing is clamped: a scripted number is sent as is.
   */
  usage?: AnthropicUsage;
  /** Used when the output was not cut by `max_tokens` or a stop sequence. */
  finishReason?: AnthropicStopReason;
  /** `usage.service_tier` (default `standard`; `batch` inside a message batch). */
  serviceTier?: "standard" | "priority" | "batch";
}

/** `messages.countTokens`: free. `inputTokens` replaces the computed count. */
export interface AnthropicCountTokensReply extends FakeReply {
  inputTokens?: number;
}

export interface AnthropicBatchReply extends FakeReply {
  /** Retrieves that answer `in_progress` before the batch has ended (default 0: the first retrieve ends it). */
  pollsUntilDone?: number;
  /**
   * Per `custom_id`: the reply that request gets (a scripted `status` makes it `errored`), or `canceled` /
   * `expired`. Requests not listed succeed with the batch reply's `content` / `toolCalls`, else the default.
   */
  results?: Record<string, AnthropicMessageReply | "canceled" | "expired">;
}

/** Retrieve, list, cancel, delete and results of batches: only the shared fields (errors, delays, faults). */
export type AnthropicBatchRetrieveReply = FakeReply;

export interface AnthropicModelsReply extends FakeReply {
  /** The model ids `models.list` returns (default: a fixed list of current models). */
  models?: string[];
}

// ---------------------------------------------------------------------------------------------------------

export const DEFAULT_ANTHROPIC_CONTENT = "Hello from the fake provider.";
export const DEFAULT_ANTHROPIC_THINKING = "Let me think about this step by step.";
/** Input tokens of an image or a non-text document block. */
export const ATTACHMENT_TOKENS = 1_600;

const ARGUMENT_PIECE_CHARS = 4;
const MIN_THINKING_BUDGET = 1_024;

interface AnthropicState {
  /** Prompt prefixes seen (cache keys). */
  cache: Set<string>;
  batches: Map<string, StoredBatch>;
}

/** Only Anthropic's SDK sends this header: it tells `GET /v1/models` apart from OpenAI's. */
const isAnthropic = (request: { headers: Readonly<Record<string, string>> }): boolean =>
  request.headers["anthropic-version"] !== undefined;

export function anthropicRoutes(): FakeRoute<any>[] {
  const state: AnthropicState = { cache: new Set(), batches: new Map() };
  const free = <R extends FakeReply>(
    name: "anthropic.models" | "anthropic.batches.retrieve",
    method: string,
    path: string | RegExp,
    handle: (exchange: FakeExchange<R>) => Promise<void>,
  ): FakeRoute<R> => ({
    name,
    method,
    path,
    when: isAnthropic,
    handle: async (exchange) => {
      if (await sendScriptedError(exchange)) return;
      return handle(exchange);
    },
  });
  return [
    {
      name: "anthropic.messages",
      method: "POST",
      path: "/v1/messages",
      handle: (exchange: FakeExchange<AnthropicMessageReply>) => handleMessages(exchange, state),
      reset: () => {
        state.cache.clear();
        state.batches.clear();
      },
    },
    {
      name: "anthropic.countTokens",
      method: "POST",
      path: "/v1/messages/count_tokens",
      handle: handleCountTokens,
    },
    {
      name: "anthropic.batches",
      method: "POST",
      path: "/v1/messages/batches",
      handle: (exchange: FakeExchange<AnthropicBatchReply>) => createBatch(exchange, state),
    },
    free("anthropic.batches.retrieve", "GET", "/v1/messages/batches", (exchange) =>
      listBatches(exchange, state),
    ),
    free("anthropic.batches.retrieve", "GET", /^\/v1\/messages\/batches\/[^/]+$/, (exchange) =>
      retrieveBatch(exchange, state),
    ),
    free("anthropic.batches.retrieve", "GET", /^\/v1\/messages\/batches\/[^/]+\/results$/, (exchange) =>
      batchResults(exchange, state),
    ),
    free("anthropic.batches.retrieve", "POST", /^\/v1\/messages\/batches\/[^/]+\/cancel$/, (exchange) =>
      cancelBatch(exchange, state),
    ),
    free("anthropic.batches.retrieve", "DELETE", /^\/v1\/messages\/batches\/[^/]+$/, (exchange) =>
      deleteBatch(exchange, state),
    ),
    free("anthropic.models", "GET", "/v1/models", listModels),
    free("anthropic.models", "GET", /^\/v1\/models\/[^/]+$/, retrieveModel),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Errors

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  409: "conflict_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const ERROR_MESSAGES: Record<string, string> = {
  invalid_request_error: "Invalid request.",
  authentication_error: "invalid x-api-key",
  billing_error: "Your credit balance is too low to access the Anthropic API.",
  permission_error: "Your API key does not have permission to use the specified resource.",
  not_found_error: "The requested resource could not be found.",
  timeout_error: "Request timed out.",
  conflict_error: "Conflict.",
  request_too_large: "Request exceeds the maximum allowed number of bytes.",
  rate_limit_error: "Number of request tokens has exceeded your per-minute rate limit.",
  api_error: "Internal server error",
  overloaded_error: "Overloaded",
};

/** `{ type: "error", error: { type, message }, request_id }` with the error type Anthropic uses for the status. */
export function anthropicErrorBody(
  status: number,
  details: FakeErrorDetails = {},
  requestId: string | null = null,
): JsonObject {
  const type = details.type ?? ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const message = details.message ?? ERROR_MESSAGES[type] ?? `Fake error with status ${status}.`;
  return { type: "error", error: { type, message }, request_id: requestId };
}

function sendError(
  exchange: FakeExchange<FakeReply>,
  status: number,
  details: FakeErrorDetails,
): Promise<void> {
  const { request } = exchange;
  return exchange.json(status, anthropicErrorBody(status, details, request.id), { "request-id": request.id });
}

async function sendScriptedError(exchange: FakeExchange<FakeReply>): Promise<boolean> {
  const { status, error } = exchange.reply;
  if (status === undefined || status < 400) return false;
  await sendError(exchange, status, error ?? {});
  return true;
}

function invalid(exchange: FakeExchange<FakeReply>, message: string): Promise<void> {
  return sendError(exchange, 400, { message });
}

// ---------------------------------------------------------------------------------------------------------
// Input counting and the prompt cache

interface Breakpoint {
  /** Input tokens from the start of the prompt through this breakpoint's block. */
  end: number;
  ttl: "5m" | "1h";
  key: string;
}

interface InputCount {
  total: number;
  breakpoints: Breakpoint[];
}

/** Tokens of tools, system and messages, and where the cache breakpoints fall. */
async function countAnthropicInput(body: JsonObject, model: string): Promise<InputCount> {
  let total = 0;
  const breakpoints: Breakpoint[] = [];
  const prefix: string[] = [model];

  const add = async (piece: unknown, tokens: number): Promise<void> => {
    total += tokens;
    const object = asObject(piece);
    const { cache_control: cacheControl, ...rest } = object ?? {};
    prefix.push(JSON.stringify(object ? rest : piece));
    const control = asObject(cacheControl);
    if (control) {
      breakpoints.push({ end: total, ttl: control.ttl === "1h" ? "1h" : "5m", key: prefix.join("\n") });
    }
  };

  for (const tool of Array.isArray(body.tools) ? body.tools : []) {
    const { cache_control: _, ...rest } = asObject(tool) ?? {};
    await add(tool, await countTokens(model, JSON.stringify(rest)));
  }
  if (typeof body.system === "string") {
    await add({ system: body.system }, await countTokens(model, body.system));
  } else if (Array.isArray(body.system)) {
    for (const block of body.system) await add(block, await blockTokens(model, block));
  }
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    const { role, content } = asObject(message) ?? {};
    if (typeof content === "string") {
      await add({ role, content }, await countTokens(model, content));
    } else if (Array.isArray(content)) {
      for (const block of content) await add(block, await blockTokens(model, block));
    }
  }
  return { total, breakpoints };
}

async function blockTokens(model: string, value: unknown): Promise<number> {
  const block = asObject(value);
  if (!block) return typeof value === "string" ? countTokens(model, value) : 0;
  switch (block.type) {
    case "text":
      return countTokens(model, typeof block.text === "string" ? block.text : "");
    case "image":
      return ATTACHMENT_TOKENS;
    case "document": {
      const source = asObject(block.source);
      if (source?.type === "text" && typeof source.data === "string") return countTokens(model, source.data);
      if (source?.type === "content" && Array.isArray(source.content))
        return sumBlocks(model, source.content);
      return ATTACHMENT_TOKENS;
    }
    case "tool_use":
      return (
        (await countTokens(model, String(block.name ?? ""))) +
        (await countTokens(model, JSON.stringify(block.input ?? {})))
      );
    case "tool_result":
      if (typeof block.content === "string") return countTokens(model, block.content);
      return Array.isArray(block.content) ? sumBlocks(model, block.content) : 0;
    case "thinking":
    case "redacted_thinking":
      return 0;
    default: {
      const { cache_control: _, ...rest } = block;
      return countTokens(model, JSON.stringify(rest));
    }
  }
}

async function sumBlocks(model: string, blocks: readonly unknown[]): Promise<number> {
  let sum = 0;
  for (const block of blocks) sum += await blockTokens(model, block);
  return sum;
}

interface InputUsage {
  input: number;
  cacheRead: number;
  cache5m: number;
  cache1h: number;
}

/** Splits the input into uncached, read and written parts, and remembers the written prefixes. */
function applyCache(count: InputCount, cache: Set<string>): InputUsage {
  const usage: InputUsage = { input: 0, cacheRead: 0, cache5m: 0, cache1h: 0 };
  let start = 0;
  for (const breakpoint of count.breakpoints) {
    const segment = breakpoint.end - start;
    start = breakpoint.end;
    if (cache.has(breakpoint.key)) {
      usage.cacheRead += segment;
    } else {
      cache.add(breakpoint.key);
      if (breakpoint.ttl === "1h") usage.cache1h += segment;
      else usage.cache5m += segment;
    }
  }
  usage.input = count.total - start;
  return usage;
}

// ---------------------------------------------------------------------------------------------------------
// Messages

interface MessageParams {
  model: string;
  maxTokens: number;
  stream: boolean;
  thinking: { budget: number; omitted: boolean } | undefined;
  stopSequences: string[];
  speed: "standard" | "fast";
  inferenceGeo: string | null;
}

function readMessageParams(value: unknown): MessageParams | { error: string } {
  const body = asObject(value);
  if (!body) return { error: "Request body must be a JSON object." };
  if (typeof body.model !== "string") return { error: "model: Field required" };
  if (typeof body.max_tokens !== "number") return { error: "max_tokens: Field required" };
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return { error: "max_tokens: Input should be greater than or equal to 1" };
  }
  if (!Array.isArray(body.messages)) return { error: "messages: Field required" };
  const maxTokens = body.max_tokens;
  let thinking: MessageParams["thinking"];
  const config = asObject(body.thinking);
  if (config?.type === "enabled") {
    const budget = config.budget_tokens;
    if (typeof budget !== "number" || budget < MIN_THINKING_BUDGET) {
      return {
        error: `thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_THINKING_BUDGET}`,
      };
    }
    if (budget >= maxTokens) return { error: "`max_tokens` must be greater than `thinking.budget_tokens`." };
    thinking = { budget, omitted: config.display === "omitted" };
  } else if (config?.type === "adaptive") {
    thinking = { budget: maxTokens, omitted: config.display === "omitted" };
  }
  const stopSequences = Array.isArray(body.stop_sequences)
    ? body.stop_sequences.filter((item): item is string => typeof item === "string" && item !== "")
    : [];
  return {
    model: body.model,
    maxTokens,
    stream: body.stream === true,
    thinking,
    stopSequences,
    speed: body.speed === "fast" ? "fast" : "standard",
    inferenceGeo: typeof body.inference_geo === "string" ? body.inference_geo : null,
  };
}

type PlannedBlock =
  | { type: "thinking"; pieces: string[]; omitted: boolean; signature: string }
  | { type: "text"; pieces: string[] }
  | { type: "tool_use"; id: string; name: string; pieces: string[] };

interface PlannedMessage {
  blocks: PlannedBlock[];
  outputTokens: number;
  thinkingTokens: number;
  stopReason: string;
  stopSequence: string | null;
}

function planMessage(reply: AnthropicMessageReply, params: MessageParams, id: string): PlannedMessage {
  let room = params.maxTokens;
  let truncated = false;
  const blocks: PlannedBlock[] = [];
  let thinkingTokens = 0;

  if (params.thinking) {
    const words = splitWords(reply.thinking ?? DEFAULT_ANTHROPIC_THINKING);
    const kept = words.slice(0, Math.min(room, params.thinking.budget));
    thinkingTokens = kept.length;
    room -= kept.length;
    const pieces = reply.chunks === undefined ? kept : splitInto(kept.join(""), reply.chunks);
    const signature = Buffer.from(`fake-signature:${id}`).toString("base64");
    blocks.push({ type: "thinking", pieces, omitted: params.thinking.omitted, signature });
  }

  let text =
    reply.content ?? (reply.toolCalls && reply.toolCalls.length > 0 ? null : DEFAULT_ANTHROPIC_CONTENT);
  let stopSequence: string | null = null;
  if (text !== null) {
    let cut = -1;
    for (const sequence of params.stopSequences) {
      const at = text.indexOf(sequence);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        stopSequence = sequence;
      }
    }
    if (cut >= 0) text = text.slice(0, cut);
  }
  let textTokens = 0;
  if (text !== null) {
    const words = splitWords(text);
    const kept = words.slice(0, room);
    if (kept.length < words.length) truncated = true;
    textTokens = kept.length;
    room -= kept.length;
    // The stop sequence is generated (and billed) but not returned; the limit can come first.
    if (stopSequence !== null) {
      if (truncated || room === 0) {
        truncated = true;
        stopSequence = null;
      } else {
        textTokens += 1;
        room -= 1;
      }
    }
    const keptText = kept.join("");
    blocks.push({
      type: "text",
      pieces: reply.chunks === undefined ? kept : splitInto(keptText, reply.chunks),
    });
  }

  let toolTokens = 0;
  if (stopSequence === null) {
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      if (room <= 0) {
        truncated = true;
        break;
      }
      room -= 1;
      const pieces = splitEvery(call.arguments, ARGUMENT_PIECE_CHARS);
      const kept = pieces.slice(0, room);
      room -= kept.length;
      if (kept.length < pieces.length) truncated = true;
      toolTokens += 1 + kept.length;
      blocks.push({
        type: "tool_use",
        id: `toolu_${id.replace(/^msg_/, "")}_${index}`,
        name: call.name,
        pieces: kept,
      });
    }
  }

  const hasTools = blocks.some((block) => block.type === "tool_use");
  const stopReason = truncated
    ? "max_tokens"
    : stopSequence !== null
      ? "stop_sequence"
      : (reply.finishReason ?? (hasTools ? "tool_use" : "end_turn"));
  return {
    blocks,
    outputTokens: thinkingTokens + textTokens + toolTokens,
    thinkingTokens,
    stopReason,
    stopSequence,
  };
}

function parseToolInput(pieces: readonly string[]): unknown {
  try {
    return JSON.parse(pieces.join(""));
  } catch {
    return {};
  }
}

function fullBlock(block: PlannedBlock): JsonObject {
  if (block.type === "thinking") {
    return {
      type: "thinking",
      thinking: block.omitted ? "" : block.pieces.join(""),
      signature: block.signature,
    };
  }
  if (block.type === "text") return { type: "text", text: block.pieces.join(""), citations: null };
  return {
    type: "tool_use",
    id: block.id,
    name: block.name,
    input: parseToolInput(block.pieces),
    caller: { type: "direct" },
  };
}

function emptyBlock(block: PlannedBlock): JsonObject {
  if (block.type === "thinking") return { type: "thinking", thinking: "", signature: "" };
  if (block.type === "text") return { type: "text", text: "", citations: null };
  return { type: "tool_use", id: block.id, name: block.name, input: {}, caller: { type: "direct" } };
}

/** A block's stream deltas; `content` marks the ones the stream faults count (not the signature). */
function blockDeltas(block: PlannedBlock): { delta: JsonObject; content: boolean }[] {
  if (block.type === "thinking") {
    const pieces = block.omitted ? [] : block.pieces;
    return [
      ...pieces.map((thinking) => ({ delta: { type: "thinking_delta", thinking }, content: true })),
      { delta: { type: "signature_delta", signature: block.signature }, content: false },
    ];
  }
  if (block.type === "text") {
    return block.pieces.map((text) => ({ delta: { type: "text_delta", text }, content: true }));
  }
  return block.pieces.map((piece) => ({
    delta: { type: "input_json_delta", partial_json: piece },
    content: true,
  }));
}

/** Builds one message: validation is the caller's. Shared by `messages.create` and message batches. */
async function buildMessage(
  body: JsonObject,
  params: MessageParams,
  reply: AnthropicMessageReply,
  id: string,
  cache: Set<string>,
  tier: "standard" | "priority" | "batch",
): Promise<{ message: JsonObject; plan: PlannedMessage; usage: JsonObject }> {
  const count = await countAnthropicInput(body, params.model);
  const input = applyCache(count, cache);
  const plan = planMessage(reply, params, id);
  const computed: JsonObject = {
    input_tokens: input.input,
    cache_creation_input_tokens: input.cache5m + input.cache1h,
    cache_read_input_tokens: input.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: input.cache5m, ephemeral_1h_input_tokens: input.cache1h },
    output_tokens: plan.outputTokens,
    output_tokens_details: params.thinking ? { thinking_tokens: plan.thinkingTokens } : null,
    server_tool_use: null,
    service_tier: reply.serviceTier ?? tier,
    speed: params.speed,
    inference_geo: params.inferenceGeo,
  };
  const usage = mergeUsage(computed, reply.usage as JsonObject | undefined);
  const message = {
    id,
    type: "message",
    role: "assistant",
    model: reply.model ?? params.model,
    content: plan.blocks.map(fullBlock),
    stop_reason: plan.stopReason,
    stop_sequence: plan.stopSequence,
    stop_details: null,
    container: null,
    usage,
  };
  return { message, plan, usage };
}

async function handleMessages(
  exchange: FakeExchange<AnthropicMessageReply>,
  state: AnthropicState,
): Promise<void> {
  const { reply, request, seq } = exchange;
  const params = readMessageParams(request.body);
  if ("error" in params) return invalid(exchange, params.error);
  if (await sendScriptedError(exchange)) return;

  const id = reply.id ?? `msg_${seq}`;
  const { message, plan, usage } = await buildMessage(
    request.body as JsonObject,
    params,
    reply,
    id,
    state.cache,
    "standard",
  );
  const headers = { "request-id": request.id };
  if (!params.stream) return exchange.json(200, message, headers);

  const outputTokens = Number(usage.output_tokens ?? 0);
  const frames: SseFrame[] = [
    namedFrame({
      type: "message_start",
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: Math.min(1, outputTokens) },
      },
    }),
    namedFrame({ type: "ping" }),
  ];
  for (const [index, block] of plan.blocks.entries()) {
    if (index > 0) frames.push(namedFrame({ type: "ping" }));
    frames.push(namedFrame({ type: "content_block_start", index, content_block: emptyBlock(block) }));
    for (const { delta, content } of blockDeltas(block)) {
      frames.push(namedFrame({ type: "content_block_delta", index, delta }, content));
    }
    frames.push(namedFrame({ type: "content_block_stop", index }));
  }
  frames.push(
    namedFrame({
      type: "message_delta",
      delta: {
        stop_reason: plan.stopReason,
        stop_sequence: plan.stopSequence,
        stop_details: null,
        container: null,
      },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: outputTokens,
        server_tool_use: usage.server_tool_use,
        output_tokens_details: usage.output_tokens_details,
      },
    }),
    namedFrame({ type: "message_stop" }),
  );
  const errorFrame: SseFrame = {
    event: "error",
    data: JSON.stringify(anthropicErrorBody(529, reply.error ?? {}, request.id)),
  };
  return exchange.sse(frames, { errorFrame, headers });
}

// ---------------------------------------------------------------------------------------------------------
// Count tokens

async function handleCountTokens(exchange: FakeExchange<AnthropicCountTokensReply>): Promise<void> {
  const { reply, request } = exchange;
  const body = asObject(request.body);
  if (!body) return invalid(exchange, "Request body must be a JSON object.");
  if (typeof body.model !== "string") return invalid(exchange, "model: Field required");
  if (!Array.isArray(body.messages)) return invalid(exchange, "messages: Field required");
  if (await sendScriptedError(exchange)) return;
  const inputTokens = reply.inputTokens ?? (await countAnthropicInput(body, body.model)).total;
  return exchange.json(200, { input_tokens: inputTokens }, { "request-id": request.id });
}

// ---------------------------------------------------------------------------------------------------------
// Message batches

type BatchOutcome =
  | { type: "succeeded"; message: JsonObject }
  | { type: "errored"; error: JsonObject }
  | { type: "canceled" }
  | { type: "expired" };

interface StoredBatch {
  batch: JsonObject & { id: string; processing_status: string };
  polls: number;
  pollsUntilDone: number;
  results: { customId: string; outcome: BatchOutcome }[];
  canceled: boolean;
}

const BATCH_EXPIRY_MS = 24 * 60 * 60 * 1000;

function isoNow(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

async function createBatch(
  exchange: FakeExchange<AnthropicBatchReply>,
  state: AnthropicState,
): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalid(exchange, "Request body must be a JSON object.");
  if (!Array.isArray(body.requests) || body.requests.length === 0) {
    return invalid(exchange, "requests: List should have at least 1 item after validation, not 0");
  }
  const items: { customId: string; body: JsonObject; params: MessageParams }[] = [];
  for (const [index, item] of body.requests.entries()) {
    const entry = asObject(item);
    if (typeof entry?.custom_id !== "string")
      return invalid(exchange, `requests.${index}.custom_id: Field required`);
    const params = readMessageParams(entry.params);
    if ("error" in params) return invalid(exchange, `requests.${index}.params.${params.error}`);
    if (params.stream)
      return invalid(exchange, `requests.${index}.params.stream: streaming is not supported in batches`);
    items.push({ customId: entry.custom_id, body: entry.params as JsonObject, params });
  }
  if (await sendScriptedError(exchange)) return;

  const results: StoredBatch["results"] = [];
  for (const [index, item] of items.entries()) {
    const scripted = reply.results?.[item.customId];
    if (scripted === "canceled" || scripted === "expired") {
      results.push({ customId: item.customId, outcome: { type: scripted } });
      continue;
    }
    const itemReply: AnthropicMessageReply = scripted ?? {
      content: reply.content,
      toolCalls: reply.toolCalls,
    };
    if (itemReply.status !== undefined && itemReply.status >= 400) {
      const error = anthropicErrorBody(itemReply.status, itemReply.error ?? {}, `${request.id}_${index}`);
      results.push({ customId: item.customId, outcome: { type: "errored", error } });
      continue;
    }
    const id = itemReply.id ?? `msg_${seq}_${index}`;
    const { message } = await buildMessage(item.body, item.params, itemReply, id, state.cache, "batch");
    results.push({ customId: item.customId, outcome: { type: "succeeded", message } });
  }

  const batch = {
    id: reply.id ?? `msgbatch_${seq}`,
    type: "message_batch",
    processing_status: "in_progress",
    request_counts: { processing: items.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: null,
    created_at: isoNow(),
    expires_at: isoNow(BATCH_EXPIRY_MS),
    archived_at: null,
    cancel_initiated_at: null,
    results_url: null,
  };
  state.batches.set(batch.id, {
    batch,
    polls: 0,
    pollsUntilDone: Math.max(0, reply.pollsUntilDone ?? 0),
    results,
    canceled: false,
  });
  return exchange.json(200, batch, { "request-id": request.id });
}

function batchId(exchange: FakeExchange<FakeReply>): string {
  return decodeURIComponent(exchange.request.path.split("/")[4] ?? "");
}

function storedBatch(exchange: FakeExchange<FakeReply>, state: AnthropicState): StoredBatch | undefined {
  return state.batches.get(batchId(exchange));
}

function batchNotFound(exchange: FakeExchange<FakeReply>): Promise<void> {
  return sendError(exchange, 404, { message: `Message batch ${batchId(exchange)} not found.` });
}

/** Where the SDK fetches results from: this server, as the `Host` header names it. */
function resultsUrl(exchange: FakeExchange<FakeReply>, id: string): string {
  const host = exchange.request.headers.host ?? "127.0.0.1";
  return `http://${host}/v1/messages/batches/${encodeURIComponent(id)}/results`;
}

/** One retrieve: in_progress for `pollsUntilDone` retrieves, then ended (a cancel ends it at once). */
function advanceBatch(stored: StoredBatch, exchange: FakeExchange<FakeReply>): void {
  const { batch } = stored;
  if (batch.processing_status === "ended") return;
  if (!stored.canceled && stored.polls < stored.pollsUntilDone) {
    stored.polls += 1;
    return;
  }
  if (stored.canceled) {
    for (const result of stored.results) {
      if (result.outcome.type === "succeeded") result.outcome = { type: "canceled" };
    }
  }
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (const result of stored.results) counts[result.outcome.type] += 1;
  Object.assign(batch, {
    processing_status: "ended",
    request_counts: counts,
    ended_at: isoNow(),
    results_url: resultsUrl(exchange, batch.id),
  });
}

async function retrieveBatch(exchange: FakeExchange<FakeReply>, state: AnthropicState): Promise<void> {
  const stored = storedBatch(exchange, state);
  if (!stored) return batchNotFound(exchange);
  advanceBatch(stored, exchange);
  return exchange.json(200, stored.batch, { "request-id": exchange.request.id });
}

async function listBatches(exchange: FakeExchange<FakeReply>, state: AnthropicState): Promise<void> {
  const data = [...state.batches.values()].map((stored) => stored.batch).reverse();
  return exchange.json(
    200,
    { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null },
    { "request-id": exchange.request.id },
  );
}

async function batchResults(exchange: FakeExchange<FakeReply>, state: AnthropicState): Promise<void> {
  const stored = storedBatch(exchange, state);
  if (!stored) return batchNotFound(exchange);
  if (stored.batch.processing_status !== "ended") {
    return invalid(exchange, `Message batch ${stored.batch.id} has not ended yet.`);
  }
  const lines = stored.results.map(({ customId, outcome }) =>
    JSON.stringify({ custom_id: customId, result: outcome }),
  );
  return exchange.send(200, `${lines.join("\n")}\n`, "application/binary", {
    "request-id": exchange.request.id,
  });
}

async function cancelBatch(exchange: FakeExchange<FakeReply>, state: AnthropicState): Promise<void> {
  const stored = storedBatch(exchange, state);
  if (!stored) return batchNotFound(exchange);
  if (stored.batch.processing_status === "in_progress") {
    stored.canceled = true;
    Object.assign(stored.batch, { processing_status: "canceling", cancel_initiated_at: isoNow() });
  }
  return exchange.json(200, stored.batch, { "request-id": exchange.request.id });
}

async function deleteBatch(exchange: FakeExchange<FakeReply>, state: AnthropicState): Promise<void> {
  const stored = storedBatch(exchange, state);
  if (!stored) return batchNotFound(exchange);
  if (stored.batch.processing_status !== "ended") {
    return invalid(exchange, `Message batch ${stored.batch.id} cannot be deleted while it is processing.`);
  }
  state.batches.delete(stored.batch.id);
  return exchange.json(
    200,
    { id: stored.batch.id, type: "message_batch_deleted" },
    { "request-id": exchange.request.id },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Models

const DEFAULT_MODELS = [
  "claude-opus-5-5",
  "claude-sonnet-5-5",
  "claude-haiku-5-5",
  "claude-opus-4-8",
  "claude-sonnet-4-6",
  "claude-haiku-4-5",
];

const MODEL_CREATED_AT = "2026-01-01T00:00:00Z";

function modelInfo(id: string): JsonObject & { id: string } {
  const words = id.replace(/^claude-/, "").split("-");
  const name = words[0] ?? id;
  const version = words.slice(1).join(".");
  return {
    id,
    type: "model",
    display_name: `Claude ${name.charAt(0).toUpperCase()}${name.slice(1)}${version ? ` ${version}` : ""}`,
    created_at: MODEL_CREATED_AT,
    lifecycle: "active",
    deprecated_at: null,
    retires_at: null,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    capabilities: null,
    line: null,
  };
}

async function listModels(exchange: FakeExchange<AnthropicModelsReply>): Promise<void> {
  const data = (exchange.reply.models ?? DEFAULT_MODELS).map(modelInfo);
  return exchange.json(
    200,
    { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null },
    { "request-id": exchange.request.id },
  );
}

async function retrieveModel(exchange: FakeExchange<AnthropicModelsReply>): Promise<void> {
  const id = decodeURIComponent(exchange.request.path.slice("/v1/models/".length));
  const known = exchange.reply.models;
  if (known && !known.includes(id)) return sendError(exchange, 404, { message: `model: ${id}` });
  return exchange.json(200, modelInfo(id), { "request-id": exchange.request.id });
}
