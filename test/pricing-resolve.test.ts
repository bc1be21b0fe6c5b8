import { describe, expect, it } from "vitest";
import { stripDateSnapshot, stripProviderPrefix } from "../src/model-names.js";
import { modelCandidates } from "../src/pricing/index.js";

describe("stripDateSnapshot", () => {
  it.each([
    ["gpt-4o-2024-08-06", "gpt-4o"],
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["gpt-4-0613", "gpt-4"],
    ["gpt-4.1-mini-2099-01-01", "gpt-4.1-mini"],
    ["gpt-3.5-turbo-0229", "gpt-3.5-turbo"],
  ])("%s → %s", (name, expected) => {
    expect(stripDateSnapshot(name)).toBe(expected);
  });

  it.each([
    "gpt-4o",
    "gpt-4-32k",
    "model-2025",
    "model-9999",
    "gpt-4-1399",
    "o1-2024-02-30",
    "x-20251301",
    "-0613",
  ])("leaves %s alone (no trailing calendar date)", (name) => {
    expect(stripDateSnapshot(name)).toBe(name);
  });

  it("removes only one, trailing, date", () => {
    expect(stripDateSnapshot("gpt-4-0125-preview")).toBe("gpt-4-0125-preview");
    expect(stripDateSnapshot("a-2024-01-01-2024-02-02")).toBe("a-2024-01-01");
  });
});

describe("stripProviderPrefix", () => {
  it("removes only the provider's own prefix", () => {
    expect(stripProviderPrefix("openai", "openai/gpt-4o")).toBe("gpt-4o");
    expect(stripProviderPrefix("openai", "anthropic/claude-haiku-4-5")).toBe("anthropic/claude-haiku-4-5");
    expect(stripProviderPrefix("openai", "openai/")).toBe("openai/");
  });
});

describe("modelCandidates", () => {
  it("tries the name as given, then without prefix, then without date; never a shorter family name", () => {
    expect(modelCandidates("openai", " OpenAI/GPT-4o-Mini-2024-07-18 ")).toEqual([
      "openai/gpt-4o-mini-2024-07-18",
      "gpt-4o-mini-2024-07-18",
      "gpt-4o-mini",
    ]);
    expect(modelCandidates("openai", "gpt-4.1-mini")).toEqual(["gpt-4.1-mini"]);
    expect(modelCandidates("openai", "o3-pro")).toEqual(["o3-pro"]);
  });
});
