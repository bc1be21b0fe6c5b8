import { describe, expect, it, vi } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  InvalidRequestError,
  type OverspendEvent,
  UnknownPriceError,
} from "../src/index.js";

const video = { provider: "minimax", model: "video-01", estimateUsd: 0.43 } as const;

describe("session.guard: metering an API spendguard does not wrap", () => {
  it("holds the estimate while fn runs and settles what fn reports", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    let reservedInside = -1;
    const result = await session.guard(video, async (settle) => {
      reservedInside = session.getReserved();
      settle(0.4);
      return "video-url";
    });
    expect(result).toBe("video-url");
    expect(reservedInside).toBe(0.43);
    expect(session.getReserved()).toBe(0);
    expect(session.getTotalSpent()).toBe(0.4);
    const [record] = await session.history();
    expect(record).toMatchObject({
      provider: "minimax",
      model: "video-01",
      operation: "guard",
      status: "settled",
      heldUsd: 0.43,
      actualUsd: 0.4,
    });
  });

  it("charges the whole hold when fn returns without settling", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    await session.guard(video, () => "done");
    expect(session.getTotalSpent()).toBe(0.43);
    const [record] = await session.history();
    expect(record?.flags).toContain("no_usage");
  });

  it("releases the hold when fn throws without settling, and rethrows the same error", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const failure = new Error("provider down");
    await expect(
      session.guard(video, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(session.getTotalSpent()).toBe(0);
    expect(session.getReserved()).toBe(0);
    expect((await session.history())[0]?.status).toBe("failed");
  });

  it("charges what was settled even when fn throws afterwards", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    await expect(
      session.guard(video, (settle) => {
        settle(0.2);
        throw new Error("post-processing failed");
      }),
    ).rejects.toThrow("post-processing failed");
    expect(session.getTotalSpent()).toBe(0.2);
  });

  it("refuses a call that does not fit without running fn", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.4 });
    const fn = vi.fn();
    const error = await session.guard(video, fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(fn).not.toHaveBeenCalled();
    expect((await session.history())[0]).toMatchObject({ status: "blocked", reason: "budget_exceeded" });
  });

  it("resolves null on refusal when onBudgetExceeded is set", async () => {
    const onBudgetExceeded = vi.fn();
    const session = new BudgetedSession({ budgetUsd: 0.1, onBudgetExceeded });
    const fn = vi.fn();
    expect(await session.guard(video, fn)).toBeNull();
    expect(onBudgetExceeded).toHaveBeenCalledTimes(1);
    expect(fn).not.toHaveBeenCalled();
  });

  it("never lets concurrent guarded calls hold more than the budget", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running = 0;
    let peak = 0;
    const calls = Array.from({ length: 25 }, () =>
      session
        .guard({ provider: "minimax", model: "speech-02-hd", estimateUsd: 0.1 }, async (settle) => {
          running++;
          peak = Math.max(peak, running);
          await gate;
          settle(0.1);
          running--;
        })
        .then(
          () => "ok",
          (error: unknown) => (error instanceof BudgetExceededError ? "refused" : "other"),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(10);
    expect(outcomes.filter((o) => o === "refused")).toHaveLength(15);
    expect(peak).toBe(10);
    expect(session.getTotalSpent()).toBe(1);
  });

  it("prices a token usage from the catalog, for the hold and for the settlement", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    // claude-haiku-4-5: $1 / MTok input, $5 / MTok output.
    const request = {
      provider: "anthropic",
      model: "claude-haiku-4-5",
      estimate: { inputTokens: 10_000, outputTokens: 2_000 },
    };
    let held = 0;
    await session.guard(request, (settle) => {
      held = session.getReserved();
      settle({ usage: { inputTokens: 10_000, outputTokens: 1_000 } });
    });
    expect(held).toBeCloseTo(0.02, 9);
    expect(session.getTotalSpent()).toBeCloseTo(0.015, 9);
  });

  it("refuses an unknown model priced by usage, before fn runs, and records it", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const fn = vi.fn();
    const request = {
      provider: "minimax",
      model: "no-such-model",
      estimate: { inputTokens: 1, outputTokens: 1 },
    };
    await expect(session.guard(request, fn)).rejects.toBeInstanceOf(UnknownPriceError);
    expect(fn).not.toHaveBeenCalled();
    expect((await session.history())[0]).toMatchObject({ status: "blocked", reason: "unknown_price" });
  });

  it("records an overspend in full and reports it", async () => {
    const onOverspend = vi.fn<(event: OverspendEvent) => void>();
    const session = new BudgetedSession({ budgetUsd: 1, onOverspend });
    await session.guard(video, (settle) => settle(0.5));
    expect(session.getTotalSpent()).toBe(0.5);
    expect(onOverspend).toHaveBeenCalledTimes(1);
  });

  it("rejects bad requests with typed errors naming the field", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const fn = () => undefined;
    await expect(session.guard({ ...video, estimateUsd: -1 }, fn)).rejects.toThrow(/`estimateUsd`.*>= 0/);
    await expect(session.guard({ provider: "minimax", model: "video-01" }, fn)).rejects.toThrow(
      /exactly one/,
    );
    await expect(session.guard({ ...video, model: "" }, fn)).rejects.toThrow(/`model`/);
    await expect(
      session.guard({ ...video, estimate: { inputTokens: 1, outputTokens: 1 }, estimateUsd: undefined }, fn),
    ).rejects.toBeInstanceOf(UnknownPriceError);
    await expect(session.guard(video, "not a function" as never)).rejects.toThrow(/`fn`/);
    expect(session.getReserved()).toBe(0);
  });

  it("charges the hold when settle() gets a bad value, and rejects a second settle()", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    await expect(session.guard(video, (settle) => settle(Number.NaN))).rejects.toThrow(/settle\(actualUsd\)/);
    expect(session.getTotalSpent()).toBe(0.43);

    await expect(
      session.guard(video, (settle) => {
        settle(0.1);
        settle(0.2);
      }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(session.getTotalSpent()).toBeCloseTo(0.53, 9);
  });

  it("refuses settle({ usage }) when the model has no known token price", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const error = await session
      .guard(video, (settle) => settle({ usage: { inputTokens: 1, outputTokens: 1 } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain("settle with the USD amount");
    expect(session.getTotalSpent()).toBe(0.43);
  });

  it("prices a MiniMax video clip from the table and settles the clip that was made", async () => {
    const session = new BudgetedSession({ budgetUsd: 5 });
    const request = {
      provider: "minimax",
      model: "MiniMax-Hailuo-02",
      estimate: { seconds: 10, resolution: "768P" },
    };
    let held = 0;
    await session.guard(request, (settle) => {
      held = session.getReserved();
      settle({ usage: { seconds: 6 } });
    });
    // Hailuo-02 768P: $0.56 for 10 s, $0.28 for 6 s (per clip, not per second).
    expect(held).toBeCloseTo(0.56, 9);
    expect(session.getTotalSpent()).toBeCloseTo(0.28, 9);
  });

  it("holds the dearest clip when the duration or resolution is left open", async () => {
    const session = new BudgetedSession({ budgetUsd: 5 });
    const estimate = await session.guard(
      { provider: "minimax", model: "MiniMax-Hailuo-02", estimate: {} },
      () => session.getReserved(),
    );
    expect(estimate).toBeCloseTo(0.56, 9);
  });

  it("prices MiniMax speech per character, CJK counting double", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    let held = 0;
    await session.guard(
      { provider: "minimax", model: "speech-02-hd", estimate: { text: "Hello 世界" } },
      (settle) => {
        held = session.getReserved();
        settle({ usage: { characters: 8 } });
      },
    );
    // $100 per million characters: "Hello " is 6, each of 世界 counts 2 → 10 characters held.
    expect(held).toBeCloseTo(10 * 0.0001, 12);
    expect(session.getTotalSpent()).toBeCloseTo(8 * 0.0001, 12);
  });

  it("refuses a speech estimate without characters or text", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    await expect(
      session.guard(
        { provider: "minimax", model: "speech-02-hd", estimate: { seconds: 3 } },
        () => undefined,
      ),
    ).rejects.toThrow(/`estimate`/);
  });
});
