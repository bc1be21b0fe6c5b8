import { describe, expect, it } from "vitest";
import { createPriceCatalog, rateAt, type TokenPrice } from "../src/pricing/index.js";
import { applyServiceTier } from "../src/pricing/service-tiers.js";

const catalog = createPriceCatalog({});
const perM = (usd: number) => Math.round(usd * 1e9);
const RATE_FIELDS = [
  "input",
  "output",
  "cachedInput",
  "cacheWrite",
  "cacheWrite1h",
  "inputAudio",
  "outputAudio",
  "inputImage",
  "outputImage",
] as const;

function allRates(price: TokenPrice): number[] {
  return RATE_FIELDS.flatMap((field) => {
    const rate = price[field];
    return rate === undefined ? [] : [rate.base, ...(rate.tiers ?? []).map((tier) => tier.perMTok)];
  });
}

describe("OpenAI priority rows (https://openai.com/api-priority-processing/, read 2026-11)", () => {
  // [model as called, input, cached input (null: "—"), output] in USD per MTok, typed from the page
  it.each([
    ["gpt-5.5", 12.5, 1.25, 75],
    ["gpt-5.4-mini", 1.5, 0.15, 9],
    ["gpt-5.4", 5, 0.5, 30],
    ["gpt-5.2", 3.5, 0.35, 28],
    ["gpt-5.1", 2.5, 0.25, 20],
    ["gpt-5.1-codex", 2.5, 0.25, 20],
    ["gpt-5", 2.5, 0.25, 20],
    ["gpt-5-codex", 2.5, 0.25, 20],
    ["gpt-5-mini", 0.45, 0.045, 3.6],
    ["gpt-4.1", 3.5, 0.875, 14],
    ["gpt-4.1-mini", 0.7, 0.175, 2.8],
    ["gpt-4.1-nano", 0.2, 0.05, 0.8],
    ["gpt-4o-2024-11-20", 4.25, 2.125, 17],
    ["gpt-4o-2024-08-06", 4.25, 2.125, 17],
    ["gpt-4o-2024-05-13", 8.75, null, 26.25],
    ["gpt-4o-mini", 0.25, 0.125, 1],
    ["o3", 3.5, 0.875, 14],
    ["o4-mini", 2, 0.5, 8],
  ])("%s: $%s in, $%s cached, $%s out", async (model, input, cached, output) => {
    const priority = await catalog.tokenPrice("openai", model, "priority");
    expect(priority.tier).toBe("priority");
    expect(priority.input).toEqual({ base: perM(input) });
    expect(priority.output).toEqual({ base: perM(output) });
    // "—": no cached price, so cached tokens pay the priority input rate
    expect(priority.cachedInput).toEqual({ base: perM(cached ?? input) });
    expect(priority.source.detail).toContain("api-priority-processing");
    expect(priority.source.tierRule).toBeUndefined();
  });

  it("keeps the priority rate above the long-context threshold (priority excludes long context)", async () => {
    const priority = await catalog.tokenPrice("openai", "gpt-5.4", "priority");
    const standard = await catalog.tokenPrice("openai", "gpt-5.4", "standard");
    for (const input of [1_000, 272_000, 900_000]) {
      expect(rateAt(priority.input, input)).toBeGreaterThanOrEqual(rateAt(standard.input, input));
      expect(rateAt(priority.output, input)).toBeGreaterThanOrEqual(rateAt(standard.output, input));
    }
    expect(rateAt(priority.output, 900_000)).toBe(perM(30));
  });

  it("prices a model without a row at 2.5× standard, saying so", async () => {
    const o1 = await catalog.tokenPrice("openai", "o1", "priority");
    expect(o1.input.base).toBe(perM(37.5));
    expect(o1.output.base).toBe(perM(150));
    expect(o1.source.tierRule).toMatch(/no published row.*2\.5×/);
  });

  it("scales long-context tiers too for an unlisted model", async () => {
    const standard = await catalog.tokenPrice("openai", "gpt-5.4-pro", "standard");
    const priority = await catalog.tokenPrice("openai", "gpt-5.4-pro", "priority");
    expect(priority.input.base).toBe((standard.input.base * 5) / 2);
    expect(priority.input.tiers?.length).toBe(standard.input.tiers?.length);
  });
});

describe("batch and flex", () => {
  it.each(["batch", "flex"] as const)("OpenAI %s is 50%% of every standard token rate", async (tier) => {
    const standard = await catalog.tokenPrice("openai", "gpt-5.4", "standard");
    const cheaper = await catalog.tokenPrice("openai", "gpt-5.4", tier);
    expect(cheaper.input.base).toBe(standard.input.base / 2);
    expect(cheaper.output.tiers?.[0]?.perMTok).toBe((standard.output.tiers?.[0]?.perMTok ?? 0) / 2);
    expect(cheaper.cachedInput?.base).toBe((standard.cachedInput?.base ?? 0) / 2);
    expect(cheaper.source.tierRule).toContain(tier === "batch" ? "Batch API" : "flex");
  });

  it("Anthropic batch is 50% of every token rate, cache writes included", async () => {
    const standard = await catalog.tokenPrice("anthropic", "claude-sonnet-4-5", "standard");
    const batch = await catalog.tokenPrice("anthropic", "claude-sonnet-4-5", "batch");
    expect(batch.input.base).toBe(perM(1.5));
    expect(batch.output.base).toBe(perM(7.5));
    expect(batch.cacheWrite?.base).toBe((standard.cacheWrite?.base ?? 0) / 2);
    expect(batch.cacheWrite1h?.base).toBe(perM(3));
    expect(batch.source.tierRule).toContain("Message Batches");
  });

  it.each(["flex", "priority"] as const)("Anthropic %s is standard, with a note", async (tier) => {
    const standard = await catalog.tokenPrice("anthropic", "claude-haiku-4-5", "standard");
    const other = await catalog.tokenPrice("anthropic", "claude-haiku-4-5", tier);
    expect(other.input).toEqual(standard.input);
    expect(other.output).toEqual(standard.output);
    expect(other.source.tierRule).toContain("OpenAI service tier");
  });

  it("keeps every derived rate an integer, rounding half-nano rates up", async () => {
    for (const model of ["gpt-4o-mini", "gpt-5-mini", "gpt-4.1-nano", "o4-mini", "gpt-5.5"]) {
      for (const tier of ["batch", "flex", "priority"] as const) {
        const tiered = await catalog.tokenPrice("openai", model, tier);
        for (const rate of allRates(tiered)) expect(Number.isInteger(rate)).toBe(true);
      }
    }
    // gpt-4o-mini cached input: $0.075 / 2 = $0.0375 exactly; an odd nano rate rounds up
    expect((await catalog.tokenPrice("openai", "gpt-4o-mini", "batch")).cachedInput?.base).toBe(37_500_000);
    const odd: TokenPrice = {
      provider: "openai",
      model: "odd",
      tier: "standard",
      input: { base: 3, tiers: [{ above: 10, perMTok: 5 }] },
      output: { base: 7 },
      source: { layer: "genai-prices", detail: "test" },
    };
    const batch = applyServiceTier(odd, "batch");
    expect(batch.input).toEqual({ base: 2, tiers: [{ above: 10, perMTok: 3 }] });
    expect(batch.output).toEqual({ base: 4 });
    expect(applyServiceTier(odd, "priority").output).toEqual({ base: 18 });
  });
});
