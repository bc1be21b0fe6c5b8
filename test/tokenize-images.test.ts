import { describe, expect, it } from "vitest";
import { imageTokenBound, imageTokenEstimate, UNKNOWN_MODEL_IMAGE_TOKENS } from "../src/tokenize/index.js";

describe("imageTokenBound", () => {
  it.each([
    // tile models: low = base, otherwise base + 8 tiles
    ["gpt-4o", "low", 85],
    ["gpt-4o", "high", 85 + 8 * 170],
    ["gpt-4o-2024-08-06", "auto", 1445],
    ["gpt-4o", undefined, 1445],
    ["chatgpt-4o-latest", "high", 1445],
    ["gpt-4.1", "high", 1445],
    ["gpt-4.1-2025-04-14", "low", 85],
    ["gpt-4.5-preview", "high", 1445],
    ["gpt-4o-mini", "low", 2833],
    ["gpt-4o-mini-2024-07-18", "high", 2833 + 8 * 5667],
    ["o1", "low", 75],
    ["o1-pro", "high", 75 + 8 * 150],
    ["o3", "high", 1275],
    ["gpt-5", "low", 70],
    ["gpt-5-2025-08-07", "high", 70 + 8 * 140],
    ["gpt-5-chat-latest", "auto", 1190],
    ["computer-use-preview", "high", 65 + 8 * 129],
    // patch models: detail does not lower the bound
    ["gpt-4.1-mini", "low", Math.ceil(1536 * 1.62)],
    ["gpt-4.1-mini", "high", 2489],
    ["gpt-4.1-nano", undefined, Math.ceil(1536 * 2.46)],
    ["o4-mini", "high", Math.ceil(1536 * 1.72)],
    ["gpt-5-mini", "low", 2489],
    ["gpt-5-nano", "high", 3779],
    ["gpt-5.4-mini", "high", 3000], // measured 2,500 patches x 1.2 > documented 1,536 x 1.62
    ["gpt-5.4-nano", "high", 3779],
    ["gpt-5.2", "high", Math.ceil(1536 * 1.2)],
    // gpt-5.4: auto = high (2,500 patches); gpt-5.5: auto = original (10,000 patches)
    ["gpt-5.4", undefined, 3000],
    ["gpt-5.4", "original", 12_000],
    ["gpt-5.5", "high", 3000],
    ["gpt-5.5", undefined, 12_000],
    ["gpt-image-1", "low", 65 + 4 * 129 + 6240],
  ] as const)("%s, detail %s → %d", (model, detail, tokens) => {
    expect(imageTokenBound(model, detail)).toBe(tokens);
  });

  it("is high-confidence for documented models, medium where a number was measured", () => {
    expect(imageTokenEstimate("gpt-4o", "high")).toEqual({ tokens: 1445, confidence: "high" });
    expect(imageTokenEstimate("gpt-5.4-mini", "high").confidence).toBe("medium");
    expect(imageTokenEstimate("gpt-5.4-mini", "high").note).toMatch(/2,500/);
  });

  it("flags GPT-5.6 original-size images, which have no documented cap", () => {
    const estimate = imageTokenEstimate("gpt-5.6-sol", undefined);
    expect(estimate.confidence).toBe("low");
    expect(estimate.note).toMatch(/context window/);
    expect(imageTokenEstimate("gpt-5.6-sol", "high").tokens).toBe(3000);
  });

  it("gives unknown models the largest bound in the table, gpt-4o-mini aside, at medium confidence", () => {
    expect(UNKNOWN_MODEL_IMAGE_TOKENS).toBe(12_000);
    expect(imageTokenEstimate("my-azure-gpt4o", "low")).toMatchObject({
      tokens: 12_000,
      confidence: "medium",
    });
    for (const model of ["gpt-4o", "gpt-5", "o4-mini", "gpt-5.4", "computer-use-preview"]) {
      expect(imageTokenBound(model, "high")).toBeLessThanOrEqual(UNKNOWN_MODEL_IMAGE_TOKENS);
    }
  });

  it("treats an unrecognised detail string as the worst case", () => {
    expect(imageTokenBound("gpt-4o", "ultra")).toBe(1445);
    expect(imageTokenBound("gpt-5.4", "ultra")).toBe(12_000);
  });
});
