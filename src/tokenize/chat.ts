import { normalizeModelName, perModel } from "../model-names.js";
import { type ImageTokenEstimate, imageTokenEstimate } from "./image-tokens.js";
import { encodingForModel } from "./tokenizer.js";
import type { ChatInputCount, Tokenizer } from "./types.js";

/** The fields of a chat completions request that are billed as input. */
export interface ChatInputRequest {
  model: string;
  messages: unknown;
  tools?: unknown;
  functions?: unknown;
  tool_choice?: unknown;
  function_call?: unknown;
  response_format?: unknown;
}

/** `audioTokens` is the part of `tokens` from `input_audio` parts (billed at the audio input rate). */
export type ChatInputCountWithAudio = ChatInputCount & { audioTokens: number };

type Confidence = ChatInputCount["confidence"];

/*
 * Message overhead. The cookbook rule ("How to count tokens with tiktoken"), exact for the gpt-4o generation
 * and older (checked against gpt-tokenizer's encodeChat): 3 per message (`<|start|>{role}<|message|>…<|end|>`),
 * +1 with a `name`, +3 per request (`<|start|>assistant<|message|>`). Newer models (gpt-5, o-series, unknown)
 * get one more per message and 5 per request: ai-tokenizer's per-model table, fitted to real API usage, has
 * perMessage 4 and baseOverhead 5 for gpt-5.
 */
const COOKBOOK = { perMessage: 3, perRequest: 3 };
const NEWER = { perMessage: 4, perRequest: 5 };
const NAME_OVERHEAD = 1;

/** Per tool call, besides its id, name and arguments (recipient, channel and call markers). */
export const TOOL_CALL_OVERHEAD = 8;

/*
 * Tool definitions. OpenAI renders each function into a TypeScript-like namespace inside the system message:
 *
 *   namespace functions {
 *   // description
 *   type name = (_: {
 *   // property description
 *   prop?: "a" | "b",
 *   }) => any;
 *   } // namespace functions
 *
 * Every piece of text there (names, descriptions, types, enum values) also appears in the JSON of the function
 * definition, which spends at least as much on separators (quotes, `:`, `"type":`, `"properties":`, `{}`, the
 * `required` list) as the rendering spends on `// `, newlines, `?` and `type … = (_: {…}) => any;`. Two places
 * where the rendering can cost more are covered explicitly: enum values (`"a" | "b"` costs about 3 tokens per
 * value where JSON's `"a","b"` can merge to 2) get SCHEMA_ARRAY_ITEM_ALLOWANCE per array element, and every
 * object key gets SCHEMA_KEY_ALLOWANCE for its line. The namespace header/footer and a system message to hold
 * it are TOOLS_FIXED_OVERHEAD; each function's own wrapper is PER_TOOL_OVERHEAD. Checked in the tests against
 * gpt-tokenizer's rendering of the same format and the cookbook's per-property estimate for gpt-4o: this bound
 * is higher on every schema tried.
 */
const TOOLS_FIXED_OVERHEAD = 24;
const PER_TOOL_OVERHEAD = 12;
const SCHEMA_KEY_ALLOWANCE = 1;
const SCHEMA_ARRAY_ITEM_ALLOWANCE = 3;
const RESPONSE_FORMAT_OVERHEAD = 24;
const TOOL_CHOICE_NAMED_OVERHEAD = 6;
const TOOL_CHOICE_STRING_OVERHEAD = 2;

/*
 * Audio (`input_audio`, wav or mp3): the duration is bounded from the size, assuming the lowest MP3 bitrate
 * (8 kbit/s = 1,000 bytes per second; WAV headers give the exact byte rate), and AUDIO_TOKENS_PER_SECOND.
 * OpenAI bills user audio at about 10 tokens per second (1 per 100 ms) and assistant audio at 20; 20 is assumed.
 */
const AUDIO_MIN_BYTES_PER_SECOND = 1_000;
const AUDIO_TOKENS_PER_SECOND = 20;
const WAV_MAX_BYTES_PER_SECOND = 192_000;

/*
 * Files (`file` parts, PDFs): OpenAI adds the extracted text and an image of each page. For inline `file_data`,
 * 1 token per decoded byte is assumed (text streams are compressed, ~4 characters per token). For a `file_id`
 * the content is unknown: the documented maximum of 100 pages, each at FILE_PAGE_TEXT_TOKENS of text plus a
 * high-detail image bound, is assumed. Either way a sound bound is the model's context window.
 */
const FILE_MAX_PAGES = 100;
const FILE_PAGE_TEXT_TOKENS = 2_000;

interface Context {
  tokenizer: Tokenizer;
  model: string;
  imageTokens: number;
  audioTokens: number;
  confidence: Confidence;
  notes: Set<string>;
  images: Map<string | undefined, ImageTokenEstimate>;
}

const RANK: Record<Confidence, number> = { high: 2, medium: 1, low: 0 };

function lower(ctx: Context, to: Confidence, note: string): void {
  if (RANK[to] < RANK[ctx.confidence]) ctx.confidence = to;
  ctx.notes.add(note);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function toJson(value: unknown, path: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`Expected \`${path}\` to be JSON-serializable: ${(error as Error).message}`);
  }
  return json ?? "";
}

/** Object keys and array elements in a JSON value, iteratively (schemas can nest deeply). */
function countNodes(value: unknown): { keys: number; items: number } {
  let keys = 0;
  let items = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      items += node.length;
      for (const item of node) if (typeof item === "object" && item !== null) stack.push(item);
    } else if (typeof node === "object" && node !== null) {
      for (const key of Object.keys(node)) {
        keys++;
        const child = (node as Record<string, unknown>)[key];
        if (typeof child === "object" && child !== null) stack.push(child);
      }
    }
  }
  return { keys, items };
}

function countSchemaLike(ctx: Context, value: unknown, path: string): number {
  const json = toJson(value, path);
  const { keys, items } = countNodes(value);
  return ctx.tokenizer.count(json) + keys * SCHEMA_KEY_ALLOWANCE + items * SCHEMA_ARRAY_ITEM_ALLOWANCE;
}

/** Anything not understood is counted as its JSON text, which lowers the confidence. */
function countUnknown(ctx: Context, value: unknown, path: string, what: string): number {
  lower(ctx, "medium", `${what} counted as its JSON text`);
  return ctx.tokenizer.count(toJson(value, path));
}

const text = (ctx: Context, value: unknown): number =>
  typeof value === "string" ? ctx.tokenizer.count(value) : 0;

function base64Bytes(data: string): number {
  let padding = 0;
  if (data.endsWith("==")) padding = 2;
  else if (data.endsWith("=")) padding = 1;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** WAV byte rate from the RIFF header (offset 28, little-endian), or undefined. */
function wavByteRate(data: string): number | undefined {
  let header: string;
  try {
    header = atob(data.slice(0, 48));
  } catch {
    return undefined;
  }
  if (header.length < 32 || !header.startsWith("RIFF") || header.slice(8, 12) !== "WAVE") return undefined;
  const rate =
    (header.charCodeAt(28) |
      (header.charCodeAt(29) << 8) |
      (header.charCodeAt(30) << 16) |
      (header.charCodeAt(31) << 24)) >>>
    0;
  return rate > 0 ? rate : undefined;
}

function countAudioPart(ctx: Context, part: Record<string, unknown>): number {
  const audio = part.input_audio;
  const data = isRecord(audio) ? audio.data : undefined;
  if (typeof data !== "string") {
    lower(ctx, "low", "an input_audio part without base64 data could not be bounded");
    return 0;
  }
  const bytes = base64Bytes(data);
  const format = isRecord(audio) ? audio.format : undefined;
  const headerRate = format === "wav" ? wavByteRate(data) : undefined;
  // A header claiming an implausibly high rate would shrink the bound: cap it (48 kHz, 16-bit stereo).
  const byteRate = Math.min(Math.max(headerRate ?? 0, AUDIO_MIN_BYTES_PER_SECOND), WAV_MAX_BYTES_PER_SECOND);
  const tokens = Math.ceil((bytes / byteRate) * AUDIO_TOKENS_PER_SECOND);
  lower(
    ctx,
    "medium",
    `input_audio bounded from its size: at most ${AUDIO_TOKENS_PER_SECOND} tokens per second, ` +
      `duration from the WAV byte rate or an 8 kbit/s minimum bitrate`,
  );
  ctx.audioTokens += tokens;
  return tokens;
}

function imageEstimate(ctx: Context, detail: string | undefined): ImageTokenEstimate {
  let estimate = ctx.images.get(detail);
  if (!estimate) {
    estimate = imageTokenEstimate(ctx.model, detail);
    ctx.images.set(detail, estimate);
  }
  return estimate;
}

function countImagePart(ctx: Context, part: Record<string, unknown>): number {
  // Never tokenize the URL: a data URL is megabytes of base64 that OpenAI bills as an image, not as text.
  const image = part.image_url;
  const detail = isRecord(image) && typeof image.detail === "string" ? image.detail : undefined;
  const estimate = imageEstimate(ctx, detail);
  if (estimate.confidence !== "high" || estimate.note !== undefined) {
    lower(ctx, estimate.confidence, estimate.note ?? "image token bound is not documented for this model");
  }
  ctx.imageTokens += estimate.tokens;
  return estimate.tokens;
}

function countFilePart(ctx: Context, part: Record<string, unknown>): number {
  const file = part.file;
  const data = isRecord(file) ? file.file_data : undefined;
  const name = isRecord(file) ? text(ctx, file.filename) : 0;
  if (typeof data === "string") {
    const comma = data.startsWith("data:") ? data.indexOf(",") + 1 : 0;
    lower(ctx, "low", "file part bounded at 1 token per byte of the file (text and page images)");
    return name + base64Bytes(data.slice(comma));
  }
  const perPage = FILE_PAGE_TEXT_TOKENS + imageTokenEstimate(ctx.model, "high").tokens;
  lower(
    ctx,
    "low",
    `file part by file_id: content unknown, assumed ${FILE_MAX_PAGES} pages of ${FILE_PAGE_TEXT_TOKENS} text ` +
      `tokens plus a page image each`,
  );
  return name + FILE_MAX_PAGES * perPage;
}

function countContent(ctx: Context, content: unknown, path: string): number {
  if (content === undefined || content === null) return 0;
  if (typeof content === "string") return ctx.tokenizer.count(content);
  if (!Array.isArray(content))
    return countUnknown(ctx, content, path, `\`content\` of type ${describe(content)}`);
  let tokens = 0;
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const partPath = `${path}[${i}]`;
    if (typeof part === "string") {
      tokens += ctx.tokenizer.count(part);
      continue;
    }
    if (!isRecord(part))
      throw new TypeError(`Expected \`${partPath}\` to be an object, got ${describe(part)}`);
    switch (part.type) {
      case "text":
        tokens +=
          typeof part.text === "string"
            ? ctx.tokenizer.count(part.text)
            : countUnknown(ctx, part, partPath, "a malformed text part");
        break;
      case "refusal":
        tokens +=
          typeof part.refusal === "string"
            ? ctx.tokenizer.count(part.refusal)
            : countUnknown(ctx, part, partPath, "a malformed refusal part");
        break;
      case "image_url":
        tokens += countImagePart(ctx, part);
        break;
      case "input_audio":
        tokens += countAudioPart(ctx, part);
        break;
      case "file":
        tokens += countFilePart(ctx, part);
        break;
      default:
        tokens += countUnknown(ctx, part, partPath, `content part of type ${JSON.stringify(part.type)}`);
    }
  }
  return tokens;
}

function countToolCalls(ctx: Context, calls: unknown, path: string): number {
  if (!Array.isArray(calls)) return countUnknown(ctx, calls, path, "`tool_calls` that is not an array");
  let tokens = 0;
  for (let i = 0; i < calls.length; i++) {
    const call: unknown = calls[i];
    if (!isRecord(call)) {
      tokens += countUnknown(ctx, call, `${path}[${i}]`, "a malformed tool call");
      continue;
    }
    tokens += TOOL_CALL_OVERHEAD + text(ctx, call.id);
    const fn = isRecord(call.function) ? call.function : isRecord(call.custom) ? call.custom : undefined;
    if (fn) tokens += text(ctx, fn.name) + text(ctx, fn.arguments) + text(ctx, fn.input);
    else tokens += countUnknown(ctx, call, `${path}[${i}]`, "a tool call of an unknown type");
  }
  return tokens;
}

function countMessage(ctx: Context, message: unknown, path: string, perMessage: number): number {
  if (!isRecord(message))
    throw new TypeError(`Expected \`${path}\` to be an object, got ${describe(message)}`);
  const { role } = message;
  if (typeof role !== "string")
    throw new TypeError(`Expected \`${path}.role\` to be a string, got ${describe(role)}`);
  let tokens = perMessage + ctx.tokenizer.count(role) + countContent(ctx, message.content, `${path}.content`);
  if (typeof message.name === "string") tokens += NAME_OVERHEAD + ctx.tokenizer.count(message.name);
  if (typeof message.refusal === "string") tokens += ctx.tokenizer.count(message.refusal);
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    tokens += countToolCalls(ctx, message.tool_calls, `${path}.tool_calls`);
  }
  if (isRecord(message.function_call)) {
    const call = message.function_call;
    tokens += TOOL_CALL_OVERHEAD + text(ctx, call.name) + text(ctx, call.arguments);
  }
  if (typeof message.tool_call_id === "string") tokens += ctx.tokenizer.count(message.tool_call_id);
  if (message.audio !== undefined && message.audio !== null) {
    lower(ctx, "low", "a previous assistant audio response (referenced by id) could not be counted");
  }
  return tokens;
}

function countToolDefinitions(ctx: Context, tools: unknown, key: "tools" | "functions"): number {
  if (tools === undefined || tools === null) return 0;
  if (!Array.isArray(tools))
    throw new TypeError(`Expected \`${key}\` to be an array, got ${describe(tools)}`);
  if (tools.length === 0) return 0;
  let tokens = TOOLS_FIXED_OVERHEAD;
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    const path = `${key}[${i}]`;
    if (!isRecord(tool)) throw new TypeError(`Expected \`${path}\` to be an object, got ${describe(tool)}`);
    let definition: unknown = tool;
    const fn = key === "functions" ? tool : tool.type === "function" ? tool.function : undefined;
    if (isRecord(fn)) {
      // `strict` and other flags are not rendered into the prompt.
      definition = { name: fn.name, description: fn.description, parameters: fn.parameters };
    } else if (tool.type === "custom" && isRecord(tool.custom)) {
      definition = tool.custom;
    }
    tokens += PER_TOOL_OVERHEAD + countSchemaLike(ctx, definition, path);
  }
  return tokens;
}

function countToolChoice(ctx: Context, choice: unknown, key: "tool_choice" | "function_call"): number {
  if (choice === undefined || choice === null || choice === "auto") return 0;
  if (typeof choice === "string") return TOOL_CHOICE_STRING_OVERHEAD;
  if (!isRecord(choice)) return countUnknown(ctx, choice, key, `\`${key}\` of type ${describe(choice)}`);
  const named = isRecord(choice.function)
    ? choice.function
    : isRecord(choice.custom)
      ? choice.custom
      : choice;
  if (typeof named.name === "string") return TOOL_CHOICE_NAMED_OVERHEAD + ctx.tokenizer.count(named.name);
  return TOOL_CHOICE_NAMED_OVERHEAD + ctx.tokenizer.count(toJson(choice, key));
}

function countResponseFormat(ctx: Context, format: unknown): number {
  if (!isRecord(format) || format.type !== "json_schema") return 0;
  if (!isRecord(format.json_schema))
    return countUnknown(ctx, format, "response_format", "a malformed response_format");
  return RESPONSE_FORMAT_OVERHEAD + countSchemaLike(ctx, format.json_schema, "response_format.json_schema");
}

const overheadFor = perModel((model: string): { perMessage: number; perRequest: number } => {
  const name = normalizeModelName(model);
  if (encodingForModel(name) === "cl100k_base" || /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5)/.test(name)) {
    return COOKBOOK;
  }
  return NEWER;
});

/**
 * An upper bound on the prompt tokens OpenAI bills for a chat completions request: messages (text, images by
 * the image rules, audio and files by documented bounds), tool and function definitions, tool_choice and a
 * json_schema response format. Linear in the size of the request; long strings hit the tokenizer's memo.
 * Throws a TypeError naming the field when the request is malformed (`messages` not an array, a message or
 * content part not an object, a role not a string, tools not an array of objects).
 */
export function countChatInput(tokenizer: Tokenizer, request: ChatInputRequest): ChatInputCountWithAudio {
  const { messages } = request;
  if (!Array.isArray(messages)) {
    throw new TypeError(`Expected \`messages\` to be an array, got ${describe(messages)}`);
  }
  const ctx: Context = {
    tokenizer,
    model: request.model,
    imageTokens: 0,
    audioTokens: 0,
    confidence: "high",
    notes: new Set(),
    images: new Map(),
  };
  const { perMessage, perRequest } = overheadFor(request.model);
  let tokens = perRequest;
  for (let i = 0; i < messages.length; i++)
    tokens += countMessage(ctx, messages[i], `messages[${i}]`, perMessage);
  tokens += countToolDefinitions(ctx, request.tools, "tools");
  tokens += countToolDefinitions(ctx, request.functions, "functions");
  tokens += countToolChoice(ctx, request.tool_choice, "tool_choice");
  tokens += countToolChoice(ctx, request.function_call, "function_call");
  tokens += countResponseFormat(ctx, request.response_format);
  return {
    tokens,
    imageTokens: ctx.imageTokens,
    audioTokens: ctx.audioTokens,
    confidence: ctx.confidence,
    notes: [...ctx.notes],
  };
}
