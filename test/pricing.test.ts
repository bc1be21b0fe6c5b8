import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UnknownPriceError } from "../src/errors.js";
import { type GenaiPrices, loadGenaiPrices } from "../src/pricing/genai-source.js";
import { createPriceCatalog, type TokenPrice, usageCost, worstCaseCost } from "../src/pricing/index.js";

const catalog = createPriceCatalog({});
const price = (model: string, provider = "openai", tier: TokenPrice["tier"] = "standard", at?: Date) =>
  catalog.tokenPrice(provider, model, tier, at);
/** USD per million tokens → nano-USD per million tokens, written out so the tests do not reuse the code. */
const perM = (usd: number) => Math.round(usd * 1e9);

/** A loader around the real package that counts loads and calcPrice calls. */
function countingLoader() {
  const counts = { loads: 0, lookups: 0 };
  const load = async (): Promise<GenaiPrices> => {
    counts.loads++;
    const real = await loadGenaiPrices();
    return {
      detail: real.detail,
      calcPrice: (...args) => {
        counts.lookups++;
        return real.calcPrice(...args);
      },
    };
  };
  return { counts, load };
}

describe("model-name resolution (no substring traps)", () => {
  it.each([
    ["gpt-4.1-mini", "gpt-4.1-mini", 0.4],
    ["gpt-4", "gpt-4", 30],
    ["o1-mini", "o1-mini", 1.1],
    ["o1", "o1", 15],
    ["o3-pro", "o3-pro", 20],
    ["o3", "o3", 2],
    ["gpt-4o-mini-2024-07-18", "gpt-4o-mini", 0.15],
    ["gpt-4.1-mini-2099-01-01", "gpt-4.1-mini", 0.4],
    ["openai/gpt-4o", "gpt-4o", 2.5],
    ["OpenAI/GPT-4o-2024-08-06", "gpt-4o", 2.5],
    ["gpt-4-0613", "gpt-4", 30],
  ])("%s is priced as %s", async (name, canonical, inputUsd) => {
    const resolved = await price(name);
    expect(resolved.model).toBe(canonical);
    expect(resolved.input.base).toBe(perM(inputUsd));
  });

  it("keeps look-alike models apart", async () => {
    expect((await price("gpt-4.1-mini")).input.base).not.toBe((await price("gpt-4")).input.base);
    expect((await price("o1-mini")).model).not.toBe("o1");
    expect((await price("o3-pro")).output.base).toBe(perM(80));
  });

  it("resolves Anthropic dated snapshots and its own prefix", async () => {
    expect((await price("claude-sonnet-4-5-20250929", "anthropic")).model).toBe("claude-sonnet-4-5");
    expect((await price("anthropic/claude-haiku-4-5", "anthropic")).model).toBe("claude-haiku-4-5");
  });

  it("never prices a newer version as the older one genai-prices matches by prefix", async () => {
    // genai-prices 0.1.8 matches `claude-sonnet-5-7` with its `starts_with: claude-sonnet-5` rule.
    await expect(price("claude-sonnet-5-7", "anthropic")).rejects.toBeInstanceOf(UnknownPriceError);
    await expect(price("claude-sonnet-5-7-20261001", "anthropic")).rejects.toBeInstanceOf(UnknownPriceError);
    expect((await price("claude-sonnet-5", "anthropic")).model).toBe("claude-sonnet-5");
    expect((await price("claude-opus-4-1", "anthropic")).model).toBe("claude-opus-4-1");
  });

  it("rejects an unknown model with UnknownPriceError naming provider and model", async () => {
    const error = await price("gpt-99-ultra").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPriceError);
    expect(error).toMatchObject({ code: "unknown_price", provider: "openai", model: "gpt-99-ultra" });
    expect((error as Error).message).toContain("openai");
    expect((error as Error).message).toContain("gpt-99-ultra");
  });

  it("does not strip another provider's prefix", async () => {
    await expect(price("anthropic/gpt-4o")).rejects.toBeInstanceOf(UnknownPriceError);
  });

  it("treats a model without token prices (per-hour audio) as unknown, saying why", async () => {
    const error = await price("whisper-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPriceError);
    expect((error as Error).message).toContain("not per token");
  });
});

describe("genai-prices layer", () => {
  it("prices gpt-4o-mini at $0.15 / $0.60 per MTok (AgentGuard's fixture)", async () => {
    const mini = await price("gpt-4o-mini");
    expect(mini.input.base).toBe(150_000_000);
    expect(mini.output.base).toBe(600_000_000);
    expect(mini.cachedInput?.base).toBe(75_000_000);
    expect(usageCost(mini, { inputTokens: 1_000, outputTokens: 1_000 })).toBe(750_000);
  });

  it("prices gpt-5.2 1k + 1k at $0.01575, and exactly half in batch", async () => {
    expect(usageCost(await price("gpt-5.2"), { inputTokens: 1_000, outputTokens: 1_000 })).toBe(15_750_000);
    expect(
      usageCost(await price("gpt-5.2", "openai", "batch"), { inputTokens: 1_000, outputTokens: 1_000 }),
    ).toBe(7_875_000);
  });

  it("charges gpt-4-0613 the same as gpt-4", async () => {
    const usage = { inputTokens: 1_234, outputTokens: 567 };
    expect(usageCost(await price("gpt-4-0613"), usage)).toBe(usageCost(await price("gpt-4"), usage));
  });

  it("prices cached input: gpt-4o, 10k input of which 4k cached + 1k output = $0.03", async () => {
    const usage = { inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 1_000 };
    expect(usageCost(await price("gpt-4o"), usage)).toBe(30_000_000);
  });

  it("prices cache writes and reads: claude-sonnet-4-5 = $0.03375 (genai-prices' README example)", async () => {
    const sonnet = await price("claude-sonnet-4-5-20250929", "anthropic");
    const usage = {
      inputTokens: 12_000,
      cacheWriteTokens: 5_000,
      cachedInputTokens: 5_000,
      outputTokens: 500,
    };
    expect(usageCost(sonnet, usage)).toBe(33_750_000);
    expect(sonnet.cacheWrite1h?.base).toBe(perM(6));
    // 1-hour writes pay their own rate: 1,000 × $6 / MTok
    expect(usageCost(sonnet, { inputTokens: 1_000, cacheWrite1hTokens: 1_000, outputTokens: 0 })).toBe(
      6_000_000,
    );
  });

  it("switches gpt-5.4 to its long-context rates above 271,999 input tokens", async () => {
    const gpt54 = await price("gpt-5.4");
    // 271,999 × $2.50 + 1,000 × $15 per MTok
    expect(usageCost(gpt54, { inputTokens: 271_999, outputTokens: 1_000 })).toBe(694_997_500);
    // 272,000 × $5 + 1,000 × $22.50 per MTok: every token of the request pays the higher rate
    expect(usageCost(gpt54, { inputTokens: 272_000, outputTokens: 1_000 })).toBe(1_382_500_000);
    expect(worstCaseCost(gpt54, { inputTokens: 272_000, outputTokens: 1_000 })).toBe(1_382_500_000);
  });

  it("records its source with the installed version, read from the package", async () => {
    const manifest = JSON.parse(
      readFileSync(new URL("../node_modules/@pydantic/genai-prices/package.json", import.meta.url), "utf8"),
    ) as { version: string };
    expect((await price("gpt-4o")).source).toEqual({
      layer: "genai-prices",
      detail: `@pydantic/genai-prices@${manifest.version}`,
    });
  });

  it("fills the context window from genai-prices and the max output from the limits table", async () => {
    expect(await price("gpt-4o")).toMatchObject({ maxOutputTokens: 16_384, contextWindow: 128_000 });
    expect((await price("gpt-4o-2024-05-13")).maxOutputTokens).toBe(4_096);
    expect((await price("gpt-4.1-nano")).maxOutputTokens).toBe(32_768);
    expect((await price("o1-mini")).maxOutputTokens).toBe(65_536);
    expect((await price("gpt-5-codex")).maxOutputTokens).toBe(128_000);
    expect((await price("gpt-5-pro")).maxOutputTokens).toBe(272_000);
    expect((await price("claude-sonnet-4-5", "anthropic")).maxOutputTokens).toBe(64_000);
    expect((await price("claude-3-5-haiku-20241022", "anthropic")).maxOutputTokens).toBe(8_192);
  });

  it("uses the price in force on the given date (o3 dropped to $2 / $8 on 2025-06-10)", async () => {
    const dated = createPriceCatalog({});
    const before = await dated.tokenPrice("openai", "o3", "standard", new Date("2025-06-09T23:00:00Z"));
    const after = await dated.tokenPrice("openai", "o3", "standard", new Date("2025-06-10T01:00:00Z"));
    expect(before.input.base).toBe(perM(10));
    expect(after.input.base).toBe(perM(2));
  });

  it("never caches a time-of-day price across its boundary (deepseek-chat peak 00:30-16:30 UTC)", async () => {
    const { counts, load } = countingLoader();
    const tod = createPriceCatalog({}, { loadGenaiPrices: load });
    const peak = await tod.tokenPrice(
      "deepseek",
      "deepseek-chat",
      "standard",
      new Date("2026-01-05T12:00:00Z"),
    );
    const offPeak = await tod.tokenPrice(
      "deepseek",
      "deepseek-chat",
      "standard",
      new Date("2026-01-05T20:00:00Z"),
    );
    expect(peak.input.base).toBe(perM(0.27));
    expect(offPeak.input.base).toBe(perM(0.135));
    const lookups = counts.lookups;
    await tod.tokenPrice("deepseek", "deepseek-chat", "standard", new Date("2026-01-05T20:00:00Z"));
    expect(counts.lookups).toBeGreaterThan(lookups);
  });

  it("resolves a model and tier once, loads genai-prices once, even under concurrency", async () => {
    const { counts, load } = countingLoader();
    const cached = createPriceCatalog({}, { loadGenaiPrices: load });
    await Promise.all([
      cached.tokenPrice("openai", "gpt-4o-mini", "standard"),
      cached.tokenPrice("openai", "gpt-4o", "standard"),
    ]);
    const lookups = counts.lookups;
    for (let i = 0; i < 100; i++) await cached.tokenPrice("openai", "GPT-4o-mini", "standard");
    expect(counts.loads).toBe(1);
    expect(counts.lookups).toBe(lookups);
  });

  it("returns read-only prices (the cache is shared)", async () => {
    const mini = await price("gpt-4o-mini");
    expect(Object.isFrozen(mini)).toBe(true);
    expect(Object.isFrozen(mini.input)).toBe(true);
  });

  it("rejects an invalid date", async () => {
    await expect(price("gpt-4o", "openai", "standard", new Date(Number.NaN))).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

describe("user overrides", () => {
  it("prices a model no layer knows, without loading genai-prices", async () => {
    const { counts, load } = countingLoader();
    const custom = createPriceCatalog(
      { overrides: { "my-model": { inputPerMTok: 1, outputPerMTok: 2, maxOutputTokens: 4_096 } } },
      { loadGenaiPrices: load },
    );
    const mine = await custom.tokenPrice("openai", "my-model", "standard");
    expect(mine).toMatchObject({
      model: "my-model",
      input: { base: perM(1) },
      output: { base: perM(2) },
      maxOutputTokens: 4_096,
      source: { layer: "override" },
    });
    expect(counts.loads).toBe(0);
  });

  it("matches case-insensitively and through a provider prefix", async () => {
    const custom = createPriceCatalog({ overrides: { "My-Model": { inputPerMTok: 1, outputPerMTok: 2 } } });
    expect((await custom.tokenPrice("openai", "MY-MODEL", "standard")).input.base).toBe(perM(1));
    expect((await custom.tokenPrice("openai", "openai/my-model", "standard")).input.base).toBe(perM(1));
  });

  it("matches the resolved name: an override for gpt-4o prices gpt-4o-2024-08-06, keeping its limits", async () => {
    const custom = createPriceCatalog({ overrides: { "gpt-4o": { inputPerMTok: 1, outputPerMTok: 4 } } });
    const snapshot = await custom.tokenPrice("openai", "gpt-4o-2024-08-06", "standard");
    expect(snapshot).toMatchObject({
      model: "gpt-4o",
      input: { base: perM(1) },
      output: { base: perM(4) },
      maxOutputTokens: 16_384,
      contextWindow: 128_000,
      source: { layer: "override" },
    });
    // a distinct model genai-prices knows by its full name is not captured by the shorter override
    expect((await custom.tokenPrice("openai", "gpt-4o-2024-05-13", "standard")).source.layer).toBe(
      "genai-prices",
    );
  });

  it("honours a provider restriction", async () => {
    const custom = createPriceCatalog({
      overrides: { "shared-name": { inputPerMTok: 1, outputPerMTok: 1, provider: "anthropic" } },
    });
    expect((await custom.tokenPrice("anthropic", "shared-name", "standard")).input.base).toBe(perM(1));
    await expect(custom.tokenPrice("openai", "shared-name", "standard")).rejects.toBeInstanceOf(
      UnknownPriceError,
    );
  });

  it("prefers a provider-specific override to a general one of the same name", async () => {
    const custom = createPriceCatalog({
      overrides: {
        "some-model": { inputPerMTok: 1, outputPerMTok: 1 },
        "Some-Model": { inputPerMTok: 7, outputPerMTok: 7, provider: "openai" },
      },
    });
    expect((await custom.tokenPrice("openai", "some-model", "standard")).input.base).toBe(perM(7));
    expect((await custom.tokenPrice("anthropic", "some-model", "standard")).input.base).toBe(perM(1));
  });

  it("is used as is for every service tier", async () => {
    const custom = createPriceCatalog({ overrides: { "gpt-4o": { inputPerMTok: 1, outputPerMTok: 4 } } });
    for (const tier of ["batch", "flex", "priority"] as const) {
      const tiered = await custom.tokenPrice("openai", "gpt-4o", tier);
      expect(tiered).toMatchObject({ tier, input: { base: perM(1) }, output: { base: perM(4) } });
      expect(tiered.source.tierRule).toBeUndefined();
    }
  });

  it("rejects invalid override values with a TypeError naming the option", () => {
    expect(() => createPriceCatalog({ overrides: { bad: { inputPerMTok: -5, outputPerMTok: 1 } } })).toThrow(
      'Expected `pricing["bad"].inputPerMTok` to be a finite number >= 0 (USD per million tokens), got `-5` (number)',
    );
  });
});

describe("unknown models with a fallback", () => {
  it("prices an unknown model as the fallback model, flagged unpriced", async () => {
    const lenient = createPriceCatalog({ fallbackModel: "gpt-4o" });
    const unknown = await lenient.tokenPrice("openai", "gpt-99-ultra", "standard");
    expect(unknown).toMatchObject({ model: "gpt-4o", unpriced: true, input: { base: perM(2.5) } });
    expect(unknown.source.layer).toBe("fallback");
    expect(unknown.source.detail).toContain("gpt-4o");
    // a known model is not affected
    expect((await lenient.tokenPrice("openai", "gpt-4o-mini", "standard")).unpriced).toBeUndefined();
  });

  it("finds the fallback under its own provider when the call's provider does not know it", async () => {
    const lenient = createPriceCatalog({ fallbackModel: "gpt-4o" });
    const unknown = await lenient.tokenPrice("anthropic", "claude-nonexistent-9", "batch");
    expect(unknown).toMatchObject({ provider: "anthropic", model: "gpt-4o", unpriced: true, tier: "batch" });
    expect(unknown.input.base).toBe(perM(1.25));
  });

  it("still rejects when the fallback model is unknown too", async () => {
    const lenient = createPriceCatalog({ fallbackModel: "also-unknown" });
    const error = await lenient.tokenPrice("openai", "gpt-99-ultra", "standard").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPriceError);
    expect((error as Error).message).toContain("also-unknown");
  });
});
