import { ApiError, createFalClient } from "@fal-ai/client";
import { describe, expect, it } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  type GivenOptions,
  InvalidRequestError,
  type SessionOptions,
  UnknownPriceError,
} from "../src/index.js";
import { until, useFakeProviders } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

type FalClient = ReturnType<typeof createFalClient>;

/** A client spendguard created: it reads `x-fal-billable-units`. */
function factoryClient<K extends keyof SessionOptions = "budgetUsd">(
  options: GivenOptions<SessionOptions, K, "budgetUsd">,
) {
  return BudgetedSession.fal({ ...options, clientConfig: fake().fal.config(), createFalClient });
}

/** The user's own client, wrapped: settles from the output. */
function wrappedClient<K extends keyof SessionOptions = "budgetUsd">(
  options: GivenOptions<SessionOptions, K, "budgetUsd">,
) {
  const session = new BudgetedSession(options);
  return { session, fal: session.wrap(createFalClient(fake().fal.config())) };
}

/** Typed as the SDK's minimal input; the extra fields are what the price depends on. */
const flux = (input: Record<string, unknown> = {}) => ({
  input: { prompt: "a lighthouse at dusk", image_size: "square_hd", num_images: 2, ...input } as {
    prompt: string;
  },
});

describe("fal: holds from the endpoint's price table, settles from billed units", () => {
  it("subscribe holds 2 images x 1 MP at $0.025 and settles from x-fal-billable-units", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    fake().script("fal.queue", { billableUnits: 1 });
    let heldDuring = 0;
    const result = await fal.subscribe("fal-ai/flux/dev", {
      ...flux(),
      onEnqueue: () => {
        heldDuring = fal.session.getReserved();
      },
    });
    expect(result.requestId).toBeTruthy();
    expect(heldDuring).toBeCloseTo(0.05, 9);
    expect(fal.session.getReserved()).toBe(0);
    // The header said 1 unit (not the 2 the output shows): the header wins.
    expect(fal.session.getTotalSpent()).toBeCloseTo(0.025, 9);
    const [record] = await fal.session.history();
    expect(record).toMatchObject({
      provider: "fal",
      model: "fal-ai/flux/dev",
      operation: "subscribe",
      status: "settled",
    });
    expect(record?.requestId).toBe(result.requestId);
  });

  it("a wrapped client of the user's settles from the output's images and their sizes", async () => {
    const { session, fal } = wrappedClient({ budgetUsd: 1 });
    const result = await fal.subscribe("fal-ai/flux/dev", flux({ image_size: "square_hd", num_images: 3 }));
    expect((result.data as { images: unknown[] }).images).toHaveLength(3);
    expect(session.getTotalSpent()).toBeCloseTo(3 * 0.025, 9);
  });

  it("run settles a per-image endpoint", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    await fal.run("fal-ai/flux-pro/v1.1-ultra", { input: { prompt: "x", num_images: 1 } });
    expect(fal.session.getTotalSpent()).toBeCloseTo(0.06, 9);
  });

  it("refuses an endpoint without a known price before anything is sent", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    const error = await fal.subscribe("someone/private-model", { input: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPriceError);
    expect((error as Error).message).toContain("session.guard");
    expect(fake().requests).toHaveLength(0);
    expect((await fal.session.history())[0]).toMatchObject({ status: "blocked", reason: "unknown_price" });
  });

  it("refuses a request whose worst case does not fit, before anything is sent", async () => {
    const fal = factoryClient({ budgetUsd: 0.04 });
    const error = await fal.subscribe("fal-ai/flux/dev", flux()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(fake().requests).toHaveLength(0);
  });

  it("resolves null on refusal when onBudgetExceeded is set", async () => {
    const fal = factoryClient({ budgetUsd: 0.04, onBudgetExceeded: () => {} });
    expect(await fal.run("fal-ai/flux/dev", flux())).toBeNull();
  });

  it("releases the hold when the job fails (fal bills only successful outputs)", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    fake().script("fal.queue", { failure: { status: 500, message: "GPU fell over" } });
    const error = await fal.subscribe("fal-ai/flux/dev", flux()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(fal.session.getReserved()).toBe(0);
    expect(fal.session.getTotalSpent()).toBe(0);
    expect((await fal.session.history())[0]?.status).toBe("failed");
  });

  it("queue.submit keeps the hold until queue.result delivers the output", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    fake().script("fal.queue", { pollsUntilDone: 1, billableUnits: 2 });
    const { request_id: requestId } = await fal.queue.submit("fal-ai/flux/dev", flux());
    expect(fal.session.getReserved()).toBeCloseTo(0.05, 9);
    expect((await fal.queue.status("fal-ai/flux/dev", { requestId, logs: false })).status).not.toBe(
      "COMPLETED",
    );
    expect(fal.session.getReserved()).toBeCloseTo(0.05, 9);
    await until(() => fake().requests.length >= 2);
    await fal.queue.subscribeToStatus("fal-ai/flux/dev", { requestId, pollInterval: 10 });
    await fal.queue.result("fal-ai/flux/dev", { requestId });
    expect(fal.session.getReserved()).toBe(0);
    expect(fal.session.getTotalSpent()).toBeCloseTo(0.05, 9);
    // A second result fetch is not charged again.
    await fal.queue.result("fal-ai/flux/dev", { requestId });
    expect(fal.session.getTotalSpent()).toBeCloseTo(0.05, 9);
  });

  it("a subscribe that times out on the client keeps its hold for a later queue.result", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    fake().script("fal.queue", { pollsUntilDone: 1000 });
    let requestId = "";
    const error = await fal
      .subscribe("fal-ai/flux/dev", {
        ...flux(),
        pollInterval: 5,
        timeout: 60,
        onEnqueue: (id) => {
          requestId = id;
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(requestId).not.toBe("");
    expect(fal.session.getReserved()).toBeCloseTo(0.05, 9);
    expect(fal.session.getTotalSpent()).toBe(0);
  });

  it("meters fal.stream and settles when it is done", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    const stream = await fal.stream("fal-ai/flux/dev", flux({ num_images: 1 }));
    for await (const _event of stream) {
      // drain
    }
    await stream.done();
    await until(() => fal.session.getReserved() === 0);
    expect(fal.session.getTotalSpent()).toBeCloseTo(0.025, 9);
  });

  it("refuses realtime connections, which cannot be metered", () => {
    const fal = factoryClient({ budgetUsd: 1 });
    expect(() => fal.realtime.connect("fal-ai/flux/dev", { onResult: () => {} })).toThrow(
      InvalidRequestError,
    );
  });

  it("estimates by endpoint id, quality and size", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const low = await session.estimate({
      provider: "fal",
      operation: "fal-ai/gpt-image-1.5",
      params: { input: { prompt: "x", quality: "low", image_size: "1024x1024", num_images: 1 } },
    });
    const high = await session.estimate({
      provider: "fal",
      operation: "fal-ai/gpt-image-1.5",
      params: { input: { prompt: "x", quality: "high", image_size: "1024x1024", num_images: 1 } },
    });
    // + the one-byte prompt at $0.005 per 1,000 text tokens
    expect(low.costUsd).toBeCloseTo(0.009 + 0.000005, 9);
    expect(high.costUsd).toBeCloseTo(0.133 + 0.000005, 9);
  });

  it("refuses to wrap the same client twice and keeps the key out of history", async () => {
    const fal = factoryClient({ budgetUsd: 1 });
    expect(() => fal.session.wrap(fal)).toThrow(/already wrapped/);
    await fal.run("fal-ai/flux/dev", flux({ num_images: 1 }));
    expect(JSON.stringify(await fal.session.history())).not.toContain("fal-test");
  });
});
