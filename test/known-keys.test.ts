import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BudgetedSession, memoryStore } from "../src/index.js";
import { closest, type KeysOf } from "../src/known-keys.js";
import { redisStore } from "../src/stores/redis.js";
import { sqliteStore } from "../src/stores/sqlite.js";

const session = (options: Record<string, unknown>) =>
  new BudgetedSession(options as unknown as ConstructorParameters<typeof BudgetedSession>[0]);

describe("unknown option keys (issue 12, item 1)", () => {
  it.each([
    [
      { budgetUsd: 1, rules: { model: { allow: ["gpt-4o-mini"] } } },
      "Unknown option `rules.model`; did you mean `rules.models`?",
    ],
    [
      { budgetUsd: 1, rules: { models: { allowed: ["gpt-4o-mini"] } } },
      "Unknown option `rules.models.allowed`; did you mean `rules.models.allow`?",
    ],
    [
      { budgetUsd: 1, rules: { maxCostPerRequest: 0.01 } },
      "Unknown option `rules.maxCostPerRequest`; did you mean `rules.maxCostPerRequestUsd`?",
    ],
    [{ budget: 5 }, "Unknown option `budget`; did you mean `budgetUsd`?"],
    [{ budgetUsd: 1, onWarn: () => undefined }, "Unknown option `onWarn`; did you mean `onWarning`?"],
    [
      { budgetUsd: 1, reservation: { mod: "strict" } },
      "Unknown option `reservation.mod`; did you mean `reservation.mode`?",
    ],
    [
      { budgetUsd: 1, history: { includePrompt: true } },
      "Unknown option `history.includePrompt`; did you mean `history.includePrompts`?",
    ],
    [
      { budgetUsd: 1, anthropic: { exactInputToken: true } },
      "Unknown option `anthropic.exactInputToken`; did you mean `anthropic.exactInputTokens`?",
    ],
    [
      { budgetUsd: 1, rules: { images: { quality: ["low"] } } },
      "Unknown option `rules.images.quality`; did you mean `rules.images.qualities`?",
    ],
    [
      { budgetUsd: 1, rules: { video: { maxDuration: 5 } } },
      "Unknown option `rules.video.maxDuration`; did you mean `rules.video.maxDurationSeconds`?",
    ],
    [
      { budgetUsd: 1, rules: { maxOutputTokens: { limit: 5, enforced: "clamp" } } },
      "Unknown option `rules.maxOutputTokens.enforced`; did you mean `rules.maxOutputTokens.enforce`?",
    ],
    [
      { budgetUsd: 1, rules: { rateLimits: [{ request: 5, per: "minute" }] } },
      "Unknown option `rules.rateLimits[0].request`; did you mean `rules.rateLimits[0].requests`?",
    ],
    [
      { budgetUsd: 1, rules: { approval: { above: 1, approve: () => true } } },
      "Unknown option `rules.approval.above`; did you mean `rules.approval.aboveUsd`?",
    ],
    [{ budgetUsd: 1, BudgetUSD: 1 }, "Unknown option `BudgetUSD`; did you mean `budgetUsd`?"],
  ])("%j throws a TypeError naming the key and the closest valid one", (options, message) => {
    expect(() => session(options)).toThrow(TypeError);
    expect(() => session(options)).toThrow(message);
  });

  it("lists the valid keys when nothing is close", () => {
    expect(() => session({ budgetUsd: 1, rules: { zzzzzzzzzz: 1 } })).toThrow(
      /^Unknown option `rules.zzzzzzzzzz`; expected one of `models`, `providers`, .*`custom`$/,
    );
  });

  it("a misspelled model rule can no longer leave a call unguarded: the session is never built", () => {
    expect(() => session({ budgetUsd: 1, rules: { model: { allow: ["gpt-4o-mini"] } } })).toThrow(TypeError);
    const guarded = session({ budgetUsd: 1, rules: { models: { allow: ["gpt-4o-mini"] } } });
    expect(guarded.getBudget()).toBe(1);
  });

  it("accepts every documented key (no false alarm)", () => {
    const all = session({
      budgetUsd: 1,
      id: "all-keys",
      store: memoryStore({ historyLimit: 10 }),
      tier: "standard",
      warningThresholds: [50],
      onWarning: () => undefined,
      onBudgetExceeded: () => undefined,
      onCost: () => undefined,
      onOverspend: () => undefined,
      onBlocked: () => undefined,
      rules: {
        models: { allow: ["gpt-*"], deny: ["gpt-4"] },
        providers: ["openai"],
        images: { qualities: ["low"], enforce: "rewrite", maxSize: "1024x1024", maxCount: 2 },
        video: { maxDurationSeconds: 5 },
        maxOutputTokens: { limit: 100, enforce: "clamp" },
        maxCostPerRequestUsd: 0.5,
        rateLimits: [{ requests: 1, tokens: 2, usd: 3, per: "minute", model: "gpt-*" }],
        approval: { aboveUsd: 0.1, approve: () => true, timeoutMs: 10 },
        lockoutAfter: 3,
        expiresAt: Date.now() + 60_000,
        custom: [() => undefined],
      },
      tags: { team: "a" },
      history: { includePrompts: false, limit: 5 },
      reservation: { mode: "strict", minOutputTokens: 16 },
      holdTtlMs: 1000,
      pricing: { "my-model": { inputPerMTok: 1, outputPerMTok: 2 } },
      unknownModel: { fallbackModel: "gpt-4o" },
      period: "day",
      clock: Date.now,
      anthropic: { exactInputTokens: false },
    });
    expect(all.id).toBe("all-keys");
  });

  it("child options: unknown keys throw, and options a child cannot set are named", () => {
    const parent = session({ budgetUsd: 1, id: "parent" });
    const child = (options: Record<string, unknown>) =>
      parent.child(options as unknown as Parameters<typeof parent.child>[0]);
    expect(() => child({ id: "c", budget: 1 })).toThrow("Unknown option `budget`; did you mean `budgetUsd`?");
    expect(() => child({ id: "c", budgetUsd: 1, rules: { modles: {} } })).toThrow(
      "Unknown option `rules.modles`; did you mean `rules.models`?",
    );
    // A child shares its parent's store: silently ignoring `store` would be a lie.
    expect(() => child({ id: "c", budgetUsd: 1, store: memoryStore() })).toThrow("Unknown option `store`");
    expect(child({ id: "c", budgetUsd: 0.5 }).id).toBe("parent/c");
  });

  it("factory options: the client's own keys are known, typos of them are named", () => {
    const factory = (options: Record<string, unknown>) =>
      BudgetedSession.openai(options as unknown as Parameters<typeof BudgetedSession.openai>[0]);
    expect(() => factory({ budgetUsd: 1, apikey: "sk-test-1234567890" })).toThrow(
      "Unknown option `apikey`; did you mean `apiKey`?",
    );
    expect(() => factory({ budgetUsd: 1, apiKey: "sk-x", clientOption: {} })).toThrow(
      "Unknown option `clientOption`; did you mean `clientOptions`?",
    );
    expect(() => BudgetedSession.anthropic({ budgetUsd: 1, apiKey: "k", budget: 2 } as never)).toThrow(
      "Unknown option `budget`; did you mean `budgetUsd`?",
    );
    expect(() => BudgetedSession.fal({ budgetUsd: 1, credential: "k" } as never)).toThrow(
      "Unknown option `credential`; did you mean `credentials`?",
    );
  });

  it("never prints a value (a misplaced key may hold a secret)", () => {
    const secret = "sk-proj-SECRETSECRETSECRET";
    let message = "";
    try {
      session({ budgetUsd: 1, openaiApiKey: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("openaiApiKey");
    expect(message).not.toContain(secret);
  });

  it("store options", () => {
    expect(() => memoryStore({ historylimit: 5 } as never)).toThrow(
      "Unknown option `historylimit`; did you mean `historyLimit`?",
    );
    const dir = mkdtempSync(join(tmpdir(), "sg-keys-"));
    try {
      expect(() => sqliteStore({ path: join(dir, "a.db"), busyTimeout: 5 } as never)).toThrow(
        "Unknown option `busyTimeout`; did you mean `busyTimeoutMs`?",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => redisStore({ url: "redis://127.0.0.1:1", prefx: "x" } as never)).toThrow(
      "Unknown option `prefx`; did you mean `prefix`?",
    );
  });

  it("guard(), estimate() and wrap() requests", async () => {
    const s = session({ budgetUsd: 1 });
    let ran = false;
    await expect(
      s.guard({ provider: "minimax", model: "video-01", estimateUSD: 0.4 } as never, () => {
        ran = true;
      }),
    ).rejects.toThrow("Unknown option `estimateUSD`; did you mean `estimateUsd`?");
    await expect(
      s.guard(
        { provider: "x", model: "gpt-4o", estimate: { inputTokens: 1, outputToken: 2 } } as never,
        () => {
          ran = true;
        },
      ),
    ).rejects.toThrow("Unknown option `estimate.outputToken`; did you mean `estimate.outputTokens`?");
    expect(ran).toBe(false);
    await expect(
      s.estimate({ provider: "openai", operation: "chat.completions", param: {} } as never),
    ).rejects.toThrow("Unknown option `param`; did you mean `params`?");
    expect(() => s.wrap({}, { tierr: "flex" } as never)).toThrow(
      "Unknown option `tierr`; did you mean `tier`?",
    );
  });
});

describe("closest()", () => {
  it("prefers a case-insensitive match, then a prefix, then few edits; refuses far guesses", () => {
    expect(closest("apikey", ["apiKey", "api"])).toBe("apiKey");
    expect(closest("budget", ["budgetUsd", "id"])).toBe("budgetUsd");
    expect(closest("modle", ["models", "providers"])).toBe("models");
    expect(closest("xyz", ["models", "providers"])).toBeUndefined();
  });
});

// Compile-time: a key list that misses a key of its type, or names one it does not have, fails `npm run typecheck`.
interface Example {
  a?: number;
  b: string;
}
it("a key list must match its type exactly (checked by tsc)", () => {
  // @ts-expect-error `b` is missing
  const missing = { a: true } as const satisfies KeysOf<Example>;
  // @ts-expect-error `c` is not a key of Example
  const extra = { a: true, b: true, c: true } as const satisfies KeysOf<Example>;
  expect(Object.keys(missing)).toEqual(["a"]);
  expect(Object.keys(extra)).toEqual(["a", "b", "c"]);
});
