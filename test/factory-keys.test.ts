import Anthropic from "@anthropic-ai/sdk";
import { createFalClient } from "@fal-ai/client";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BudgetedSession, type Keychain } from "../src/index.js";
import { useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;

function memoryKeychain(entries: Record<string, string>): Keychain & { reads: number } {
  const keychain = {
    backend: "memory",
    reads: 0,
    async get(account: string) {
      keychain.reads++;
      return entries[account] ?? null;
    },
    async set(account: string, secret: string) {
      entries[account] = secret;
    },
    async delete(account: string) {
      return delete entries[account];
    },
    async list() {
      return Object.keys(entries).sort();
    },
  };
  return keychain as unknown as Keychain & { reads: number };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("factories find the key: explicit, then the environment, then the OS keychain", () => {
  it("OpenAI: reads the keychain once, on the first request, when no key is given or set", async () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    const keychain = memoryKeychain({ openai: "sk-from-keychain-1234" });
    const client = BudgetedSession.openai({
      budgetUsd: 1,
      OpenAI,
      keychain,
      clientOptions: { baseURL: fake().openai.baseURL, maxRetries: 0 },
    });
    expect(keychain.reads).toBe(0);
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("a"),
      max_completion_tokens: 5,
    });
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("b"),
      max_completion_tokens: 5,
    });
    expect(fake().requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer sk-from-keychain-1234",
      "Bearer sk-from-keychain-1234",
    ]);
    expect(keychain.reads).toBe(1);
    expect(JSON.stringify(await client.session.history())).not.toContain("sk-from-keychain");
  });

  it("prefers the environment over the keychain", async () => {
    vi.stubEnv("ANTHROPIC_API_KEY", "sk-ant-from-env");
    const keychain = memoryKeychain({ anthropic: "sk-ant-from-keychain" });
    const claude = BudgetedSession.anthropic({
      budgetUsd: 1,
      Anthropic,
      keychain,
      clientOptions: { baseURL: fake().anthropic.baseURL, maxRetries: 0 },
    });
    await claude.messages.create({ model: "claude-haiku-4-5", max_tokens: 5, messages: user("x") });
    expect(fake().requests[0]?.headers.authorization).toBe("Bearer sk-ant-from-env");
    expect(keychain.reads).toBe(0);
  });

  it("says where to put a key when none is found, and sends nothing", async () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    const client = BudgetedSession.openai({
      budgetUsd: 1,
      OpenAI,
      keychain: memoryKeychain({}),
      clientOptions: { baseURL: fake().openai.baseURL, maxRetries: 0 },
    });
    const error = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("x"), max_completion_tokens: 5 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/OPENAI_API_KEY.*spendguard keys set openai/);
    expect(fake().requests).toHaveLength(0);
    expect(client.session.getReserved()).toBe(0);
  });

  it("fal: fetches keychain credentials before the first paid call", async () => {
    vi.stubEnv("FAL_KEY", "");
    vi.stubEnv("FAL_KEY_ID", "");
    const { requestMiddleware } = fake().fal.config();
    const fal = BudgetedSession.fal({
      budgetUsd: 1,
      createFalClient,
      keychain: memoryKeychain({ fal: "fal-key-from-keychain" }),
      clientConfig: { requestMiddleware },
    });
    await fal.run("fal-ai/flux/dev", {
      input: { prompt: "x", image_size: "square_hd" } as { prompt: string },
    });
    expect(fake().requests[0]?.headers.authorization).toBe("Key fal-key-from-keychain");
  });
});
