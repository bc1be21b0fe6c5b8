import { describe, expect, it, vi } from "vitest";
import { BudgetExceededError, BudgetedSession, memoryStore, type WarningEvent } from "../src/index.js";
import { openaiClient, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

/** A guarded call of exactly `usd`: holds and charges that amount, nothing else. */
const spend = (session: BudgetedSession, usd: number) =>
  session.guard({ provider: "test", model: "fixed", estimateUsd: usd }, (settle) => settle(usd));

describe("sub-budgets", () => {
  it("refuses a child at its limit while the parent still has room", async () => {
    const parent = new BudgetedSession({ budgetUsd: 10, id: "org" });
    const child = parent.child({ id: "researcher", budgetUsd: 1 });
    expect(child.id).toBe("org/researcher");
    await spend(child, 0.75);
    const error = await spend(child, 0.5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).sessionId).toBe("org/researcher");
    expect(parent.getTotalSpent()).toBe(0.75);
    expect(parent.getRemainingBudget()).toBe(9.25);
    await spend(parent, 5);
  });

  it("refuses every child once the parent is at its limit", async () => {
    const parent = new BudgetedSession({ budgetUsd: 1, id: "org" });
    const a = parent.child({ id: "a", budgetUsd: 5 });
    const b = parent.child({ id: "b", budgetUsd: 5 });
    await spend(a, 0.6);
    await spend(b, 0.4);
    for (const child of [a, b]) {
      const error = await spend(child, 0.01).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect((error as BudgetExceededError).sessionId).toBe("org");
    }
    expect(parent.getTotalSpent()).toBe(1);
  });

  it("never lets concurrent children overspend their parent", async () => {
    const parent = new BudgetedSession({ budgetUsd: 1, id: "org" });
    const children = Array.from({ length: 5 }, (_, i) => parent.child({ id: `c${i}`, budgetUsd: 0.5 }));
    const client = (i: number) => (children[i % 5] as BudgetedSession).wrap(openaiClient(fake()));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        client(i).chat.completions.create({
          model: "gpt-4o",
          messages: user("x"),
          max_completion_tokens: 2000,
        }),
      ),
    );
    expect(results.some((result) => result.status === "rejected")).toBe(true);
    expect(parent.getTotalSpent()).toBeLessThanOrEqual(1);
    for (const child of children) expect(child.getTotalSpent()).toBeLessThanOrEqual(0.5);
    expect(parent.getReserved()).toBe(0);
    const childSum = children.reduce((sum, child) => sum + child.getTotalSpent(), 0);
    expect(childSum).toBeCloseTo(parent.getTotalSpent(), 9);
  });

  it("inherits the parent's rules unless it sets its own, and reports the parent's warnings to the parent", async () => {
    const parentWarnings: WarningEvent[] = [];
    const parent = new BudgetedSession({
      budgetUsd: 1,
      id: "org",
      warningThresholds: [50],
      onWarning: (event) => parentWarnings.push(event),
      rules: { providers: ["test"], maxCostPerRequestUsd: 0.8 },
    });
    const strict = parent.child({ id: "strict", budgetUsd: 1, rules: { maxCostPerRequestUsd: 0.1 } });
    await expect(spend(strict, 0.2)).rejects.toMatchObject({ code: "max_cost_per_request" });
    await expect(
      strict.guard({ provider: "other", model: "m", estimateUsd: 0.01 }, () => undefined),
    ).rejects.toMatchObject({ code: "provider_not_allowed" });
    const loose = parent.child({ id: "loose", budgetUsd: 1, onWarning: () => {} });
    await spend(loose, 0.6);
    expect(parentWarnings).toMatchObject([{ threshold: 50, sessionId: "org" }]);
  });

  it("shows children's calls in the parent's history, and registers children under their parent", async () => {
    const store = memoryStore();
    const parent = new BudgetedSession({ budgetUsd: 1, id: "org", store });
    const child = parent.child({ id: "tenant-42", budgetUsd: 0.5 });
    await spend(child, 0.1);
    expect((await parent.history())[0]).toMatchObject({
      sessionId: "org/tenant-42",
      scopeIds: ["org/tenant-42", "org"],
    });
    await new Promise((resolve) => setImmediate(resolve)); // registration is not awaited by the constructor
    const scopes = await store.scopes();
    expect(scopes.find((scope) => scope.id === "org/tenant-42")).toMatchObject({ parentId: "org" });
  });

  it("reopens the same budget from another session with the same id and store", async () => {
    const store = memoryStore();
    const first = new BudgetedSession({ budgetUsd: 1, id: "nightly", store }).child({
      id: "a",
      budgetUsd: 1,
    });
    await spend(first, 0.3);
    const again = new BudgetedSession({ budgetUsd: 1, id: "nightly", store }).child({
      id: "a",
      budgetUsd: 1,
    });
    expect(again.getTotalSpent()).toBe(0.3);
  });

  it("rejects a bad child id", () => {
    const parent = new BudgetedSession({ budgetUsd: 1 });
    expect(() => parent.child({ id: "a/b", budgetUsd: 1 })).toThrow(/`id`/);
    expect(() => parent.child({ id: "", budgetUsd: 1 })).toThrow(/`id`/);
  });
});

describe("budget periods", () => {
  const at = (iso: string) => Date.parse(iso);

  it("starts each day at zero and enforces the new day's budget", async () => {
    let now = at("2026-11-25T12:00:00Z");
    const session = new BudgetedSession({ budgetUsd: 1, period: "day", clock: () => now });
    await spend(session, 0.9);
    await expect(spend(session, 0.2)).rejects.toBeInstanceOf(BudgetExceededError);
    now = at("2026-11-26T00:00:01Z");
    expect(session.getTotalSpent()).toBe(0);
    await spend(session, 0.9);
    await expect(spend(session, 0.2)).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it("settles a hold taken before midnight into the day it was taken", async () => {
    let now = at("2026-11-25T23:59:59Z");
    const session = new BudgetedSession({ budgetUsd: 1, period: "day", clock: () => now });
    await session.guard({ provider: "test", model: "fixed", estimateUsd: 0.5 }, (settle) => {
      now = at("2026-11-26T00:00:05Z");
      settle(0.4);
    });
    expect(session.getTotalSpent()).toBe(0); // the new day
    now = at("2026-11-25T23:59:59Z");
    expect(session.getTotalSpent()).toBe(0.4); // the old one
  });

  it("re-arms warnings each period", async () => {
    let now = at("2026-11-02T10:00:00Z");
    const onWarning = vi.fn();
    const session = new BudgetedSession({
      budgetUsd: 1,
      period: "week",
      warningThresholds: [50],
      clock: () => now,
      onWarning,
    });
    await spend(session, 0.6);
    await spend(session, 0.1);
    expect(onWarning).toHaveBeenCalledTimes(1);
    now = at("2026-11-09T00:00:00Z"); // next Monday
    await spend(session, 0.6);
    expect(onWarning).toHaveBeenCalledTimes(2);
  });

  it("keys months, weeks from Monday and runs of days in UTC", async () => {
    const store = memoryStore();
    const times = ["2026-11-30T23:00:00Z", "2026-12-01T01:00:00Z"];
    for (const [period, keys] of [
      ["month", ["m:2026-11", "m:2026-12"]],
      ["week", ["m:week-2026-11-30", "m:week-2026-11-30"]],
      [{ days: 7 }, ["m:7d-2026-11-26", "m:7d-2026-11-26"]],
    ] as const) {
      for (const [index, time] of times.entries()) {
        const session = new BudgetedSession({
          budgetUsd: 1,
          id: "m",
          store,
          period,
          clock: () => Date.parse(time),
        });
        await spend(session, 0.01);
        const [record] = await session.history({ limit: 1 });
        expect(record).toBeDefined();
        const balances = await store.read({
          scopes: [{ id: "m", key: keys[index] as string, limit: 1e9 }],
          now: Date.parse(time),
        });
        expect(balances[0]?.spent).toBeGreaterThan(0);
      }
    }
  });

  it("rejects a bad period", () => {
    expect(() => new BudgetedSession({ budgetUsd: 1, period: "year" as never })).toThrow(/`period`/);
    expect(() => new BudgetedSession({ budgetUsd: 1, period: { days: 0 } })).toThrow(/`period`/);
  });
});
