import { describe, expect, it } from "vitest";
import { FAL_ENDPOINTS } from "../src/pricing/data/fal-media.js";
import {
  FAL_IMAGE_SIZE_PRESETS,
  FAL_MEGAPIXEL,
  falCostFromUnits,
  falEndpoint,
  falEndpointIds,
  falImageQualities,
  falImageSizes,
  falMegapixels,
  falQuote,
  falUnitsFromResult,
} from "../src/pricing/index.js";

/** USD to nano-USD for numbers typed from the pages. */
const nano = (usd: number) => Math.round(usd * 1e9);

type Row = [endpoint: string, input: Record<string, unknown>, unit: string, usdPerUnit: number];

// Every price as its page prints it, read back through falQuote with the input that selects it.
const ROWS: Row[] = [
  ["fal-ai/flux/dev", {}, "megapixel", 0.025],
  ["fal-ai/flux-1/dev", {}, "megapixel", 0.025],
  ["fal-ai/flux/schnell", {}, "megapixel", 0.003],
  ["fal-ai/flux-1/schnell", {}, "megapixel", 0.003],
  ["fal-ai/flux/dev/image-to-image", {}, "megapixel", 0.03],
  ["fal-ai/flux-1/dev/image-to-image", {}, "megapixel", 0.03],
  ["fal-ai/flux-pro/v1.1", {}, "megapixel", 0.04],
  ["fal-ai/flux-pro/new", {}, "megapixel", 0.05],
  ["fal-ai/flux-pro", {}, "megapixel", 0.05],
  ["fal-ai/flux-lora", {}, "megapixel", 0.035],
  ["fal-ai/stable-diffusion-v35-large", {}, "megapixel", 0.065],
  ["fal-ai/stable-diffusion-v35-medium", {}, "megapixel", 0.02],
  ["fal-ai/flux-pro/v1.1-ultra", {}, "image", 0.06],
  ["fal-ai/flux-pro/kontext", {}, "image", 0.04],
  ["fal-ai/flux-pro/kontext/text-to-image", {}, "image", 0.04],
  ["fal-ai/flux-pro/kontext/multi", {}, "image", 0.04],
  ["fal-ai/flux-pro/kontext/max", {}, "image", 0.08],
  ["fal-ai/flux-pro/kontext/max/text-to-image", {}, "image", 0.08],
  ["fal-ai/flux-pro/kontext/max/multi", {}, "image", 0.08],
  ["fal-ai/recraft/v3/text-to-image", { style: "realistic_image" }, "image", 0.04],
  ["fal-ai/recraft/v3/text-to-image", { style: "vector_illustration" }, "image", 0.08],
  ["fal-ai/recraft-v3", { style: "digital_illustration" }, "image", 0.04],
  ["fal-ai/recraft-v3", { style: "vector_illustration/engraving" }, "image", 0.08],
  ["fal-ai/ideogram/v2", {}, "image", 0.08],
  ["fal-ai/ideogram/v2/turbo", {}, "image", 0.05],
  ["fal-ai/gpt-image-1.5", { quality: "low", image_size: "1024x1024" }, "image", 0.009],
  ["fal-ai/gpt-image-1.5", { quality: "low", image_size: "1024x1536" }, "image", 0.013],
  ["fal-ai/gpt-image-1.5", { quality: "low", image_size: "1536x1024" }, "image", 0.013],
  ["fal-ai/gpt-image-1.5", { quality: "medium", image_size: "1024x1024" }, "image", 0.034],
  ["fal-ai/gpt-image-1.5", { quality: "medium", image_size: "1024x1536" }, "image", 0.051],
  ["fal-ai/gpt-image-1.5", { quality: "medium", image_size: "1536x1024" }, "image", 0.05],
  ["fal-ai/gpt-image-1.5", { quality: "high", image_size: "1024x1024" }, "image", 0.133],
  ["fal-ai/gpt-image-1.5", { quality: "high", image_size: "1024x1536" }, "image", 0.2],
  ["fal-ai/gpt-image-1.5", { quality: "high", image_size: "1536x1024" }, "image", 0.199],
  ["fal-ai/gpt-image-1.5/edit", { quality: "low", image_size: "1024x1024" }, "image", 0.009],
  ["fal-ai/gpt-image-1.5/edit", { quality: "low", image_size: "1024x1536" }, "image", 0.013],
  ["fal-ai/gpt-image-1.5/edit", { quality: "low", image_size: "1536x1024" }, "image", 0.013],
  ["fal-ai/gpt-image-1.5/edit", { quality: "medium", image_size: "1024x1024" }, "image", 0.034],
  ["fal-ai/gpt-image-1.5/edit", { quality: "medium", image_size: "1024x1536" }, "image", 0.051],
  ["fal-ai/gpt-image-1.5/edit", { quality: "medium", image_size: "1536x1024" }, "image", 0.05],
  ["fal-ai/gpt-image-1.5/edit", { quality: "high", image_size: "1024x1024" }, "image", 0.133],
  ["fal-ai/gpt-image-1.5/edit", { quality: "high", image_size: "1024x1536" }, "image", 0.2],
  ["fal-ai/gpt-image-1.5/edit", { quality: "high", image_size: "1536x1024" }, "image", 0.199],
  ["fal-ai/nano-banana", {}, "image", 0.039],
  ["fal-ai/nano-banana/edit", {}, "image", 0.039],
  ["fal-ai/imagen4/preview", {}, "image", 0.04],
  ["fal-ai/veo3", { generate_audio: false }, "second", 0.2],
  ["fal-ai/veo3", { generate_audio: true }, "second", 0.4],
  ["fal-ai/veo3/image-to-video", { generate_audio: false }, "second", 0.2],
  ["fal-ai/veo3/image-to-video", { generate_audio: true }, "second", 0.4],
  ["fal-ai/veo3/fast", { generate_audio: false }, "second", 0.1],
  ["fal-ai/veo3/fast", { generate_audio: true }, "second", 0.15],
  ["fal-ai/veo3/fast/image-to-video", { generate_audio: false }, "second", 0.1],
  ["fal-ai/veo3/fast/image-to-video", { generate_audio: true }, "second", 0.15],
  ["fal-ai/veo3.1", { generate_audio: false, resolution: "720p" }, "second", 0.2],
  ["fal-ai/veo3.1", { generate_audio: false, resolution: "1080p" }, "second", 0.2],
  ["fal-ai/veo3.1", { generate_audio: false, resolution: "4k" }, "second", 0.4],
  ["fal-ai/veo3.1", { generate_audio: true, resolution: "720p" }, "second", 0.4],
  ["fal-ai/veo3.1", { generate_audio: true, resolution: "1080p" }, "second", 0.4],
  ["fal-ai/veo3.1", { generate_audio: true, resolution: "4k" }, "second", 0.6],
  ["fal-ai/veo3.1/image-to-video", { generate_audio: true, resolution: "4k" }, "second", 0.6],
  ["fal-ai/veo3.1/image-to-video", { generate_audio: false, resolution: "720p" }, "second", 0.2],
  ["fal-ai/kling-video/v2.1/master/text-to-video", {}, "second", 0.28],
  ["fal-ai/kling-video/v2.1/master/image-to-video", {}, "second", 0.28],
  ["fal-ai/kling-video/v2.1/standard/image-to-video", {}, "second", 0.056],
  ["fal-ai/kling-video/v2.1/pro/image-to-video", {}, "second", 0.098],
  ["fal-ai/kling-video/v2.5-turbo/pro/text-to-video", {}, "second", 0.07],
  ["fal-ai/kling-video/v2.5-turbo/pro/image-to-video", {}, "second", 0.07],
  ["fal-ai/kling-video/v2.5-turbo/standard/image-to-video", {}, "second", 0.042],
  ["fal-ai/kling-video/v3/pro/text-to-video", { generate_audio: false }, "second", 0.112],
  ["fal-ai/kling-video/v3/pro/text-to-video", { generate_audio: true }, "second", 0.168],
  ["fal-ai/kling-video/v3/pro/text-to-video", { voice_ids: ["v1"] }, "second", 0.196],
  ["fal-ai/kling-video/v3/pro/image-to-video", { generate_audio: false }, "second", 0.112],
  ["fal-ai/kling-video/v3/pro/image-to-video", { generate_audio: true }, "second", 0.168],
  ["fal-ai/kling-video/v3/pro/image-to-video", { voice_ids: ["v1"] }, "second", 0.196],
  ["fal-ai/kling-video/v3/standard/text-to-video", { generate_audio: false }, "second", 0.084],
  ["fal-ai/kling-video/v3/standard/text-to-video", { generate_audio: true }, "second", 0.126],
  ["fal-ai/kling-video/v3/standard/text-to-video", { voice_ids: ["v1"] }, "second", 0.154],
  ["fal-ai/kling-video/v3/standard/image-to-video", { generate_audio: false }, "second", 0.084],
  ["fal-ai/kling-video/v3/standard/image-to-video", { generate_audio: true }, "second", 0.126],
  ["fal-ai/kling-video/v3/standard/image-to-video", { voice_ids: ["v1"] }, "second", 0.154],
  ["fal-ai/minimax/hailuo-02/standard/image-to-video", { resolution: "512P" }, "second", 0.017],
  ["fal-ai/minimax/hailuo-02/standard/image-to-video", { resolution: "768P" }, "second", 0.045],
  ["fal-ai/minimax/hailuo-02/standard/text-to-video", {}, "second", 0.045],
  ["fal-ai/sora-2/text-to-video", {}, "second", 0.1],
  ["fal-ai/sora-2/image-to-video", {}, "second", 0.1],
  ["fal-ai/sora-2/text-to-video/pro", { resolution: "720p" }, "second", 0.3],
  ["fal-ai/sora-2/text-to-video/pro", { resolution: "1080p" }, "second", 0.5],
  ["fal-ai/sora-2/text-to-video/pro", { resolution: "true_1080p" }, "second", 0.7],
  ["fal-ai/sora-2/image-to-video/pro", { resolution: "true_1080p" }, "second", 0.7],
  ["fal-ai/minimax/hailuo-2.3/standard/text-to-video", { duration: "6" }, "video", 0.28],
  ["fal-ai/minimax/hailuo-2.3/standard/text-to-video", { duration: "10" }, "video", 0.56],
  ["fal-ai/minimax/hailuo-2.3/standard/image-to-video", { duration: "6" }, "video", 0.28],
  ["fal-ai/minimax/hailuo-2.3/standard/image-to-video", { duration: "10" }, "video", 0.56],
  ["fal-ai/minimax/hailuo-2.3/pro/text-to-video", {}, "video", 0.49],
  ["fal-ai/minimax/hailuo-2.3/pro/image-to-video", {}, "video", 0.49],
  ["fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video", { duration: "6" }, "video", 0.19],
  ["fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video", { duration: "10" }, "video", 0.32],
  ["fal-ai/minimax/hailuo-2.3-fast/pro/image-to-video", {}, "video", 0.33],
  ["fal-ai/gpt-image-1/text-to-image", { quality: "low", image_size: "1024x1024" }, "image", 0.011],
  ["fal-ai/gpt-image-1/text-to-image", { quality: "low", image_size: "1536x1024" }, "image", 0.016],
  ["fal-ai/gpt-image-1/text-to-image", { quality: "medium", image_size: "1024x1024" }, "image", 0.042],
  ["fal-ai/gpt-image-1/text-to-image", { quality: "medium", image_size: "1024x1536" }, "image", 0.063],
  ["fal-ai/gpt-image-1/text-to-image", { quality: "high", image_size: "1024x1024" }, "image", 0.167],
  ["fal-ai/gpt-image-1/text-to-image", {}, "image", 0.25],
  ["fal-ai/kling-video/v3/turbo/pro/text-to-video", {}, "second", 0.14],
  ["fal-ai/kling-video/v3/turbo/pro/image-to-video", { duration: "15" }, "second", 0.14],
  ["fal-ai/minimax/video-01", {}, "video", 0.5],
  ["fal-ai/minimax/video-01/image-to-video", {}, "video", 0.5],
];

describe("fal rows (price per unit, read back through falQuote)", () => {
  it.each(ROWS)("%s %j: %s at $%s", (endpoint, input, unit, usd) => {
    const quote = falQuote(endpoint, input);
    expect(quote?.unit).toBe(unit);
    expect(quote?.perUnit).toBe(nano(usd));
    expect(falCostFromUnits(endpoint, 1, input)).toBe(nano(usd));
  });

  it("covers every endpoint id of the table, and every tier of every row", () => {
    const tested = new Set(ROWS.map(([endpoint]) => endpoint));
    expect(falEndpointIds().filter((id) => !tested.has(id))).toEqual([]);
    const prices = FAL_ENDPOINTS.flatMap((row) =>
      typeof row.usd === "number" ? [row.usd] : Object.values(row.usd),
    );
    const typed = new Set(ROWS.map((row) => row[3]));
    expect(prices.filter((usd) => !typed.has(usd))).toEqual([]);
  });

  it("answers integers everywhere", () => {
    for (const id of falEndpointIds()) {
      const price = falEndpoint(id);
      const quote = falQuote(id, {});
      expect(Number.isInteger(price?.perUnit)).toBe(true);
      expect(Number.isInteger(quote?.perUnit)).toBe(true);
      expect(Number.isInteger(quote?.amount)).toBe(true);
      expect(Number.isInteger(quote?.units)).toBe(true);
      expect(Number.isInteger(falCostFromUnits(id, 2.37))).toBe(true);
    }
  });

  it("gives every endpoint its source, unit and dearest price", () => {
    expect(falEndpoint("fal-ai/veo3.1")).toMatchObject({
      endpoint: "fal-ai/veo3.1",
      unit: "second",
      perUnit: nano(0.6),
      source: { layer: "media" },
    });
    expect(falEndpoint("fal-ai/flux/dev")?.source.detail).toMatch(/fal-ai\/flux\/dev.*as of/);
    expect(falEndpoint("fal-ai/gpt-image-1.5")).toMatchObject({
      perUnit: nano(0.2),
      qualities: ["low", "medium", "high"],
      sizes: ["1024x1024", "1536x1024", "1024x1536"],
    });
    expect(falEndpoint("fal-ai/gpt-image-1.5")?.note).toMatch(/text tokens/);
  });
});

describe("fal endpoint ids match exactly", () => {
  it.each([
    "fal-ai/flux/dev/",
    "fal-ai/flux",
    "fal-ai/flux/dev/redux",
    "fal-ai/flux-pro/v1.1-ultra/redux",
    "fal-ai/flux-pro/v1.1-ultra-finetuned",
    "fal-ai/flux-realism",
    "fal-ai/flux/requests/abc",
    "FAL-AI/FLUX/DEV",
    "fal-ai/kling-video/v1.6/pro/text-to-video",
    "",
  ])("%j is unknown", (id) => {
    expect(falEndpoint(id)).toBeUndefined();
    expect(falQuote(id, {})).toBeUndefined();
    expect(falCostFromUnits(id, 1)).toBeUndefined();
    expect(falUnitsFromResult(id, { images: [] })).toBeUndefined();
    expect(falImageQualities(id)).toBeUndefined();
    expect(falImageSizes(id)).toBeUndefined();
  });

  it("never prices an endpoint as its prefix", () => {
    expect(falQuote("fal-ai/flux-pro/v1.1-ultra", {})?.perUnit).toBe(nano(0.06));
    expect(falQuote("fal-ai/flux-pro/v1.1", {})?.perUnit).toBe(nano(0.04));
  });

  it("ignores surrounding whitespace", () => {
    expect(falQuote(" fal-ai/flux/dev ", {})?.endpoint).toBe("fal-ai/flux/dev");
  });
});

describe("megapixels", () => {
  it("bills 1024 x 1024 pixels as one megapixel", () => {
    expect(FAL_MEGAPIXEL).toBe(1_048_576);
  });

  it.each([
    ["square_hd", 1024, 1024, 1],
    ["square", 512, 512, 1],
    ["portrait_4_3", 768, 1024, 1],
    ["portrait_16_9", 576, 1024, 1],
    ["landscape_4_3", 1024, 768, 1],
    ["landscape_16_9", 1024, 576, 1],
  ])("preset %s is %ix%i, %i MP", (preset, width, height, mp) => {
    expect(FAL_IMAGE_SIZE_PRESETS[preset]).toEqual({ width, height });
    expect(falMegapixels(preset)).toBe(mp);
  });

  it.each([
    [{ width: 1024, height: 1024 }, 1],
    [{ width: 1025, height: 1024 }, 2],
    [{ width: 1920, height: 1080 }, 2],
    [{ width: 2048, height: 2048 }, 4],
    [{ width: 2048 }, 1],
    [{ width: 100, height: 100 }, 1],
    ["1536x1024", 2],
    [{ width: 0, height: 512 }, undefined],
    [{ width: "1024", height: 1024 }, undefined],
    ["huge", undefined],
    [42, undefined],
  ])("%j: %s MP", (size, mp) => {
    expect(falMegapixels(size)).toBe(mp);
  });
});

describe("falQuote: the worst case a request implies", () => {
  it("prices megapixels as images x megapixels of image_size, rounded up per image", () => {
    const quote = falQuote("fal-ai/flux/dev", { image_size: { width: 1920, height: 1080 }, num_images: 3 });
    expect(quote).toMatchObject({ unit: "megapixel", units: 6, amount: 6 * nano(0.025), size: "1920x1080" });
    expect(quote?.assumed).toEqual([]);
  });

  it("uses fal's default image_size when none is set, and says so", () => {
    const quote = falQuote("fal-ai/flux/dev", {});
    expect(quote).toMatchObject({ units: 1, amount: nano(0.025), size: "1024x768" });
    expect(quote?.assumed.join()).toMatch(/image_size not set: fal's default landscape_4_3/);
  });

  it("takes a preset by name", () => {
    expect(falQuote("fal-ai/flux/schnell", { image_size: "portrait_16_9", num_images: 4 })).toMatchObject({
      units: 4,
      amount: 4 * nano(0.003),
      size: "576x1024",
    });
  });

  it("gives a custom size's missing side fal's default 512 px", () => {
    const quote = falQuote("fal-ai/flux/dev", { image_size: { width: 4096 } });
    expect(quote).toMatchObject({ units: 2, size: "4096x512" });
    expect(quote?.assumed.join()).toMatch(/missing a side/);
  });

  it("prices an unknown image_size as the endpoint's default, and says so", () => {
    const quote = falQuote("fal-ai/flux/dev", { image_size: "poster" });
    expect(quote).toMatchObject({ units: 1, size: "1024x768" });
    expect(quote?.assumed.join()).toMatch(/not a known size/);
  });

  it("assumes 4 MP for image-to-image, whose output follows an input image", () => {
    const quote = falQuote("fal-ai/flux/dev/image-to-image", { image_size: "square", num_images: 2 });
    expect(quote).toMatchObject({ units: 8, amount: 8 * nano(0.03), size: "2048x2048" });
    expect(quote?.assumed.join()).toMatch(/follows the input image/);
  });

  it("counts num_images, defaulting to 1 and rounding a bad count up", () => {
    expect(falQuote("fal-ai/flux-pro/v1.1-ultra", {})).toMatchObject({ units: 1, amount: nano(0.06) });
    expect(falQuote("fal-ai/flux-pro/v1.1-ultra", { num_images: 4 })).toMatchObject({
      units: 4,
      amount: 4 * nano(0.06),
    });
    const odd = falQuote("fal-ai/flux-pro/v1.1-ultra", { num_images: 2.5 });
    expect(odd).toMatchObject({ units: 3 });
    expect(odd?.assumed.join()).toMatch(/not a positive integer/);
    expect(falQuote("fal-ai/flux-pro/v1.1-ultra", { num_images: "2" })).toMatchObject({ units: 2 });
    expect(falQuote("fal-ai/flux-pro/v1.1-ultra", { num_images: -1 })).toMatchObject({ units: 1 });
  });

  it("bills endpoints without an image count one image", () => {
    expect(falQuote("fal-ai/ideogram/v2", { num_images: 4 })).toMatchObject({ units: 1, amount: nano(0.08) });
  });

  it("adds the prompt's text tokens on gpt-image endpoints, bounded by its UTF-8 bytes", () => {
    const prompt = "a lighthouse at dusk, é"; // 23 characters, 24 bytes
    const one = falQuote("fal-ai/gpt-image-1/text-to-image", {
      quality: "low",
      image_size: "1024x1024",
      prompt,
    });
    // $0.002 per 1,000 tokens x 24 tokens at most
    expect(one).toMatchObject({ units: 1, promptCost: 48_000, amount: nano(0.011) + 48_000 });
    const edit = falQuote("fal-ai/gpt-image-1.5/edit", { quality: "low", image_size: "1024x1024", prompt });
    expect(edit?.promptCost).toBe(120_000); // $0.005 per 1,000 x 24
    expect(
      falCostFromUnits("fal-ai/gpt-image-1/text-to-image", 2, {
        quality: "low",
        image_size: "1024x1024",
        prompt,
      }),
    ).toBe(2 * nano(0.011) + 48_000);
    // endpoints billed per unit only add nothing for a prompt
    expect(falQuote("fal-ai/flux/dev", { prompt })?.promptCost).toBeUndefined();
  });

  it("uses the documented default quality and size of gpt-image-1.5", () => {
    const quote = falQuote("fal-ai/gpt-image-1.5", { num_images: 2 });
    expect(quote).toMatchObject({
      quality: "high",
      size: "1024x1024",
      units: 2,
      amount: 2 * nano(0.133),
      promptCost: 0,
    });
    expect(quote?.assumed).toEqual([
      `quality not set: fal's default "high"`,
      `image_size not set: fal's default "1024x1024"`,
    ]);
  });

  it("prices auto, an unlisted value, or a missing value without a default at the dearest tier", () => {
    const auto = falQuote("fal-ai/gpt-image-1.5", { quality: "auto", image_size: "auto" });
    expect(auto).toMatchObject({ quality: "high", size: "1024x1536", perUnit: nano(0.2) });
    expect(auto?.assumed.join()).toMatch(/quality auto/);
    const unlisted = falQuote("fal-ai/gpt-image-1.5", { quality: "ultra", image_size: "4096x4096" });
    expect(unlisted).toMatchObject({ quality: "high", size: "1024x1536" });
    expect(unlisted?.assumed.join()).toMatch(/"ultra" is not in the table/);
    const edit = falQuote("fal-ai/gpt-image-1.5/edit", { quality: "medium" });
    expect(edit).toMatchObject({ quality: "medium", size: "1024x1536", perUnit: nano(0.051) });
    expect(edit?.assumed.join()).toMatch(/image_size not set: priced at the dearest/);
  });

  it("chooses open tiers together (audio x resolution)", () => {
    expect(falQuote("fal-ai/veo3.1", { generate_audio: false, resolution: "auto" })).toMatchObject({
      tiers: { generate_audio: "off", resolution: "4k" },
      perUnit: nano(0.4),
    });
  });

  it("matches tiers case-insensitively", () => {
    expect(falQuote("fal-ai/veo3.1", { resolution: "4K", generate_audio: "false" })?.perUnit).toBe(nano(0.4));
    expect(falQuote("fal-ai/gpt-image-1.5", { quality: "LOW", image_size: "1024X1024" })?.perUnit).toBe(
      nano(0.009),
    );
  });

  it("prices Recraft's vector styles twice, every other style once", () => {
    expect(falQuote("fal-ai/recraft-v3", {})?.perUnit).toBe(nano(0.04));
    expect(falQuote("fal-ai/recraft-v3", { style: "any" })?.perUnit).toBe(nano(0.04));
    expect(falQuote("fal-ai/recraft-v3", { style: "vector_illustration/bold_stroke" })?.perUnit).toBe(
      nano(0.08),
    );
  });

  it("moves Kling v3 to the voice-control price only when audio is on and voices are given", () => {
    const id = "fal-ai/kling-video/v3/pro/image-to-video";
    expect(falQuote(id, {})?.perUnit).toBe(nano(0.168));
    expect(falQuote(id, { voice_ids: [] })?.perUnit).toBe(nano(0.168));
    expect(falQuote(id, { voice_ids: ["a"], generate_audio: false })?.perUnit).toBe(nano(0.112));
    expect(falQuote(id, { voice_ids: ["a"], generate_audio: true })?.perUnit).toBe(nano(0.196));
    expect(falQuote(id, { generate_audio: "voice" })?.perUnit).toBe(nano(0.168));
  });

  it("bills seconds of the duration asked, fal's default when missing", () => {
    expect(falQuote("fal-ai/veo3", { duration: "6s", generate_audio: true })).toMatchObject({
      units: 6,
      amount: 6 * nano(0.4),
    });
    const missing = falQuote("fal-ai/veo3", {});
    expect(missing).toMatchObject({ units: 8, amount: 8 * nano(0.4) });
    expect(missing?.assumed).toContain("duration not set: fal's default 8 s");
    expect(falQuote("fal-ai/kling-video/v2.1/master/text-to-video", { duration: 10 })).toMatchObject({
      units: 10,
      amount: 10 * nano(0.28),
    });
    expect(falQuote("fal-ai/kling-video/v3/pro/text-to-video", { duration: "12" })).toMatchObject({
      units: 12,
    });
  });

  it("prices an unoffered duration as the next longer, a too-long one as the longest", () => {
    const between = falQuote("fal-ai/kling-video/v2.1/master/text-to-video", { duration: 7 });
    expect(between).toMatchObject({ units: 10 });
    expect(between?.assumed.join()).toMatch(/next longer, 10 s/);
    const long = falQuote("fal-ai/veo3", { duration: "30s" });
    expect(long).toMatchObject({ units: 8 });
    expect(long?.assumed.join()).toMatch(/longer than any offered/);
    const bad = falQuote("fal-ai/veo3", { duration: "eight" });
    expect(bad).toMatchObject({ units: 8 });
    expect(bad?.assumed.join()).toMatch(/not a duration/);
  });

  it("prices a flat video by its duration tier", () => {
    const id = "fal-ai/minimax/hailuo-2.3/standard/image-to-video";
    expect(falQuote(id, {})).toMatchObject({ unit: "video", units: 1, amount: nano(0.28) });
    expect(falQuote(id, { duration: 10 })?.amount).toBe(nano(0.56));
    const between = falQuote(id, { duration: "8" });
    expect(between?.amount).toBe(nano(0.56));
    expect(between?.assumed.join()).toMatch(/next longer, 10/);
    expect(falQuote(id, { duration: 12 })?.amount).toBe(nano(0.56));
    expect(falQuote(id, { duration: "long" })?.amount).toBe(nano(0.56));
    expect(falQuote("fal-ai/minimax/hailuo-2.3/pro/image-to-video", { duration: 10 })?.amount).toBe(
      nano(0.49),
    );
  });

  it("uses the resolution default of Hailuo 02 and prices 512P", () => {
    const id = "fal-ai/minimax/hailuo-02/standard/image-to-video";
    expect(falQuote(id, {})).toMatchObject({ units: 6, perUnit: nano(0.045), amount: 6 * nano(0.045) });
    expect(falQuote(id, { resolution: "512p", duration: "10" })).toMatchObject({
      units: 10,
      amount: 10 * nano(0.017),
    });
  });

  it("defaults input to {}", () => {
    expect(falQuote("fal-ai/sora-2/text-to-video")).toMatchObject({ units: 4, amount: 4 * nano(0.1) });
  });
});

describe("falCostFromUnits", () => {
  it("prices billable units at the request's tier, rounding to the nearest nano-USD", () => {
    expect(falCostFromUnits("fal-ai/flux/dev", 2)).toBe(nano(0.05));
    expect(falCostFromUnits("fal-ai/flux/dev", 1.5)).toBe(37_500_000);
    expect(falCostFromUnits("fal-ai/flux/schnell", 0.1234567891)).toBe(370_370);
    expect(falCostFromUnits("fal-ai/flux/schnell", 1.0000000005)).toBe(3_000_000);
    expect(
      falCostFromUnits("fal-ai/minimax/hailuo-02/standard/image-to-video", 5.5, { resolution: "512P" }),
    ).toBe(93_500_000);
    expect(falCostFromUnits("fal-ai/veo3", 8, { generate_audio: false })).toBe(nano(1.6));
    expect(falCostFromUnits("fal-ai/flux/dev", 0)).toBe(0);
  });

  it("charges the dearest tier without the request, fal's default for a field the request lacks", () => {
    expect(falCostFromUnits("fal-ai/veo3", 8)).toBe(nano(3.2));
    expect(falCostFromUnits("fal-ai/veo3", 8, {})).toBe(nano(3.2));
    expect(falCostFromUnits("fal-ai/gpt-image-1.5", 1, {})).toBe(nano(0.133));
    expect(falCostFromUnits("fal-ai/gpt-image-1.5", 1)).toBe(nano(0.2));
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses %s units", (units) => {
    expect(falCostFromUnits("fal-ai/flux/dev", units)).toBeUndefined();
  });
});

describe("falUnitsFromResult", () => {
  const images = [
    { url: "https://v3.fal.media/a.png", width: 1920, height: 1080, content_type: "image/png" },
    { url: "https://v3.fal.media/b.png", width: 1024, height: 768, content_type: "image/png" },
  ];

  it("counts images for per-image endpoints", () => {
    expect(falUnitsFromResult("fal-ai/flux-pro/v1.1-ultra", { images })).toBe(2);
    expect(falUnitsFromResult("fal-ai/gpt-image-1.5", { data: { images }, requestId: "r" })).toBe(2);
    expect(falUnitsFromResult("fal-ai/ideogram/v2", { image: images[0] })).toBe(1);
    expect(falUnitsFromResult("fal-ai/ideogram/v2", { images: [] })).toBe(0);
  });

  it("sums megapixels per image, each rounded up", () => {
    expect(falUnitsFromResult("fal-ai/flux/dev", { images })).toBe(3);
    expect(falUnitsFromResult("fal-ai/flux/dev", { data: { images }, requestId: "r" })).toBe(3);
  });

  it("uses the request's size for images without width and height, or gives up without it", () => {
    const bare = { images: [{ url: "x" }, { url: "y", width: 2048, height: 2048 }] };
    expect(falUnitsFromResult("fal-ai/flux/dev", bare)).toBeUndefined();
    expect(falUnitsFromResult("fal-ai/flux/dev", bare, {})).toBe(5);
    expect(falUnitsFromResult("fal-ai/flux/dev", bare, { image_size: { width: 1920, height: 1080 } })).toBe(
      6,
    );
  });

  it("reads a video's duration, or the request's", () => {
    expect(falUnitsFromResult("fal-ai/veo3", { video: { url: "x", duration: 7.5 } })).toBe(7.5);
    expect(falUnitsFromResult("fal-ai/veo3", { data: { video: { url: "x", duration: 4 } } })).toBe(4);
    expect(falUnitsFromResult("fal-ai/veo3", { video: { url: "x" } })).toBeUndefined();
    expect(falUnitsFromResult("fal-ai/veo3", { video: { url: "x" } }, { duration: "6s" })).toBe(6);
    expect(falUnitsFromResult("fal-ai/kling-video/v3/pro/text-to-video", { video: { url: "x" } }, {})).toBe(
      5,
    );
  });

  it("counts videos for flat-priced video endpoints", () => {
    expect(falUnitsFromResult("fal-ai/minimax/hailuo-2.3/pro/text-to-video", { video: { url: "x" } })).toBe(
      1,
    );
    expect(falUnitsFromResult("fal-ai/minimax/video-01", { videos: [{ url: "x" }, { url: "y" }] })).toBe(2);
    expect(falUnitsFromResult("fal-ai/minimax/video-01", { seed: 1 })).toBeUndefined();
  });

  it("answers undefined for a body it cannot read", () => {
    expect(falUnitsFromResult("fal-ai/flux/dev", null)).toBeUndefined();
    expect(falUnitsFromResult("fal-ai/flux/dev", "images")).toBeUndefined();
    expect(falUnitsFromResult("fal-ai/flux/dev", { images: "none" })).toBeUndefined();
  });

  it("turns units into the same cost as the header would", () => {
    const units = falUnitsFromResult("fal-ai/flux/dev", { images }) ?? 0;
    expect(falCostFromUnits("fal-ai/flux/dev", units)).toBe(3 * nano(0.025));
  });
});

describe("quality and size restrictions", () => {
  it("lists gpt-image-1.5's qualities cheapest first and its sizes", () => {
    expect(falImageQualities("fal-ai/gpt-image-1.5")).toEqual(["low", "medium", "high"]);
    expect(falImageSizes("fal-ai/gpt-image-1.5/edit")).toEqual(["1024x1024", "1536x1024", "1024x1536"]);
  });

  it("lists the presets of megapixel endpoints, nothing where size does not apply", () => {
    expect(falImageSizes("fal-ai/flux/dev")).toEqual(Object.keys(FAL_IMAGE_SIZE_PRESETS));
    expect(falImageSizes("fal-ai/flux/dev/image-to-image")).toEqual([]);
    expect(falImageSizes("fal-ai/veo3")).toEqual([]);
    expect(falImageQualities("fal-ai/flux/dev")).toEqual([]);
    expect(falEndpoint("fal-ai/veo3")?.sizes).toBeUndefined();
    expect(falEndpoint("fal-ai/veo3")?.qualities).toBeUndefined();
  });

  it("returns copies", () => {
    falImageQualities("fal-ai/gpt-image-1.5")?.push("ultra");
    expect(falImageQualities("fal-ai/gpt-image-1.5")).toEqual(["low", "medium", "high"]);
  });
});
