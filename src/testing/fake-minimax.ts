import { asObject, positiveInt } from "./fake-openai-shared.js";
import type { FakeExchange, FakeReply, FakeRoute, SseFrame } from "./fake-providers.js";
import { splitBytes } from "./fake-text.js";

/**
 * MiniMax's video generation (create → query → file retrieve) and synchronous speech (`t2a_v2`) on their
 * documented wire format (platform.minimax.io API reference). Plain HTTP JSON under `<baseURL>/v1/...`, with
 * `Authorization: Bearer <key>`.
 *
 * MiniMax reports most errors with HTTP 200 and a non-zero `base_resp.status_code` (1002 rate limit, 1004
 * authentication, 1008 insufficient balance, 1026 / 1027 sensitive input / output, 2013 invalid params):
 * script `baseResp` for that, or `status` for a real HTTP error.
 */

// ---------------------------------------------------------------------------------------------------------
// Reply types

export interface MiniMaxBaseResp {
  status_code: number;
  /** Default: MiniMax's message for the code. */
  status_msg?: string;
}

export interface MiniMaxReply extends FakeReply {
  /** Answer HTTP 200 with this `base_resp` and no payload (a non-zero code is MiniMax's way to fail). */
  baseResp?: MiniMaxBaseResp;
}

export interface MiniMaxVideoReply extends MiniMaxReply {
  /** Queries that answer `Queueing` / `Processing` before `Success` (default 0). */
  pollsUntilDone?: number;
  /** The task ends `Fail` with this `base_resp` (default code 1027) instead of `Success`. */
  failure?: Partial<MiniMaxBaseResp>;
  /** Size of the video file (default: 500,000 bytes per second of `duration`). */
  bytes?: number;
}

export interface MiniMaxTtsReply extends MiniMaxReply {
  /** Length of the audio in seconds (default: one second per 15 characters of text, at least one). */
  seconds?: number;
  /** Merged over the computed `extra_info` (e.g. `usage_characters`). */
  extraInfo?: Partial<MiniMaxTtsExtraInfo>;
}

export interface MiniMaxTtsExtraInfo {
  /** Milliseconds. */
  audio_length: number;
  audio_sample_rate: number;
  audio_size: number;
  bitrate: number;
  word_count: number;
  invisible_character_ratio: number;
  /** What MiniMax bills: the characters of `text` (the fake counts code points). */
  usage_characters: number;
  audio_format: string;
  audio_channel: number;
}

// ---------------------------------------------------------------------------------------------------------

const STATUS_MESSAGES: Record<number, string> = {
  0: "success",
  1000: "unknown error",
  1001: "request timeout",
  1002: "rate limit, please retry later",
  1004: "login fail: Please carry the API secret key in the 'Authorization' field of the request header",
  1008: "insufficient balance",
  1013: "internal service error",
  1026: "input new_sensitive",
  1027: "output new_sensitive",
  2013: "invalid params",
  2049: "invalid api key",
};

/** The `base_resp` code MiniMax pairs with an HTTP error status. */
const CODES_BY_STATUS: Record<number, number> = { 400: 2013, 401: 1004, 402: 1008, 429: 1002 };

export function minimaxBaseResp(code: number, message?: string): { status_code: number; status_msg: string } {
  return { status_code: code, status_msg: message ?? STATUS_MESSAGES[code] ?? "unknown error" };
}

const SUCCESS = minimaxBaseResp(0);
const VIDEO_BYTES_PER_SECOND = 500_000;
/** The fake's audio is short on purpose: bytes per second of speech, not a real bitrate. */
const AUDIO_BYTES_PER_SECOND = 1_000;
const CHARACTERS_PER_SECOND = 15;

/** Video sizes per `resolution` (16:9; a first frame image would set the real aspect). */
const RESOLUTIONS: Record<string, readonly [number, number]> = {
  "512P": [912, 512],
  "720P": [1280, 720],
  "768P": [1366, 768],
  "1080P": [1920, 1080],
};

interface StoredTask {
  taskId: string;
  polls: number;
  pollsUntilDone: number;
  failure: { status_code: number; status_msg: string } | undefined;
  width: number;
  height: number;
  fileId: string;
}

interface StoredFile {
  fileId: string;
  bytes: Buffer;
  filename: string;
  purpose: string;
  createdAt: number;
  contentType: string;
}

interface MiniMaxState {
  tasks: Map<string, StoredTask>;
  files: Map<string, StoredFile>;
}

export function minimaxRoutes(): FakeRoute<any>[] {
  const state: MiniMaxState = { tasks: new Map(), files: new Map() };
  const guarded = <R extends MiniMaxReply>(
    handle: (exchange: FakeExchange<R>, state: MiniMaxState) => Promise<void>,
  ): ((exchange: FakeExchange<R>) => Promise<void>) => {
    return async (exchange) => {
      if (await sendScripted(exchange)) return;
      return handle(exchange, state);
    };
  };
  return [
    {
      name: "minimax.video",
      method: "POST",
      path: "/minimax/v1/video_generation",
      handle: guarded(createVideo),
      reset: () => {
        state.tasks.clear();
        state.files.clear();
      },
    },
    {
      name: "minimax.video.query",
      method: "GET",
      path: "/minimax/v1/query/video_generation",
      handle: guarded(queryVideo),
    },
    {
      name: "minimax.files",
      method: "GET",
      path: "/minimax/v1/files/retrieve",
      handle: guarded(retrieveFile),
    },
    {
      name: "minimax.files",
      method: "GET",
      path: /^\/minimax\/files\/[^/]+$/,
      handle: guarded(downloadFile),
    },
    { name: "minimax.tts", method: "POST", path: "/minimax/v1/t2a_v2", handle: guarded(textToSpeech) },
  ];
}

/** A scripted HTTP error or a scripted `base_resp`: answers and returns true. */
async function sendScripted(exchange: FakeExchange<MiniMaxReply>): Promise<boolean> {
  const { status, error, baseResp } = exchange.reply;
  if (status !== undefined && status >= 400) {
    const code = CODES_BY_STATUS[status] ?? (status >= 500 ? 1000 : 2013);
    await exchange.json(status, { base_resp: minimaxBaseResp(code, error?.message) });
    return true;
  }
  if (baseResp) {
    await exchange.json(200, { base_resp: minimaxBaseResp(baseResp.status_code, baseResp.status_msg) });
    return true;
  }
  return false;
}

function invalidParams(exchange: FakeExchange<FakeReply>, detail: string): Promise<void> {
  return exchange.json(200, { base_resp: minimaxBaseResp(2013, `invalid params, ${detail}`) });
}

/** Numeric ids, as MiniMax's are (task ids and file ids are 15-digit numbers). */
function numericId(seq: number, offset: number): string {
  return String(300_000_000_000_000 + offset + seq);
}

function serverOrigin(exchange: FakeExchange<FakeReply>): string {
  return `http://${exchange.request.headers.host ?? "127.0.0.1"}`;
}

function downloadUrl(exchange: FakeExchange<FakeReply>, file: StoredFile): string {
  return `${serverOrigin(exchange)}/minimax/files/${file.fileId}_${file.filename}`;
}

// ---------------------------------------------------------------------------------------------------------
// Video

async function createVideo(exchange: FakeExchange<MiniMaxVideoReply>, state: MiniMaxState): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidParams(exchange, "body must be a JSON object");
  if (typeof body.model !== "string") return invalidParams(exchange, "model is required");
  const hasImage = typeof body.first_frame_image === "string";
  if (typeof body.prompt !== "string" && !hasImage) return invalidParams(exchange, "prompt is required");

  const legacy = /^(video-01|[TIS]2V-01)/i.test(body.model);
  const resolution =
    typeof body.resolution === "string" ? body.resolution.toUpperCase() : legacy ? "720P" : "768P";
  const size = RESOLUTIONS[resolution];
  if (!size) return invalidParams(exchange, `resolution ${String(body.resolution)} is not supported`);
  const seconds = positiveInt(body.duration, 6);

  const taskId = reply.id ?? numericId(seq, 0);
  const fileId = numericId(seq, 500_000_000);
  state.tasks.set(taskId, {
    taskId,
    polls: 0,
    pollsUntilDone: Math.max(0, reply.pollsUntilDone ?? 0),
    failure: reply.failure && minimaxBaseResp(reply.failure.status_code ?? 1027, reply.failure.status_msg),
    width: size[0],
    height: size[1],
    fileId,
  });
  const bytes = Buffer.alloc(Math.max(16, reply.bytes ?? seconds * VIDEO_BYTES_PER_SECOND));
  bytes.writeUInt32BE(16, 0);
  bytes.write("ftypmp42", 4, "latin1");
  state.files.set(fileId, {
    fileId,
    bytes,
    filename: "output_aigc.mp4",
    purpose: "video_generation",
    createdAt: Math.floor(Date.now() / 1000),
    contentType: "video/mp4",
  });
  return exchange.json(200, { task_id: taskId, base_resp: SUCCESS });
}

/** One query: `Queueing` first (when there are several polls), then `Processing`, then `Success` / `Fail`. */
async function queryVideo(exchange: FakeExchange<MiniMaxReply>, state: MiniMaxState): Promise<void> {
  const taskId = exchange.request.query.task_id ?? "";
  const task = state.tasks.get(taskId);
  if (!task) return invalidParams(exchange, `task_id ${taskId} not found`);
  const pending = { task_id: task.taskId, file_id: "", video_width: 0, video_height: 0 };
  if (task.polls < task.pollsUntilDone) {
    const status = task.polls === 0 && task.pollsUntilDone > 1 ? "Queueing" : "Processing";
    task.polls += 1;
    return exchange.json(200, { ...pending, status, base_resp: SUCCESS });
  }
  if (task.failure) return exchange.json(200, { ...pending, status: "Fail", base_resp: task.failure });
  return exchange.json(200, {
    task_id: task.taskId,
    status: "Success",
    file_id: task.fileId,
    video_width: task.width,
    video_height: task.height,
    base_resp: SUCCESS,
  });
}

async function retrieveFile(exchange: FakeExchange<MiniMaxReply>, state: MiniMaxState): Promise<void> {
  const fileId = exchange.request.query.file_id ?? "";
  const file = state.files.get(fileId);
  if (!file) return invalidParams(exchange, `file_id ${fileId} not found`);
  const task = [...state.tasks.values()].find((candidate) => candidate.fileId === fileId);
  if (task && (task.failure || task.polls < task.pollsUntilDone)) {
    return invalidParams(exchange, `file_id ${fileId} is not ready`);
  }
  return exchange.json(200, {
    file: {
      // The API documents file_id as an int64 here, while the query answers it as a string.
      file_id: Number(file.fileId),
      bytes: file.bytes.length,
      created_at: file.createdAt,
      filename: file.filename,
      purpose: file.purpose,
      download_url: downloadUrl(exchange, file),
    },
    base_resp: SUCCESS,
  });
}

async function downloadFile(exchange: FakeExchange<MiniMaxReply>, state: MiniMaxState): Promise<void> {
  const name = exchange.request.path.slice("/minimax/files/".length);
  const file = state.files.get(name.split("_")[0] ?? "");
  if (!file) return exchange.send(404, "Not Found", "text/plain");
  return exchange.send(200, file.bytes, file.contentType);
}

// ---------------------------------------------------------------------------------------------------------
// Speech (t2a_v2)

const TTS_MAX_CHARACTERS = 10_000;

async function textToSpeech(exchange: FakeExchange<MiniMaxTtsReply>, state: MiniMaxState): Promise<void> {
  const { reply, request, seq } = exchange;
  const body = asObject(request.body);
  if (!body) return invalidParams(exchange, "body must be a JSON object");
  if (typeof body.model !== "string") return invalidParams(exchange, "model is required");
  if (typeof body.text !== "string" || body.text === "") return invalidParams(exchange, "text is required");
  const characters = [...body.text].length;
  if (characters > TTS_MAX_CHARACTERS) {
    return invalidParams(exchange, `text must be shorter than ${TTS_MAX_CHARACTERS} characters`);
  }
  const voice = asObject(body.voice_setting);
  if (typeof voice?.voice_id !== "string" && body.timber_weights === undefined) {
    return invalidParams(exchange, "voice_setting.voice_id is required");
  }

  const audioSetting = asObject(body.audio_setting) ?? {};
  const format = typeof audioSetting.format === "string" ? audioSetting.format : "mp3";
  const sampleRate = positiveInt(audioSetting.sample_rate, 32_000);
  const bitrate = positiveInt(audioSetting.bitrate, 128_000);
  const channel = positiveInt(audioSetting.channel, 1);
  const seconds = reply.seconds ?? Math.max(1, Math.round(characters / CHARACTERS_PER_SECOND));
  const audio = fakeAudio(format, seconds);
  const extraInfo: MiniMaxTtsExtraInfo = {
    audio_length: Math.round(seconds * 1000),
    audio_sample_rate: sampleRate,
    audio_size: audio.length,
    bitrate,
    word_count: body.text.split(/\s+/).filter((word) => word !== "").length,
    invisible_character_ratio: 0,
    usage_characters: characters,
    audio_format: format,
    audio_channel: channel,
    ...reply.extraInfo,
  };
  const traceId = reply.id ?? `${seq.toString(16).padStart(8, "0")}${"f".repeat(24)}`;

  let audioField = audio.toString("hex");
  if (body.output_format === "url") {
    const fileId = numericId(seq, 700_000_000);
    const file: StoredFile = {
      fileId,
      bytes: audio,
      filename: `speech.${format}`,
      purpose: "t2a",
      createdAt: Math.floor(Date.now() / 1000),
      contentType: format === "wav" ? "audio/wav" : format === "pcm" ? "audio/pcm" : `audio/${format}`,
    };
    state.files.set(fileId, file);
    audioField = downloadUrl(exchange, file);
  }
  const final = {
    data: { audio: audioField, status: 2, subtitle_file: "" },
    extra_info: extraInfo,
    trace_id: traceId,
    base_resp: SUCCESS,
  };
  if (body.stream !== true) return exchange.json(200, final);

  // Streaming: hex pieces with status 1, then the whole audio again with status 2 and extra_info.
  const pieces = splitBytes(audio, reply.chunks ?? 4);
  const frames: SseFrame[] = pieces.map((piece) => ({
    data: JSON.stringify({
      data: { audio: Buffer.from(piece).toString("hex"), status: 1 },
      trace_id: traceId,
      base_resp: SUCCESS,
    }),
    delta: true,
  }));
  frames.push({ data: JSON.stringify(final) });
  const errorFrame: SseFrame = {
    data: JSON.stringify({ trace_id: traceId, base_resp: minimaxBaseResp(1000, reply.error?.message) }),
  };
  return exchange.sse(frames, { errorFrame });
}

/** Bytes that start like the format's files: an ID3 tag for mp3, a RIFF header for wav. */
function fakeAudio(format: string, seconds: number): Buffer {
  const bytes = Buffer.alloc(Math.max(16, Math.round(seconds * AUDIO_BYTES_PER_SECOND)));
  if (format === "wav") bytes.write("RIFF", 0, "latin1");
  else if (format === "mp3") bytes.write("ID3", 0, "latin1");
  return bytes;
}
