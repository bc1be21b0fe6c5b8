import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import {
  BudgetExceededError,
  BudgetedSession,
  type BudgetStore,
  memoryStore,
  StoreUnavailableError,
  UnknownPriceError,
} from "../src/index.js";
import { openaiClient, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

const SECRET = "sk-test-secret-key";

/** A memory store whose chosen operations throw, as a store whose server went away would. */
function failingStore(failing: (keyof BudgetStore)[]): BudgetStore {
  const inner = memoryStore();
  const store: BudgetStore = { ...inner, readSync: undefined, name: "flaky" };
  for (const method of failing) {
    (store as unknown as Record<string, unknown>)[method] = async () => {
      throw new Error(`connection refused (${method})`);
    };
  }
  return store;
}

describe("secrets", () => {
  it("never puts the API key in errors, history, summaries or estimates", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.001 });
    const client = session.wrap(openaiClient(fake()));
    fake().script("openai.chat", {}, { status: 401 });
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 10,
    });
    const errors = await Promise.all([
      client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") }).catch((e: unknown) => e),
      client.chat.completions.create({ model: "gpt-99", messages: user("hi") }).catch((e: unknown) => e),
      client.chat.completions
        .create({ model: "gpt-4o", messages: user("hi"), max_completion_tokens: 100_000 })
        .catch((e: unknown) => e),
    ]);
    expect(errors[0]).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(errors[1]).toBeInstanceOf(UnknownPriceError);
    expect(errors[2]).toBeInstanceOf(BudgetExceededError);
    const estimate = await session.estimate({
      provider: "openai",
      operation: "chat.completions",
      params: { model: "gpt-4o-mini", messages: user("hi") },
    });
    const everything = JSON.stringify({
      errors: errors.map((error) => ({ ...(error as object), message: (error as Error).message })),
      history: await session.history(),
      summary: session.getSummary(),
      estimate,
    });
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain("secret");
  });
});

describe("a failing store (fail closed)", () => {
  it("refuses the call with StoreUnavailableError and sends nothing when the store cannot reserve", async () => {
    const session = new BudgetedSession({ budgetUsd: 1, store: failingStore(["reserve", "record"]) });
    const client = session.wrap(openaiClient(fake()));
    const error = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi") })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).message).toMatch(
      /The flaky store failed \(connection refused \(reserve\)\)/,
    );
    expect(fake().requests).toHaveLength(0);
  });

  it("returns the provider's answer when the store cannot settle, keeps the hold, and says so", async () => {
    const emitted = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      const inner = memoryStore();
      const store: BudgetStore = {
        ...inner,
        settle: async () => {
          throw new Error("connection reset");
        },
      };
      const session = new BudgetedSession({ budgetUsd: 1, store });
      const client = session.wrap(openaiClient(fake()));
      const reply = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: user("hi"),
        max_completion_tokens: 10,
      });
      expect(reply.choices[0]?.message.content).toBe("Hello from the fake provider.");
      // The hold stays: it settles at its full amount when its lease ends (the safe side).
      expect(session.getReserved()).toBeGreaterThan(0);
      expect(inner.openHolds()).toBe(1);
      expect(emitted.mock.calls.map((call) => String(call[0])).join("\n")).toMatch(
        /store failed \(connection reset\)/,
      );
    } finally {
      emitted.mockRestore();
    }
  });
});

describe("the caller's objects", () => {
  it("never mutates the params or options passed in", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(openaiClient(fake()));
    const params = { model: "gpt-4o-mini", messages: user("hi"), stream: true as const };
    const options = { headers: { "x-trace": "1" }, fetchOptions: { keepalive: false } };
    const snapshot = JSON.stringify({ params, options });
    const stream = await client.chat.completions.create(params, options);
    for await (const _ of stream) {
      // drain
    }
    expect(JSON.stringify({ params, options })).toBe(snapshot);
    expect(Object.getOwnPropertySymbols(options.fetchOptions)).toEqual([]);
    expect(fake().requests[0]?.headers["x-trace"]).toBe("1");
  });
});
