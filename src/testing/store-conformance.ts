import assert from "node:assert/strict";
import { MAX_NANO } from "../money.js";
import { consume } from "../stores/rate-window.js";
import type {
  Balance,
  BudgetStore,
  RateCharge,
  ReserveRequest,
  ReserveResult,
  ScopeInfo,
  ScopeRef,
} from "../stores/types.js";
import type { CallRecord } from "../types.js";
import { seededRandom } from "./seeded-random.js";

export interface StoreConformanceOptions {
  /** Concurrent reserve/settle flows in the concurrency case. @default 64 */
  flows?: number;
  /** Calls each flow makes, one after the other. @default 20 */
  callsPerFlow?: number;
}

export interface StoreConformanceCase {
  name: string;
  run(): Promise<void>;
}

/**
 * The store contract (`src/stores/types.ts`) as test cases, one per rule, for any test runner:
 *
 * ```ts
 * for (const c of storeConformanceCases(() => myStore())) it(c.name, c.run);
 * ```
 *
 * Each case creates its own store through `factory` and closes it. Scope ids are unique per case, so every
 * case may share one backend (a Redis database, a SQLite file) with the others and with earlier runs. Like
 * the core, each case registers its scope ids (`register`) before it uses them. Times are injected (`now`),
 * so nothing waits for a clock.
 */
export function storeConformanceCases(
  factory: () => BudgetStore | Promise<BudgetStore>,
  options: StoreConformanceOptions = {},
): StoreConformanceCase[] {
  const flows = options.flows ?? 64;
  const callsPerFlow = options.callsPerFlow ?? 20;
  if (!Number.isInteger(flows) || flows < 1) {
    throw new TypeError(`Expected \`flows\` to be an integer >= 1, got \`${String(flows)}\``);
  }
  if (!Number.isInteger(callsPerFlow) || callsPerFlow < 1) {
    throw new TypeError(`Expected \`callsPerFlow\` to be an integer >= 1, got \`${String(callsPerFlow)}\``);
  }
  const cases: StoreConformanceCase[] = [];
  const test = (name: string, body: (t: Tree) => Promise<void>) => {
    cases.push({
      name,
      async run() {
        const store = await factory();
        try {
          await body(tree(store));
        } finally {
          await store.close?.();
        }
      },
    });
  };

  test("reserve holds the amount on every scope and reports their balances, innermost first", async (t) => {
    const child = t.scope("child", 10 * USD);
    const parent = t.scope("parent", 20 * USD);
    await t.register(child, parent);
    const result = await t.reserve("h1", 3 * USD, [child, parent]);
    assert.deepEqual(result, {
      ok: true,
      balances: [balance(child, 0, 3 * USD), balance(parent, 0, 3 * USD)],
    });
    assert.deepEqual(await t.read(child, parent), [balance(child, 0, 3 * USD), balance(parent, 0, 3 * USD)]);
  });

  test("reserve allows spent + held + amount equal to the limit and refuses one nano more", async (t) => {
    const only = t.scope("only", 5 * USD);
    await t.register(only);
    assert.equal((await t.reserve("h1", 5 * USD, [only])).ok, true);
    assert.deepEqual(await t.reserve("h2", 1, [only]), {
      ok: false,
      reason: "budget",
      refusedBy: only.id,
      balances: [balance(only, 0, 5 * USD)],
    });
    await t.settle("h1", 5 * USD, [only]);
    assert.equal((await t.reserve("h3", 0, [only])).ok, true);
    assert.deepEqual(await t.reserve("h4", 1, [only]), {
      ok: false,
      reason: "budget",
      refusedBy: only.id,
      balances: [balance(only, 5 * USD, 0)],
    });
  });

  test("a refusal on any scope changes nothing on any scope", async (t) => {
    const child = t.scope("child", 10 * USD);
    const parent = t.scope("parent", 4 * USD);
    await t.register(child, parent);
    assert.equal((await t.reserve("h1", 3 * USD, [child, parent])).ok, true);
    const before = [balance(child, 0, 3 * USD), balance(parent, 0, 3 * USD)];
    // The child has room, the parent does not.
    assert.deepEqual(await t.reserve("h2", 2 * USD, [child, parent]), {
      ok: false,
      reason: "budget",
      refusedBy: parent.id,
      balances: before,
    });
    // Neither has room: the innermost scope is named.
    assert.deepEqual(await t.reserve("h3", 8 * USD, [child, parent]), {
      ok: false,
      reason: "budget",
      refusedBy: child.id,
      balances: before,
    });
    assert.deepEqual(await t.read(child, parent), before);
    // A refused reserve left no hold behind.
    assert.equal((await t.settle("h2", 1 * USD, [child, parent])).settled, false);
    assert.deepEqual(await t.read(child, parent), before);
    assert.equal((await t.reserve("h4", 1 * USD, [child, parent])).ok, true);
  });

  test("settle removes the hold and adds the actual cost to spent on every scope", async (t) => {
    const child = t.scope("child", 10 * USD);
    const parent = t.scope("parent", 20 * USD);
    await t.register(child, parent);
    await t.reserve("h1", 3 * USD, [child, parent]);
    await t.reserve("h2", 1 * USD, [child, parent]);
    const settled = await t.settle("h1", 2.5 * USD, [child, parent]);
    assert.deepEqual(settled, {
      settled: true,
      held: 3 * USD,
      balances: [balance(child, 2.5 * USD, 1 * USD), balance(parent, 2.5 * USD, 1 * USD)],
      warnings: [],
    });
    assert.deepEqual(await t.read(child, parent), settled.balances);
    const [latest] = await t.store.history({ sessionId: child.id, limit: 1 });
    assert.deepEqual(latest, t.record("h1", [child, parent], { actualUsd: 2.5 }));
  });

  test("settle applies once: a second settle and an unknown hold change nothing", async (t) => {
    const only = t.scope("only", 10 * USD);
    await t.register(only);
    await t.reserve("h1", 3 * USD, [only]);
    assert.equal((await t.settle("h1", 2 * USD, [only])).settled, true);
    for (const holdId of ["h1", "never-reserved"]) {
      const again = await t.settle(holdId, 1 * USD, [only]);
      assert.equal(again.settled, false);
      assert.equal(again.held, 0);
      assert.deepEqual(again.warnings, []);
      assert.deepEqual(await t.read(only), [balance(only, 2 * USD, 0)]);
    }
    assert.equal((await t.store.history({ sessionId: only.id })).length, 1);
  });

  test("settle records the actual cost in full when it exceeds the hold; later calls are refused", async (t) => {
    const only = t.scope("only", 10 * USD);
    await t.register(only);
    await t.reserve("h1", 4 * USD, [only]);
    assert.deepEqual((await t.settle("h1", 7 * USD, [only])).balances, [balance(only, 7 * USD, 0)]);
    await t.reserve("h2", 3 * USD, [only]);
    await t.settle("h2", 5 * USD, [only]);
    assert.deepEqual(await t.read(only), [balance(only, 12 * USD, 0)]);
    const refused = await t.reserve("h3", 0, [only]);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.reason, "budget");
  });

  test("a cost at MAX_NANO is recorded exactly; spent stops at MAX_NANO, never wraps, and refuses later calls", async (t) => {
    const child = t.scope("child", 1 * USD, [50]);
    const parent = t.scope("parent", 9_000_000 * USD);
    await t.register(child, parent);
    await t.reserve("h1", USD / 10, [child, parent]);
    const first = await t.settle("h1", MAX_NANO, [child, parent]);
    assert.deepEqual(first.balances, [balance(child, MAX_NANO, 0), balance(parent, MAX_NANO, 0)]);
    // Spend that already happened (force) still lands, and still stops at the bound instead of wrapping.
    for (const holdId of ["h2", "h3"]) {
      assert.equal((await t.reserve(holdId, 0, [child, parent], { force: true })).ok, true);
      await t.settle(holdId, MAX_NANO, [child, parent]);
    }
    assert.deepEqual(await t.read(child, parent), [
      balance(child, MAX_NANO, 0),
      balance(parent, MAX_NANO, 0),
    ]);
    for (const amount of [0, 1, USD / 10, 500 * USD]) {
      const refused = await t.reserve(`after-${amount}`, amount, [child, parent]);
      assert.equal(refused.ok, false, `a reserve of ${amount} nano-USD after the overflow was admitted`);
      assert.equal(!refused.ok && refused.reason, "budget");
    }
    assert.deepEqual(await t.read(child, parent), [
      balance(child, MAX_NANO, 0),
      balance(parent, MAX_NANO, 0),
    ]);
  });

  test("transitions asked for at once apply each as if alone: one that fails changes nothing, the others land", async (t) => {
    const only = t.scope("only", 10 * USD);
    await t.register(only);
    assert.equal((await t.reserve("dup", 1 * USD, [only])).ok, true);
    // Concurrent, so in no particular order: the duplicate fails whatever comes first, c never fits.
    const outcomes = await Promise.allSettled([
      t.reserve("a", 2 * USD, [only]),
      t.reserve("dup", 4 * USD, [only]),
      t.reserve("b", 3 * USD, [only]),
      t.reserve("c", 8 * USD, [only]),
    ]);
    assert.equal(outcomes[0].status === "fulfilled" && outcomes[0].value.ok, true);
    assert.equal(outcomes[1].status, "rejected", "a second hold under an id already held was accepted");
    assert.equal(outcomes[2].status === "fulfilled" && outcomes[2].value.ok, true);
    assert.equal(outcomes[3].status === "fulfilled" && outcomes[3].value.ok, false);
    assert.deepEqual(await t.read(only), [balance(only, 0, 6 * USD)]);
    assert.equal((await t.settle("dup", 1 * USD, [only])).held, 1 * USD);
    assert.deepEqual(await t.read(only), [balance(only, 1 * USD, 5 * USD)]);
  });

  test("settle reports each threshold it crossed once per account, ascending, until update({ reset })", async (t) => {
    const child = t.scope("child", 100 * USD, [30, 80, 95]);
    const parent = t.scope("parent", 1000 * USD, [10, 50]);
    await t.register(child, parent);
    const spend = async (holdId: string, amount: number) => {
      await t.reserve(holdId, amount, [child, parent]);
      return (await t.settle(holdId, amount, [child, parent])).warnings;
    };
    const warning = (scope: ScopeRef, threshold: number) => ({ id: scope.id, key: scope.key, threshold });
    assert.deepEqual(await spend("h1", 29 * USD), []);
    // Exactly 30% crosses 30.
    assert.deepEqual(await spend("h2", 1 * USD), [warning(child, 30)]);
    assert.deepEqual(await spend("h3", 1 * USD), []);
    assert.deepEqual(await spend("h4", 64 * USD), [warning(child, 80), warning(child, 95)]);
    assert.deepEqual(await spend("h5", 1 * USD), []);
    const reset = await t.store.update({ scope: child, now: T0, reset: true });
    assert.deepEqual(reset, balance(child, 0, 0));
    assert.deepEqual(await spend("h6", 96 * USD), [
      warning(child, 30),
      warning(child, 80),
      warning(child, 95),
      warning(parent, 10),
    ]);
    assert.deepEqual(await spend("h7", 1 * USD), []);
    assert.deepEqual(await t.read(child, parent), [
      balance(child, 97 * USD, 0),
      balance(parent, 193 * USD, 0),
    ]);
  });

  test("an expired hold is settled at its full amount by the next operation, its record flagged lease_expired", async (t) => {
    const child = t.scope("child", 10 * USD);
    const parent = t.scope("parent", 20 * USD);
    const other = t.scope("other", 10 * USD);
    await t.register(child, parent);
    await t.register(other);
    const scopes = [child, parent];
    await t.reserve("h1", 4 * USD, scopes, { expiresAt: T0 + 1000 });
    await t.reserve("h2", 1 * USD, scopes, { expiresAt: T0 + 5000 });
    assert.deepEqual(await t.read([child, parent], T0 + 999), [
      balance(child, 0, 5 * USD),
      balance(parent, 0, 5 * USD),
    ]);
    assert.deepEqual(await t.read([child, parent], T0 + 1000), [
      balance(child, 4 * USD, 1 * USD),
      balance(parent, 4 * USD, 1 * USD),
    ]);
    assert.equal((await t.settle("h1", 1 * USD, scopes, T0 + 1001)).settled, false);
    const [expired] = await t.store.history({ sessionId: child.id, limit: 1 });
    const reserved = t.record("h1", scopes, { heldUsd: 4 });
    assert.deepEqual(expired, {
      ...reserved,
      status: "settled",
      actualUsd: 4,
      source: "estimated",
      flags: [...reserved.flags, "lease_expired"],
    });
    // Every operation on the scopes settles what has expired before it does anything else.
    const operations: [string, (now: number) => Promise<Balance[]>][] = [
      [
        "reserve",
        async (now) => (await t.reserve(`r${now}`, 0, scopes, { now, expiresAt: now + 1e6 })).balances,
      ],
      ["settle", async (now) => (await t.settle(`r${now - 10_000}`, 0, scopes, now)).balances],
      ["read", (now) => t.read(scopes, now)],
      ["update", async (now) => [await t.store.update({ scope: child, now })]],
    ];
    let spent = 5 * USD;
    for (const [index, [name, operate]] of operations.entries()) {
      const now = T0 + (index + 1) * 10_000;
      await t.reserve(`lease-${name}`, 1 * USD, scopes, { now: now - 1, expiresAt: now });
      spent += 1 * USD;
      const balances = await operate(now);
      assert.deepEqual(balances[0], balance(child, spent, 0), `${name} settles the expired hold`);
    }
    assert.deepEqual(await t.read([child, parent], T0 + 1e6), [
      balance(child, spent, 0),
      balance(parent, spent, 0),
    ]);
    assert.deepEqual(await t.read(other), [balance(other, 0, 0)]);
  });

  test("a threshold crossed by a hold whose lease expired is reported by the next settle", async (t) => {
    const only = t.scope("only", 10 * USD, [50]);
    await t.register(only);
    await t.reserve("h1", 6 * USD, [only], { expiresAt: T0 + 1000 });
    // The sweep settles h1 at 6 of 10 (60%): nobody is told then.
    assert.deepEqual(await t.read([only], T0 + 2000), [balance(only, 6 * USD, 0)]);
    await t.reserve("h2", 1 * USD, [only], { now: T0 + 3000, expiresAt: T0 + 1e6 });
    const settled = await t.settle("h2", 1 * USD, [only], T0 + 4000);
    assert.deepEqual(settled.warnings, [{ id: only.id, key: only.key, threshold: 50 }]);
    await t.reserve("h3", 0, [only], { now: T0 + 5000, expiresAt: T0 + 1e6 });
    assert.deepEqual((await t.settle("h3", 0, [only], T0 + 6000)).warnings, []);
  });

  test("periods: two keys of one id are separate accounts; flags and limit overrides apply to the id", async (t) => {
    const id = t.id("periodic");
    const monday: ScopeRef = { id, key: `${id}:2026-11-23`, limit: 10 * USD, thresholds: [50] };
    const tuesday: ScopeRef = { ...monday, key: `${id}:2026-11-24` };
    await t.store.register([{ id, limit: 10 * USD, period: "day", thresholds: [50], createdAt: T0 }]);
    assert.equal((await t.reserve("h1", 10 * USD, [monday])).ok, true);
    assert.equal((await t.reserve("h2", 1, [monday])).ok, false);
    assert.equal((await t.reserve("h3", 10 * USD, [tuesday])).ok, true);
    assert.deepEqual((await t.settle("h1", 6 * USD, [monday])).warnings, [
      { id, key: monday.key, threshold: 50 },
    ]);
    assert.deepEqual((await t.settle("h3", 6 * USD, [tuesday])).warnings, [
      { id, key: tuesday.key, threshold: 50 },
    ]);
    assert.deepEqual(await t.read(monday, tuesday), [
      balance(monday, 6 * USD, 0),
      balance(tuesday, 6 * USD, 0),
    ]);

    await t.store.update({ scope: monday, now: T0, flags: { panic: true } });
    const refused = await t.reserve("h4", 1, [tuesday]);
    assert.equal(!refused.ok && refused.reason, "panic");
    assert.equal(refused.balances[0]?.flags.panic, true);
    await t.store.update({ scope: tuesday, now: T0, flags: { panic: false } });

    await t.store.update({ scope: tuesday, now: T0, limit: 20 * USD });
    assert.deepEqual(await t.read(monday, tuesday), [
      balance(monday, 6 * USD, 0, 20 * USD),
      balance(tuesday, 6 * USD, 0, 20 * USD),
    ]);
    assert.equal((await t.reserve("h5", 14 * USD, [monday])).ok, true);
    await t.store.update({ scope: monday, now: T0, limit: null });
    assert.deepEqual(await t.read(tuesday), [balance(tuesday, 6 * USD, 0, 10 * USD)]);
  });

  for (const flag of ["panic", "locked"] as const) {
    test(`a ${flag} flag on any scope refuses (not with force); clearing it admits again`, async (t) => {
      const child = t.scope("child", 10 * USD);
      const parent = t.scope("parent", 20 * USD);
      await t.register(child, parent);
      for (const flagged of [parent, child]) {
        const set = await t.store.update({ scope: flagged, now: T0, flags: { [flag]: true } });
        assert.equal(set.flags[flag], true);
        const refused = await t.reserve(`h-${flagged.id}`, 1 * USD, [child, parent]);
        assert.equal(refused.ok, false);
        assert.equal(!refused.ok && refused.reason, flag);
        assert.equal(!refused.ok && refused.refusedBy, flagged.id);
        assert.equal(refused.balances.find((b) => b.id === flagged.id)?.flags[flag], true);
        assert.equal((await t.read(flagged))[0]?.flags[flag], true);
        const forced = await t.reserve(`f-${flagged.id}`, 1 * USD, [child, parent], { force: true });
        assert.equal(forced.ok, true);
        await t.settle(`f-${flagged.id}`, 1 * USD, [child, parent]);
        const cleared = await t.store.update({ scope: flagged, now: T0, flags: { [flag]: false } });
        assert.notEqual(cleared.flags[flag], true);
        assert.equal((await t.reserve(`ok-${flagged.id}`, 1 * USD, [child, parent])).ok, true);
      }
      assert.deepEqual(
        (await t.read(child, parent)).map((b) => [b.spent, b.held]),
        [
          [2 * USD, 2 * USD],
          [2 * USD, 2 * USD],
        ],
      );
    });
  }

  test("force skips the budget, flag and rate checks", async (t) => {
    const only = t.scope("only", 1 * USD);
    await t.register(only);
    const window = t.window("w", 1, 60_000);
    assert.equal((await t.reserve("h0", 0, [only], { limits: [window] })).ok, true);
    await t.store.update({ scope: only, now: T0, flags: { panic: true, locked: true } });
    const forced = await t.reserve("h1", 5 * USD, [only], { force: true, limits: [window] });
    assert.equal(forced.ok, true);
    assert.deepEqual(
      forced.balances.map((b) => [b.spent, b.held]),
      [[0, 5 * USD]],
    );
    const settled = await t.settle("h1", 5 * USD, [only]);
    assert.deepEqual(
      settled.balances.map((b) => [b.spent, b.held]),
      [[5 * USD, 0]],
    );
    await t.store.update({ scope: only, now: T0, flags: { panic: false, locked: false } });
    const after = await t.reserve("h2", 0, [only]);
    assert.equal(!after.ok && after.reason, "budget");
  });

  test("update({ limit }) overrides the request's limit for the id; null clears it; balances report the limit in force", async (t) => {
    const child = t.scope("child", 10 * USD, [50]);
    const parent = t.scope("parent", 100 * USD);
    await t.register(child, parent);
    assert.deepEqual(
      await t.store.update({ scope: child, now: T0, limit: 4 * USD }),
      balance(child, 0, 0, 4 * USD),
    );
    assert.deepEqual(await t.reserve("h1", 5 * USD, [child, parent]), {
      ok: false,
      reason: "budget",
      refusedBy: child.id,
      balances: [balance(child, 0, 0, 4 * USD), balance(parent, 0, 0)],
    });
    assert.equal((await t.reserve("h2", 4 * USD, [child, parent])).ok, true);
    const settled = await t.settle("h2", 2 * USD, [child, parent]);
    // 2 of the 4 in force is 50%.
    assert.deepEqual(settled.warnings, [{ id: child.id, key: child.key, threshold: 50 }]);
    assert.deepEqual(settled.balances, [balance(child, 2 * USD, 0, 4 * USD), balance(parent, 2 * USD, 0)]);
    // An update that does not name the limit keeps the override.
    assert.deepEqual(await t.store.update({ scope: child, now: T0 }), balance(child, 2 * USD, 0, 4 * USD));
    assert.deepEqual(
      await t.store.update({ scope: child, now: T0, limit: null }),
      balance(child, 2 * USD, 0, 10 * USD),
    );
    assert.equal((await t.reserve("h3", 8 * USD, [child, parent])).ok, true);
    assert.deepEqual(await t.read(child), [balance(child, 2 * USD, 8 * USD, 10 * USD)]);
  });

  test("update({ reset }) zeroes spent and keeps holds in flight", async (t) => {
    const only = t.scope("only", 10 * USD);
    await t.register(only);
    await t.reserve("h1", 3 * USD, [only]);
    await t.settle("h1", 2 * USD, [only]);
    await t.reserve("h2", 4 * USD, [only]);
    assert.deepEqual(await t.store.update({ scope: only, now: T0, reset: true }), balance(only, 0, 4 * USD));
    assert.deepEqual((await t.settle("h2", 1 * USD, [only])).balances, [balance(only, 1 * USD, 0)]);
  });

  test("read of an account never used reports zero spent and held and the request's limit", async (t) => {
    const fresh = t.scope("fresh", 7 * USD);
    await t.register(fresh);
    assert.deepEqual(await t.read(fresh), [balance(fresh, 0, 0)]);
  });

  test("rate windows: a burst of capacity, then a refusal with the wait until there is room (GCRA)", async (t) => {
    const only = t.scope("only", 1000 * USD);
    await t.register(only);
    const requests = t.window("requests", 3, 60_000);
    for (let i = 0; i < 3; i++)
      assert.equal((await t.reserve(`b${i}`, 1, [only], { limits: [requests] })).ok, true);
    const refused = await t.reserve("b3", 1, [only], { limits: [requests] });
    assert.deepEqual(refused, {
      ok: false,
      reason: "rate_limit",
      refusedBy: requests.key,
      retryAfterMs: 20_000,
      balances: [balance(only, 0, 3)],
    });
    const late = await t.reserve("b4", 1, [only], { now: T0 + 19_999, limits: [requests] });
    assert.equal(!late.ok && late.retryAfterMs, 1);
    assert.equal((await t.reserve("b5", 1, [only], { now: T0 + 20_000, limits: [requests] })).ok, true);

    // Fractional increments (2 × 1000 / 7 ms) against the reference arithmetic of rate-window.ts.
    const odd = t.window("odd", 7, 1000, 2);
    let tat: number | undefined;
    for (let i = 0; i < 40; i++) {
      const now = T0 + Math.floor(i * 97.3);
      const expected = consume(tat, odd, now);
      const result = await t.reserve(`o${i}`, 1, [only], { now, limits: [odd] });
      if (expected.ok) {
        tat = expected.tat;
        assert.equal(result.ok, true, `call ${i} at +${now - T0} ms`);
      } else {
        assert.equal(result.ok, false, `call ${i} at +${now - T0} ms`);
        assert.equal(!result.ok && result.retryAfterMs, expected.retryAfterMs, `call ${i}`);
      }
    }
  });

  test("rate windows are consumed only when the whole reserve succeeds", async (t) => {
    const only = t.scope("only", 10 * USD);
    await t.register(only);
    const a = t.window("a", 2, 60_000);
    const b = t.window("b", 1, 60_000);
    assert.equal((await t.reserve("h1", 1, [only], { limits: [a, b] })).ok, true);
    const refused = await t.reserve("h2", 1, [only], { limits: [a, b] });
    assert.equal(!refused.ok && refused.reason, "rate_limit");
    assert.equal(!refused.ok && refused.refusedBy, b.key);
    // `a` still has its second unit: the refused call did not take it.
    assert.equal((await t.reserve("h3", 1, [only], { limits: [a] })).ok, true);
    assert.equal((await t.reserve("h4", 1, [only], { limits: [a] })).ok, false);
    // A budget refusal does not consume a window either.
    const c = t.window("c", 1, 60_000);
    const overBudget = await t.reserve("h5", 11 * USD, [only], { limits: [c] });
    assert.equal(!overBudget.ok && overBudget.reason, "budget");
    assert.equal((await t.reserve("h6", 1, [only], { limits: [c] })).ok, true);
  });

  test("settle refunds give back to rate windows what the call did not use", async (t) => {
    const only = t.scope("only", 10 * USD);
    await t.register(only);
    const tokens = t.window("tokens", 1000, 60_000, 1000);
    assert.equal((await t.reserve("h1", 1, [only], { limits: [tokens] })).ok, true);
    const full = await t.reserve("h2", 1, [only], { limits: [{ ...tokens, amount: 1 }] });
    assert.equal(!full.ok && full.retryAfterMs, 60);
    // An unknown hold refunds nothing.
    await t.settle("unknown", 0, [only], T0, [{ ...tokens, amount: 400 }]);
    assert.equal((await t.reserve("h3", 1, [only], { limits: [{ ...tokens, amount: 1 }] })).ok, false);
    const settled = await t.settle("h1", 1, [only], T0, [{ ...tokens, amount: 400 }]);
    assert.equal(settled.settled, true);
    assert.equal((await t.reserve("h4", 1, [only], { limits: [{ ...tokens, amount: 400 }] })).ok, true);
    const after = await t.reserve("h5", 1, [only], { limits: [{ ...tokens, amount: 1 }] });
    assert.equal(!after.ok && after.retryAfterMs, 60);
    // A refund to a window never used does nothing.
    const unused = t.window("unused", 2, 60_000);
    await t.reserve("h6", 1, [only]);
    await t.settle("h6", 1, [only], T0, [{ ...unused, amount: 2 }]);
    assert.equal((await t.reserve("h7", 1, [only], { limits: [unused] })).ok, true);
    assert.equal((await t.reserve("h8", 1, [only], { limits: [unused] })).ok, true);
    assert.equal((await t.reserve("h9", 1, [only], { limits: [unused] })).ok, false);
  });

  test("register upserts scope ids keeping the first createdAt; scopes lists them with the limit override", async (t) => {
    const parentId = t.id("parent");
    const childId = t.id("child");
    const parent: ScopeInfo = {
      id: parentId,
      limit: 50 * USD,
      period: "day",
      thresholds: [80],
      createdAt: T0,
    };
    const child: ScopeInfo = {
      id: childId,
      parentId,
      limit: 5 * USD,
      thresholds: [30, 80, 95],
      createdAt: T0,
    };
    await t.store.register([parent, child]);
    const ours = async () =>
      (await t.store.scopes())
        .filter((scope) => scope.id === parentId || scope.id === childId)
        .sort((x, y) => (x.id === parentId ? -1 : y.id === parentId ? 1 : 0));
    assert.deepEqual(await ours(), [parent, child]);
    await t.store.register([{ ...child, limit: 6 * USD, createdAt: T0 + 1000 }]);
    assert.deepEqual(await ours(), [parent, { ...child, limit: 6 * USD }]);
    await t.store.update({ scope: { id: childId, key: childId, limit: 6 * USD }, now: T0, limit: 2 * USD });
    assert.deepEqual(await ours(), [parent, { ...child, limit: 6 * USD, limitOverride: 2 * USD }]);
    await t.store.update({ scope: { id: childId, key: childId, limit: 6 * USD }, now: T0, limit: null });
    const [, cleared] = await ours();
    assert.equal(cleared?.limitOverride, undefined);
  });

  test("record and history: newest first, limit, before, status, model (requested or resolved), sessionId", async (t) => {
    const child = t.scope("child", 10 * USD);
    const parent = t.scope("parent", 100 * USD);
    const sibling = t.scope("sibling", 10 * USD);
    await t.register(child, parent);
    await t.store.register([
      { id: sibling.id, parentId: parent.id, limit: sibling.limit, thresholds: [], createdAt: T0 },
    ]);
    const model = t.id("model");
    const resolved = t.id("resolved");
    const r1 = t.record("r1", [child, parent], {
      time: T0 + 1,
      model,
      status: "blocked",
      reason: "budget_exceeded",
    });
    const r2 = t.record("r2", [sibling, parent], { time: T0 + 2, model: "other", resolvedModel: resolved });
    await t.store.record(r1);
    await t.store.record(r2);
    await t.reserve("h3", 1 * USD, [child, parent], { now: T0 + 3 });
    await t.settle("h3", 1 * USD, [child, parent], T0 + 3, undefined, { time: T0 + 3, model });
    const r3 = t.record("h3", [child, parent], { time: T0 + 3, model, actualUsd: 1 });
    const r4 = t.record("r4", [child, parent], {
      time: T0 + 4,
      model,
      resolvedModel: resolved,
      status: "failed",
    });
    await t.store.record(r4);

    assert.deepEqual(await t.store.history({ sessionId: child.id }), [r4, r3, r1]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id }), [r4, r3, r2, r1]);
    assert.deepEqual(await t.store.history({ sessionId: sibling.id }), [r2]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, limit: 2 }), [r4, r3]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, before: T0 + 3 }), [r2, r1]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, before: T0 + 3, limit: 1 }), [r2]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, status: "blocked" }), [r1]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, status: "settled" }), [r3, r2]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, model }), [r4, r3, r1]);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, model: resolved }), [r4, r2]);
    assert.deepEqual(await t.store.history({ sessionId: child.id, model: resolved, status: "failed" }), [r4]);
    assert.deepEqual(await t.store.history({ sessionId: t.id("nobody") }), []);
    assert.deepEqual(await t.store.history({ sessionId: parent.id, limit: 0 }), []);
    // Without sessionId: every session's records.
    assert.deepEqual(await t.store.history({ model }), [r4, r3, r1]);
    assert.deepEqual(await t.store.history({ model: resolved, limit: 1 }), [r4]);
    assert.deepEqual(await t.store.history({ limit: 4 }), [r4, r3, r2, r1]);
  });

  test(`concurrency: ${flows} flows × ${callsPerFlow} calls never commit more than the limit; totals are exact`, async (t) => {
    const parent = t.scope("parent", 3 * USD);
    const left = t.scope("left", 2 * USD);
    const right = t.scope("right", 2 * USD);
    await t.register(left, parent);
    await t.store.register([
      { id: right.id, parentId: parent.id, limit: right.limit, thresholds: [], createdAt: T0 },
    ]);
    const random = seededRandom(flows * 7919 + callsPerFlow);
    // Demand is about three times the parent's limit, so the limits bind while flows race.
    const maxAmount = Math.ceil((6 * parent.limit) / (flows * callsPerFlow));
    const actuals = new Map<string, number>([
      [left.id, 0],
      [right.id, 0],
    ]);
    let admitted = 0;
    let refused = 0;
    const check = (balances: Balance[]) => {
      for (const b of balances) {
        assert.ok(b.spent + b.held <= b.limit, `${b.id}: spent ${b.spent} + held ${b.held} > ${b.limit}`);
      }
    };
    await Promise.all(
      Array.from({ length: flows }, async (_, flow) => {
        const scopes = flow % 2 === 0 ? [left, parent] : [right, parent];
        for (let call = 0; call < callsPerFlow; call++) {
          const holdId = `f${flow}c${call}`;
          const amount = 1 + Math.floor(random() * maxAmount);
          const result = await t.reserve(holdId, amount, scopes);
          check(result.balances);
          if (!result.ok) {
            assert.equal(result.reason, "budget");
            refused++;
            continue;
          }
          admitted++;
          const actual = random() < 0.1 ? 0 : Math.floor(random() * (amount + 1));
          const settled = await t.settle(holdId, actual, scopes);
          assert.equal(settled.settled, true);
          assert.equal(settled.held, amount);
          check(settled.balances);
          const session = scopes[0]!.id;
          actuals.set(session, (actuals.get(session) ?? 0) + actual);
        }
      }),
    );
    assert.ok(admitted > 0 && refused > 0, `admitted ${admitted}, refused ${refused}: the limit never bound`);
    const [l, r, p] = await t.read(left, right, parent);
    assert.equal(l?.held, 0);
    assert.equal(r?.held, 0);
    assert.equal(p?.held, 0);
    assert.equal(l?.spent, actuals.get(left.id));
    assert.equal(r?.spent, actuals.get(right.id));
    assert.equal(p?.spent, (actuals.get(left.id) ?? 0) + (actuals.get(right.id) ?? 0));
    assert.ok((p?.spent ?? 0) <= parent.limit);
  });

  return cases;
}

const USD = 1_000_000_000;
/** A realistic epoch in ms, so stores see numbers as large as real ones. */
const T0 = 1_764_000_000_000;
const LEASE_MS = 15 * 60_000;

function balance(scope: ScopeRef, spent: number, held: number, limit = scope.limit): Balance {
  return { key: scope.key, id: scope.id, limit, spent, held, flags: {} };
}

/** Keeps the flags that are set: a store may report a cleared flag as `false` or leave it out. */
function setFlags(balances: Balance[]): Balance[] {
  return balances.map((b) => ({
    ...b,
    flags: Object.fromEntries(Object.entries(b.flags).filter(([, value]) => value)),
  }));
}

interface Tree {
  store: BudgetStore;
  /** A scope id unique to this case. */
  id(name: string): string;
  scope(name: string, limit: number, thresholds?: number[]): ScopeRef;
  window(name: string, capacity: number, periodMs: number, amount?: number): RateCharge;
  /** Registers `scopes` as a chain, innermost first (each the parent of the one before). */
  register(...scopes: ScopeRef[]): Promise<void>;
  record(id: string, scopes: ScopeRef[], fields?: Partial<CallRecord>): CallRecord;
  reserve(
    holdId: string,
    amount: number,
    scopes: ScopeRef[],
    fields?: Partial<Omit<ReserveRequest, "holdId" | "amount" | "scopes">>,
  ): Promise<ReserveResult>;
  settle(
    holdId: string,
    actual: number,
    scopes: ScopeRef[],
    now?: number,
    refunds?: RateCharge[],
    fields?: Partial<CallRecord>,
  ): ReturnType<BudgetStore["settle"]>;
  /** Balances with only the flags that are set. */
  read(...scopes: ScopeRef[]): Promise<Balance[]>;
  read(scopes: ScopeRef[], now: number): Promise<Balance[]>;
}

function tree(store: BudgetStore): Tree {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const id = (name: string) => `conformance-${run}-${name}`;
  const record = (holdId: string, scopes: ScopeRef[], fields: Partial<CallRecord> = {}): CallRecord => ({
    id: holdId,
    time: T0,
    sessionId: scopes[0]?.id ?? "",
    scopeIds: scopes.map((scope) => scope.id),
    provider: "openai",
    operation: "chat.completions.create",
    model: "gpt-4o-mini",
    status: "settled",
    estimatedUsd: 0.001234567891,
    heldUsd: 0,
    actualUsd: 0,
    tier: "standard",
    stream: false,
    flags: [],
    ...fields,
  });
  return {
    store,
    id,
    scope: (name, limit, thresholds = []) => ({ id: id(name), key: id(name), limit, thresholds }),
    window: (name, capacity, periodMs, amount = 1) => ({
      key: id(`rate:${name}`),
      capacity,
      periodMs,
      amount,
    }),
    register: (...scopes) =>
      store.register(
        scopes.map((scope, index) => ({
          id: scope.id,
          ...(scopes[index + 1] && { parentId: scopes[index + 1]?.id }),
          limit: scope.limit,
          thresholds: scope.thresholds,
          createdAt: T0,
        })),
      ),
    record,
    reserve: (holdId, amount, scopes, fields = {}) => {
      const now = fields.now ?? T0;
      return store.reserve({
        holdId: id(holdId),
        amount,
        scopes,
        now,
        expiresAt: now + LEASE_MS,
        record: record(holdId, scopes, { time: now, heldUsd: amount / USD }),
        ...fields,
      });
    },
    settle: (holdId, actual, scopes, now = T0, refunds, fields = {}) =>
      store.settle({
        holdId: id(holdId),
        actual,
        now,
        record: record(holdId, scopes, { actualUsd: actual / USD, ...fields }),
        ...(refunds && { refunds }),
      }),
    read: (...args: (ScopeRef | ScopeRef[] | number)[]) => {
      const [first, now] = args;
      const scopes = Array.isArray(first) ? first : (args as ScopeRef[]);
      return store.read({ scopes, now: typeof now === "number" ? now : T0 }).then(setFlags);
    },
  };
}
