import { inspect } from "node:util";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { BudgetExceededError, BudgetedSession, RuleViolationError } from "../src/index.js";
import { startFakeProviders } from "../src/testing/index.js";
import { sharedFakeProviders, user } from "./helpers.js";

/**
 * The attacks of the wire-metering issue, each through a documented feature of the SDKs: what is priced and
 * held is what goes on the wire, once per attempt, and no key can be read back from a wrapped client.
 */
const fake = sharedFakeProviders();
const OPENAI_KEY = "sk-proj-REAL-openai-key-0123456789";
const ANTHROPIC_KEY = "sk-ant-REAL-anthropic-key-0123456789";

function openai(session: BudgetedSession, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
  return session.wrap(
    new OpenAI({
      apiKey: OPENAI_KEY,
      baseURL: fake.openai.baseURL,
      maxRetries: 0,
      logLevel: "off",
      ...options,
    }),
  );
}

function anthropic(session: BudgetedSession) {
  return session.wrap(
    new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: fake.anthropic.baseURL, maxRetries: 0 }),
  );
}

const BIG_PROMPT = "budget ".repeat(20_000);
const bigChat = { model: "gpt-4o", messages: user(BIG_PROMPT), max_tokens: 5000 };
const small = { model: "gpt-4o-mini", messages: user("hi"), max_tokens: 1 };

describe("per-request options are priced as sent", () => {
  it("prices a `body` override, not the params: the swapped-in request is refused before the network", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.01 });
    const client = openai(session);
    const error = await client.chat.completions.create(small, { body: bigChat }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).estimatedCostUsd).toBeGreaterThan(0.05);
    expect(fake.requests).toHaveLength(0);
    expect(session.getTotalSpent()).toBe(0);
  });

  it("settles a `body` override at the model that was sent", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = openai(session);
    fake.script("openai.chat", { usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    await client.chat.completions.create(small, {
      body: { model: "gpt-4o", messages: user("x"), max_tokens: 100 },
    });
    const [record] = await session.history();
    expect(record).toMatchObject({ model: "gpt-4o", status: "settled" });
    // gpt-4o: $2.50 in, $10 out per million.
    expect(session.getTotalSpent()).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);
  });

  it("meters a `path` override that turns an embeddings call into a chat call", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.01 });
    const client = openai(session);
    const calls = Array.from({ length: 5 }, () =>
      client.embeddings
        .create({ model: "text-embedding-3-small", input: "x" }, { path: "/chat/completions", body: bigChat })
        .catch((e: unknown) => e),
    );
    for (const error of await Promise.all(calls)) expect(error).toBeInstanceOf(BudgetExceededError);
    expect(fake.requests).toHaveLength(0);
  });

  it("still meters with `query`, `headers` and `method` overrides; a GET is never billed as a paid call", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.01 });
    const client = openai(session);
    const viaQuery = await client.chat.completions
      .create(small, {
        body: bigChat,
        query: { "api-version": "x" },
        headers: { "x-stainless-helper-method": "x" },
      })
      .catch((e: unknown) => e);
    expect(viaQuery).toBeInstanceOf(BudgetExceededError);
    expect(fake.requests).toHaveLength(0);
    // A GET to a paid path is not a paid request (the provider cannot bill it); it is not held.
    await client.chat.completions.create(small, { method: "get" }).catch(() => undefined);
    expect((await session.history()).filter((record) => record.status !== "blocked")).toEqual([]);
    expect(session.getTotalSpent()).toBe(0);
  });

  it("prices an Anthropic `body` override (haiku swapped for opus)", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.01 });
    const client = anthropic(session);
    const error = await client.messages
      .create(
        { model: "claude-haiku-4-5", max_tokens: 1, messages: user("hi") },
        { body: { model: "claude-opus-4-1", max_tokens: 4000, messages: user(BIG_PROMPT) } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(fake.requests).toHaveLength(0);
  });

  it("refuses a body it cannot price (a raw stream) rather than sending it", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = openai(session);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify(small)));
        controller.close();
      },
    });
    const error = await client
      .post("/chat/completions", { body: stream as never, headers: { "content-type": "application/json" } })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("invalid_request");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("retries: every attempt that may be billed has its own hold", () => {
  it("holds each timed-out attempt, charges it, and refuses the retry that no longer fits", async () => {
    // gpt-4o-mini, ~10 input tokens, max_tokens 1000: a hold of about $0.0006; the budget fits 2.
    const session = new BudgetedSession({ budgetUsd: 0.0013 });
    const client = openai(session, { maxRetries: 3, timeout: 100 });
    fake.setDefault("openai.chat", { delayMs: 400 });
    const error = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi"), max_tokens: 1000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    // Two attempts reached the provider and were cut off; the third was refused before it was sent.
    expect(fake.requests).toHaveLength(2);
    await session.close();
    expect(session.getTotalSpent()).toBeLessThanOrEqual(0.0013);
    expect(session.getReserved()).toBe(0);
    const records = await session.history();
    expect(records.filter((record) => record.flags.includes("interrupted"))).toHaveLength(2);
    expect(records.filter((record) => record.status === "blocked")).toHaveLength(1);
  });

  it("releases a 5xx attempt and holds the retry again", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = openai(session, { maxRetries: 2 });
    fake.script(
      "openai.chat",
      { status: 500, headers: { "retry-after-ms": "1" } },
      { status: 429, headers: { "retry-after-ms": "1" } },
      { usage: { prompt_tokens: 10, completion_tokens: 10 } },
    );
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi"), max_tokens: 10 });
    expect(fake.requests).toHaveLength(3);
    const statuses = (await session.history()).map((record) => [record.status, record.reason ?? ""]);
    expect(statuses).toEqual([
      ["settled", ""],
      ["failed", "http_429"],
      ["failed", "http_500"],
    ]);
    expect(session.getReserved()).toBe(0);
  });
});

/** Everything a reader can reach from a client, as text: fields, options, inspect output, descriptors. */
async function reachableText(client: object): Promise<string> {
  const anyClient = client as Record<string, unknown> & {
    chat?: { _client?: unknown; completions?: { _client?: { _options?: unknown } } };
    messages?: { _client?: unknown };
    buildRequest?: (
      options: object,
    ) => Promise<{ req: { headers: unknown } }> | { req: { headers: unknown } };
    authHeaders?: (options: object) => Promise<unknown>;
    bearerAuth?: (options: object) => Promise<unknown>;
    apiKeyAuth?: (options: object) => Promise<unknown>;
  };
  const parts: unknown[] = [
    anyClient.apiKey,
    anyClient.authToken,
    anyClient.adminAPIKey,
    anyClient._options,
    anyClient.chat?._client && (anyClient.chat._client as Record<string, unknown>).apiKey,
    anyClient.chat?.completions?._client?._options,
    anyClient.messages?._client && (anyClient.messages._client as Record<string, unknown>).apiKey,
    Object.getOwnPropertyDescriptor(client, "apiKey"),
    Object.getOwnPropertyDescriptors(client),
    inspect(client, { depth: 6, showHidden: true }),
  ];
  if (anyClient.buildRequest) {
    const built = await anyClient.buildRequest({ method: "post", path: "/chat/completions", body: {} });
    const headers: string[] = [];
    new Headers(built.req.headers as HeadersInit).forEach((value, name) => {
      headers.push(`${name}: ${value}`);
    });
    parts.push(headers);
  }
  for (const name of ["authHeaders", "bearerAuth", "apiKeyAuth"] as const) {
    const fn = anyClient[name];
    if (typeof fn === "function") parts.push(await fn.call(client, {}).catch(() => undefined));
  }
  return parts
    .map((part) => (typeof part === "string" ? part : inspect(part, { depth: 8, showHidden: true })))
    .join("\n");
}

describe("no key can be read back from a wrapped client", () => {
  it("hides the OpenAI key at every depth, yet sends it to the provider", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = openai(session, { adminAPIKey: "sk-admin-REAL-0123456789" } as never);
    const text = await reachableText(client);
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toContain("sk-admin-REAL");
    await client.chat.completions.create(small);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const copy = client.withOptions({ timeout: 5000 });
    expect(await reachableText(copy)).not.toContain(OPENAI_KEY);
  });

  it("keeps the tokens of a key function (a token provider) out of the client too", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    let issued = 0;
    const client = openai(session, { apiKey: async () => `tok-REAL-${++issued}` } as never);
    await client.chat.completions.create(small);
    await client.chat.completions.create(small);
    expect(fake.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer tok-REAL-1",
      "Bearer tok-REAL-2",
    ]);
    expect(await reachableText(client)).not.toContain("tok-REAL");
  });

  it("hides the Anthropic key at every depth, yet sends it to the provider", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = anthropic(session);
    expect(await reachableText(client)).not.toContain(ANTHROPIC_KEY);
    await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 5, messages: user("hi") });
    const sent = fake.requests[0]?.headers;
    expect(`${sent?.authorization ?? ""} ${sent?.["x-api-key"] ?? ""}`).toContain(ANTHROPIC_KEY);
  });

  it("never sends the key to another origin (a withOptions baseURL an agent chose)", async () => {
    const other = await startFakeProviders();
    try {
      const session = new BudgetedSession({ budgetUsd: 1 });
      const client = openai(session);
      const redirected = client.withOptions({ baseURL: other.openai.baseURL });
      await redirected.chat.completions.create(small);
      const seen = other.requests[0]?.headers.authorization ?? "";
      expect(seen).not.toContain(OPENAI_KEY);
      expect(seen).toMatch(/^Bearer sg-key-placeholder-/);
      // And the request was still metered.
      expect(await session.history()).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it("keeps a factory's key out of the client entirely", async () => {
    const client = BudgetedSession.openai({
      budgetUsd: 1,
      apiKey: OPENAI_KEY,
      clientOptions: { baseURL: fake.openai.baseURL, maxRetries: 0 },
    });
    expect(await reachableText(client)).not.toContain(OPENAI_KEY);
    expect(inspect(client.session, { depth: 8, showHidden: true })).not.toContain(OPENAI_KEY);
    await client.chat.completions.create(small);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  });
});

describe("the wrapped client is the client", () => {
  it("keeps identity, constructor, spies and monkey-patches", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const raw = new OpenAI({ apiKey: OPENAI_KEY, baseURL: fake.openai.baseURL, maxRetries: 0 });
    const client = session.wrap(raw);
    expect(client).toBe(raw);
    expect(client.constructor).toBe(OpenAI);
    expect(client).toBeInstanceOf(OpenAI);
    expect(client.chat.completions.create).toBe(OpenAI.Chat.Completions.prototype.create);
    const seen: string[] = [];
    const post = client.post;
    client.post = function (this: OpenAI, path: string, options?: object) {
      seen.push(path);
      return post.call(this, path, options as never);
    } as typeof client.post;
    await client.chat.completions.create(small);
    expect(seen).toEqual(["/chat/completions"]);
    expect(await session.history()).toHaveLength(1);
  });

  it("refuses to meter a client twice", () => {
    const client = openai(new BudgetedSession({ budgetUsd: 1 }));
    expect(() => new BudgetedSession({ budgetUsd: 1 }).wrap(client)).toThrow(/already metered/);
  });

  it("refuses an unmetered paid POST through any door with a typed error", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = openai(session);
    const error = await client
      .request({ method: "post", path: "/evals/eval_1/runs", body: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(fake.requests).toHaveLength(0);
  });
});
