import Anthropic from "@anthropic-ai/sdk";
import { createFalClient } from "@fal-ai/client";
import { describe, expect, it, vi } from "vitest";
import {
  BudgetedSession,
  type CallRecord,
  type GivenOptions,
  memoryStore,
  type RuleRequest,
  type Rules,
  RuleViolationError,
  type SessionOptions,
} from "../src/index.js";
import { openaiClient, sentBody, until, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

/** One paid call per provider path, as agent code would make it. */
const CALLS = {
  "openai chat": (session: BudgetedSession) =>
    session
      .wrap(openaiClient(fake()))
      .chat.completions.create({ model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 100 }),
  "openai responses": (session: BudgetedSession) =>
    session
      .wrap(openaiClient(fake()))
      .responses.create({ model: "gpt-4o-mini", input: "hi", max_output_tokens: 100 }),
  "openai images": (session: BudgetedSession) =>
    session
      .wrap(openaiClient(fake()))
      .images.generate({ model: "gpt-image-1", prompt: "a cat", quality: "high", size: "1024x1536", n: 2 }),
  anthropic: (session: BudgetedSession) =>
    session
      .wrap(new Anthropic({ apiKey: "sk-ant-test", baseURL: fake().anthropic.baseURL, maxRetries: 0 }))
      .messages.create({ model: "claude-haiku-4-5", max_tokens: 100, messages: user("hi") }),
  fal: (session: BudgetedSession) =>
    session.wrap(createFalClient(fake().fal.config())).subscribe("fal-ai/gpt-image-1.5", {
      input: { prompt: "a cat", quality: "high", image_size: "1024x1536", num_images: 2 } as {
        prompt: string;
      },
    }),
  "guard (minimax video)": (session: BudgetedSession) =>
    session.guard(
      { provider: "minimax", model: "MiniMax-Hailuo-02", estimate: { seconds: 10, resolution: "768P" } },
      () => "clip",
    ),
} as const;

type Path = keyof typeof CALLS;
const PATHS = Object.keys(CALLS) as Path[];
const IMAGE_PATHS: Path[] = ["openai images", "fal"];
const TEXT_PATHS: Path[] = ["openai chat", "openai responses", "anthropic"];

/** A rule that refuses the call on every path, with the code it refuses with. */
const UNIVERSAL: [string, Rules | ((path: Path) => Rules), string][] = [
  ["providers", { providers: ["nobody"] }, "provider_not_allowed"],
  [
    "models.deny",
    { models: { deny: ["gpt-4o*", "claude-*", "gpt-image-*", "fal-ai/*", "minimax-*"] } },
    "model_not_allowed",
  ],
  ["models.allow", { models: { allow: ["some-other-model"] } }, "model_not_allowed"],
  ["maxCostPerRequestUsd", { maxCostPerRequestUsd: 0.000001 }, "max_cost_per_request"],
  ["expiresAt", { expiresAt: new Date(Date.now() - 1000) }, "session_expired"],
  [
    "custom",
    { custom: [() => ({ deny: "office_hours", message: "Calls are allowed 9 to 5" })] },
    "office_hours",
  ],
];

async function expectRefusedBeforeNetwork(
  session: BudgetedSession,
  call: Promise<unknown>,
  code: string,
): Promise<RuleViolationError> {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RuleViolationError);
  expect((error as RuleViolationError).code).toBe(code);
  expect(fake().requests).toHaveLength(0);
  expect(session.getReserved()).toBe(0);
  expect(session.getTotalSpent()).toBe(0);
  const [record] = await session.history();
  expect(record).toMatchObject({ status: "blocked", reason: code, heldUsd: 0, actualUsd: 0 });
  return error as RuleViolationError;
}

/**
 * A session with the rule, sharing its store and id with a twin that has only the same rate window: the twin's
 * call passing after the refusal shows the refusal consumed no rate allowance.
 */
function withTwin<K extends keyof SessionOptions = "budgetUsd">(
  rules: Rules,
  options: Pick<SessionOptions, K> = {} as Pick<SessionOptions, K>,
) {
  const store = memoryStore();
  const window = { requests: 1, per: "minute" as const };
  const session = new BudgetedSession({
    budgetUsd: 10,
    id: "agent",
    store,
    ...options,
    rules: { ...rules, rateLimits: [window] },
  });
  const twin = new BudgetedSession({ budgetUsd: 10, id: "agent", store, rules: { rateLimits: [window] } });
  return { session, twin };
}

describe("every rule refuses on every provider path before the network, records its code, consumes nothing", () => {
  for (const [name, rules, code] of UNIVERSAL) {
    for (const path of PATHS) {
      it(`${name} on ${path}`, async () => {
        const { session, twin } = withTwin(typeof rules === "function" ? rules(path) : rules);
        await expectRefusedBeforeNetwork(session, CALLS[path](session), code);
        await CALLS["openai chat"](twin);
        expect(twin.getTotalSpent()).toBeGreaterThan(0);
      });
    }
  }

  for (const path of PATHS) {
    it(`panic on ${path}, and off again`, async () => {
      const { session } = withTwin({});
      await session.panic(true);
      const error = await expectRefusedBeforeNetwork(session, CALLS[path](session), "panic");
      expect(error.message).toContain("Panic is on for session `agent`");
      await session.panic(false);
      await CALLS[path](session);
      expect(session.getTotalSpent()).toBeGreaterThan(0);
    });
  }

  for (const path of IMAGE_PATHS) {
    it(`images.qualities (block) on ${path}`, async () => {
      const { session } = withTwin({ images: { qualities: ["low", "medium"] } });
      const error = await expectRefusedBeforeNetwork(session, CALLS[path](session), "quality_not_allowed");
      expect(error.message).toMatch(
        /Rule `images.qualities` refused quality `high`.*allowed are low, medium/,
      );
    });
    it(`images.maxSize on ${path}`, async () => {
      const { session } = withTwin({ images: { maxSize: "1024x1024" } });
      const error = await expectRefusedBeforeNetwork(session, CALLS[path](session), "size_not_allowed");
      expect(error.message).toMatch(/refused size `1024x1536`.*largest allowed is 1024x1024/);
    });
    it(`images.maxCount on ${path}`, async () => {
      const { session } = withTwin({ images: { maxCount: 1 } });
      const error = await expectRefusedBeforeNetwork(session, CALLS[path](session), "count_exceeded");
      expect(error.message).toMatch(/refused 2 images in one request: at most 1/);
    });
  }

  for (const path of TEXT_PATHS) {
    it(`maxOutputTokens (block) on ${path}`, async () => {
      const { session } = withTwin({ maxOutputTokens: 50 });
      const error = await expectRefusedBeforeNetwork(session, CALLS[path](session), "max_output_exceeded");
      expect(error.message).toMatch(/refused an output limit of 100 tokens: at most 50/);
    });
  }

  it("video.maxDurationSeconds on guarded MiniMax video and on OpenAI videos", async () => {
    const { session } = withTwin({ video: { maxDurationSeconds: 6 } });
    const error = await expectRefusedBeforeNetwork(
      session,
      CALLS["guard (minimax video)"](session),
      "duration_exceeded",
    );
    expect(error.message).toMatch(/refused 10 s of video.*at most 6 s/);
    const openai = session.wrap(openaiClient(fake()));
    await expect(
      openai.videos.create({ model: "sora-2", prompt: "waves", seconds: "8" }),
    ).rejects.toMatchObject({
      code: "duration_exceeded",
    });
    expect(fake().requests).toHaveLength(0);
  });
});

describe("rewrites", () => {
  it("lowers an OpenAI image quality to the cheapest allowed one: the server gets it and the price follows", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { images: { qualities: ["low", "medium"], enforce: "rewrite" } },
    });
    const openai = session.wrap(openaiClient(fake()));
    const params = {
      model: "gpt-image-1",
      prompt: "a cat",
      quality: "high" as const,
      size: "1024x1024" as const,
    };
    await openai.images.generate(params);
    expect(sentBody(fake())).toMatchObject({ quality: "low" });
    expect(params.quality).toBe("high");
    const [record] = await session.history();
    expect(record?.rewrites).toEqual(["quality high → low (rule images.qualities)"]);
    // gpt-image-1 low 1024x1024: $0.011 per image (held), not high's $0.167.
    expect(record?.heldUsd).toBeLessThan(0.02);
  });

  it("lowers a fal quality the same way", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { images: { qualities: ["low"], enforce: "rewrite" } },
    });
    const fal = session.wrap(createFalClient(fake().fal.config()));
    await fal.subscribe("fal-ai/gpt-image-1.5", {
      input: { prompt: "x", quality: "high", image_size: "1024x1024", num_images: 1 } as { prompt: string },
    });
    expect(sentBody(fake())).toMatchObject({ quality: "low" });
    // low 1024x1024 $0.009, plus the one-byte prompt at $0.005 per 1,000 text tokens
    expect(session.getTotalSpent()).toBeCloseTo(0.009 + 0.000005, 9);
  });

  it("treats a missing quality as the provider's default (gpt-image: auto, which may pick the dearest)", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { images: { qualities: ["low", "medium"] } },
    });
    const openai = session.wrap(openaiClient(fake()));
    await expect(openai.images.generate({ model: "gpt-image-1", prompt: "x" })).rejects.toMatchObject({
      code: "quality_not_allowed",
    });
    const dalle = new BudgetedSession({ budgetUsd: 5, rules: { images: { qualities: ["standard"] } } });
    await dalle.wrap(openaiClient(fake())).images.generate({ model: "dall-e-3", prompt: "x" });
    expect(dalle.getTotalSpent()).toBeGreaterThan(0);
  });

  it("clamps or injects an output limit with maxOutputTokens { enforce: clamp }", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { maxOutputTokens: { limit: 40, enforce: "clamp" } },
    });
    const openai = session.wrap(openaiClient(fake()));
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("a"),
      max_completion_tokens: 500,
    });
    await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("b") });
    const claude = session.wrap(
      new Anthropic({ apiKey: "k", baseURL: fake().anthropic.baseURL, maxRetries: 0 }),
    );
    await claude.messages.create({ model: "claude-haiku-4-5", max_tokens: 4096, messages: user("c") });
    expect(sentBody(fake(), 0)).toMatchObject({ max_completion_tokens: 40 });
    expect(sentBody(fake(), 1)).toMatchObject({ max_completion_tokens: 40 });
    expect(sentBody(fake(), 2)).toMatchObject({ max_tokens: 40 });
  });

  it("lowers an injected output limit so the worst case fits maxCostPerRequestUsd", async () => {
    // gpt-4o: $10 per million output tokens: $0.001 affords under 100 output tokens.
    const session = new BudgetedSession({ budgetUsd: 5, rules: { maxCostPerRequestUsd: 0.001 } });
    await session
      .wrap(openaiClient(fake()))
      .chat.completions.create({ model: "gpt-4o", messages: user("hi") });
    const limit = sentBody(fake()).max_completion_tokens as number;
    expect(limit).toBeGreaterThan(16);
    expect(limit).toBeLessThan(100);
    const [record] = await session.history();
    expect(record?.heldUsd).toBeLessThanOrEqual(0.001);
  });
});

describe("models", () => {
  it("matches dated snapshots and provider prefixes, so a snapshot cannot dodge a deny rule", async () => {
    const session = new BudgetedSession({ budgetUsd: 5, rules: { models: { deny: ["gpt-4o"] } } });
    const openai = session.wrap(openaiClient(fake()));
    for (const model of ["gpt-4o", "gpt-4o-2024-08-06", "openai/gpt-4o", "GPT-4O"]) {
      await expect(openai.chat.completions.create({ model, messages: user("x") })).rejects.toMatchObject({
        code: "model_not_allowed",
      });
    }
    await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("x") });
    expect(fake().requests).toHaveLength(1);
  });

  it("lets deny win over allow, and checks every model of an Anthropic batch", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { models: { allow: ["claude-*"], deny: ["claude-opus-*"] } },
    });
    const claude = session.wrap(
      new Anthropic({ apiKey: "k", baseURL: fake().anthropic.baseURL, maxRetries: 0 }),
    );
    await expect(
      claude.messages.create({ model: "claude-opus-4-1", max_tokens: 10, messages: user("x") }),
    ).rejects.toMatchObject({
      code: "model_not_allowed",
      message: expect.stringContaining("`claude-opus-*`"),
    });
    const requests = [
      { custom_id: "a", params: { model: "claude-haiku-4-5", max_tokens: 10, messages: user("x") } },
      { custom_id: "b", params: { model: "claude-opus-4-1", max_tokens: 10, messages: user("y") } },
    ];
    await expect(claude.messages.batches.create({ requests })).rejects.toMatchObject({
      code: "model_not_allowed",
    });
    expect(fake().requests).toHaveLength(0);
  });
});

describe("rate limits", () => {
  it("refuses call N+1 in the window with the time until the window has room", async () => {
    let now = 1_000_000;
    const session = new BudgetedSession({
      budgetUsd: 5,
      clock: () => now,
      rules: { rateLimits: [{ requests: 3, per: "minute" }] },
    });
    const openai = session.wrap(openaiClient(fake()));
    const call = () =>
      openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("x"), max_completion_tokens: 5 });
    await call();
    await call();
    now += 5_000;
    await call();
    const error = (await call().catch((e: unknown) => e)) as RuleViolationError;
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error.code).toBe("rate_limited");
    // 3 per minute is one every 20 s: the first call's slot frees 20 s after it, 15 s from now.
    expect(error.retryAfterMs).toBe(15_000);
    expect(error.message).toMatch(/rateLimits\[0\]` \(3 requests per minute\).*retry in 15000 ms/);
    expect(fake().requests).toHaveLength(3);
    now += 15_000;
    await call();
    expect(fake().requests).toHaveLength(4);
  });

  it("never lets concurrent callers past the window", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { rateLimits: [{ requests: 10, per: "hour" }] },
    });
    const openai = session.wrap(openaiClient(fake()));
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () =>
        openai.chat.completions.create({
          model: "gpt-4o-mini",
          messages: user("x"),
          max_completion_tokens: 5,
        }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(10);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "rate_limited" });
    }
    expect(fake().requests).toHaveLength(10);
  });

  it("counts tokens and USD as held, and refunds what the call did not use", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      // gpt-4o-mini held for ~1,000 output tokens each; the fake answers with far fewer.
      rules: { rateLimits: [{ tokens: 2_500, per: "hour" }] },
    });
    const openai = session.wrap(openaiClient(fake()));
    const call = () =>
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: user("x"),
        max_completion_tokens: 1_000,
      });
    await call();
    await call();
    // Without refunds the third would not fit (3 × 1,000+ tokens held > 2,500).
    await call();
    expect(fake().requests).toHaveLength(3);
  });

  it("limits only the models its glob names", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { rateLimits: [{ requests: 1, per: "day", model: "gpt-4o" }] },
    });
    const openai = session.wrap(openaiClient(fake()));
    await openai.chat.completions.create({ model: "gpt-4o", messages: user("x"), max_completion_tokens: 5 });
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("x"),
      max_completion_tokens: 5,
    });
    await expect(
      openai.chat.completions.create({ model: "gpt-4o", messages: user("x"), max_completion_tokens: 5 }),
    ).rejects.toMatchObject({ code: "rate_limited" });
  });
});

describe("approval", () => {
  it("holds the budget while waiting, and proceeds when approved", async () => {
    let release: (ok: boolean) => void = () => {};
    const approve = vi.fn((_request: RuleRequest) => new Promise<boolean>((resolve) => (release = resolve)));
    const session = new BudgetedSession({ budgetUsd: 5, rules: { approval: { aboveUsd: 0, approve } } });
    const openai = session.wrap(openaiClient(fake()));
    const call = openai.chat.completions.create({
      model: "gpt-4o",
      messages: user("x"),
      max_completion_tokens: 100,
    });
    await until(() => approve.mock.calls.length === 1);
    expect(session.getReserved()).toBeGreaterThan(0);
    expect(fake().requests).toHaveLength(0);
    expect(approve.mock.calls[0]?.[0]).toMatchObject({
      provider: "openai",
      model: "gpt-4o",
      sessionId: session.id,
    });
    release(true);
    await call;
    expect(fake().requests).toHaveLength(1);
    expect(session.getReserved()).toBe(0);
  });

  it("denies on timeout, on a throwing approver and on false, releasing the hold", async () => {
    const approvers = [
      () => new Promise<boolean>(() => {}),
      () => {
        throw new Error("approver down");
      },
      () => false,
    ];
    for (const approve of approvers) {
      const session = new BudgetedSession({
        budgetUsd: 5,
        rules: { approval: { aboveUsd: 0, approve, timeoutMs: 50 } },
      });
      const openai = session.wrap(openaiClient(fake()));
      const error = await openai.chat.completions
        .create({ model: "gpt-4o", messages: user("x"), max_completion_tokens: 10 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "approval_denied" });
      expect(session.getReserved()).toBe(0);
      expect(session.getTotalSpent()).toBe(0);
      expect((await session.history())[0]).toMatchObject({ status: "blocked", reason: "approval_denied" });
    }
    expect(fake().requests).toHaveLength(0);
  });

  it("keeps the decisions of two concurrent approvals apart, and skips calls below the threshold", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: {
        approval: {
          aboveUsd: 0.0001,
          approve: async (request) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return (request.params as { messages: { content: string }[] }).messages[0]?.content === "yes";
          },
        },
      },
    });
    const openai = session.wrap(openaiClient(fake()));
    const ask = (content: string, model = "gpt-4o") =>
      openai.chat.completions.create({ model, messages: user(content), max_completion_tokens: 100 });
    const [yes, no] = await Promise.allSettled([ask("yes"), ask("no")]);
    expect(yes.status).toBe("fulfilled");
    expect(no).toMatchObject({ status: "rejected", reason: { code: "approval_denied" } });
    // gpt-4o-mini with 1 output token holds less than $0.0001: no approval needed.
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("no"),
      max_completion_tokens: 1,
    });
    expect(fake().requests).toHaveLength(2);
  });
});

describe("lockout, callbacks, history and the readonly view", () => {
  it("locks after N refusals until unlock(); provider errors do not count", async () => {
    const session = new BudgetedSession({
      budgetUsd: 5,
      rules: { lockoutAfter: 2, models: { deny: ["gpt-4o"] } },
    });
    const openai = session.wrap(openaiClient(fake()));
    fake().script("openai.chat", { status: 400 }, { status: 400 }, { status: 400 });
    for (let i = 0; i < 3; i++) {
      await expect(
        openai.chat.completions.create({
          model: "gpt-4o-mini",
          messages: user("x"),
          max_completion_tokens: 5,
        }),
      ).rejects.toMatchObject({ status: 400 });
    }
    for (let i = 0; i < 2; i++) {
      await expect(
        openai.chat.completions.create({ model: "gpt-4o", messages: user("x") }),
      ).rejects.toMatchObject({
        code: "model_not_allowed",
      });
    }
    const locked = openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("x"),
      max_completion_tokens: 5,
    });
    await expect(locked).rejects.toMatchObject({
      code: "locked_out",
      message: expect.stringContaining("unlock()"),
    });
    await session.unlock();
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("x"),
      max_completion_tokens: 5,
    });
    expect(session.getSummary().requests).toBe(1);
  });

  it("calls onBlocked for every refusal and resolves refused calls to null", async () => {
    const blocked: CallRecord[] = [];
    const session = new BudgetedSession({
      budgetUsd: 5,
      onBlocked: (record) => blocked.push(record),
      rules: { providers: ["anthropic"] },
    });
    const openai = session.wrap(openaiClient(fake()));
    expect(await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("x") })).toBeNull();
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({
      status: "blocked",
      reason: "provider_not_allowed",
      provider: "openai",
    });
    expect(session.getSummary().blockedByReason).toEqual({ provider_not_allowed: 1 });
  });

  it("records tags, latency, usage buckets, and prompts only when asked", async () => {
    const plain = new BudgetedSession({ budgetUsd: 5, tags: { team: "search" } });
    await plain
      .wrap(openaiClient(fake()))
      .chat.completions.create({ model: "gpt-4o-mini", messages: user("secret plan") });
    const [record] = await plain.history();
    expect(record).toMatchObject({ tags: { team: "search" }, source: "usage" });
    expect(record?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(record?.usage?.inputTokens).toBeGreaterThan(0);
    expect(JSON.stringify(record)).not.toContain("secret plan");

    const verbose = new BudgetedSession({ budgetUsd: 5, history: { includePrompts: true } });
    await verbose
      .wrap(openaiClient(fake()))
      .chat.completions.create({ model: "gpt-4o-mini", messages: user("secret plan") });
    expect((await verbose.history())[0]?.prompt).toEqual(user("secret plan"));
  });

  it("gives agent code a view that reads but cannot change anything, and no key", async () => {
    const session = new BudgetedSession({ budgetUsd: 5 });
    const openai = session.wrap(openaiClient(fake()));
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("x"),
      max_completion_tokens: 5,
    });
    const view = session.readonly();
    expect(Object.isFrozen(view)).toBe(true);
    expect(view.getRemainingBudget()).toBe(session.getRemainingBudget());
    expect(await view.history()).toHaveLength(1);
    expect((await view.price("openai", "gpt-4o-mini")).inputPerMTok).toBe(0.15);
    expect(view.isPanicked()).toBe(false);
    for (const name of ["reset", "panic", "unlock", "wrap", "close", "settleBatch", "guard"]) {
      expect(name in view).toBe(false);
    }
    expect(openai.apiKey).toMatch(/^sg-key-placeholder-/);
    expect(JSON.stringify((openai as unknown as { _options: unknown })._options)).not.toContain(
      "sk-test-secret-key",
    );
  });

  it("rejects malformed rules with a TypeError naming the rule", () => {
    const bad: [Rules, RegExp][] = [
      [{ models: { deny: "gpt-4o" as never } }, /`rules.models.deny`/],
      [{ images: { enforce: "lower" as never } }, /`rules.images.enforce`/],
      [{ images: { maxSize: "big" } }, /`rules.images.maxSize`/],
      [{ rateLimits: [{ per: "fortnight" as never, requests: 1 }] }, /`rules.rateLimits\[0\].per`/],
      [{ rateLimits: [{ per: "minute" }] }, /at least one of requests, tokens, usd/],
      [{ maxOutputTokens: { limit: 0 } }, /`rules.maxOutputTokens.limit`/],
      [{ approval: { aboveUsd: 1 } as never }, /`rules.approval`/],
      [{ custom: ["nope" as never] }, /`rules.custom`/],
    ];
    for (const [rules, message] of bad)
      expect(() => new BudgetedSession({ budgetUsd: 1, rules })).toThrow(message);
  });
});
