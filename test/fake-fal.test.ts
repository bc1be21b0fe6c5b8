import { ApiError, createFalClient, ValidationError } from "@fal-ai/client";
import { describe, expect, it } from "vitest";
import { sharedFakeProviders } from "./helpers.js";

const fake = sharedFakeProviders();

interface SeenResponse {
  method: string;
  url: string;
  status: number;
  requestId: string | null;
  billableUnits: string | null;
}

/** A fal client on the fake, with a `config.fetch` that sees every response (as spendguard's wrapper does). */
function client(): { fal: ReturnType<typeof createFalClient>; seen: SeenResponse[] } {
  const seen: SeenResponse[] = [];
  const fal = createFalClient({
    ...fake.fal.config(),
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await fetch(input, init);
      seen.push({
        method: init?.method ?? "GET",
        url: String(input),
        status: response.status,
        requestId: response.headers.get("x-fal-request-id"),
        billableUnits: response.headers.get("x-fal-billable-units"),
      });
      return response;
    },
  });
  return { fal, seen };
}

function lastRequest() {
  const request = fake.requests.at(-1);
  if (!request) throw new Error("no request was recorded");
  return request;
}

const QUEUE = "https://queue.fal.run";

describe("wiring", () => {
  it("rewrites fal hosts to the fake and leaves other URLs alone", async () => {
    expect(fake.fal.rewrite(`${QUEUE}/fal-ai/flux/dev?fal_webhook=x`)).toBe(
      `${fake.url}/fal/queue.fal.run/fal-ai/flux/dev?fal_webhook=x`,
    );
    expect(fake.fal.rewrite("https://fal.run/fal-ai/flux/dev")).toBe(
      `${fake.url}/fal/fal.run/fal-ai/flux/dev`,
    );
    expect(fake.fal.rewrite("https://example.com/fal.run")).toBe("https://example.com/fal.run");
    expect(await fake.fal.requestMiddleware({ url: "https://fal.run/a/b", method: "POST" })).toEqual({
      url: `${fake.url}/fal/fal.run/a/b`,
      method: "POST",
    });
    expect(fake.fal.config({ credentials: "id:secret" }).credentials).toBe("id:secret");
  });
});

describe("queue", () => {
  it("subscribe submits, polls IN_QUEUE and IN_PROGRESS, then fetches the result with its billable units", async () => {
    fake.script("fal.queue", { pollsUntilDone: 2 });
    const { fal, seen } = client();
    const updates: string[] = [];

    const result = await fal.subscribe("fal-ai/flux/dev", {
      input: { prompt: "a cat", image_size: "square_hd", num_images: 2 },
      pollInterval: 5,
      onEnqueue: (requestId) => updates.push(`enqueued ${requestId}`),
      onQueueUpdate: (status) => updates.push(status.status),
    });

    const requestId = result.requestId;
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(updates).toEqual([`enqueued ${requestId}`, "IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    expect(result.data).toEqual({
      images: [
        {
          url: `https://v3.fal.media/files/fake/${requestId}_0.jpg`,
          width: 1024,
          height: 1024,
          content_type: "image/jpeg",
        },
        {
          url: `https://v3.fal.media/files/fake/${requestId}_1.jpg`,
          width: 1024,
          height: 1024,
          content_type: "image/jpeg",
        },
      ],
      timings: { inference: 0.5 },
      seed: expect.any(Number),
      has_nsfw_concepts: [false, false],
      prompt: "a cat",
    });
    // Status and result URLs drop the endpoint's sub-path (`/dev`).
    const base = `${fake.url}/fal/queue.fal.run/fal-ai/flux`;
    expect(seen.map(({ method, url }) => `${method} ${url}`)).toEqual([
      `POST ${base}/dev`,
      `GET ${base}/requests/${requestId}/status?logs=0`,
      `GET ${base}/requests/${requestId}/status?logs=0`,
      `GET ${base}/requests/${requestId}/status?logs=0`,
      `GET ${base}/requests/${requestId}`,
    ]);
    expect(seen.at(-1)).toMatchObject({ status: 200, requestId, billableUnits: "2" });
    expect(seen.slice(0, -1).every((response) => response.billableUnits === null)).toBe(true);
    expect(fake.requests.map((request) => request.route)).toEqual([
      "fal.queue",
      "fal.queue.status",
      "fal.queue.status",
      "fal.queue.status",
      "fal.queue.result",
    ]);
    expect(fake.requests[0]?.headers.authorization).toBe("Key fal-test");
    expect(fake.requests[0]?.body).toEqual({ prompt: "a cat", image_size: "square_hd", num_images: 2 });
  });

  it("answers queue.submit, status (with logs and metrics) and result one by one", async () => {
    fake.script("fal.queue", { pollsUntilDone: 1, logs: ["loading model"], inferenceTime: 2.25 });
    const { fal } = client();

    const submitted = await fal.queue.submit("fal-ai/flux/dev", { input: { prompt: "x" } });
    const id = submitted.request_id;
    const early = await fal.queue
      .result("fal-ai/flux/dev", { requestId: id })
      .catch((error: unknown) => error);
    const running = await fal.queue.status("fal-ai/flux/dev", { requestId: id, logs: true });
    const done = await fal.queue.status("fal-ai/flux/dev", { requestId: id, logs: true });
    const result = await fal.queue.result("fal-ai/flux/dev", { requestId: id });

    const urls = `${QUEUE}/fal-ai/flux/requests/${id}`;
    expect(submitted).toEqual({
      status: "IN_QUEUE",
      request_id: id,
      response_url: urls,
      status_url: `${urls}/status`,
      cancel_url: `${urls}/cancel`,
      queue_position: 0,
    });
    expect(early).toBeInstanceOf(ApiError);
    expect(early).toMatchObject({ status: 400, body: { detail: "Request is still in progress" } });
    expect(running).toMatchObject({
      status: "IN_PROGRESS",
      logs: [{ message: "loading model", level: "INFO", source: "USER", timestamp: expect.any(String) }],
    });
    expect(done).toMatchObject({
      status: "COMPLETED",
      metrics: { inference_time: 2.25 },
      response_url: urls,
    });
    expect(result.requestId).toBe(id);
    // landscape_4_3 (1024 × 768) is flux's default size: 1 megapixel.
    expect(result.data.images[0]).toMatchObject({ width: 1024, height: 768 });
  });

  it("subscribes in streaming mode through the status stream", async () => {
    fake.script("fal.queue", { pollsUntilDone: 2 });
    const { fal, seen } = client();
    const updates: string[] = [];

    const result = await fal.subscribe("fal-ai/flux/schnell", {
      input: { prompt: "x" },
      mode: "streaming",
      onQueueUpdate: (status) => updates.push(status.status),
    });

    expect(updates).toEqual(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    expect(seen.map((response) => response.url)).toEqual([
      `${fake.url}/fal/queue.fal.run/fal-ai/flux/schnell`,
      `${fake.url}/fal/queue.fal.run/fal-ai/flux/requests/${result.requestId}/status/stream?logs=0`,
      `${fake.url}/fal/queue.fal.run/fal-ai/flux/requests/${result.requestId}`,
    ]);
  });

  it("cancels a queued request: the status completes with client_cancelled, the result fails, nothing is billed", async () => {
    fake.script("fal.queue", { pollsUntilDone: 3 });
    const { fal, seen } = client();

    const { request_id: requestId } = await fal.queue.submit("fal-ai/flux/dev", { input: { prompt: "x" } });
    await fal.queue.cancel("fal-ai/flux/dev", { requestId });
    const status = await fal.queue.status("fal-ai/flux/dev", { requestId });
    const error = await fal.queue.result("fal-ai/flux/dev", { requestId }).catch((caught: unknown) => caught);
    const again = await fal.queue.cancel("fal-ai/flux/dev", { requestId }).catch((caught: unknown) => caught);

    expect(seen[1]).toMatchObject({ method: "PUT", status: 202 });
    expect(status).toMatchObject({ status: "COMPLETED", error_type: "client_cancelled" });
    expect(error).toMatchObject({ status: 499, body: { error_type: "client_cancelled" } });
    expect(again).toMatchObject({ status: 400, body: { status: "ALREADY_COMPLETED" } });
    expect(seen.every((response) => response.billableUnits === null)).toBe(true);
  });

  it("fails a request: COMPLETED with an error, then the result answers fal's error body", async () => {
    fake.script(
      "fal.queue",
      { failure: { status: 500, message: "CUDA out of memory", errorType: "runner_server_error" } },
      { failure: { status: 422, message: "prompt is too long" } },
    );
    const { fal, seen } = client();

    const failed = await fal
      .subscribe("fal-ai/flux/dev", { input: { prompt: "x" }, pollInterval: 5 })
      .catch((error: unknown) => error);
    const invalid = await fal
      .subscribe("fal-ai/flux/dev", { input: { prompt: "x" }, pollInterval: 5 })
      .catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(ApiError);
    expect(failed).toMatchObject({
      status: 500,
      body: { detail: "CUDA out of memory", error_type: "runner_server_error" },
    });
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).fieldErrors).toEqual([
      { loc: ["body", "prompt"], msg: "prompt is too long", type: "value_error" },
    ]);
    const statuses = fake.requests.filter((request) => request.route === "fal.queue.status");
    expect(statuses).toHaveLength(2);
    expect(seen.every((response) => response.billableUnits === null)).toBe(true);
  });

  it("records the webhook and answers unknown request ids with 404", async () => {
    const { fal } = client();

    await fal.queue.submit("fal-ai/flux/dev", {
      input: { prompt: "x" },
      webhookUrl: "https://hooks.example/fal",
    });
    const missing = await fal.queue
      .status("fal-ai/flux/dev", { requestId: "nope" })
      .catch((error: unknown) => error);

    expect(fake.requests[0]?.query).toEqual({ fal_webhook: "https://hooks.example/fal" });
    expect(missing).toMatchObject({ status: 404 });
  });
});

describe("sync run", () => {
  it("sizes images from presets, WxH strings and objects, and bills megapixels rounded up per image", async () => {
    const { fal, seen } = client();

    const preset = await fal.run("fal-ai/flux/schnell", {
      input: { prompt: "x", image_size: "portrait_16_9" },
    });
    const wide = await fal.run("fal-ai/gpt-image-1.5", {
      input: { prompt: "x", image_size: "1536x1024", num_images: 3 },
    });
    const custom = await fal.run("fal-ai/recraft-v3", {
      input: { prompt: "x", image_size: { width: 2048, height: 2048 } },
    });

    expect(preset.data.images[0]).toMatchObject({ width: 576, height: 1024 });
    expect(wide.data.images).toHaveLength(3);
    expect(wide.data.images[0]).toMatchObject({ width: 1536, height: 1024 });
    expect(custom.data.images[0]).toMatchObject({ width: 2048, height: 2048 });
    expect(seen.map((response) => response.billableUnits)).toEqual(["1", "6", "4"]);
    expect(seen.map((response) => response.requestId)).toEqual([
      preset.requestId,
      wide.requestId,
      custom.requestId,
    ]);
    expect(fake.requests.map((request) => request.route)).toEqual(["fal.run", "fal.run", "fal.run"]);
  });

  it("bills video endpoints per second and other endpoints one unit", async () => {
    const { fal, seen } = client();

    const video = await fal.run("fal-ai/kling-video/v2/master/text-to-video", {
      input: { prompt: "x", duration: "10" },
    });
    const veo = await fal.run("fal-ai/veo3", { input: { prompt: "x", duration: "8s" } });
    const other = await fal.run("fal-ai/any-llm", { input: { prompt: "x" } });

    expect(video.data).toEqual({
      video: {
        url: expect.stringMatching(/^https:\/\/v3\.fal\.media\/.+\.mp4$/),
        content_type: "video/mp4",
        file_name: "output.mp4",
        file_size: 5_000_000,
      },
      seed: expect.any(Number),
    });
    expect(veo.data.video.url).toMatch(/\.mp4$/);
    expect(other.data).toEqual({ output: "Hello from the fake provider.", partial: false });
    expect(seen.map((response) => response.billableUnits)).toEqual(["10", "8", "1"]);
  });

  it("lets a script replace the result and the billable units, or drop the header", async () => {
    fake.script("fal.run", { result: { answer: 42 }, billableUnits: 2.5 }, { billableUnits: null });
    const { fal, seen } = client();

    const scripted = await fal.run("fal-ai/flux/dev", { input: { prompt: "x" } });
    await fal.run("fal-ai/flux/dev", { input: { prompt: "x" } });

    expect(scripted.data).toEqual({ answer: 42 });
    expect(seen.map((response) => response.billableUnits)).toEqual(["2.5", null]);
  });

  it("answers scripted errors with fal's error body", async () => {
    fake.script("fal.run", { status: 401 }, { status: 403 });
    const { fal } = client();

    const unauthorized = await fal
      .run("fal-ai/flux/dev", { input: { prompt: "x" } })
      .catch((error: unknown) => error);
    const locked = await fal
      .run("fal-ai/flux/dev", { input: { prompt: "x" } })
      .catch((error: unknown) => error);

    expect(unauthorized).toBeInstanceOf(ApiError);
    expect(unauthorized).toMatchObject({
      status: 401,
      message: "Unauthorized",
      body: { detail: "Authentication is required to perform this action" },
    });
    expect(locked).toMatchObject({
      status: 403,
      body: { detail: expect.stringContaining("Exhausted balance") },
    });
  });
});

describe("stream", () => {
  it("streams data-only frames and resolves done() with the last one", async () => {
    const { fal, seen } = client();

    const stream = await fal.stream("fal-ai/flux/schnell", { input: { prompt: "x", num_images: 3 } });
    const counts: number[] = [];
    for await (const event of stream) counts.push(event.images.length);
    const final = await stream.done();

    expect(counts).toEqual([1, 2, 3]);
    expect(final.images).toHaveLength(3);
    expect(stream.requestId).toBe(seen[0]?.requestId);
    expect(seen[0]).toMatchObject({
      url: `${fake.url}/fal/fal.run/fal-ai/flux/schnell/stream`,
      billableUnits: null,
    });
    expect(lastRequest()).toMatchObject({ route: "fal.stream", chunksSent: 3, closedEarly: false });
    // The client sends both its default `Accept: application/json` and the stream's `accept`.
    expect(lastRequest().headers.accept).toBe("application/json, text/event-stream");
  });

  it("streams the output text of a non-media endpoint, and sends scripted billable units", async () => {
    fake.script("fal.stream", { content: "one two three", billableUnits: 3 });
    const { fal, seen } = client();

    const stream = await fal.stream("fal-ai/any-llm", { input: { prompt: "x" } });
    const outputs: string[] = [];
    stream.on("data", (event: { output: string }) => outputs.push(event.output));
    await stream.done();

    expect(outputs).toEqual(["one", "one two", "one two three"]);
    expect(seen[0]?.billableUnits).toBe("3");
  });

  it("records closedEarly when the stream is aborted", async () => {
    fake.script("fal.stream", { content: "one two three four five six", chunkDelayMs: 30 });
    const { fal } = client();

    const stream = await fal.stream("fal-ai/any-llm", { input: { prompt: "x" } });
    await new Promise<void>((resolve) => stream.on("data", () => resolve()));
    stream.abort();
    const request = lastRequest();
    await request.finished;

    expect(request.closedEarly).toBe(true);
    expect(request.chunksSent).toBeLessThan(6);
  });
});
