import { beforeAll, describe, expect, it } from "vitest";
import { countStreamedChatOutput, loadTokenizer, type Tokenizer } from "../src/tokenize/index.js";

let tokenizer: Tokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer("o200k_base");
});

const chunk = (delta: Record<string, unknown>, index = 0) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    choices: [{ index, delta, finish_reason: null }],
  });

describe("countStreamedChatOutput", () => {
  it("counts the streamed content as one text, plus one token per choice", () => {
    const pieces = ["The", " capital", " of", " France", " is", " Paris", "."];
    const payloads = [
      chunk({ role: "assistant", content: "" }),
      ...pieces.map((content) => chunk({ content })),
    ];
    const result = countStreamedChatOutput(tokenizer, payloads);
    expect(result.text).toBe("The capital of France is Paris.");
    expect(result.tokens).toBe(tokenizer.count(result.text) + 1);
  });

  it("skips malformed payloads, [DONE] and non-choice chunks without throwing", () => {
    const payloads = [
      chunk({ content: "Hello" }),
      "{not json",
      "",
      "null",
      '{"choices":"nope"}',
      '{"choices":[null,{"delta":5}]}',
      JSON.stringify({ choices: [], usage: null }),
      `data: ${chunk({ content: " world" })}`,
      "[DONE]",
      42 as unknown as string,
    ];
    expect(() => countStreamedChatOutput(tokenizer, payloads)).not.toThrow();
    const result = countStreamedChatOutput(tokenizer, payloads);
    expect(result.text).toBe("Hello world");
    expect(result.tokens).toBe(tokenizer.count("Hello world") + 1);
  });

  it("counts tool-call names and arguments joined across deltas, with an overhead per call", () => {
    const payloads = [
      chunk({
        tool_calls: [
          { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({
        tool_calls: [
          { index: 1, id: "call_2", type: "function", function: { name: "get_time", arguments: "{}" } },
        ],
      }),
    ];
    const result = countStreamedChatOutput(tokenizer, payloads);
    const expected =
      tokenizer.count("get_weather") +
      tokenizer.count('{"city":"Paris"}') +
      tokenizer.count("get_time") +
      tokenizer.count("{}");
    expect(result.tokens).toBeGreaterThan(expected);
    expect(result.tokens).toBeLessThanOrEqual(expected + 2 * 8 + 1);
    expect(result.text).toBe("");
  });

  it("counts refusals, the legacy function_call and several choices", () => {
    const payloads = [
      chunk({ refusal: "I can't" }, 0),
      chunk({ refusal: " help." }, 0),
      chunk({ content: "Sure" }, 1),
      chunk({ function_call: { name: "f", arguments: '{"a":' } }, 2),
      chunk({ function_call: { arguments: "1}" } }, 2),
    ];
    const result = countStreamedChatOutput(tokenizer, payloads);
    expect(result.text).toBe("I can't help.\nSure\n");
    const text = tokenizer.count("I can't help.") + tokenizer.count("Sure");
    expect(result.tokens).toBeGreaterThanOrEqual(text + tokenizer.count('{"a":1}') + 3);
  });

  it("counts nothing for an empty or fully malformed stream", () => {
    expect(countStreamedChatOutput(tokenizer, [])).toEqual({ tokens: 0, text: "" });
    expect(countStreamedChatOutput(tokenizer, ["garbage", "[DONE]"])).toEqual({ tokens: 0, text: "" });
  });

  it("is linear in a long stream", () => {
    const payloads = Array.from({ length: 20_000 }, (_, i) => chunk({ content: ` token${i % 100}` }));
    const started = performance.now();
    const result = countStreamedChatOutput(tokenizer, payloads);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.tokens).toBeGreaterThan(20_000);
  });
});
