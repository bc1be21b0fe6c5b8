import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  affordableOutputTokens,
  createPriceCatalog,
  rateAt,
  type TokenPrice,
  usageCost,
  worstCaseCost,
} from "../src/pricing/index.js";

const perM = (usd: number) => Math.round(usd * 1e9);

function tokenPrice(fields: Partial<TokenPrice>): TokenPrice {
  return {
    provider: "test",
    model: "test",
    tier: "standard",
    input: { base: perM(1) },
    output: { base: perM(2) },
    source: { layer: "override", detail: "test" },
    ...fields,
  };
}

describe("rateAt", () => {
  const rate = {
    base: 10,
    tiers: [
      { above: 100, perMTok: 20 },
      { above: 1_000, perMTok: 30 },
    ],
  };
  it.each([
    [0, 10],
    [100, 10],
    [101, 20],
    [1_000, 20],
    [1_001, 30],
  ])("at %i input tokens is %i", (input, expected) => {
    expect(rateAt(rate, input)).toBe(expected);
  });
});

describe("usageCost", () => {
  it("prices each bucket at its own rate, falling back to the plain rate", () => {
    const price = tokenPrice({
      input: { base: perM(2) },
      output: { base: perM(8) },
      cachedInput: { base: perM(0.5) },
      cacheWrite: { base: perM(2.5) },
      inputAudio: { base: perM(40) },
      outputAudio: { base: perM(80) },
    });
    const usage = {
      inputTokens: 10_000,
      cachedInputTokens: 1_000,
      cacheWriteTokens: 1_000,
      cacheWrite1hTokens: 1_000, // no 1h rate: pays the 5-minute write rate
      inputAudioTokens: 1_000,
      inputImageTokens: 1_000, // no image rate: pays the input rate
      outputTokens: 3_000,
      reasoningTokens: 2_000, // inside output text: output rate
      outputAudioTokens: 1_000,
    };
    // (5,000 × 2 + 1,000 × 0.5 + 1,000 × 2.5 + 1,000 × 2.5 + 1,000 × 40 + 1,000 × 2) + (2,000 × 8 + 1,000 × 80)
    expect(usageCost(price, usage)).toBe(
      (10_000 + 500 + 2_500 + 2_500 + 40_000 + 2_000 + 16_000 + 80_000) * 1_000,
    );
  });

  it("charges cached tokens the input rate when the model has no cached rate", () => {
    const price = tokenPrice({});
    expect(usageCost(price, { inputTokens: 1_000, cachedInputTokens: 600, outputTokens: 0 })).toBe(
      usageCost(price, { inputTokens: 1_000, outputTokens: 0 }),
    );
  });

  it("prices web searches per thousand", () => {
    const price = tokenPrice({ webSearchPerThousand: 10_000_000_000 }); // $10 per 1,000 searches
    expect(usageCost(price, { inputTokens: 0, outputTokens: 0, webSearches: 3 })).toBe(30_000_000);
  });

  it("prices audio tokens on a realtime model", async () => {
    const realtime = await createPriceCatalog({}).tokenPrice("openai", "gpt-4o-realtime-preview", "standard");
    const usage = { inputTokens: 1_000, inputAudioTokens: 600, outputTokens: 500, outputAudioTokens: 300 };
    // 400 × $5 + 600 × $40 + 200 × $20 + 300 × $80 per MTok = $0.054
    expect(usageCost(realtime, usage)).toBe(54_000_000);
  });

  it("never goes negative or below the plain total on inconsistent usage", () => {
    const price = tokenPrice({ cachedInput: { base: perM(0.1) }, outputAudio: { base: perM(0.5) } });
    const plain = usageCost(price, { inputTokens: 100, outputTokens: 50 });
    const inconsistent = usageCost(price, {
      inputTokens: 100,
      cachedInputTokens: 200,
      outputTokens: 50,
      outputAudioTokens: 80,
    });
    expect(inconsistent).toBeGreaterThanOrEqual(plain);
    expect(usageCost(price, { inputTokens: -5, outputTokens: Number.NaN })).toBe(0);
  });

  it("rounds to nearest by default and up when asked", () => {
    const price = tokenPrice({ input: { base: 37_400_000 }, output: { base: 0 } }); // 37.4 nano per token
    expect(usageCost(price, { inputTokens: 1, outputTokens: 0 })).toBe(37);
    expect(usageCost(price, { inputTokens: 1, outputTokens: 0 }, "up")).toBe(38);
    expect(usageCost(price, { inputTokens: 1, outputTokens: 0 }, "down")).toBe(37);
    expect(worstCaseCost(price, { inputTokens: 1, outputTokens: 0 })).toBe(38);
    // the remainders add up before the single division: 10 × 37.4 = 374 exactly
    expect(usageCost(price, { inputTokens: 10, outputTokens: 0 }, "up")).toBe(374);
  });

  it("stays exact past 2^53 of numerator (o1-pro, 2M input tokens)", async () => {
    const o1pro = await createPriceCatalog({}).tokenPrice("openai", "o1-pro", "standard");
    // 2,000,000 × $150 + 100,000 × $600 per MTok = $360; the numerator is 3.6e20, far past 2^53
    expect(usageCost(o1pro, { inputTokens: 2_000_000, outputTokens: 100_000 })).toBe(360_000_000_000);
    expect(worstCaseCost(o1pro, { inputTokens: 2_000_001, outputTokens: 100_001 })).toBe(360_000_750_000);
    const odd = tokenPrice({ input: { base: 600_000_000_001 }, output: { base: 0 } });
    // 2,000,000 × 600,000,000,001 / 1e6 = 1,200,000,000,002 exactly
    expect(usageCost(odd, { inputTokens: 2_000_000, outputTokens: 0 })).toBe(1_200_000_000_002);
  });
});

describe("worstCaseCost", () => {
  const sonnetLike = tokenPrice({
    input: { base: perM(3), tiers: [{ above: 200_000, perMTok: perM(6) }] },
    output: { base: perM(15), tiers: [{ above: 200_000, perMTok: perM(22.5) }] },
    cachedInput: { base: perM(0.3) },
    cacheWrite: { base: perM(3.75) },
    cacheWrite1h: { base: perM(6), tiers: [{ above: 200_000, perMTok: perM(12) }] },
  });

  it("uses the input and output rates of the tier the input size selects", () => {
    expect(worstCaseCost(sonnetLike, { inputTokens: 1_000, outputTokens: 1_000 })).toBe(18_000_000);
    expect(worstCaseCost(sonnetLike, { inputTokens: 200_001, outputTokens: 1_000 })).toBe(1_222_506_000);
  });

  it("uses the highest cache-write rate when the request may write the cache", () => {
    expect(worstCaseCost(sonnetLike, { inputTokens: 1_000, outputTokens: 0, cacheWritePossible: true })).toBe(
      6_000_000,
    );
    expect(
      worstCaseCost(sonnetLike, { inputTokens: 200_001, outputTokens: 0, cacheWritePossible: true }),
    ).toBe(2_400_012_000);
  });

  it("is never below the cost of any usage within the request's bounds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 64_000 }),
        (input, cachedPct, writePct, output) => {
          const cached = Math.floor((input * cachedPct) / 200);
          const written = Math.floor((input * writePct) / 200);
          const usage = {
            inputTokens: input,
            cachedInputTokens: cached,
            cacheWrite1hTokens: written,
            outputTokens: output,
          };
          const worst = worstCaseCost(sonnetLike, {
            inputTokens: input,
            outputTokens: output,
            cacheWritePossible: true,
          });
          expect(worst).toBeGreaterThanOrEqual(usageCost(sonnetLike, usage, "up"));
        },
      ),
    );
  });
});

describe("affordableOutputTokens", () => {
  const mini = tokenPrice({ input: { base: perM(0.15) }, output: { base: perM(0.6) } });

  it("returns the exact boundary: k fits, k + 1 does not", () => {
    const remaining = 1_000_000; // $0.001
    const k = affordableOutputTokens(mini, { inputTokens: 1_000 }, remaining);
    // ($0.001 − 1,000 × $0.15 / MTok) / ($0.60 / MTok) = 1,416.67
    expect(k).toBe(1_416);
    expect(worstCaseCost(mini, { inputTokens: 1_000, outputTokens: k })).toBeLessThanOrEqual(remaining);
    expect(worstCaseCost(mini, { inputTokens: 1_000, outputTokens: k + 1 })).toBeGreaterThan(remaining);
  });

  it("is 0 when even the input does not fit, and unbounded when output is free", () => {
    expect(affordableOutputTokens(mini, { inputTokens: 10_000 }, 1_000)).toBe(0);
    expect(affordableOutputTokens(mini, { inputTokens: 1 }, -5)).toBe(0);
    const freeOutput = tokenPrice({ output: { base: 0 } });
    expect(affordableOutputTokens(freeOutput, { inputTokens: 1 }, 1_000)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("works past 2^53 (a $1,000 budget on o1-pro)", async () => {
    const o1pro = await createPriceCatalog({}).tokenPrice("openai", "o1-pro", "standard");
    const remaining = 1_000_000_000_000;
    const k = affordableOutputTokens(o1pro, { inputTokens: 2_000_000 }, remaining);
    expect(k).toBe(1_166_666);
    expect(worstCaseCost(o1pro, { inputTokens: 2_000_000, outputTokens: k })).toBeLessThanOrEqual(remaining);
    expect(worstCaseCost(o1pro, { inputTokens: 2_000_000, outputTokens: k + 1 })).toBeGreaterThan(remaining);
  });

  it("agrees with worstCaseCost at the boundary for any price and budget", () => {
    const rate = fc.integer({ min: 1, max: 1_000_000_000_000 });
    fc.assert(
      fc.property(
        rate,
        rate,
        rate,
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.boolean(),
        (inputRate, outputRate, writeRate, input, remaining, cacheWritePossible) => {
          const price = tokenPrice({
            input: { base: inputRate, tiers: [{ above: 200_000, perMTok: inputRate * 2 }] },
            output: { base: outputRate },
            cacheWrite: { base: writeRate },
          });
          const k = affordableOutputTokens(price, { inputTokens: input, cacheWritePossible }, remaining);
          const cost = (outputTokens: number) =>
            worstCaseCost(price, { inputTokens: input, outputTokens, cacheWritePossible });
          if (k === 0) {
            expect(cost(1)).toBeGreaterThan(remaining);
            return;
          }
          expect(cost(k)).toBeLessThanOrEqual(remaining);
          if (k < Number.MAX_SAFE_INTEGER) expect(cost(k + 1)).toBeGreaterThan(remaining);
        },
      ),
      { numRuns: 500 },
    );
  });
});
