import { describe, expect, it } from "vitest";
import { OPERATIONS as ANTHROPIC_OPERATIONS } from "../src/providers/anthropic/operations.js";
import { OPERATIONS as OPENAI_OPERATIONS } from "../src/providers/openai/operations.js";
import type { MeteredMethods } from "../src/refusal-types.js";

// Typed as the interface: the compiler rejects a missing or an extra path, so this value is the type's paths.
const metered: MeteredMethods = {
  chat: { completions: { create: true } },
  completions: { create: true },
  responses: { create: true, compact: true },
  embeddings: { create: true },
  images: { generate: true, edit: true, createVariation: true },
  audio: { speech: { create: true }, transcriptions: { create: true }, translations: { create: true } },
  videos: { create: true, remix: true, edit: true, extend: true },
  messages: { create: true, batches: { create: true } },
  beta: { messages: { create: true } },
  run: true,
  subscribe: true,
  stream: true,
  queue: { submit: true },
};

function paths(tree: object, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    value === true ? [`${prefix}${key}`] : paths(value as object, `${prefix}${key}.`),
  );
}

describe("null-on-refusal types (issue 12, item 2)", () => {
  it("cover exactly the methods the wrappers meter", () => {
    const runtime = [
      ...OPENAI_OPERATIONS.keys(),
      ...ANTHROPIC_OPERATIONS.keys(),
      // fal's paid functions (src/providers/fal/client.ts)
      "run",
      "subscribe",
      "stream",
      "queue.submit",
    ];
    expect(paths(metered).sort()).toEqual([...new Set(runtime)].sort());
  });
});
