import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type FakeProviders, startFakeProviders } from "../src/testing/index.js";

/** One fake provider server per test file, reset before each test. */
export function useFakeProviders(): { readonly fake: FakeProviders } {
  const holder = {} as { fake: FakeProviders };
  beforeAll(async () => {
    holder.fake = await startFakeProviders();
  });
  afterAll(async () => {
    await holder.fake.close();
  });
  beforeEach(() => {
    holder.fake.reset();
  });
  return holder;
}

/**
 * The same server as a plain variable: every property read goes to this file's current server, so a test can
 * write `fake.script(...)` without a holder.
 */
export function sharedFakeProviders(): FakeProviders {
  const holder = useFakeProviders();
  return new Proxy({} as FakeProviders, {
    get: (_target, prop) => Reflect.get(holder.fake, prop, holder.fake),
  });
}

export function openaiClient(fake: FakeProviders, options: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({
    apiKey: "sk-test-secret-key",
    baseURL: fake.openai.baseURL,
    maxRetries: options.maxRetries ?? 0,
    logLevel: "off",
  });
}

export function user(content: string): { role: "user"; content: string }[] {
  return [{ role: "user", content }];
}

/** Resolves once `predicate` holds, polling every few milliseconds. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The parsed JSON body of the `index`th request the fake provider received. */
export function sentBody(fake: FakeProviders, index = 0): Record<string, unknown> {
  const request = fake.requests[index];
  if (!request) throw new Error(`no request #${index} was recorded`);
  return request.body as Record<string, unknown>;
}
