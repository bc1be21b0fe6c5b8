import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  type AnthropicBatchReply,
  type AnthropicBatchRetrieveReply,
  type AnthropicCountTokensReply,
  type AnthropicMessageReply,
  type AnthropicModelsReply,
  anthropicRoutes,
} from "./fake-anthropic.js";
import { type CostReportReply, costReportRoutes } from "./fake-cost-reports.js";
import {
  createFalWiring,
  type FakeFalWiring,
  type FalQueueReply,
  type FalReply,
  type FalStreamReply,
  falRoutes,
} from "./fake-fal.js";
import {
  type MiniMaxReply,
  type MiniMaxTtsReply,
  type MiniMaxVideoReply,
  minimaxRoutes,
} from "./fake-minimax.js";
import { type OpenAIChatReply, openaiErrorBody, openaiRoutes } from "./fake-openai.js";
import {
  type OpenAIImagesReply,
  type OpenAISpeechReply,
  type OpenAITranscriptionReply,
  type OpenAIVideoReply,
  type OpenAIVideoRetrieveReply,
  openaiMediaRoutes,
} from "./fake-openai-media.js";
import {
  type OpenAIBatchReply,
  type OpenAIBatchRetrieveReply,
  type OpenAICompletionReply,
  type OpenAIEmbeddingReply,
  type OpenAIFilesReply,
  type OpenAIModelsReply,
  type OpenAIModerationReply,
  openaiMiscRoutes,
} from "./fake-openai-misc.js";
import {
  type OpenAIInputTokensReply,
  type OpenAIResponsesReply,
  type OpenAIResponsesRetrieveReply,
  openaiResponsesRoutes,
} from "./fake-openai-responses.js";
import { parseMultipart } from "./multipart.js";

/**
 * A local HTTP server that speaks the providers' real wire formats, so the official SDK clients talk to it
 * unchanged (`baseURL`). The core here knows nothing about any provider: it records requests, picks the
 * scripted reply, applies the faults that look the same everywhere (delays, dropped sockets, truncated
 * bodies, SSE pacing) and hands the rest to a route. Each provider family lives in its own file and
 * contributes a list of routes.
 */

export type FakeFault = "malformed" | "drop-before-headers" | "drop-mid-body" | "error-event";

export interface FakeToolCall {
  name: string;
  /** The JSON arguments as the model would stream them (a string, not an object). */
  arguments: string;
}

export interface FakeErrorDetails {
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
}

/** The reply fields every route understands. Each provider's reply type extends this one. */
export interface FakeReply {
  /** Assistant text. Each route has a default when neither content nor tool calls are given. */
  content?: string;
  toolCalls?: FakeToolCall[];
  /** Default: the model the request asked for. */
  model?: string;
  /** The provider's response id (default: a prefix and a counter, e.g. `chatcmpl-7`). */
  id?: string;
  finishReason?: string;
  /** An error status (400, 429, 500, 503...): the route answers with its provider's error body. */
  status?: number;
  error?: FakeErrorDetails;
  /** Extra response headers, e.g. `x-should-retry` or `retry-after-ms`. */
  headers?: Record<string, string>;
  /** Wait this long before sending the response headers. */
  delayMs?: number;
  /** How many content deltas a stream splits the text into (default: one per word). */
  chunks?: number;
  /** Wait this long between two SSE frames. */
  chunkDelayMs?: number;
  fault?: FakeFault;
  /** `drop-mid-body` on a stream: content deltas sent before the socket is destroyed (default: about half). */
  dropAfterChunks?: number;
  /** `error-event` and `malformed` on a stream: content deltas sent before the bad frame (default: about half). */
  errorAfterChunks?: number;
}

/** Route name → the reply type that route accepts. A new route adds a line here. */
export interface FakeReplies {
  "openai.chat": OpenAIChatReply;
  "openai.responses": OpenAIResponsesReply;
  "openai.responses.retrieve": OpenAIResponsesRetrieveReply;
  "openai.responses.inputTokens": OpenAIInputTokensReply;
  "openai.completions": OpenAICompletionReply;
  "openai.embeddings": OpenAIEmbeddingReply;
  "openai.images": OpenAIImagesReply;
  "openai.speech": OpenAISpeechReply;
  "openai.transcriptions": OpenAITranscriptionReply;
  "openai.videos": OpenAIVideoReply;
  "openai.videos.retrieve": OpenAIVideoRetrieveReply;
  "openai.batches": OpenAIBatchReply;
  "openai.batches.retrieve": OpenAIBatchRetrieveReply;
  "openai.models": OpenAIModelsReply;
  "openai.moderations": OpenAIModerationReply;
  "openai.files": OpenAIFilesReply;
  "anthropic.messages": AnthropicMessageReply;
  "anthropic.countTokens": AnthropicCountTokensReply;
  "anthropic.batches": AnthropicBatchReply;
  "anthropic.batches.retrieve": AnthropicBatchRetrieveReply;
  "anthropic.models": AnthropicModelsReply;
  "fal.queue": FalQueueReply;
  "fal.queue.status": FakeReply;
  "fal.queue.result": FakeReply;
  "fal.queue.cancel": FakeReply;
  "fal.run": FalReply;
  "fal.stream": FalStreamReply;
  "minimax.video": MiniMaxVideoReply;
  "minimax.video.query": MiniMaxReply;
  "minimax.files": MiniMaxReply;
  "minimax.tts": MiniMaxTtsReply;
  "openai.costs": CostReportReply;
  "anthropic.costReport": CostReportReply;
}

export type FakeRouteName = keyof FakeReplies;

/** A reply, or a function that builds one from the request it answers. */
export type FakeReplySource<R> = R | ((request: RecordedRequest) => R);

export interface RecordedRequest {
  /** `req_<n>`; also sent as the `x-request-id` response header. */
  id: string;
  route: FakeRouteName | "unknown";
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query string's parameters (the last value when a name repeats). */
  query: Record<string, string>;
  /** Lower-case names; repeated headers are joined with `, `. */
  headers: Record<string, string>;
  /**
   * Parsed JSON; a `FakeMultipartBody` for multipart/form-data; the raw string when it is neither;
   * `undefined` when the request had no body.
   */
  body: unknown;
  /** The body decoded as UTF-8 (binary file parts come out mangled here; read them from `body.files`). */
  rawBody: string;
  /** The client closed the connection before the response finished (a `break`, an abort, a timeout). */
  closedEarly: boolean;
  /** SSE frames written, the final `[DONE]` included. */
  chunksSent: number;
  /** Resolves when the response finished or the connection went away. Never rejects. */
  finished: Promise<void>;
}

export interface FakeProvidersOptions {
  /** Default 0: a free port. */
  port?: number;
}

export interface FakeProviders {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly openai: { readonly baseURL: string };
  /** `http://127.0.0.1:PORT` with no `/v1`: the Anthropic SDK adds `/v1/messages`. */
  readonly anthropic: { readonly baseURL: string };
  /** fal's hosts are rewritten to this server: `createFalClient({ ...fake.fal.config(), fetch? })`. */
  readonly fal: FakeFalWiring;
  /** `http://127.0.0.1:PORT/minimax` (like `https://api.minimax.io`): paths are `/v1/video_generation`... */
  readonly minimax: { readonly baseURL: string };
  /** Every request in arrival order, unknown paths included. */
  readonly requests: readonly RecordedRequest[];
  /** Queue replies for a route; each request takes the next one. */
  script<N extends FakeRouteName>(route: N, ...replies: FakeReplySource<FakeReplies[N]>[]): void;
  /** The reply used when the route's queue is empty. */
  setDefault<N extends FakeRouteName>(route: N, reply: FakeReplySource<FakeReplies[N]>): void;
  /**
   * Clear queues, defaults, recorded requests and what the routes stored (background responses, files,
   * batches, videos, Anthropic's prompt cache, fal queue jobs, MiniMax tasks). Response ids keep counting up.
   */
  reset(): void;
  /** Close the server and every open connection, streams in flight included. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// The contract between the core and the provider files.

export interface SseFrame {
  /** Named event (`event: message_start`); OpenAI chat frames have none. */
  event?: string;
  /** Written as is: already JSON, or `[DONE]`. */
  data: string;
  /** A content delta: the frames that stream faults count (`dropAfterChunks`, `errorAfterChunks`). */
  delta?: boolean;
}

export interface FakeExchange<R extends FakeReply = FakeReply> {
  readonly request: RecordedRequest;
  readonly reply: R;
  /** A number unique on this server, for response ids. */
  readonly seq: number;
  /**
   * Send a whole response (text or bytes). Applies the `malformed` and `drop-mid-body` faults. `headers` are
   * the route's own response headers; the reply's scripted `headers` still win over them.
   */
  send(
    status: number,
    body: string | Uint8Array,
    contentType: string,
    headers?: Record<string, string>,
  ): Promise<void>;
  json(status: number, body: unknown, headers?: Record<string, string>): Promise<void>;
  /**
   * Stream the frames with `chunkDelayMs` between them, stopping when the client goes away. Applies the
   * stream faults; `errorFrame` is what the provider sends for `error-event` (a function gets the index of
   * the frame it replaces, for providers that number their events).
   */
  sse(
    frames: readonly SseFrame[],
    options: { errorFrame: SseFrame | ((index: number) => SseFrame); headers?: Record<string, string> },
  ): Promise<void>;
}

export interface FakeRoute<R extends FakeReply = FakeReply> {
  name: FakeRouteName;
  method: string;
  /** Matched against the path without the query string. */
  path: string | RegExp;
  /**
   * Extra condition on the request, for two providers that share a path (`GET /v1/models` is OpenAI's and
   * Anthropic's): the route answers only when this returns true.
   */
  when?(request: { headers: Readonly<Record<string, string>> }): boolean;
  handle(exchange: FakeExchange<R>): Promise<void>;
  /** Forget what the route stored, on `reset()`. */
  reset?(): void;
}

// ---------------------------------------------------------------------------------------------------------

export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  // Anthropic first: its `GET /v1/models` route claims the requests with an `anthropic-version` header.
  const routes: FakeRoute[] = [
    ...anthropicRoutes(),
    ...falRoutes(),
    ...minimaxRoutes(),
    ...openaiRoutes(),
    ...openaiResponsesRoutes(),
    ...openaiMediaRoutes(),
    ...openaiMiscRoutes(),
    ...costReportRoutes(),
  ];
  const queues = new Map<FakeRouteName, FakeReplySource<FakeReply>[]>();
  const defaults = new Map<FakeRouteName, FakeReplySource<FakeReply>>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;

  const knownRoute = (name: string): FakeRouteName => {
    if (routes.some((route) => route.name === name)) return name as FakeRouteName;
    const known = routes.map((route) => `\`${route.name}\``).join(", ");
    throw new TypeError(`Expected a fake provider route (${known}), got \`${name}\``);
  };

  const nextReply = (name: FakeRouteName, request: RecordedRequest): FakeReply => {
    const source = queues.get(name)?.shift() ?? defaults.get(name) ?? {};
    return typeof source === "function" ? source(request) : source;
  };

  const server = createServer((req, res) => {
    seq += 1;
    handleRequest(req, res, seq).catch((error: unknown) => failExchange(res, error));
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse, n: number): Promise<void> {
    const link = watchConnection(req, res);
    const bodyBytes = await readBody(req);
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const search = queryAt < 0 ? "" : url.slice(queryAt + 1);
    const headers = flattenHeaders(req);
    const route = routes.find(
      (candidate) =>
        candidate.method === method &&
        matches(candidate.path, path) &&
        (candidate.when?.({ headers }) ?? true),
    );
    const record: RecordedRequest = {
      id: `req_${n}`,
      route: route?.name ?? "unknown",
      method,
      path,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers,
      body: parseBody(bodyBytes, headers["content-type"]),
      rawBody: bodyBytes.toString("utf8"),
      // Nothing was written yet, so a closed connection here is the client's doing.
      closedEarly: link.isClosed(),
      chunksSent: 0,
      finished: link.closed,
    };
    link.record = record;
    requests.push(record);
    if (link.isClosed()) return;

    if (!route) {
      const exchange = createExchange(res, link, record, {}, n);
      await exchange.json(404, openaiErrorBody(404, { message: `Invalid URL (${method} ${path})` }));
      return;
    }

    const reply = nextReply(route.name, record);
    if (reply.delayMs) await link.sleep(reply.delayMs);
    if (link.isClosed()) return;
    if (reply.fault === "drop-before-headers") {
      link.drop();
      return;
    }
    await route.handle(createExchange(res, link, record, reply, n));
  }

  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    openai: { baseURL: `${url}/v1` },
    anthropic: { baseURL: url },
    fal: createFalWiring(url),
    minimax: { baseURL: `${url}/minimax` },
    get requests() {
      return requests;
    },
    script(name, ...replies) {
      const route = knownRoute(name);
      const queue = queues.get(route) ?? [];
      queue.push(...(replies as FakeReplySource<FakeReply>[]));
      queues.set(route, queue);
    },
    setDefault(name, reply) {
      defaults.set(knownRoute(name), reply as FakeReplySource<FakeReply>);
    },
    reset() {
      queues.clear();
      defaults.clear();
      requests.length = 0;
      for (const route of routes) route.reset?.();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// One request/response pair: who closed what, and when.

interface Connection {
  record: RecordedRequest | undefined;
  /** Resolves once the response finished or the socket closed. */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Resolves after `ms`, or earlier if the connection closes. */
  sleep(ms: number): Promise<void>;
  /** Destroy the socket on purpose (a fault), which is not the client closing early. */
  drop(): void;
  /** Write and wait until the socket accepted the bytes (or closed). */
  write(chunk: string | Uint8Array): Promise<void>;
}

function watchConnection(req: IncomingMessage, res: ServerResponse): Connection {
  let closed = false;
  let droppedByServer = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const connection: Connection = {
    record: undefined,
    closed: closedPromise,
    isClosed: () => closed,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        closedPromise.then(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    drop() {
      droppedByServer = true;
      req.socket.destroy();
    },
    write: (chunk) =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        res.write(chunk, () => resolve());
        closedPromise.then(resolve);
      }),
  };
  // `close` fires both after a complete response and when the socket goes away mid-response.
  res.on("close", () => {
    if (closed) return;
    closed = true;
    if (!res.writableFinished && !droppedByServer && connection.record) connection.record.closedEarly = true;
    markClosed();
  });
  return connection;
}

function createExchange(
  res: ServerResponse,
  link: Connection,
  request: RecordedRequest,
  reply: FakeReply,
  seq: number,
): FakeExchange<any> {
  const baseHeaders = (own?: Record<string, string>): Record<string, string> => ({
    "x-request-id": request.id,
    ...own,
    ...reply.headers,
  });

  const send = async (
    status: number,
    body: string | Uint8Array,
    contentType: string,
    headers?: Record<string, string>,
  ): Promise<void> => {
    if (link.isClosed()) return;
    const fault = reply.fault;
    const bytes = Buffer.from(body);
    if (fault === "malformed") {
      const truncated = bytes.subarray(0, Math.floor(bytes.length / 2));
      res.writeHead(status, {
        ...baseHeaders(headers),
        "content-type": contentType,
        "content-length": String(truncated.length),
      });
      res.end(truncated);
      return;
    }
    res.writeHead(status, {
      ...baseHeaders(headers),
      "content-type": contentType,
      "content-length": String(bytes.length),
    });
    if (fault === "drop-mid-body") {
      await link.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      link.drop();
      return;
    }
    res.end(bytes);
  };

  const sse = async (
    frames: readonly SseFrame[],
    options: { errorFrame: SseFrame | ((index: number) => SseFrame); headers?: Record<string, string> },
  ): Promise<void> => {
    if (link.isClosed()) return;
    res.writeHead(200, {
      ...baseHeaders(options.headers),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    });
    res.flushHeaders();

    const deltaCount = frames.filter((frame) => frame.delta).length;
    const half = Math.floor(deltaCount / 2);
    const fault = reply.fault;
    const faultAfter = Math.min(
      deltaCount,
      fault === "drop-mid-body" ? (reply.dropAfterChunks ?? half) : (reply.errorAfterChunks ?? half),
    );
    const streamFault = fault === "drop-mid-body" || fault === "error-event" || fault === "malformed";
    let deltasSent = 0;

    for (const [index, frame] of frames.entries()) {
      if (link.isClosed()) return;
      if (index > 0 && reply.chunkDelayMs) {
        await link.sleep(reply.chunkDelayMs);
        if (link.isClosed()) return;
      }
      if (streamFault && deltasSent >= faultAfter) {
        if (fault === "drop-mid-body") {
          link.drop();
          return;
        }
        const { errorFrame } = options;
        const bad =
          fault === "error-event"
            ? typeof errorFrame === "function"
              ? errorFrame(index)
              : errorFrame
            : truncateFrame(frame);
        await link.write(formatSseFrame(bad));
        request.chunksSent += 1;
        res.end();
        return;
      }
      await link.write(formatSseFrame(frame));
      if (link.isClosed()) return;
      request.chunksSent += 1;
      if (frame.delta) deltasSent += 1;
    }
    res.end();
  };

  return {
    request,
    reply,
    seq,
    send,
    json: (status, body, headers) => send(status, JSON.stringify(body), "application/json", headers),
    sse,
  };
}

function failExchange(res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const message = `Fake provider failed: ${error instanceof Error ? error.message : String(error)}`;
  const body = JSON.stringify(openaiErrorBody(500, { message }));
  res.writeHead(500, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

export function formatSseFrame(frame: SseFrame): string {
  const event = frame.event === undefined ? "" : `event: ${frame.event}\n`;
  return `${event}data: ${frame.data}\n\n`;
}

/** A frame cut in the middle of its JSON: what a broken proxy or a buggy provider sends. */
function truncateFrame(frame: SseFrame): SseFrame {
  const data =
    frame.data === "[DONE]" ? '{"id":"broken' : frame.data.slice(0, Math.ceil(frame.data.length / 2));
  return { ...frame, data };
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts)));
    // An aborted upload: record what arrived.
    req.on("error", () => resolve(Buffer.concat(parts)));
    req.on("close", () => resolve(Buffer.concat(parts)));
  });
}

function parseBody(bytes: Buffer, contentType: string | undefined): unknown {
  if (bytes.length === 0) return undefined;
  const multipart = contentType?.toLowerCase().startsWith("multipart/form-data")
    ? parseMultipart(bytes, contentType)
    : undefined;
  if (multipart) return multipart;
  const raw = bytes.toString("utf8");
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}
