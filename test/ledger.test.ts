import { describe, expect, it } from "vitest";
import { memoryStore } from "../src/stores/memory.js";
import type { ScopeRef } from "../src/stores/types.js";
import type { CallRecord } from "../src/types.js";

const USD = 1_000_000_000;

function scope(limitUsd: number, id = "s", thresholds: number[] = []): ScopeRef {
  return { id, key: id, limit: limitUsd * USD, thresholds };
}

function record(id: string, status: CallRecord["status"] = "settled"): CallRecord {
  return {
    id,
    time: 0,
    sessionId: "s",
    scopeIds: ["s"],
    provider: "openai",
    operation: "chat.completions.create",
    model: "gpt-4o-mini",
    status,
    estimatedUsd: 0,
    heldUsd: 0,
    actualUsd: 0,
    tier: "standard",
    stream: false,
    flags: [],
  };
}

function reserve(
  store: ReturnType<typeof memoryStore>,
  holdId: string,
  usd: number,
  scopes: ScopeRef[],
  now = 0,
) {
  return store.reserve({
    holdId,
    amount: usd * USD,
    scopes,
    now,
    expiresAt: now + 1000,
    record: record(holdId),
  });
}

function settle(store: ReturnType<typeof memoryStore>, holdId: string, usd: number, now = 0) {
  return store.settle({ holdId, actual: usd * USD, now, record: record(holdId) });
}

describe("the ledger (memory store)", () => {
  it("reserves, then settles the actual cost and releases the rest of the hold", async () => {
    const store = memoryStore();
    const budget = scope(10);
    const held = await reserve(store, "h1", 3, [budget]);
    expect(held.ok).toBe(true);
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ spent: 0, held: 3 * USD });
    const settled = await settle(store, "h1", 2.5);
    expect(settled.settled).toBe(true);
    expect(settled.held).toBe(3 * USD);
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ spent: 2.5 * USD, held: 0 });
  });

  it("allows a reservation that brings spent + held exactly to the budget, and refuses one nano more", async () => {
    const store = memoryStore();
    const budget = scope(5);
    expect((await reserve(store, "a", 5, [budget])).ok).toBe(true);
    await settle(store, "a", 5);
    const refused = await store.reserve({
      holdId: "b",
      amount: 1,
      scopes: [budget],
      now: 0,
      expiresAt: 1000,
      record: record("b"),
    });
    expect(refused).toMatchObject({ ok: false, reason: "budget", refusedBy: "s" });
  });

  it("refuses without changing anything when the amount does not fit", async () => {
    const store = memoryStore();
    const budget = scope(5);
    await reserve(store, "a", 3, [budget]);
    const refused = await reserve(store, "b", 4, [budget]);
    expect(refused.ok).toBe(false);
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ spent: 0, held: 3 * USD });
    expect(store.openHolds()).toBe(1);
  });

  it("admits exactly 5 of 10 concurrent $2 reservations on a $10 budget", async () => {
    const store = memoryStore();
    const budget = scope(10);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => reserve(store, `h${i}`, 2, [budget])),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(5);
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ held: 10 * USD, spent: 0 });
  });

  it("holds on every scope atomically: a parent that cannot afford it refuses for the child too", async () => {
    const store = memoryStore();
    const child = scope(5, "child");
    const parent = scope(3, "parent");
    const refused = await reserve(store, "h", 4, [child, parent]);
    expect(refused).toMatchObject({ ok: false, refusedBy: "parent" });
    const [childBalance, parentBalance] = store.readSync({ scopes: [child, parent], now: 0 });
    expect(childBalance?.held).toBe(0);
    expect(parentBalance?.held).toBe(0);
    expect((await reserve(store, "h2", 3, [child, parent])).ok).toBe(true);
    await settle(store, "h2", 1);
    expect(store.readSync({ scopes: [child, parent], now: 0 }).map((b) => b.spent)).toEqual([USD, USD]);
  });

  it("settles a hold once: the second settle of the same hold changes nothing", async () => {
    const store = memoryStore();
    const budget = scope(10);
    await reserve(store, "h", 3, [budget]);
    expect((await settle(store, "h", 1)).settled).toBe(true);
    expect((await settle(store, "h", 2)).settled).toBe(false);
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ spent: USD, held: 0 });
    expect(await store.history({})).toHaveLength(1);
  });

  it("settles an expired hold at its full amount, records it, and ignores a late settle", async () => {
    const store = memoryStore();
    const budget = scope(10);
    await reserve(store, "h", 3, [budget], 0); // expires at 1000
    expect(store.readSync({ scopes: [budget], now: 999 })[0]).toMatchObject({ spent: 0, held: 3 * USD });
    expect(store.readSync({ scopes: [budget], now: 1000 })[0]).toMatchObject({ spent: 3 * USD, held: 0 });
    const late = await settle(store, "h", 1, 1001);
    expect(late.settled).toBe(false);
    expect(store.readSync({ scopes: [budget], now: 1001 })[0]?.spent).toBe(3 * USD);
    const [expired] = await store.history({});
    expect(expired?.flags).toContain("lease_expired");
    expect(expired?.actualUsd).toBe(3);
  });

  it("reports each warning threshold once, ascending, several in one settle, re-armed by a reset", async () => {
    const store = memoryStore();
    const budget = scope(10, "s", [30, 80, 95]);
    await reserve(store, "a", 9, [budget]);
    const first = await settle(store, "a", 8.5);
    expect(first.warnings.map((warning) => warning.threshold)).toEqual([30, 80]);
    await reserve(store, "b", 1, [budget]);
    const second = await settle(store, "b", 1);
    expect(second.warnings.map((warning) => warning.threshold)).toEqual([95]);
    await store.update({ scope: budget, now: 0, reset: true });
    expect(store.readSync({ scopes: [budget], now: 0 })[0]?.spent).toBe(0);
    await reserve(store, "c", 4, [budget]);
    expect((await settle(store, "c", 3)).warnings.map((warning) => warning.threshold)).toEqual([30]);
  });

  it("never fires a threshold twice when many settles cross it concurrently", async () => {
    const store = memoryStore();
    const budget = scope(1, "s", [50]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(store, `h${i}`, 0.05, [budget])));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => settle(store, `h${i}`, 0.05)));
    expect(results.flatMap((result) => result.warnings)).toHaveLength(1);
  });

  it("keeps holds in flight through a reset", async () => {
    const store = memoryStore();
    const budget = scope(10);
    await reserve(store, "a", 2, [budget]);
    await settle(store, "a", 2);
    await reserve(store, "b", 3, [budget]);
    await store.update({ scope: budget, now: 0, reset: true });
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ spent: 0, held: 3 * USD });
    await settle(store, "b", 1);
    expect(store.readSync({ scopes: [budget], now: 0 })[0]).toMatchObject({ spent: USD, held: 0 });
  });

  it("refuses every reservation while a scope has the panic flag", async () => {
    const store = memoryStore();
    const budget = scope(10);
    await store.update({ scope: budget, now: 0, flags: { panic: true } });
    expect(await reserve(store, "a", 1, [budget])).toMatchObject({ ok: false, reason: "panic" });
    await store.update({ scope: budget, now: 0, flags: { panic: false } });
    expect((await reserve(store, "b", 1, [budget])).ok).toBe(true);
  });

  it("keeps a bounded history, newest first, filtered by session, status and time", async () => {
    const store = memoryStore({ historyLimit: 3 });
    for (let i = 0; i < 5; i++)
      await store.record({ ...record(`r${i}`, i % 2 ? "blocked" : "settled"), time: i });
    const all = await store.history({});
    expect(all.map((entry) => entry.id)).toEqual(["r4", "r3", "r2"]);
    expect((await store.history({ status: "blocked" })).map((entry) => entry.id)).toEqual(["r3"]);
    expect((await store.history({ before: 4, limit: 1 })).map((entry) => entry.id)).toEqual(["r3"]);
    expect(await store.history({ sessionId: "other" })).toEqual([]);
  });

  it("rejects an invalid history limit with a TypeError naming the option", () => {
    expect(() => memoryStore({ historyLimit: 0 })).toThrow(/Expected `historyLimit` to be an integer >= 1/);
  });
});
