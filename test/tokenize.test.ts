import fc from "fast-check";
import { countTokens as countTokensCl100k } from "gpt-tokenizer/model/gpt-4";
import { countChatCompletionTokens, countTokens as countTokensGpt4o } from "gpt-tokenizer/model/gpt-4o";
import { beforeAll, describe, expect, it } from "vitest";
import {
  countChatInput,
  encodingForModel,
  imageTokenBound,
  loadTokenizer,
  type Tokenizer,
} from "../src/tokenize/index.js";

let o200k: Tokenizer;
let cl100k: Tokenizer;

beforeAll(async () => {
  [o200k, cl100k] = await Promise.all([loadTokenizer("o200k_base"), loadTokenizer("cl100k_base")]);
});

const chat = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "What is the capital of France?" },
  { role: "assistant", content: "The capital of France is Paris." },
  { role: "user", content: "And what is the population of Paris these days?" },
];

const user = (content: unknown) => ({ role: "user", content });

interface Property {
  type: string;
  description?: string;
  enum?: readonly (string | number)[];
  properties?: Record<string, Property>;
  items?: Property;
}
interface Fn {
  name: string;
  description?: string;
  parameters?: { type: "object"; properties: Record<string, Property>; required?: string[] };
}

const word = fc.stringMatching(/^[a-z_]{1,12}$/);
const description = fc.option(fc.oneof(fc.lorem({ maxCount: 12 }), fc.string({ maxLength: 40 })), {
  nil: undefined,
});
const leaf: fc.Arbitrary<Property> = fc.oneof(
  fc.record(
    { type: fc.constantFrom("string", "number", "integer", "boolean", "null"), description },
    { requiredKeys: ["type"] },
  ),
  fc.record(
    { type: fc.constant("string"), enum: fc.array(word, { minLength: 1, maxLength: 60 }), description },
    { requiredKeys: ["type", "enum"] },
  ),
  fc.record({
    type: fc.constant("integer"),
    enum: fc.array(fc.integer({ min: -1000, max: 99_999 }), { maxLength: 60 }),
  }),
);
const { property } = fc.letrec<{ property: Property; object: Property; array: Property }>((tie) => ({
  property: fc.oneof({ depthSize: "small" }, leaf, tie("object"), tie("array")),
  object: fc.record(
    {
      type: fc.constant("object"),
      description,
      properties: fc.dictionary(word, tie("property"), { maxKeys: 6 }),
    },
    { requiredKeys: ["type", "properties"] },
  ),
  array: fc.record(
    { type: fc.constant("array"), description, items: tie("property") },
    { requiredKeys: ["type", "items"] },
  ),
}));
const fnArbitrary: fc.Arbitrary<Fn> = fc.record(
  {
    name: word,
    description,
    parameters: fc.record({
      type: fc.constant("object" as const),
      properties: fc.dictionary(word, property, { maxKeys: 8 }),
      required: fc.array(word, { maxLength: 4 }),
    }),
  },
  { requiredKeys: ["name"] },
);

describe("countChatInput: the cookbook rule", () => {
  it("counts a 4-message chat as 49 with o200k, like gpt-tokenizer's encodeChat for gpt-4o", () => {
    const result = countChatInput(o200k, { model: "gpt-4o", messages: chat });
    expect(result.tokens).toBe(49);
    expect(result.tokens).toBe(countTokensGpt4o(chat));
    expect(result).toMatchObject({ imageTokens: 0, audioTokens: 0, confidence: "high", notes: [] });
  });

  it("matches gpt-tokenizer for gpt-4 with cl100k", () => {
    expect(countChatInput(cl100k, { model: "gpt-4", messages: chat }).tokens).toBe(countTokensCl100k(chat));
  });

  it("adds one token per message and two per request for newer models (gpt-5, o-series, unknown)", () => {
    const gpt4o = countChatInput(o200k, { model: "gpt-4o", messages: chat }).tokens;
    for (const model of ["gpt-5", "o3", "gpt-5.4-mini", "some-new-model"]) {
      expect(countChatInput(o200k, { model, messages: chat }).tokens).toBe(gpt4o + chat.length + 2);
    }
  });

  it("counts an empty conversation as the reply priming only", () => {
    expect(countChatInput(o200k, { model: "gpt-4o", messages: [] }).tokens).toBe(3);
  });

  it("adds 1 plus the name's tokens when a message has a name", () => {
    const plain = countChatInput(o200k, { model: "gpt-4o", messages: [user("hi")] }).tokens;
    const named = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ ...user("hi"), name: "example_user" }],
    });
    expect(named.tokens).toBe(plain + 1 + o200k.count("example_user"));
  });

  it("counts text parts like string content, and refusal parts", () => {
    const asString = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [user("Hello there, friend")],
    }).tokens;
    const asParts = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [
        user([
          { type: "text", text: "Hello there," },
          { type: "text", text: " friend" },
        ]),
      ],
    }).tokens;
    expect(asParts).toBeGreaterThanOrEqual(asString);
    const refusal = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "assistant", content: [{ type: "refusal", refusal: "I can't help with that." }] }],
    });
    expect(refusal.tokens).toBe(3 + 3 + o200k.count("assistant") + o200k.count("I can't help with that."));
  });

  it("never throws on special-token strings in user text, and counts them as text", () => {
    const text = "ignore <|endoftext|> and <|im_start|>system<|im_sep|> please";
    const result = countChatInput(o200k, { model: "gpt-4o", messages: [user(text)] });
    expect(result.tokens).toBe(3 + 3 + 1 + o200k.count(text));
    expect(o200k.count("<|endoftext|>")).toBeGreaterThan(1);
    expect(cl100k.count("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("countChatInput: tool calls and tool messages", () => {
  const call = {
    id: "call_abc123",
    type: "function",
    function: { name: "get_weather", arguments: '{"city":"Paris"}' },
  };

  it("counts an assistant's tool calls: id, name, arguments and an overhead", () => {
    const empty = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "assistant", content: null }],
    }).tokens;
    const withCall = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "assistant", content: null, tool_calls: [call] }],
    }).tokens;
    const parts = o200k.count(call.id) + o200k.count("get_weather") + o200k.count('{"city":"Paris"}');
    expect(withCall - empty).toBeGreaterThan(parts);
    const two = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "assistant", content: null, tool_calls: [call, { ...call, id: "call_def456" }] }],
    }).tokens;
    expect(two - withCall).toBe(withCall - empty - o200k.count(call.id) + o200k.count("call_def456"));
  });

  it("counts the legacy function_call and a tool message's tool_call_id", () => {
    const empty = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "assistant", content: null }],
    }).tokens;
    const legacy = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "assistant", content: null, function_call: { name: "f", arguments: '{"x":1}' } }],
    }).tokens;
    expect(legacy).toBeGreaterThan(empty + o200k.count('{"x":1}'));
    const tool = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [{ role: "tool", tool_call_id: "call_abc123", content: "18°C" }],
    }).tokens;
    expect(tool).toBe(3 + 3 + o200k.count("tool") + o200k.count("call_abc123") + o200k.count("18°C"));
  });
});

describe("countChatInput: tool definitions, tool_choice, response_format", () => {
  const weather = {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get the current weather in a given location",
      parameters: {
        type: "object",
        properties: {
          location: { type: "string", description: "The city and state, e.g. San Francisco, CA" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        },
        required: ["location"],
      },
    },
  };
  const base = { model: "gpt-4o", messages: [user("What's the weather in Paris?")] };

  it("grows with tools, and a bigger schema counts more", () => {
    const none = countChatInput(o200k, base).tokens;
    const one = countChatInput(o200k, { ...base, tools: [weather] }).tokens;
    expect(one).toBeGreaterThan(none + o200k.count(JSON.stringify(weather.function)));
    const bigger = structuredClone(weather);
    bigger.function.parameters.properties.unit.enum.push("kelvin", "rankine", "réaumur");
    expect(countChatInput(o200k, { ...base, tools: [bigger] }).tokens).toBeGreaterThan(one);
    const two = countChatInput(o200k, {
      ...base,
      tools: [weather, { type: "function", function: { ...weather.function, name: "get_forecast" } }],
    }).tokens;
    expect(two).toBeGreaterThan(one);
    expect(countChatInput(o200k, { ...base, tools: [] }).tokens).toBe(none);
  });

  it("bounds gpt-tokenizer's rendering of OpenAI's hidden function format", () => {
    // gpt-tokenizer reproduces the `namespace functions { … }` system text OpenAI builds from the definitions.
    const functions = [weather.function] as never;
    const ours = countChatInput(o200k, { ...base, functions }).tokens;
    expect(ours).toBeGreaterThan(
      countChatCompletionTokens?.({ messages: base.messages as never, functions }) ??
        Number.POSITIVE_INFINITY,
    );
  });

  it("bounds both gpt-tokenizer's rendering and the cookbook's gpt-4o estimate on random schemas", () => {
    const raw = (s: string) => o200k.count(s);
    // The cookbook's per-property estimate for gpt-4o ("How to count tokens with tiktoken", tools section).
    const cookbook = (fns: readonly Fn[]) =>
      12 +
      fns.reduce((sum, f) => {
        let tokens = 7 + raw(`${f.name}:${(f.description ?? "").replace(/\.$/, "")}`);
        const properties = Object.entries(f.parameters?.properties ?? {});
        if (properties.length > 0) tokens += 3;
        for (const [key, p] of properties) {
          tokens += 3 + raw(`${key}:${p.type}:${(p.description ?? "").replace(/\.$/, "")}`);
          if (p.enum) tokens += -3 + p.enum.reduce((n: number, item) => n + 3 + raw(String(item)), 0);
        }
        return sum + tokens;
      }, 0);
    const messages = [user("hi")];
    const without = countChatInput(o200k, { model: "gpt-4o", messages }).tokens;
    fc.assert(
      fc.property(fc.array(fnArbitrary, { minLength: 1, maxLength: 4 }), (fns) => {
        const ours = countChatInput(o200k, { model: "gpt-4o", messages, functions: fns }).tokens - without;
        const rendered =
          (countChatCompletionTokens?.({ messages: messages as never, functions: fns as never }) ?? 0) -
          without;
        expect(ours).toBeGreaterThan(rendered);
        expect(ours).toBeGreaterThan(cookbook(fns));
      }),
      { numRuns: 300 },
    );
  });

  it("counts the legacy `functions` like `tools`", () => {
    const viaTools = countChatInput(o200k, { ...base, tools: [weather] }).tokens;
    const viaFunctions = countChatInput(o200k, { ...base, functions: [weather.function] }).tokens;
    expect(viaFunctions).toBe(viaTools);
  });

  it("adds the name of a function forced by tool_choice", () => {
    const auto = countChatInput(o200k, { ...base, tools: [weather], tool_choice: "auto" }).tokens;
    const named = countChatInput(o200k, {
      ...base,
      tools: [weather],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    }).tokens;
    expect(named).toBeGreaterThan(auto + o200k.count("get_weather"));
    const legacy = countChatInput(o200k, {
      ...base,
      functions: [weather.function],
      function_call: { name: "get_weather" },
    });
    expect(legacy.tokens).toBeGreaterThan(
      countChatInput(o200k, { ...base, functions: [weather.function] }).tokens,
    );
  });

  it("adds a json_schema response format's schema", () => {
    const none = countChatInput(o200k, base).tokens;
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, temperature: { type: "number" } },
      required: ["city", "temperature"],
      additionalProperties: false,
    };
    const withSchema = countChatInput(o200k, {
      ...base,
      response_format: { type: "json_schema", json_schema: { name: "weather", schema, strict: true } },
    }).tokens;
    expect(withSchema).toBeGreaterThan(none + o200k.count(JSON.stringify(schema)));
    expect(countChatInput(o200k, { ...base, response_format: { type: "json_object" } }).tokens).toBe(none);
  });
});

describe("countChatInput: images, audio, files", () => {
  // ~1 MB of base64: must be billed as an image, never tokenized as text.
  const dataUrl = `data:image/png;base64,${"iVBORw0KGgoAAAANSUhEUgAA".repeat(45_000)}`;
  const image = (detail?: string) => ({
    type: "image_url",
    image_url: detail === undefined ? { url: dataUrl } : { url: dataUrl, detail },
  });

  it("adds the table's bound per image and does not tokenize the URL", () => {
    const text = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [user([{ type: "text", text: "What is this?" }])],
    });
    const started = performance.now();
    const result = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [user([{ type: "text", text: "What is this?" }, image("high"), image()])],
    });
    expect(performance.now() - started).toBeLessThan(50);
    expect(dataUrl.length).toBeGreaterThan(1_000_000);
    expect(result.imageTokens).toBe(2 * 1445);
    expect(result.tokens).toBe(text.tokens + 2 * 1445);
    expect(result.confidence).toBe("high");
  });

  it("uses the base cost for detail low on tile models", () => {
    const low = countChatInput(o200k, { model: "gpt-4o", messages: [user([image("low")])] });
    const high = countChatInput(o200k, { model: "gpt-4o", messages: [user([image("high")])] });
    expect(low.imageTokens).toBe(imageTokenBound("gpt-4o", "low"));
    expect(low.imageTokens).toBe(85);
    expect(high.tokens - low.tokens).toBe(8 * 170);
    const mini = countChatInput(o200k, { model: "gpt-4o-mini-2024-07-18", messages: [user([image("low")])] });
    expect(mini.imageTokens).toBe(2833);
  });

  it("lowers the confidence for an unknown model's images", () => {
    const result = countChatInput(o200k, { model: "my-azure-deployment", messages: [user([image()])] });
    expect(result.imageTokens).toBe(imageTokenBound("my-azure-deployment", undefined));
    expect(result.confidence).toBe("medium");
    expect(result.notes.join()).toMatch(/no image token rule/);
  });

  it("bounds input_audio from its size and lowers the confidence", () => {
    // A WAV header: 16 kHz, 16-bit mono = 32,000 bytes per second; 2 s of silence.
    const header = new Uint8Array(44);
    const view = new DataView(header.buffer);
    header.set(new TextEncoder().encode("RIFF"), 0);
    header.set(new TextEncoder().encode("WAVEfmt "), 8);
    view.setUint32(28, 32_000, true);
    header.set(new TextEncoder().encode("data"), 36);
    const wav = Buffer.concat([Buffer.from(header), Buffer.alloc(64_000)]).toString("base64");
    const result = countChatInput(o200k, {
      model: "gpt-4o-audio-preview",
      messages: [user([{ type: "input_audio", input_audio: { data: wav, format: "wav" } }])],
    });
    expect(result.audioTokens).toBe(Math.ceil((64_044 / 32_000) * 20));
    expect(result.confidence).toBe("medium");
    expect(result.notes.join()).toMatch(/input_audio/);

    const mp3 = Buffer.alloc(100_000).toString("base64");
    const asMp3 = countChatInput(o200k, {
      model: "gpt-4o-audio-preview",
      messages: [user([{ type: "input_audio", input_audio: { data: mp3, format: "mp3" } }])],
    });
    expect(asMp3.audioTokens).toBe(2_000); // 100 s at 8 kbit/s, 20 tokens per second
  });

  it("bounds file parts and marks the count low-confidence", () => {
    const pdf = Buffer.alloc(30_000).toString("base64");
    const inline = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [
        user([
          { type: "file", file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${pdf}` } },
        ]),
      ],
    });
    expect(inline.tokens).toBeGreaterThanOrEqual(30_000);
    expect(inline.confidence).toBe("low");
    const byId = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [user([{ type: "file", file: { file_id: "file-1" } }])],
    });
    expect(byId.tokens).toBeGreaterThan(100 * 2_000);
    expect(byId.confidence).toBe("low");
    expect(byId.notes.join()).toMatch(/file_id/);
  });

  it("counts unknown part types as their JSON and lowers the confidence", () => {
    const result = countChatInput(o200k, {
      model: "gpt-4o",
      messages: [user([{ type: "input_video", video: "abc" }])],
    });
    expect(result.tokens).toBeGreaterThan(3 + 3 + 1);
    expect(result.confidence).toBe("medium");
  });
});

describe("countChatInput: invalid input", () => {
  it("throws a TypeError naming what was wrong", () => {
    expect(() => countChatInput(o200k, { model: "gpt-4o", messages: "hi" })).toThrow(
      new TypeError("Expected `messages` to be an array, got string"),
    );
    expect(() => countChatInput(o200k, { model: "gpt-4o", messages: undefined })).toThrow(/got undefined/);
    expect(() => countChatInput(o200k, { model: "gpt-4o", messages: [user("hi"), null] })).toThrow(
      new TypeError("Expected `messages[1]` to be an object, got null"),
    );
    expect(() => countChatInput(o200k, { model: "gpt-4o", messages: [{ content: "hi" }] })).toThrow(
      /`messages\[0\]\.role` to be a string/,
    );
    expect(() => countChatInput(o200k, { model: "gpt-4o", messages: [user([42])] })).toThrow(
      /`messages\[0\]\.content\[0\]` to be an object, got number/,
    );
    expect(() => countChatInput(o200k, { model: "gpt-4o", messages: [], tools: {} })).toThrow(
      /`tools` to be an array, got object/,
    );
    const cyclic: Record<string, unknown> = { type: "object" };
    cyclic.self = cyclic;
    expect(() =>
      countChatInput(o200k, {
        model: "gpt-4o",
        messages: [],
        tools: [{ type: "function", function: { name: "f", parameters: cyclic } }],
      }),
    ).toThrow(TypeError);
  });
});

describe("encodingForModel", () => {
  it.each([
    ["gpt-4", "cl100k_base"],
    ["gpt-4-0613", "cl100k_base"],
    ["gpt-4-turbo", "cl100k_base"],
    ["gpt-4-turbo-2024-04-09", "cl100k_base"],
    ["gpt-4-32k", "cl100k_base"],
    ["gpt-3.5-turbo", "cl100k_base"],
    ["gpt-35-turbo", "cl100k_base"],
    ["text-embedding-3-small", "cl100k_base"],
    ["text-embedding-ada-002", "cl100k_base"],
    ["ft:gpt-3.5-turbo-0125:acme::abc123", "cl100k_base"],
    ["gpt-4o", "o200k_base"],
    ["gpt-4o-mini-2024-07-18", "o200k_base"],
    ["chatgpt-4o-latest", "o200k_base"],
    ["gpt-4.1", "o200k_base"],
    ["gpt-4.1-mini", "o200k_base"],
    ["gpt-4.5-preview", "o200k_base"],
    ["gpt-5", "o200k_base"],
    ["gpt-5.4-mini", "o200k_base"],
    ["o1", "o200k_base"],
    ["o3-mini", "o200k_base"],
    ["o4-mini", "o200k_base"],
    ["gpt-image-1", "o200k_base"],
    ["openai/GPT-4o", "o200k_base"],
    ["ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"],
    ["some-future-model", "o200k_base"],
  ])("%s → %s", (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });
});
