import { asObject, type JsonObject, positiveInt } from "./fake-openai-shared.js";
import type { FakeErrorDetails, FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitInto, splitWords } from "./fake-text.js";

/**
 * fal.ai's queue, sync run and stream endpoints on the real wire format (checked against @fal-ai/client
 * 1.10.1: `queue.js`, `request.js`, `response.js`, `streaming.js` and `types/common.d.ts`).
 *
 * fal URLs reach this server rewritten: `https://<host>/<path>` becomes `http://127.0.0.1:PORT/fal/<host>/<path>`
 * (`FakeFalWiring.requestMiddleware` does it for the fal client). The URLs the fake hands out
 * (`response_url`, `status_url`, `cancel_url`, image and video URLs) are the real `https://...` ones.
 *
 * The result body carries no usage: what fal bills is the `x-fal-billable-units` header of the result
 * response (queue result and sync run). Default results and units by endpoint family:
 * - video (the id contains `video`, or the input has `duration`): `{ video, seed }`, units = seconds
 *   (`duration` as `5`, `"5"` or `"5s"`; default 5);
 * - image (an `image_size` or `num_images` input, or an image model id): `{ images, seed, has_nsfw_concepts,
 *   prompt, timings }`, `num_images` images sized from `image_size`; units = megapixels of each image
 *   (1 MP = 1024 × 1024 pixels) rounded up, summed;
 * - anything else: `{ output }` (the reply's `content`), 1 unit.
 */

// ---------------------------------------------------------------------------------------------------------
// Reply types

export interface FalReply extends FakeReply {
  /** The result JSON, replacing the computed one. */
  result?: JsonObject;
  /** `x-fal-billable-units` (default: by endpoint family); `null`: no header. */
  billableUnits?: number | string | null;
  /** The result's `seed` (default: the input's, else derived from the request). */
  seed?: number;
}

export interface FalQueueReply extends FalReply {
  /** Status polls that answer `IN_QUEUE` / `IN_PROGRESS` before `COMPLETED` (default 0). */
  pollsUntilDone?: number;
  /** `metrics.inference_time` of the `COMPLETED` status, in seconds (default 1.5). */
  inferenceTime?: number;
  /** Log lines of the status when it is asked with `logs=1`. */
  logs?: string[];
  /**
   * The request fails: the status still ends `COMPLETED` (with `error` and `error_type`, as fal does) and the
   * result answers this status (default 500) with fal's error body and no billable units.
   */
  failure?: { status?: number; message?: string; errorType?: string };
}

export interface FalStreamReply extends FalReply {
  /** The data frames sent, replacing the computed ones; `done()` resolves with the last. */
  events?: unknown[];
}

/** A fal `RequestConfig` (the shape `requestMiddleware` receives and returns). */
export interface FakeFalRequestConfig {
  url: string;
  method: string;
  headers?: Record<string, string | string[]>;
}

export interface FakeFalWiring {
  /** `http://127.0.0.1:PORT/fal`: `https://<host>/<path>` is served at `<baseURL>/<host>/<path>`. */
  readonly baseURL: string;
  /** A fal URL (`*.fal.run`, `*.fal.ai`, `*.fal.media`) pointed at the fake; other URLs unchanged. */
  rewrite(url: string): string;
  /** For `createFalClient({ requestMiddleware })`: covers run, subscribe, queue and stream. */
  readonly requestMiddleware: (request: FakeFalRequestConfig) => Promise<FakeFalRequestConfig>;
  /**
   * `{ credentials, requestMiddleware }` to spread into `createFalClient(...)`; `config.fetch` stays free for
   * a wrapper. `credentials` defaults to `"fal-test"`.
   */
  config(options?: { credentials?: string }): {
    credentials: string;
    requestMiddleware: (request: FakeFalRequestConfig) => Promise<FakeFalRequestConfig>;
  };
}

export function createFalWiring(serverUrl: string): FakeFalWiring {
  const baseURL = `${serverUrl}/fal`;
  const rewrite = (url: string): string => {
    const match = /^https?:\/\/([^/?#]+)(.*)$/.exec(url);
    const host = match?.[1];
    if (!host || !/(^|\.)fal\.(run|ai|media)$/.test(host)) return url;
    return `${baseURL}/${host}${match[2] ?? ""}`;
  };
  const requestMiddleware = async (request: FakeFalRequestConfig): Promise<FakeFalRequestConfig> => ({
    ...request,
    url: rewrite(request.url),
  });
  return {
    baseURL,
    rewrite,
    requestMiddleware,
    config: (options = {}) => ({ credentials: options.credentials ?? "fal-test", requestMiddleware }),
  };
}

// ---------------------------------------------------------------------------------------------------------

interface FalJob {
  requestId: string;
  /** `owner/alias` (or `namespace/owner/alias`): where the status, result and cancel URLs live. */
  app: string;
  polls: number;
  pollsUntilDone: number;
  result: JsonObject;
  units: string | undefined;
  inferenceTime: number;
  logs: string[];
  failure: { status: number; message: string; errorType: string | undefined } | undefined;
  canceled: boolean;
}

const QUEUE_PATH = /^\/fal\/queue\.fal\.run\/(.+)\/requests\/([^/]+)(\/status(?:\/stream)?|\/cancel)?$/;

export function falRoutes(): FakeRoute<any>[] {
  const jobs = new Map<string, FalJob>();
  const lookup = <R extends FakeReply>(
    name: "fal.queue.status" | "fal.queue.result" | "fal.queue.cancel",
    method: string,
    path: RegExp,
    handle: (exchange: FakeExchange<R>, job: FalJob) => Promise<void>,
  ): FakeRoute<R> => ({
    name,
    method,
    path,
    handle: async (exchange) => {
      if (await sendScriptedError(exchange)) return;
      const match = QUEUE_PATH.exec(exchange.request.path);
      const app = decodeURIComponent(match?.[1] ?? "");
      const job = jobs.get(decodeURIComponent(match?.[2] ?? ""));
      // The status and result URLs drop the endpoint's sub-path, but a client that keeps it still finds the job.
      if (!job || !(app === job.app || app.startsWith(`${job.app}/`))) {
        return exchange.json(404, { detail: "Request not found" });
      }
      return handle(exchange, job);
    },
  });
  return [
    lookup("fal.queue.status", "GET", /^\/fal\/queue\.fal\.run\/.+\/requests\/[^/]+\/status$/, queueStatus),
    lookup(
      "fal.queue.status",
      "GET",
      /^\/fal\/queue\.fal\.run\/.+\/requests\/[^/]+\/status\/stream$/,
      queueStatusStream,
    ),
    lookup("fal.queue.cancel", "PUT", /^\/fal\/queue\.fal\.run\/.+\/requests\/[^/]+\/cancel$/, queueCancel),
    lookup("fal.queue.result", "GET", /^\/fal\/queue\.fal\.run\/.+\/requests\/[^/]+$/, queueResult),
    {
      name: "fal.queue",
      method: "POST",
      path: /^\/fal\/queue\.fal\.run\/.+$/,
      handle: (exchange: FakeExchange<FalQueueReply>) => queueSubmit(exchange, jobs),
      reset: () => jobs.clear(),
    },
    { name: "fal.stream", method: "POST", path: /^\/fal\/fal\.run\/.+\/stream$/, handle: handleStream },
    { name: "fal.run", method: "POST", path: /^\/fal\/fal\.run\/.+$/, handle: handleRun },
    { name: "fal.run", method: "GET", path: /^\/fal\/fal\.run\/.+$/, handle: handleRun },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Errors

const ERROR_DETAILS: Record<number, string> = {
  400: "Bad request",
  401: "Authentication is required to perform this action",
  403: "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.",
  404: "Application not found",
  429: "Too many requests",
  500: "Internal server error",
  502: "The runner sent an incomplete response",
  503: "No runner could be allocated to handle the request",
  504: "Request timed out",
};

const ERROR_TYPES: Record<number, string> = {
  500: "internal_error",
  502: "runner_incomplete_response",
  503: "runner_scheduling_failure",
  504: "request_timeout",
};

/**
 * fal's error body: a validation error (422) is `{ detail: [{ loc, msg, type }] }`; a request error
 * (5xx, timeouts) is `{ detail, error_type }`; other client errors are `{ detail }`. None has a `message`,
 * so the client's `ApiError.message` is the status text.
 */
export function falErrorBody(status: number, details: FakeErrorDetails = {}): JsonObject {
  const message = details.message ?? ERROR_DETAILS[status] ?? `Fake error with status ${status}.`;
  if (status === 422) {
    return {
      detail: [
        { loc: ["body", details.param ?? "prompt"], msg: message, type: details.type ?? "value_error" },
      ],
    };
  }
  const errorType = details.type ?? ERROR_TYPES[status] ?? (status >= 500 ? "internal_error" : undefined);
  return { detail: message, ...(errorType !== undefined && { error_type: errorType }) };
}

function sendError(
  exchange: FakeExchange<FakeReply>,
  status: number,
  details: FakeErrorDetails = {},
): Promise<void> {
  const body = falErrorBody(status, details);
  const headers: Record<string, string> = {};
  if (typeof body.error_type === "string") headers["x-fal-error-type"] = body.error_type;
  return exchange.json(status, body, headers);
}

async function sendScriptedError(exchange: FakeExchange<FakeReply>): Promise<boolean> {
  const { status, error } = exchange.reply;
  if (status === undefined || status < 400) return false;
  await sendError(exchange, status, error);
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Results

export const DEFAULT_FAL_OUTPUT = "Hello from the fake provider.";

/** fal's `image_size` presets, width × height. */
export const FAL_IMAGE_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};

const MEGAPIXEL = 1024 * 1024;
const DEFAULT_VIDEO_SECONDS = 5;
const VIDEO_BYTES_PER_SECOND = 500_000;
const IMAGE_MODEL = /flux|image|recraft|sdxl|stable-diffusion|ideogram|imagen|seedream|hidream|qwen-image/;

type Family = "image" | "video" | "other";

function familyOf(endpointId: string, input: JsonObject): Family {
  if (endpointId.includes("video") || input.duration !== undefined) return "video";
  if (input.image_size !== undefined || input.num_images !== undefined || IMAGE_MODEL.test(endpointId)) {
    return "image";
  }
  return "other";
}

function imageSize(endpointId: string, value: unknown): [number, number] {
  const object = asObject(value);
  if (object) {
    return [positiveInt(object.width, 512), positiveInt(object.height, 512)];
  }
  if (typeof value === "string") {
    const preset = FAL_IMAGE_SIZES[value];
    if (preset) return [preset[0], preset[1]];
    const match = /^(\d+)x(\d+)$/.exec(value);
    if (match) return [Number(match[1]), Number(match[2])];
  }
  const fallback = endpointId.includes("flux") ? FAL_IMAGE_SIZES.landscape_4_3 : FAL_IMAGE_SIZES.square_hd;
  return fallback ? [fallback[0], fallback[1]] : [1024, 1024];
}

function videoSeconds(value: unknown): number {
  const number = typeof value === "string" ? Number.parseFloat(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number > 0 ? number : DEFAULT_VIDEO_SECONDS;
}

interface ComputedResult {
  result: JsonObject;
  units: string | undefined;
  /** Stream frames before the final result. */
  partials: JsonObject[];
}

function computeResult(
  endpointId: string,
  input: JsonObject,
  reply: FalReply,
  requestId: string,
  seq: number,
): ComputedResult {
  const family = familyOf(endpointId, input);
  const seed = reply.seed ?? (typeof input.seed === "number" ? input.seed : (seq * 7_919) % 2_147_483_647);
  let computed: ComputedResult;
  if (family === "image") {
    const [width, height] = imageSize(endpointId, input.image_size);
    const count = positiveInt(input.num_images, 1);
    const format = typeof input.output_format === "string" ? input.output_format : "jpeg";
    const extension = format === "jpeg" ? "jpg" : format;
    const images = Array.from({ length: count }, (_, index) => ({
      url: `https://v3.fal.media/files/fake/${requestId}_${index}.${extension}`,
      width,
      height,
      content_type: `image/${format}`,
    }));
    const result = {
      images,
      timings: { inference: 0.5 },
      seed,
      has_nsfw_concepts: images.map(() => false),
      prompt: typeof input.prompt === "string" ? input.prompt : "",
    };
    const units = count * Math.ceil((width * height) / MEGAPIXEL);
    const partials = images
      .slice(0, -1)
      .map((_, index) => ({ ...result, images: images.slice(0, index + 1) }));
    computed = { result, units: String(units), partials };
  } else if (family === "video") {
    const seconds = videoSeconds(input.duration);
    const result = {
      video: {
        url: `https://v3.fal.media/files/fake/${requestId}.mp4`,
        content_type: "video/mp4",
        file_name: "output.mp4",
        file_size: Math.round(seconds * VIDEO_BYTES_PER_SECOND),
      },
      seed,
    };
    computed = { result, units: String(seconds), partials: [] };
  } else {
    const text = reply.content ?? DEFAULT_FAL_OUTPUT;
    const words = reply.chunks === undefined ? splitWords(text) : splitInto(text, reply.chunks);
    const partials = words.slice(0, -1).map((_, index) => ({
      output: words.slice(0, index + 1).join(""),
      partial: true,
    }));
    computed = { result: { output: text, partial: false }, units: "1", partials };
  }
  if (reply.result) computed = { ...computed, result: reply.result, partials: [] };
  if (reply.billableUnits !== undefined) {
    computed.units = reply.billableUnits === null ? undefined : String(reply.billableUnits);
  }
  return computed;
}

/** A fal request id: UUID-shaped and deterministic. */
function falRequestId(seq: number): string {
  return `fa1fa1e0-0000-4000-8000-${seq.toString(16).padStart(12, "0")}`;
}

/** The endpoint id and input of a run / submit / stream request. */
function endpointAndInput(
  exchange: FakeExchange<FakeReply>,
  host: "fal.run" | "queue.fal.run",
): { endpointId: string; input: JsonObject } {
  const { request } = exchange;
  let endpointId = decodeURIComponent(request.path.slice(`/fal/${host}/`.length));
  if (exchange.request.route === "fal.stream") endpointId = endpointId.replace(/\/stream$/, "");
  const input = request.method === "GET" ? { ...request.query } : (asObject(request.body) ?? {});
  return { endpointId, input };
}

/** `owner/alias` of an endpoint id (`namespace/owner/alias` for workflows and comfy), as the client builds it. */
function appOf(endpointId: string): string {
  const parts = endpointId.split("/");
  const count = parts[0] === "workflows" || parts[0] === "comfy" ? 3 : 2;
  return parts.slice(0, count).join("/");
}

function resultHeaders(requestId: string, units: string | undefined): Record<string, string> {
  return { "x-fal-request-id": requestId, ...(units !== undefined && { "x-fal-billable-units": units }) };
}

// ---------------------------------------------------------------------------------------------------------
// Sync run and stream

async function handleRun(exchange: FakeExchange<FalReply>): Promise<void> {
  const { reply, seq } = exchange;
  if (await sendScriptedError(exchange)) return;
  const { endpointId, input } = endpointAndInput(exchange, "fal.run");
  const requestId = reply.id ?? falRequestId(seq);
  const { result, units } = computeResult(endpointId, input, reply, requestId, seq);
  return exchange.json(200, result, resultHeaders(requestId, units));
}

async function handleStream(exchange: FakeExchange<FalStreamReply>): Promise<void> {
  const { reply, seq } = exchange;
  if (await sendScriptedError(exchange)) return;
  const { endpointId, input } = endpointAndInput(exchange, "fal.run");
  const requestId = reply.id ?? falRequestId(seq);
  const { result, partials } = computeResult(endpointId, input, reply, requestId, seq);
  const events = reply.events ?? [...partials, result];
  const frames: SseFrame[] = events.map((event, index) => ({
    data: JSON.stringify(event),
    ...(index < events.length - 1 && { delta: true }),
  }));
  // Whether fal sends billable units on a stream is not known: only a scripted number is sent.
  const headers: Record<string, string> = { "x-fal-request-id": requestId };
  if (reply.billableUnits !== undefined && reply.billableUnits !== null) {
    headers["x-fal-billable-units"] = String(reply.billableUnits);
  }
  const errorFrame: SseFrame = { data: JSON.stringify(falErrorBody(500, reply.error)) };
  return exchange.sse(frames, { errorFrame, headers });
}

// ---------------------------------------------------------------------------------------------------------
// Queue

function queueUrls(job: FalJob): JsonObject {
  const base = `https://queue.fal.run/${job.app}/requests/${job.requestId}`;
  return {
    request_id: job.requestId,
    response_url: base,
    status_url: `${base}/status`,
    cancel_url: `${base}/cancel`,
  };
}

async function queueSubmit(exchange: FakeExchange<FalQueueReply>, jobs: Map<string, FalJob>): Promise<void> {
  const { reply, seq } = exchange;
  if (await sendScriptedError(exchange)) return;
  const { endpointId, input } = endpointAndInput(exchange, "queue.fal.run");
  const requestId = reply.id ?? falRequestId(seq);
  const { result, units } = computeResult(endpointId, input, reply, requestId, seq);
  const job: FalJob = {
    requestId,
    app: appOf(endpointId),
    polls: 0,
    pollsUntilDone: Math.max(0, reply.pollsUntilDone ?? 0),
    result,
    units,
    inferenceTime: reply.inferenceTime ?? 1.5,
    logs: reply.logs ?? [],
    failure: reply.failure && {
      status: reply.failure.status ?? 500,
      message: reply.failure.message ?? ERROR_DETAILS[reply.failure.status ?? 500] ?? "Request failed",
      errorType: reply.failure.errorType,
    },
    canceled: false,
  };
  jobs.set(requestId, job);
  return exchange.json(
    200,
    { status: "IN_QUEUE", ...queueUrls(job), queue_position: 0 },
    {
      "x-fal-request-id": requestId,
    },
  );
}

const isDone = (job: FalJob): boolean => job.canceled || job.polls >= job.pollsUntilDone;

/** One status poll: the first of several answers IN_QUEUE, the others IN_PROGRESS, then COMPLETED. */
function pollStatus(job: FalJob, withLogs: boolean): JsonObject {
  const logs = withLogs
    ? job.logs.map((message) => ({
        message,
        level: "INFO",
        source: "USER",
        timestamp: new Date().toISOString(),
      }))
    : [];
  if (!isDone(job)) {
    const queued = job.polls === 0 && job.pollsUntilDone > 1;
    job.polls += 1;
    return queued
      ? { status: "IN_QUEUE", ...queueUrls(job), queue_position: 0 }
      : { status: "IN_PROGRESS", ...queueUrls(job), logs };
  }
  const completed: JsonObject = {
    status: "COMPLETED",
    ...queueUrls(job),
    logs,
    metrics: { inference_time: job.canceled ? null : job.inferenceTime },
  };
  if (job.canceled) {
    completed.error = "Request was cancelled by the client";
    completed.error_type = "client_cancelled";
  } else if (job.failure) {
    completed.error = job.failure.message;
    completed.error_type = job.failure.errorType ?? ERROR_TYPES[job.failure.status] ?? "internal_error";
  }
  return completed;
}

async function queueStatus(exchange: FakeExchange<FakeReply>, job: FalJob): Promise<void> {
  return exchange.json(200, pollStatus(job, exchange.request.query.logs === "1"), {
    "x-fal-request-id": job.requestId,
  });
}

/** `subscribe({ mode: "streaming" })`: every status until COMPLETED, as data-only SSE frames. */
async function queueStatusStream(exchange: FakeExchange<FakeReply>, job: FalJob): Promise<void> {
  const withLogs = exchange.request.query.logs === "1";
  const frames: SseFrame[] = [];
  for (;;) {
    const status = pollStatus(job, withLogs);
    frames.push({ data: JSON.stringify(status), ...(status.status !== "COMPLETED" && { delta: true }) });
    if (status.status === "COMPLETED") break;
  }
  const errorFrame: SseFrame = { data: JSON.stringify(falErrorBody(500, exchange.reply.error)) };
  return exchange.sse(frames, { errorFrame, headers: { "x-fal-request-id": job.requestId } });
}

async function queueResult(exchange: FakeExchange<FakeReply>, job: FalJob): Promise<void> {
  if (!isDone(job)) return exchange.json(400, { detail: "Request is still in progress" });
  if (job.canceled) {
    return sendError(exchange, 499, {
      message: "Request was cancelled by the client",
      type: "client_cancelled",
    });
  }
  if (job.failure) {
    const { status, message, errorType } = job.failure;
    return sendError(exchange, status, { message, ...(errorType !== undefined && { type: errorType }) });
  }
  return exchange.json(200, job.result, resultHeaders(job.requestId, job.units));
}

async function queueCancel(exchange: FakeExchange<FakeReply>, job: FalJob): Promise<void> {
  if (isDone(job)) return exchange.json(400, { status: "ALREADY_COMPLETED" });
  job.canceled = true;
  return exchange.json(202, { status: "CANCELLATION_REQUESTED" });
}
