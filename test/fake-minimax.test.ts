import { describe, expect, it } from "vitest";
import { sharedFakeProviders } from "./helpers.js";

const fake = sharedFakeProviders();

const KEY = "mm-test";

// MiniMax has no SDK: the tests read its JSON loosely.
type Json = any;

async function call(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${fake.minimax.baseURL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

const SUCCESS = { status_code: 0, status_msg: "success" };

describe("video generation", () => {
  it("creates a task, answers Queueing and Processing queries, then Success with a file to retrieve and download", async () => {
    fake.script("minimax.video", { pollsUntilDone: 2 });

    const created = await call("POST", "/v1/video_generation", {
      model: "MiniMax-Hailuo-02",
      prompt: "A cat surfing",
      duration: 10,
      resolution: "1080P",
    });
    const taskId = created.json.task_id;
    const queries = [];
    for (let poll = 0; poll < 3; poll += 1) {
      queries.push((await call("GET", `/v1/query/video_generation?task_id=${taskId}`)).json);
    }
    const fileId = queries[2].file_id;
    const retrieved = await call("GET", `/v1/files/retrieve?file_id=${fileId}`);
    const download = await fetch(retrieved.json.file.download_url);
    const bytes = new Uint8Array(await download.arrayBuffer());

    expect(created).toEqual({
      status: 200,
      json: { task_id: expect.stringMatching(/^\d{15}$/), base_resp: SUCCESS },
    });
    expect(queries.map((query) => query.status)).toEqual(["Queueing", "Processing", "Success"]);
    expect(queries[0]).toEqual({
      task_id: taskId,
      status: "Queueing",
      file_id: "",
      video_width: 0,
      video_height: 0,
      base_resp: SUCCESS,
    });
    expect(queries[2]).toEqual({
      task_id: taskId,
      status: "Success",
      file_id: expect.stringMatching(/^\d{15}$/),
      video_width: 1920,
      video_height: 1080,
      base_resp: SUCCESS,
    });
    expect(retrieved.json).toEqual({
      file: {
        file_id: Number(fileId),
        bytes: 5_000_000,
        created_at: expect.any(Number),
        filename: "output_aigc.mp4",
        purpose: "video_generation",
        download_url: expect.stringMatching(new RegExp(`^${fake.url}/minimax/files/`)),
      },
      base_resp: SUCCESS,
    });
    expect(download.headers.get("content-type")).toBe("video/mp4");
    expect(bytes.length).toBe(5_000_000);
    expect(fake.requests.map((request) => request.route)).toEqual([
      "minimax.video",
      "minimax.video.query",
      "minimax.video.query",
      "minimax.video.query",
      "minimax.files",
      "minimax.files",
    ]);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(fake.requests[0]?.body).toMatchObject({ model: "MiniMax-Hailuo-02", duration: 10 });
  });

  it("defaults to 768P for Hailuo models and 720P for the 01 series", async () => {
    const hailuo = await call("POST", "/v1/video_generation", { model: "MiniMax-Hailuo-2.3", prompt: "x" });
    const legacy = await call("POST", "/v1/video_generation", { model: "video-01", prompt: "x" });

    const first = (await call("GET", `/v1/query/video_generation?task_id=${hailuo.json.task_id}`)).json;
    const second = (await call("GET", `/v1/query/video_generation?task_id=${legacy.json.task_id}`)).json;

    expect([first.video_width, first.video_height]).toEqual([1366, 768]);
    expect([second.video_width, second.video_height]).toEqual([1280, 720]);
  });

  it("fails a task with status Fail and a non-zero base_resp, and has no file for it", async () => {
    fake.script("minimax.video", { failure: {} });

    const created = await call("POST", "/v1/video_generation", { model: "MiniMax-Hailuo-02", prompt: "x" });
    const query = (await call("GET", `/v1/query/video_generation?task_id=${created.json.task_id}`)).json;

    expect(query).toMatchObject({
      status: "Fail",
      file_id: "",
      base_resp: { status_code: 1027, status_msg: "output new_sensitive" },
    });
  });

  it("reports errors in base_resp with HTTP 200: invalid params, scripted codes and unknown tasks", async () => {
    fake.script("minimax.video", { baseResp: { status_code: 1008 } });

    const broke = await call("POST", "/v1/video_generation", { model: "MiniMax-Hailuo-02", prompt: "x" });
    const invalid = await call("POST", "/v1/video_generation", { prompt: "x" });
    const unknown = await call("GET", "/v1/query/video_generation?task_id=123");

    expect(broke).toEqual({
      status: 200,
      json: { base_resp: { status_code: 1008, status_msg: "insufficient balance" } },
    });
    expect(invalid).toEqual({
      status: 200,
      json: { base_resp: { status_code: 2013, status_msg: "invalid params, model is required" } },
    });
    expect(unknown.json.base_resp.status_code).toBe(2013);
  });

  it("answers a scripted HTTP error with the matching base_resp code", async () => {
    fake.script("minimax.video", { status: 429 });

    const limited = await call("POST", "/v1/video_generation", { model: "MiniMax-Hailuo-02", prompt: "x" });

    expect(limited).toEqual({
      status: 429,
      json: { base_resp: { status_code: 1002, status_msg: "rate limit, please retry later" } },
    });
  });
});

describe("speech (t2a_v2)", () => {
  const request = {
    model: "speech-02-turbo",
    text: "Hello there, this is a test of the speech API.",
    voice_setting: { voice_id: "male-qn-qingse", speed: 1, vol: 1, pitch: 0 },
    audio_setting: { sample_rate: 32_000, bitrate: 128_000, format: "mp3", channel: 1 },
  };

  it("answers hex audio with extra_info carrying usage_characters and the audio length", async () => {
    const { status, json } = await call("POST", "/v1/t2a_v2", request);

    expect(status).toBe(200);
    expect(json).toEqual({
      data: { audio: expect.stringMatching(/^[0-9a-f]+$/), status: 2, subtitle_file: "" },
      extra_info: {
        audio_length: 3_000,
        audio_sample_rate: 32_000,
        audio_size: 3_000,
        bitrate: 128_000,
        word_count: 10,
        invisible_character_ratio: 0,
        usage_characters: 46,
        audio_format: "mp3",
        audio_channel: 1,
      },
      trace_id: expect.any(String),
      base_resp: SUCCESS,
    });
    const audio = Buffer.from(json.data.audio, "hex");
    expect(audio.length).toBe(3_000);
    expect(audio.subarray(0, 3).toString("latin1")).toBe("ID3");
    expect(fake.requests[0]).toMatchObject({ route: "minimax.tts", path: "/minimax/v1/t2a_v2" });
  });

  it("lets a script set the seconds and the extra_info", async () => {
    fake.script("minimax.tts", { seconds: 2, extraInfo: { usage_characters: 92 } });

    const { json } = await call("POST", "/v1/t2a_v2", request);

    expect(json.extra_info).toMatchObject({ audio_length: 2_000, usage_characters: 92, audio_size: 2_000 });
  });

  it("returns a download URL with output_format url", async () => {
    const { json } = await call("POST", "/v1/t2a_v2", { ...request, output_format: "url" });
    const download = await fetch(json.data.audio);

    expect(json.data.audio).toMatch(new RegExp(`^${fake.url}/minimax/files/\\d+_speech\\.mp3$`));
    expect(download.headers.get("content-type")).toBe("audio/mp3");
    expect((await download.arrayBuffer()).byteLength).toBe(3_000);
  });

  it("streams hex pieces, then the whole audio with extra_info", async () => {
    const response = await fetch(`${fake.minimax.baseURL}/v1/t2a_v2`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ ...request, stream: true }),
    });
    const frames = (await response.text())
      .split("\n\n")
      .filter((frame) => frame.startsWith("data: "))
      .map((frame) => JSON.parse(frame.slice("data: ".length)));

    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(frames.map((frame) => frame.data.status)).toEqual([1, 1, 1, 1, 2]);
    const pieces = frames.slice(0, -1).map((frame) => frame.data.audio as string);
    expect(pieces.join("")).toBe(frames.at(-1).data.audio);
    expect(frames.at(-1).extra_info.usage_characters).toBe(46);
    expect(frames.slice(0, -1).every((frame) => frame.extra_info === undefined)).toBe(true);
  });

  it("refuses a request without text or voice with base_resp 2013", async () => {
    const noText = await call("POST", "/v1/t2a_v2", { ...request, text: "" });
    const noVoice = await call("POST", "/v1/t2a_v2", { ...request, voice_setting: {} });

    expect(noText.json.base_resp).toEqual({
      status_code: 2013,
      status_msg: "invalid params, text is required",
    });
    expect(noVoice.json.base_resp.status_code).toBe(2013);
  });

  it("answers a scripted authentication failure in base_resp", async () => {
    fake.script("minimax.tts", { baseResp: { status_code: 1004 } });

    const { status, json } = await call("POST", "/v1/t2a_v2", request);

    expect(status).toBe(200);
    expect(json).toEqual({
      base_resp: { status_code: 1004, status_msg: expect.stringContaining("login fail") },
    });
  });
});
