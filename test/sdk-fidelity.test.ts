import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { AzureOpenAI } from "openai";
import { BedrockOpenAI } from "openai/bedrock";
import { describe, expect, it, vi } from "vitest";
import { BudgetExceededError, BudgetedSession } from "../src/index.js";
import { sharedFakeProviders, user } from "./helpers.js";

/**
 * Behaviours of the SDKs that users' code relies on, through wrapped clients against the fake server: what
 * the SDKs' own test suites found broken in the first release (Azure options, identity and spies, the tool
 * runner, clone() in middleware, beta paths, withOptions, raw requests).
 */
const fake = sharedFakeProviders();

describe("OpenAI", () => {
  it("keeps Azure's deployment, API version and api-key header", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const azure = new AzureOpenAI({
      apiKey: "azure-REAL-key",
      endpoint: fake.openai.baseURL.replace(/\/v1$/, ""),
      apiVersion: "2025-04-01-preview",
      deployment: "gpt-4o-mini",
      maxRetries: 0,
    });
    const client = session.wrap(azure);
    expect(client).toBe(azure);
    expect(client.apiVersion).toBe("2025-04-01-preview");
    expect(client.deploymentName).toBe("gpt-4o-mini");
    await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 5 })
      .catch(() => undefined);
    const request = fake.requests[0];
    expect(request?.path).toBe("/openai/deployments/gpt-4o-mini/chat/completions");
    expect(request?.query["api-version"]).toBe("2025-04-01-preview");
    expect(request?.headers["api-key"]).toBe("azure-REAL-key");
    expect(await session.history()).toHaveLength(1);
  });

  it("sends Bedrock's token from its provider, also from a withOptions() copy, never keeping it on the client", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    let issued = 0;
    const client = session.wrap(
      new BedrockOpenAI({
        baseURL: fake.openai.baseURL,
        bedrockTokenProvider: async () => `bedrock-REAL-token-${++issued}`,
        maxRetries: 0,
      }),
    );
    const params = { model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 5 };
    await client.chat.completions.create(params);
    await client.withOptions({ timeout: 5000 }).chat.completions.create(params);
    expect(fake.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer bedrock-REAL-token-1",
      "Bearer bedrock-REAL-token-2",
    ]);
    expect(
      JSON.stringify([client.apiKey, (client as unknown as { _options: unknown })._options]),
    ).not.toContain("bedrock-REAL");
    expect(await session.history()).toHaveLength(2);
  });

  it("keeps spies placed on the wrapped client working (vi.spyOn)", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(new OpenAI({ apiKey: "sk-x", baseURL: fake.openai.baseURL, maxRetries: 0 }));
    const spy = vi.spyOn(client.chat.completions, "create");
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 5,
    });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(client.chat.completions.create).toBe(spy);
    expect(await session.history()).toHaveLength(1);
    spy.mockRestore();
  });

  it("meters a withOptions() copy of a wrapped client, and keeps its other options", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(new OpenAI({ apiKey: "sk-x", baseURL: fake.openai.baseURL, maxRetries: 0 }));
    const copy = client.withOptions({ defaultHeaders: { "x-team": "research" }, defaultQuery: { tag: "a" } });
    await copy.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 5,
    });
    expect(fake.requests[0]?.headers["x-team"]).toBe("research");
    expect(fake.requests[0]?.query.tag).toBe("a");
    expect(await session.history()).toHaveLength(1);
  });

  it("meters the stream(), parse() and runTools() helpers, and raw request() calls", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(new OpenAI({ apiKey: "sk-x", baseURL: fake.openai.baseURL, maxRetries: 0 }));
    const stream = client.chat.completions.stream({
      model: "gpt-4o-mini",
      messages: user("hi"),
      max_completion_tokens: 20,
    });
    await stream.finalChatCompletion();
    await client.request({
      method: "post",
      path: "/chat/completions",
      body: { model: "gpt-4o-mini", messages: user("hi"), max_completion_tokens: 5 },
    });
    const records = await session.history();
    expect(records.map((record) => record.status)).toEqual(["settled", "settled"]);
    expect(fake.requests).toHaveLength(2);
  });
});

describe("Anthropic", () => {
  it("meters every turn of beta.messages.toolRunner (it calls the client it was given)", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(
      new Anthropic({ apiKey: "sk-ant-x", baseURL: fake.anthropic.baseURL, maxRetries: 0 }),
    );
    fake.script(
      "anthropic.messages",
      {
        toolCalls: [{ name: "lookup", arguments: '{"q":"budget"}' }],
        usage: { input_tokens: 30, output_tokens: 10 },
      },
      { content: "Done.", usage: { input_tokens: 50, output_tokens: 5 } },
    );
    const run = vi.fn(async () => "a result");
    const runner = client.beta.messages.toolRunner({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: user("look it up"),
      tools: [
        {
          name: "lookup",
          description: "Look something up",
          input_schema: { type: "object", properties: { q: { type: "string" } } },
          run,
        },
      ],
    });
    const final = await runner.runUntilDone();
    expect(run).toHaveBeenCalledTimes(1);
    expect(final.content[0]).toMatchObject({ type: "text" });
    const records = await session.history();
    expect(records).toHaveLength(2);
    expect(records.every((record) => record.status === "settled")).toBe(true);
  });

  it("refuses a toolRunner turn that no longer fits, before it is sent", async () => {
    const session = new BudgetedSession({ budgetUsd: 0.0006 });
    const client = session.wrap(
      new Anthropic({ apiKey: "sk-ant-x", baseURL: fake.anthropic.baseURL, maxRetries: 0 }),
    );
    // Each turn holds ~$0.0005 (haiku, 100 output tokens) and settles the whole of it.
    fake.setDefault("anthropic.messages", {
      toolCalls: [{ name: "lookup", arguments: "{}" }],
      usage: { input_tokens: 100, output_tokens: 100 },
    });
    const runner = client.beta.messages.toolRunner({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: user("loop forever"),
      tools: [{ name: "lookup", input_schema: { type: "object" }, run: async () => "again" }],
    });
    await expect(runner.runUntilDone()).rejects.toBeInstanceOf(BudgetExceededError);
    expect(session.getTotalSpent()).toBeLessThanOrEqual(0.0006);
  });

  it("lets SDK middleware clone a metered streaming response", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const seen: string[] = [];
    const client = session.wrap(
      new Anthropic({
        apiKey: "sk-ant-x",
        baseURL: fake.anthropic.baseURL,
        maxRetries: 0,
        middleware: [
          (async (request: unknown, next: (request: unknown) => Promise<Response>) => {
            const response = await next(request);
            const copy = response.clone();
            void copy.text().then((text) => seen.push(text));
            return response;
          }) as never,
        ],
      }),
    );
    const stream = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 20,
      messages: user("hi"),
      stream: true,
    });
    for await (const _ of stream) {
      // read every event
    }
    await vi.waitUntil(() => seen.length === 1);
    expect(seen[0]).toContain("message_stop");
    await vi.waitUntil(() => session.getReserved() === 0);
    expect((await session.history())[0]?.status).toBe("settled");
  });

  it("meters beta.messages.create and messages.batches.create on their own paths", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(
      new Anthropic({ apiKey: "sk-ant-x", baseURL: fake.anthropic.baseURL, maxRetries: 0 }),
    );
    await client.beta.messages.create({ model: "claude-haiku-4-5", max_tokens: 10, messages: user("hi") });
    await client.messages.batches.create({
      requests: [
        { custom_id: "a", params: { model: "claude-haiku-4-5", max_tokens: 10, messages: user("x") } },
      ],
    });
    expect((await session.history()).map((record) => record.operation)).toEqual(["messages.create"]);
    // The batch is held at its worst case until its results are read.
    expect(session.getReserved()).toBeGreaterThan(0);
    expect(fake.requests.map((request) => request.path)).toEqual(["/v1/messages", "/v1/messages/batches"]);
  });
});
