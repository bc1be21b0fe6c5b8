import { countChatInput, encodingForModel, loadTokenizer } from "../tokenize/index.js";
import { DEFAULT_CHAT_CONTENT, type OpenAIChatUsage } from "./fake-openai.js";
import { countResponsesInput } from "./fake-openai-responses.js";
import {
  asObject,
  countTokens,
  errorFrame,
  invalidBody,
  type JsonObject,
  mergeUsage,
  positiveInt,
  sendError,
  sendScriptedError,
  stringField,
  unixNow,
} from "./fake-openai-shared.js";
import type { FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitInto, splitWords } from "./fake-text.js";
import { asMultipart } from "./multipart.js";

/**
 * OpenAI legacy completions, embeddings, batches and the free endpoints (models, moderations, files) on the
 * real wire format (checked against openai 6.x: `Completion`, `CreateEmbeddingResponse`, `Batch`, `Model`,
 * `ModerationCreateResponse`, `FileObject` and their pages).
 */

// ---------------------------------------------------------------------------------------------------------
// Reply types

export interface OpenAICompletionReply extends FakeReply {
  /** Merged over the computed usage (nested details too); `null`: no usage. */
  usage?: OpenAIChatUsage | null;
  finishReason?: "stop" | "length" | "content_filter";
}

export interface OpenAIEmbeddingReply extends FakeReply {
  /** Merged over the computed usage; `null`: no usage field. */
  usage?: { prompt_tokens?: number; total_tokens?: number } | null;
}

export interface OpenAIBatchUsage {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number };
  total_tokens?: number;
}

export interface OpenAIBatchReply extends FakeReply {
  /** Merged over the usage computed from the input file (zero when the file was not uploaded here). */
  usage?: OpenAIBatchUsage | null;
  /** Retrieves that answer `in_progress` before the batch is done (default 0: the first retrieve completes). */
  pollsUntilDone?: number;
  /** Merged over the counts from the input file (default: every request completed). */
  requestCounts?: { total?: number; completed?: number; failed?: number };
  /** The batch ends `failed` with this error instead of `completed`. */
  failure?: { code?: string; message?: string };
}

/** Retrieve, list and cancel of batches: only the shared fields (errors, delays, faults). */
export type OpenAIBatchRetrieveReply = FakeReply;

export interface OpenAIModelsReply extends FakeReply {
  /** The model ids `models.list` returns (default: a fixed list of current models). */
  models?: string[];
}

export interface OpenAIModerationReply extends FakeReply {
  /** Categories to flag in every result (default: none). */
  flagged?: string[];
}

export type OpenAIFilesReply = FakeReply;

// ---------------------------------------------------------------------------------------------------------

interface StoredFile {
  object: JsonObject & { id: string; purpose: string };
  data: Buffer;
}

interface StoredBatch {
  batch: JsonObject & { id: string; status: string };
  polls: number;
  pollsUntilDone: number;
  failure: { code?: string; message?: string } | undefined;
  /** The batch's usage and counts once it completes. */
  usage: JsonObject | undefined;
  requestCounts: { total: number; completed: number; failed: number };
}

export function openaiMiscRoutes(): FakeRoute<any>[] {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, StoredBatch>();
  const free = <R extends FakeReply>(
    name: "openai.models" | "openai.files" | "openai.batches.retrieve",
    method: string,
    path: string | RegExp,
    handle: (exchange: FakeExchange<R>) => Promise<void>,
  ): FakeRoute<R> => ({
    name,
    method,
    path,
    handle: async (exchange) => {
      if (await sendScriptedError(exchange)) return;
      return handle(exchange);
    },
  });
  return [
    { name: "openai.completions", method: "POST", path: "/v1/completions", handle: handleCompletions },
    { name: "openai.embeddings", method: "POST", path: "/v1/embeddings", handle: handleEmbeddings },
    { name: "openai.moderations", method: "POST", path: "/v1/moderations", handle: handleModerations },
    free("openai.models", "GET", "/v1/models", listModels),
    free("openai.models", "GET", /^\/v1\/models\/.+$/, retrieveModel),
    free("openai.files", "POST", "/v1/files", (exchange) => createFile(exchange, files)),
    free("openai.files", "GET", "/v1/files", (exchange) => listFiles(exchange, files)),
    free("openai.files", "GET", /^\/v1\/files\/[^/]+$/, (exchange) => retrieveFile(exchange, files)),
    free("openai.files", "GET", /^\/v1\/files\/[^/]+\/content$/, (exchange) => fileContent(exchange, files)),
    free("openai.files", "DELETE", /^\/v1\/files\/[^/]+$/, (exchange) => deleteFile(exchange, files)),
    {
      name: "openai.batches",
      method: "POST",
      path: "/v1/batches",
      handle: (exchange: FakeExchange<OpenAIBatchReply>) => createBatch(exchange, files, batches),
      reset: () => {
        files.clear();
        batches.clear();
      },
    },
    free("openai.batches.retrieve", "GET", "/v1/batches", (exchange) => listBatches(exchange, batches)),
    free("openai.batches.retrieve", "GET", /^\/v1\/batches\/[^/]+$/, (exchange) =>
      retrieveBatch(exchange, batches),
    ),
    free("openai.batches.retrieve", "POST", /^\/v1\/batches\/[^/]+\/cancel$/, (exchange) =>
      cancelBatch(exchange, batches),
    ),
  ];
}

function pathId(exchange: FakeExchange<FakeReply>): string {
  return decodeURIComponent(exchange.request.path.split("/")[3] ?? "");
}

function listPage(data: readonly (JsonObject & { id: string })[]): JsonObject {
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: false,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Legacy completions

const LEGACY_DEFAULT_MAX_TOKENS = 16;

async function handleCompletions(exchange: FakeExchange<OpenAICompletionReply>): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  if (typeof body.model !== "string") {
    return sendError(exchange, 400, { message: "you must provide a model parameter", param: "model" });
  }
  const stream = body.stream === true;
  if (!stream && body.stream_options != null) {
    return sendError(exchange, 400, {
      message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      param: "stream_options",
    });
  }
  if (await sendScriptedError(exchange)) return;

  const model = body.model;
  const prompts = promptList(body.prompt);
  const tokenizer = await loadTokenizer(encodingForModel(model));
  const promptTokens = prompts.reduce(
    (sum, prompt) => sum + (typeof prompt === "string" ? tokenizer.count(prompt) : prompt.length),
    0,
  );
  const limit =
    typeof body.max_tokens === "number" && body.max_tokens >= 0 ? body.max_tokens : LEGACY_DEFAULT_MAX_TOKENS;
  const n = positiveInt(body.n, 1);
  const words = splitWords(reply.content ?? ` ${DEFAULT_CHAT_CONTENT}`);
  const kept = words.slice(0, limit);
  const text = kept.join("");
  const finishReason = kept.length < words.length ? "length" : (reply.finishReason ?? "stop");
  const choiceCount = prompts.length * n;
  const echo = body.echo === true;
  const choices = Array.from({ length: choiceCount }, (_, index) => {
    const prompt = prompts[Math.floor(index / n)];
    return { index, text: (echo && typeof prompt === "string" ? prompt : "") + text };
  });

  let usage: JsonObject | undefined;
  if (reply.usage !== null) {
    const computed = {
      prompt_tokens: promptTokens,
      completion_tokens: Math.min(kept.length, limit) * choiceCount,
      total_tokens: 0,
    };
    usage = mergeUsage(computed, reply.usage as JsonObject | undefined, [
      "prompt_tokens",
      "completion_tokens",
    ]);
  }
  const head = {
    id: reply.id ?? `cmpl-${seq}`,
    object: "text_completion",
    created: unixNow(),
    model: reply.model ?? model,
  };

  if (!stream) {
    return exchange.json(200, {
      ...head,
      choices: choices.map((choice) => ({ ...choice, logprobs: null, finish_reason: finishReason })),
      ...(usage && { usage }),
      system_fingerprint: "fp_fake",
    });
  }

  const includeUsage = asObject(body.stream_options)?.include_usage === true;
  const chunk = (choicesField: unknown[], extra: JsonObject = {}): string =>
    JSON.stringify({
      ...head,
      choices: choicesField,
      system_fingerprint: "fp_fake",
      ...(includeUsage && { usage: null }),
      ...extra,
    });
  const pieces = choices.map((choice) =>
    reply.chunks === undefined ? splitWords(choice.text) : splitInto(choice.text, reply.chunks),
  );
  const frames: SseFrame[] = [];
  const longest = Math.max(0, ...pieces.map((list) => list.length));
  for (let step = 0; step < longest; step += 1) {
    for (const [index, list] of pieces.entries()) {
      const piece = list[step];
      if (piece === undefined) continue;
      frames.push({
        data: chunk([{ text: piece, index, logprobs: null, finish_reason: null }]),
        delta: true,
      });
    }
  }
  for (const choice of choices) {
    frames.push({
      data: chunk([{ text: "", index: choice.index, logprobs: null, finish_reason: finishReason }]),
    });
  }
  if (includeUsage && usage) frames.push({ data: chunk([], { usage }) });
  frames.push({ data: "[DONE]" });
  return exchange.sse(frames, { errorFrame: errorFrame(reply) });
}

/** The prompts of a legacy completion or embeddings input: strings and token arrays. */
function promptList(value: unknown): (string | number[])[] {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || value.length === 0) return [""];
  if (value.every((item) => typeof item === "number")) return [value as number[]];
  return value.map((item) =>
    typeof item === "string" ? item : Array.isArray(item) ? (item as number[]) : String(item),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Embeddings

const DEFAULT_EMBEDDING_DIMENSIONS = 8;

async function handleEmbeddings(exchange: FakeExchange<OpenAIEmbeddingReply>): Promise<void> {
  const { reply, request } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  if (typeof body.model !== "string") {
    return sendError(exchange, 400, { message: "you must provide a model parameter", param: "model" });
  }
  if (body.input === undefined || (Array.isArray(body.input) && body.input.length === 0)) {
    return sendError(exchange, 400, { message: "'input' is a required property", param: "input" });
  }
  if (await sendScriptedError(exchange)) return;

  const model = body.model;
  const inputs = promptList(body.input);
  const tokenizer = await loadTokenizer(encodingForModel(model));
  const promptTokens = inputs.reduce(
    (sum, input) => sum + (typeof input === "string" ? tokenizer.count(input) : input.length),
    0,
  );
  const dimensions = positiveInt(body.dimensions, DEFAULT_EMBEDDING_DIMENSIONS);
  const base64 = body.encoding_format === "base64";
  const data = inputs.map((input, index) => {
    const vector = fakeEmbedding(typeof input === "string" ? input : input.join(","), dimensions);
    return { object: "embedding", index, embedding: base64 ? float32Base64(vector) : vector };
  });
  const usage =
    reply.usage === null
      ? undefined
      : mergeUsage({ prompt_tokens: promptTokens, total_tokens: promptTokens }, reply.usage, [
          "prompt_tokens",
          "completion_tokens",
        ]);
  return exchange.json(200, { object: "list", data, model: reply.model ?? model, ...(usage && { usage }) });
}

/** A deterministic unit vector derived from the text, rounded to float32. */
function fakeEmbedding(text: string, dimensions: number): number[] {
  let seed = 2166136261;
  for (let index = 0; index < text.length; index += 1) {
    seed = Math.imul(seed ^ text.charCodeAt(index), 16777619) >>> 0;
  }
  const raw = Array.from({ length: dimensions }, (_, index) => Math.sin(seed + index * 1.618));
  const norm = Math.hypot(...raw) || 1;
  return Array.from(new Float32Array(raw.map((value) => value / norm)));
}

function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [index, value] of vector.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString("base64");
}

// ---------------------------------------------------------------------------------------------------------
// Moderations

const MODERATION_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
] as const;

const IMAGE_CATEGORIES = new Set([
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "violence",
  "violence/graphic",
]);

async function handleModerations(exchange: FakeExchange<OpenAIModerationReply>): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  if (body.input === undefined) {
    return sendError(exchange, 400, { message: "'input' is a required property", param: "input" });
  }
  if (await sendScriptedError(exchange)) return;

  const multimodal = Array.isArray(body.input) && body.input.some((item) => typeof item === "object");
  const count = multimodal || !Array.isArray(body.input) ? 1 : body.input.length;
  const hasImage =
    multimodal && (body.input as unknown[]).some((item) => asObject(item)?.type === "image_url");
  const flagged = new Set(reply.flagged ?? []);
  const result = {
    flagged: flagged.size > 0,
    categories: Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, flagged.has(name)])),
    category_scores: Object.fromEntries(
      MODERATION_CATEGORIES.map((name) => [name, flagged.has(name) ? 0.98 : 0.0001]),
    ),
    category_applied_input_types: Object.fromEntries(
      MODERATION_CATEGORIES.map((name) => [
        name,
        hasImage && IMAGE_CATEGORIES.has(name) ? ["text", "image"] : ["text"],
      ]),
    ),
  };
  const model = typeof body.model === "string" ? body.model : "omni-moderation-latest";
  return exchange.json(200, {
    id: reply.id ?? `modr-${seq}`,
    model: reply.model ?? (model === "omni-moderation-latest" ? "omni-moderation-2024-09-26" : model),
    results: Array.from({ length: count }, () => result),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Models

const DEFAULT_MODELS = [
  "gpt-5",
  "gpt-5-mini",
  "gpt-4.1",
  "gpt-4.1-mini",
  "gpt-4o",
  "gpt-4o-mini",
  "o3",
  "o4-mini",
  "gpt-3.5-turbo-instruct",
  "text-embedding-3-small",
  "text-embedding-3-large",
  "gpt-image-1",
  "dall-e-3",
  "dall-e-2",
  "tts-1",
  "gpt-4o-mini-tts",
  "whisper-1",
  "gpt-4o-transcribe",
  "gpt-4o-mini-transcribe",
  "sora-2",
  "omni-moderation-latest",
];

const MODEL_CREATED = 1_700_000_000;

function modelObject(id: string): JsonObject & { id: string } {
  return {
    id,
    object: "model",
    created: MODEL_CREATED,
    owned_by: id.startsWith("ft:") ? "user-fake" : "system",
  };
}

async function listModels(exchange: FakeExchange<OpenAIModelsReply>): Promise<void> {
  const ids = exchange.reply.models ?? DEFAULT_MODELS;
  return exchange.json(200, { object: "list", data: ids.map(modelObject) });
}

async function retrieveModel(exchange: FakeExchange<OpenAIModelsReply>): Promise<void> {
  const id = decodeURIComponent(exchange.request.path.slice("/v1/models/".length));
  const known = exchange.reply.models;
  if (known && !known.includes(id)) {
    return sendError(exchange, 404, {
      message: `The model '${id}' does not exist`,
      code: "model_not_found",
      param: "model",
    });
  }
  return exchange.json(200, modelObject(id));
}

// ---------------------------------------------------------------------------------------------------------
// Files

async function createFile(exchange: FakeExchange<FakeReply>, files: Map<string, StoredFile>): Promise<void> {
  const multipart = asMultipart(exchange.request.body);
  const file = multipart?.files.find((part) => part.name === "file");
  if (!multipart || !file) {
    return sendError(exchange, 400, { message: "Missing required parameter: 'file'.", param: "file" });
  }
  const purpose = stringField(multipart.fields.purpose);
  if (!purpose) {
    return sendError(exchange, 400, { message: "Missing required parameter: 'purpose'.", param: "purpose" });
  }
  const createdAt = unixNow();
  const expiresIn = positiveInt(multipart.fields["expires_after[seconds]"], 0);
  const object = {
    id: exchange.reply.id ?? `file-${exchange.seq}`,
    object: "file",
    bytes: file.size,
    created_at: createdAt,
    expires_at: expiresIn > 0 ? createdAt + expiresIn : null,
    filename: file.filename,
    purpose,
    status: "processed",
    status_details: null,
  };
  files.set(object.id, { object, data: file.data });
  return exchange.json(200, object);
}

async function listFiles(exchange: FakeExchange<FakeReply>, files: Map<string, StoredFile>): Promise<void> {
  const purpose = exchange.request.query.purpose;
  const data = [...files.values()]
    .map((file) => file.object)
    .filter((object) => purpose === undefined || object.purpose === purpose)
    .reverse();
  return exchange.json(200, listPage(data));
}

function fileNotFound(exchange: FakeExchange<FakeReply>, id: string): Promise<void> {
  return sendError(exchange, 404, { message: `No such File object: ${id}`, param: "id" });
}

async function retrieveFile(
  exchange: FakeExchange<FakeReply>,
  files: Map<string, StoredFile>,
): Promise<void> {
  const id = pathId(exchange);
  const file = files.get(id);
  return file ? exchange.json(200, file.object) : fileNotFound(exchange, id);
}

async function fileContent(exchange: FakeExchange<FakeReply>, files: Map<string, StoredFile>): Promise<void> {
  const id = pathId(exchange);
  const file = files.get(id);
  return file ? exchange.send(200, file.data, "application/octet-stream") : fileNotFound(exchange, id);
}

async function deleteFile(exchange: FakeExchange<FakeReply>, files: Map<string, StoredFile>): Promise<void> {
  const id = pathId(exchange);
  if (!files.delete(id)) return fileNotFound(exchange, id);
  return exchange.json(200, { id, object: "file", deleted: true });
}

// ---------------------------------------------------------------------------------------------------------
// Batches

const BATCH_DEFAULT_MODELS: Record<string, string> = {
  "/v1/embeddings": "text-embedding-3-small",
  "/v1/moderations": "omni-moderation-latest",
  "/v1/images/generations": "gpt-image-1",
  "/v1/images/edits": "gpt-image-1",
  "/v1/videos": "sora-2",
};

async function createBatch(
  exchange: FakeExchange<OpenAIBatchReply>,
  files: Map<string, StoredFile>,
  batches: Map<string, StoredBatch>,
): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidBody(exchange);
  for (const param of ["input_file_id", "endpoint", "completion_window"]) {
    if (typeof body[param] !== "string") {
      return sendError(exchange, 400, { message: `Missing required parameter: '${param}'.`, param });
    }
  }
  if (await sendScriptedError(exchange)) return;

  const endpoint = String(body.endpoint);
  const inputFileId = String(body.input_file_id);
  const lines = batchLines(files.get(inputFileId));
  const computed = await batchUsage(lines);
  const firstModel = lines
    .map((line) => asObject(line.body)?.model)
    .find((model) => typeof model === "string");
  const createdAt = unixNow();
  const total = reply.requestCounts?.total ?? lines.length;
  const usage =
    reply.usage === null
      ? undefined
      : mergeUsage(computed, reply.usage as JsonObject | undefined, ["input_tokens", "output_tokens"]);
  const batch = {
    id: reply.id ?? `batch_${seq}`,
    object: "batch",
    endpoint,
    model:
      reply.model ?? (firstModel as string | undefined) ?? BATCH_DEFAULT_MODELS[endpoint] ?? "gpt-4o-mini",
    errors: null,
    input_file_id: inputFileId,
    completion_window: String(body.completion_window),
    status: "validating",
    output_file_id: null,
    error_file_id: null,
    created_at: createdAt,
    in_progress_at: null,
    expires_at: createdAt + 86_400,
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    ...(usage && { usage: zeroUsage() }),
    metadata: body.metadata ?? null,
  };
  batches.set(batch.id, {
    batch,
    polls: 0,
    pollsUntilDone: Math.max(0, reply.pollsUntilDone ?? 0),
    failure: reply.failure,
    usage,
    requestCounts: {
      total,
      completed: reply.requestCounts?.completed ?? total - (reply.requestCounts?.failed ?? 0),
      failed: reply.requestCounts?.failed ?? 0,
    },
  });
  return exchange.json(200, batch);
}

function zeroUsage(): JsonObject {
  return {
    input_tokens: 0,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 0,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 0,
  };
}

interface BatchLine {
  url: unknown;
  body: unknown;
}

function batchLines(file: StoredFile | undefined): BatchLine[] {
  if (!file) return [];
  const lines: BatchLine[] = [];
  for (const line of file.data.toString("utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed = asObject(JSON.parse(line));
      if (parsed) lines.push({ url: parsed.url, body: parsed.body });
    } catch {
      // A broken line fails on its own in the real API; the fake leaves it out of the usage.
    }
  }
  return lines;
}

/**
 * What the requests of the input file cost, by the same token model as the synchronous routes: input counted
 * from each request, and the default reply (five words) as output for the generating endpoints.
 */
async function batchUsage(lines: readonly BatchLine[]): Promise<JsonObject> {
  let input = 0;
  let output = 0;
  const defaultWords = splitWords(DEFAULT_CHAT_CONTENT).length;
  for (const line of lines) {
    const body = asObject(line.body) ?? {};
    const model = typeof body.model === "string" ? body.model : "gpt-4o-mini";
    if (line.url === "/v1/chat/completions") {
      const tokenizer = await loadTokenizer(encodingForModel(model));
      input += countChatInput(tokenizer, { ...body, model, messages: body.messages }).tokens;
      output += defaultWords * positiveInt(body.n, 1);
    } else if (line.url === "/v1/responses") {
      input += await countResponsesInput(body, model);
      output += defaultWords;
    } else if (line.url === "/v1/completions") {
      for (const prompt of promptList(body.prompt)) {
        input += typeof prompt === "string" ? await countTokens(model, prompt) : prompt.length;
      }
      const limit = typeof body.max_tokens === "number" ? body.max_tokens : LEGACY_DEFAULT_MAX_TOKENS;
      output += Math.min(defaultWords, limit);
    } else if (line.url === "/v1/embeddings") {
      for (const item of promptList(body.input)) {
        input += typeof item === "string" ? await countTokens(model, item) : item.length;
      }
    }
  }
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

function batchNotFound(exchange: FakeExchange<FakeReply>, id: string): Promise<void> {
  return sendError(exchange, 404, { message: `No batch found with id '${id}'.`, param: null });
}

async function retrieveBatch(
  exchange: FakeExchange<FakeReply>,
  batches: Map<string, StoredBatch>,
): Promise<void> {
  const id = pathId(exchange);
  const stored = batches.get(id);
  if (!stored) return batchNotFound(exchange, id);
  advanceBatch(stored);
  return exchange.json(200, stored.batch);
}

/** One retrieve: validating → in_progress for `pollsUntilDone` retrieves → completed (or failed / cancelled). */
function advanceBatch(stored: StoredBatch): void {
  const { batch } = stored;
  const now = unixNow();
  if (batch.status === "cancelling") {
    Object.assign(batch, { status: "cancelled", cancelled_at: now });
    return;
  }
  if (batch.status !== "validating" && batch.status !== "in_progress") return;
  if (stored.polls < stored.pollsUntilDone) {
    stored.polls += 1;
    Object.assign(batch, {
      status: "in_progress",
      in_progress_at: batch.in_progress_at ?? now,
      request_counts: { total: stored.requestCounts.total, completed: 0, failed: 0 },
    });
    return;
  }
  if (stored.failure) {
    Object.assign(batch, {
      status: "failed",
      failed_at: now,
      errors: {
        object: "list",
        data: [
          {
            code: stored.failure.code ?? "invalid_request",
            message: stored.failure.message ?? "The batch failed.",
            param: null,
            line: null,
          },
        ],
      },
    });
    return;
  }
  Object.assign(batch, {
    status: "completed",
    in_progress_at: batch.in_progress_at ?? now,
    finalizing_at: now,
    completed_at: now,
    output_file_id: `file-batch-output-${batch.id}`,
    request_counts: stored.requestCounts,
    ...(stored.usage && { usage: stored.usage }),
  });
}

async function cancelBatch(
  exchange: FakeExchange<FakeReply>,
  batches: Map<string, StoredBatch>,
): Promise<void> {
  const id = pathId(exchange);
  const stored = batches.get(id);
  if (!stored) return batchNotFound(exchange, id);
  const { batch } = stored;
  if (batch.status === "validating" || batch.status === "in_progress") {
    Object.assign(batch, { status: "cancelling", cancelling_at: unixNow() });
  }
  return exchange.json(200, batch);
}

async function listBatches(
  exchange: FakeExchange<FakeReply>,
  batches: Map<string, StoredBatch>,
): Promise<void> {
  return exchange.json(200, listPage([...batches.values()].map((stored) => stored.batch).reverse()));
}
