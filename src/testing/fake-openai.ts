import { countChatInput, encodingForModel, loadTokenizer } from "../tokenize/index.js";
import type { FakeErrorDetails, FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitEvery, splitInto, splitWords } from "./fake-text.js";

/**
 * OpenAI chat completions on the real wire format (checked against openai 6.x: `ChatCompletion`,
 * `ChatCompletionChunk` and the SDK's SSE parser). Only types come from fake-providers.ts, so there is no
 * import cycle at run time.
 *
 * The fake's token model, deterministic on purpose so tests can assert exact numbers:
 * - prompt tokens: spendguard's token count of the request (the model's tokenizer, chat overhead, tools);
 * - completion tokens: one per word of text, one per tool call (its name) and one per 4 characters of tool
 *   arguments, summed over the `n` choices.
 */

export interface OpenAIChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: {
    cached_tokens?: number;
    audio_tokens?: number;
    cache_write_tokens?: number;
  };
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
  };
}

export interface OpenAIChatReply extends FakeReply {
  /** Sent instead of content (`message.refusal`, `delta.refusal`); content is then null. */
  refusal?: string;
  /**
   * Merged over the computed usage (nested details too). `null`: no usage at all. Completion tokens above
   * the request's output limit are clamped to it, as a real provider never exceeds it. Reasoning tokens are
   * not added to completion tokens for you: set both.
   */
  usage?: OpenAIChatUsage | null;
  /** Sent as `service_tier` (default `"default"`). */
  serviceTier?: "auto" | "default" | "flex" | "scale" | "priority";
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter" | "function_call";
}

export const DEFAULT_CHAT_CONTENT = "Hello from the fake provider.";

const ARGUMENT_PIECE_CHARS = 4;
const SYSTEM_FINGERPRINT = "fp_fake";

export function openaiRoutes(): FakeRoute<OpenAIChatReply>[] {
  return [{ name: "openai.chat", method: "POST", path: "/v1/chat/completions", handle: handleChat }];
}

/** `{ error: { message, type, param, code } }` with the type and code OpenAI uses for the status. */
export function openaiErrorBody(status: number, details: FakeErrorDetails = {}): { error: FakeErrorDetails } {
  const defaults = defaultError(status);
  return {
    error: {
      message: details.message ?? defaults.message,
      type: details.type ?? defaults.type,
      param: details.param ?? null,
      code: details.code === undefined ? defaults.code : details.code,
    },
  };
}

function defaultError(status: number): { message: string; type: string; code: string | null } {
  if (status === 401)
    return { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" };
  if (status === 404) return { message: "Not found.", type: "invalid_request_error", code: null };
  if (status === 429)
    return { message: "Rate limit reached.", type: "requests", code: "rate_limit_exceeded" };
  if (status >= 500) {
    return {
      message: "The server had an error while processing your request.",
      type: "server_error",
      code: null,
    };
  }
  return { message: `Fake error with status ${status}.`, type: "invalid_request_error", code: null };
}

// ---------------------------------------------------------------------------------------------------------

interface ChatParams {
  model: string;
  messages: unknown[];
  stream: boolean;
  includeUsage: boolean;
  /** The smaller of `max_completion_tokens` and `max_tokens`, per choice. */
  limit: number | undefined;
  n: number;
}

interface PlannedChoice {
  text: string | null;
  textKind: "content" | "refusal";
  /** The text split into its stream deltas. */
  textDeltas: string[];
  toolCalls: { id: string; name: string; argumentPieces: string[] }[];
  tokens: number;
  finishReason: string;
}

async function handleChat(exchange: FakeExchange<OpenAIChatReply>): Promise<void> {
  const { reply, request, seq } = exchange;
  const params = readChatParams(request.body);
  if ("error" in params) return exchange.json(400, openaiErrorBody(400, params.error));
  if (reply.status !== undefined && reply.status >= 400) {
    return exchange.json(reply.status, openaiErrorBody(reply.status, reply.error));
  }

  const choices = Array.from({ length: params.n }, () => planChoice(reply, params.limit, seq));
  const promptTokens = reply.usage?.prompt_tokens ?? (await countPromptTokens(request.body, params.model));
  const usage = buildUsage(reply, params, choices, promptTokens);
  const head = {
    id: reply.id ?? `chatcmpl-${seq}`,
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? params.model,
    service_tier: reply.serviceTier ?? "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };

  if (!params.stream) {
    return exchange.json(reply.status ?? 200, {
      id: head.id,
      object: "chat.completion",
      created: head.created,
      model: head.model,
      choices: choices.map((choice, index) => ({
        index,
        message: {
          role: "assistant",
          content: choice.textKind === "content" ? choice.text : null,
          refusal: choice.textKind === "refusal" ? choice.text : null,
          ...(choice.toolCalls.length > 0 && {
            tool_calls: choice.toolCalls.map((call) => ({
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: call.argumentPieces.join("") },
            })),
          }),
          annotations: [],
        },
        logprobs: null,
        finish_reason: choice.finishReason,
      })),
      ...(usage && { usage }),
      service_tier: head.service_tier,
      system_fingerprint: head.system_fingerprint,
    });
  }

  const chunk = (choicesField: unknown[], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      id: head.id,
      object: "chat.completion.chunk",
      created: head.created,
      model: head.model,
      service_tier: head.service_tier,
      system_fingerprint: head.system_fingerprint,
      choices: choicesField,
      ...(params.includeUsage && { usage: null }),
      ...extra,
    });
  const deltaFrame = (index: number, delta: Record<string, unknown>): SseFrame => ({
    data: chunk([{ index, delta, logprobs: null, finish_reason: null }]),
    delta: true,
  });

  const frames: SseFrame[] = choices.map((_, index) => ({
    data: chunk([
      {
        index,
        delta: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]),
  }));
  const perChoice = choices.map((choice, index) =>
    streamDeltas(choice).map((delta) => deltaFrame(index, delta)),
  );
  // Real streams interleave the choices, one choice per chunk.
  const longest = Math.max(0, ...perChoice.map((list) => list.length));
  for (let step = 0; step < longest; step += 1) {
    for (const list of perChoice) {
      const frame = list[step];
      if (frame) frames.push(frame);
    }
  }
  for (const [index, choice] of choices.entries()) {
    frames.push({ data: chunk([{ index, delta: {}, logprobs: null, finish_reason: choice.finishReason }]) });
  }
  if (params.includeUsage && usage) frames.push({ data: chunk([], { usage }) });
  frames.push({ data: "[DONE]" });

  const errorFrame: SseFrame = {
    data: JSON.stringify(openaiErrorBody(500, { type: "server_error", ...reply.error })),
  };
  return exchange.sse(frames, { errorFrame });
}

function readChatParams(body: unknown): ChatParams | { error: FakeErrorDetails } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { error: { message: "We could not parse the JSON body of your request." } };
  }
  const params = body as Record<string, unknown>;
  if (typeof params.model !== "string") {
    return { error: { message: "you must provide a model parameter", param: "model" } };
  }
  if (!Array.isArray(params.messages)) {
    return { error: { message: "Missing required parameter: 'messages'.", param: "messages" } };
  }
  const stream = params.stream === true;
  // The real API refuses this, and a wrapper that injects stream_options must only do it on streams.
  if (!stream && params.stream_options != null) {
    return {
      error: {
        message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        param: "stream_options",
      },
    };
  }
  const streamOptions = params.stream_options as { include_usage?: unknown } | null | undefined;
  const limits = [params.max_completion_tokens, params.max_tokens].filter(
    (value): value is number => typeof value === "number" && value >= 0,
  );
  const n = typeof params.n === "number" && Number.isInteger(params.n) && params.n > 0 ? params.n : 1;
  return {
    model: params.model,
    messages: params.messages,
    stream,
    includeUsage: stream && streamOptions?.include_usage === true,
    limit: limits.length > 0 ? Math.min(...limits) : undefined,
    n,
  };
}

function planChoice(reply: OpenAIChatReply, limit: number | undefined, seq: number): PlannedChoice {
  const textKind = reply.refusal !== undefined ? "refusal" : "content";
  const fullText =
    reply.refusal ??
    reply.content ??
    (reply.toolCalls && reply.toolCalls.length > 0 ? null : DEFAULT_CHAT_CONTENT);
  let room = limit ?? Number.POSITIVE_INFINITY;
  let truncated = false;

  const words = fullText === null ? [] : splitWords(fullText);
  const keptWords = words.slice(0, room);
  room -= keptWords.length;
  if (keptWords.length < words.length) truncated = true;

  const toolCalls: PlannedChoice["toolCalls"] = [];
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    if (room <= 0) {
      truncated = true;
      break;
    }
    room -= 1;
    const pieces = splitEvery(call.arguments, ARGUMENT_PIECE_CHARS);
    const keptPieces = pieces.slice(0, room);
    room -= keptPieces.length;
    if (keptPieces.length < pieces.length) truncated = true;
    toolCalls.push({ id: `call_${seq}_${index}`, name: call.name, argumentPieces: keptPieces });
  }

  const text = fullText === null ? null : keptWords.join("");
  const tokens = keptWords.length + toolCalls.reduce((sum, call) => sum + 1 + call.argumentPieces.length, 0);
  const finishReason = truncated
    ? "length"
    : (reply.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"));
  const textDeltas =
    text === null ? [] : reply.chunks === undefined ? keptWords : splitInto(text, reply.chunks);
  return { text, textKind, textDeltas, toolCalls, tokens, finishReason };
}

function streamDeltas(choice: PlannedChoice): Record<string, unknown>[] {
  const deltas: Record<string, unknown>[] = choice.textDeltas.map((piece) => ({ [choice.textKind]: piece }));
  for (const [index, call] of choice.toolCalls.entries()) {
    deltas.push({
      tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
    });
    for (const piece of call.argumentPieces) {
      deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  }
  return deltas;
}

function buildUsage(
  reply: OpenAIChatReply,
  params: ChatParams,
  choices: PlannedChoice[],
  promptTokens: number,
): Record<string, unknown> | undefined {
  if (reply.usage === null) return undefined;
  const override = reply.usage ?? {};
  let completionTokens =
    override.completion_tokens ?? choices.reduce((sum, choice) => sum + choice.tokens, 0);
  if (params.limit !== undefined) completionTokens = Math.min(completionTokens, params.limit * params.n);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: override.total_tokens ?? promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0, ...override.prompt_tokens_details },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
      ...override.completion_tokens_details,
    },
  };
}

/**
 * Prompt tokens as OpenAI counts them: the model's tokenizer with the chat overhead rules (spendguard's own
 * counter, so an offline run reports what the real API would for plain text).
 */
async function countPromptTokens(body: unknown, model: string): Promise<number> {
  const tokenizer = await loadTokenizer(encodingForModel(model));
  const request = body as Record<string, unknown>;
  return countChatInput(tokenizer, {
    model,
    messages: request.messages,
    tools: request.tools,
    functions: request.functions,
    tool_choice: request.tool_choice,
    response_format: request.response_format,
  }).tokens;
}
