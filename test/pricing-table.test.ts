import { describe, expect, it } from "vitest";
import { BudgetedSession } from "../src/index.js";
import { FAL_ENDPOINTS } from "../src/pricing/data/fal-media.js";
import { MINIMAX_SPEECH, MINIMAX_VIDEO } from "../src/pricing/data/minimax-media.js";
import { OPENAI_SPEECH } from "../src/pricing/data/openai-media.js";
import { ANTHROPIC_FAST_MODE } from "../src/pricing/data/other-tiers.js";
import { TOKEN_PRICES, type UsdPerMTok } from "../src/pricing/data/token-prices.js";
import { fastModePrice } from "../src/pricing/fast-mode.js";
import { createPriceCatalog, falEndpoint, speechPrice } from "../src/pricing/index.js";
import { openaiClient, useFakeProviders } from "./helpers.js";

const context = useFakeProviders();
const catalog = createPriceCatalog({});
const nano = (usd: number) => Math.round(usd * 1e9);
const base = (rate: UsdPerMTok | undefined) => (typeof rate === "object" ? rate.base : rate);

describe("every model in the bundled tables has a price for every unit it bills", () => {
  it.each(TOKEN_PRICES.map((row) => [`${row.provider}/${row.model}`, row] as const))(
    "%s: input, output, cache reads and writes, each tier above the base",
    async (_, row) => {
      for (const key of [
        "input_mtok",
        "output_mtok",
        "cache_read_mtok",
        "cache_write_mtok",
        "cache_write_1h_mtok",
      ]) {
        const rate = row.prices[key];
        expect(base(rate), key).toBeGreaterThan(0);
        if (typeof rate === "object") {
          for (const tier of rate.tiers) {
            expect(tier.start).toBeGreaterThan(0);
            expect(tier.price).toBeGreaterThan(rate.base);
          }
        }
      }
      expect(row.source.url).toMatch(/^https:\/\//);
      expect(row.source.asOf).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
      for (const name of [row.model, ...(row.aliases ?? [])]) {
        const price = await catalog.tokenPrice(row.provider, name, "standard");
        expect(price.source.layer).toBe("table");
        expect(price.input.base).toBe(nano(base(row.prices.input_mtok) ?? 0));
        expect(price.output.base).toBe(nano(base(row.prices.output_mtok) ?? 0));
        expect(price.cacheWrite1h?.base).toBe(nano(base(row.prices.cache_write_1h_mtok) ?? 0));
        expect(price.maxOutputTokens).toBeGreaterThan(0);
      }
    },
  );

  it.each(Object.keys(ANTHROPIC_FAST_MODE.multipliers))(
    "fast mode on %s has a base price to multiply",
    async (model) => {
      const price = fastModePrice(await catalog.tokenPrice("anthropic", model, "standard"));
      expect(price.input.base).toBeGreaterThan(0);
      expect(price.output.base).toBeGreaterThan(0);
      expect(price.cachedInput?.base).toBeGreaterThan(0);
    },
  );

  it("gives every fal endpoint a positive price in every tier", () => {
    for (const row of FAL_ENDPOINTS) {
      const prices = typeof row.usd === "number" ? [row.usd] : Object.values(row.usd);
      const tiers = (row.dimensions ?? []).reduce((n, dimension) => n * dimension.tiers.length, 1);
      expect(prices, row.endpoints[0]).toHaveLength(typeof row.usd === "number" ? 1 : tiers);
      for (const usd of prices) expect(usd, row.endpoints[0]).toBeGreaterThan(0);
      for (const id of row.endpoints) expect(falEndpoint(id)?.perUnit).toBeGreaterThan(0);
    }
  });

  it("gives every MiniMax model and every OpenAI speech model a price for what it bills", () => {
    for (const row of MINIMAX_VIDEO) {
      for (const cells of Object.values(row.cells)) {
        for (const usd of Object.values(cells)) expect(usd).toBeGreaterThan(0);
      }
    }
    for (const row of MINIMAX_SPEECH) expect(row.perMillionCharactersUsd).toBeGreaterThan(0);
    for (const row of OPENAI_SPEECH) {
      const price = speechPrice(row.model);
      if (price?.kind === "characters") expect(price.perMillionCharacters).toBeGreaterThan(0);
      else {
        // token-billed: text in, audio out, and a per-minute rate for audio whose tokens are unknown
        expect(price?.inputPerMTok).toBeGreaterThan(0);
        expect(price?.outputAudioPerMTok).toBeGreaterThan(0);
        expect(price?.perMinute).toBe(nano(0.015));
      }
    }
  });
});

describe("spendguard's table through the catalog's other paths", () => {
  it("prices an unknown model as a table model named by unknownModel.fallbackModel", async () => {
    const fallback = createPriceCatalog({ fallbackModel: "claude-sonnet-5-5" });
    const price = await fallback.tokenPrice("openai", "my-finetune-9", "standard");
    expect(price).toMatchObject({ unpriced: true, model: "claude-sonnet-5-5", input: { base: nano(2) } });
    expect(price.source.layer).toBe("fallback");
  });
});

describe("gpt-4o-mini-tts audio without a token count", () => {
  it("charges uncompressed audio by its length at OpenAI's $0.015 a minute, plus the text tokens", async () => {
    const session = new BudgetedSession({ budgetUsd: 1 });
    const client = session.wrap(openaiClient(context.fake));
    context.fake.script("openai.speech", { seconds: 60 });
    const response = await client.audio.speech.create({
      model: "gpt-4o-mini-tts",
      voice: "alloy",
      input: "word ".repeat(200),
      response_format: "pcm",
    });
    await response.arrayBuffer();
    await session.close();
    const [record] = await session.history();
    expect(record?.source).toBe("estimated");
    expect(record?.usage?.seconds).toBeCloseTo(60, 6);
    const textTokens = record?.usage?.inputTokens ?? Number.NaN;
    expect(textTokens).toBeGreaterThan(0);
    expect(record?.actualUsd).toBeCloseTo(0.015 + (textTokens * 0.6) / 1e6, 9);
  });
});
