import { describe, expect, it } from "vitest";
import {
  GPT_IMAGE_2_OUTPUT_TOKEN_RULE,
  OPENAI_IMAGE_TABLES,
  OPENAI_SPEECH,
  OPENAI_TRANSCRIPTION,
  OPENAI_VIDEO,
} from "../src/pricing/data/openai-media.js";
import {
  gptImage2OutputTokens,
  imageInputTokenBound,
  imagePrice,
  imageQualities,
  imageSizes,
  MIN_AUDIO_BYTES_PER_SECOND,
  maxAudioSecondsForBytes,
  SPEECH_CHARACTERS_PER_SECOND,
  speechPrice,
  toolCallPrice,
  transcriptionPrice,
  videoMaxSeconds,
  videoPrice,
  wavDurationSeconds,
} from "../src/pricing/index.js";

/** USD to nano-USD for numbers typed from the pages (rounded: the page numbers have at most 6 decimals). */
const nano = (usd: number) => Math.round(usd * 1e9);

describe("image rows (price of one output image, read back through imagePrice)", () => {
  // [model, quality, size, USD as printed, USD charged]: the charged price is the printed one, or the model's
  // output tokens x its image output rate where that is higher (see the data file).
  it.each([
    ["dall-e-2", "standard", "256x256", 0.016, 0.016],
    ["dall-e-2", "standard", "512x512", 0.018, 0.018],
    ["dall-e-2", "standard", "1024x1024", 0.02, 0.02],
    ["dall-e-3", "standard", "1024x1024", 0.04, 0.04],
    ["dall-e-3", "standard", "1024x1792", 0.08, 0.08],
    ["dall-e-3", "standard", "1792x1024", 0.08, 0.08],
    ["dall-e-3", "hd", "1024x1024", 0.08, 0.08],
    ["dall-e-3", "hd", "1024x1792", 0.12, 0.12],
    ["dall-e-3", "hd", "1792x1024", 0.12, 0.12],
    ["gpt-image-1", "low", "1024x1024", 0.011, 0.011],
    ["gpt-image-1", "low", "1024x1536", 0.016, 0.01632],
    ["gpt-image-1", "low", "1536x1024", 0.016, 0.016],
    ["gpt-image-1", "medium", "1024x1024", 0.042, 0.04224],
    ["gpt-image-1", "medium", "1024x1536", 0.063, 0.06336],
    ["gpt-image-1", "medium", "1536x1024", 0.063, 0.063],
    ["gpt-image-1", "high", "1024x1024", 0.167, 0.167],
    ["gpt-image-1", "high", "1024x1536", 0.25, 0.25],
    ["gpt-image-1", "high", "1536x1024", 0.25, 0.25],
    ["gpt-image-1-mini", "low", "1024x1024", 0.005, 0.005],
    ["gpt-image-1-mini", "low", "1024x1536", 0.006, 0.006],
    ["gpt-image-1-mini", "low", "1536x1024", 0.006, 0.006],
    ["gpt-image-1-mini", "medium", "1024x1024", 0.011, 0.011],
    ["gpt-image-1-mini", "medium", "1024x1536", 0.015, 0.015],
    ["gpt-image-1-mini", "medium", "1536x1024", 0.015, 0.015],
    ["gpt-image-1-mini", "high", "1024x1024", 0.036, 0.036],
    ["gpt-image-1-mini", "high", "1024x1536", 0.052, 0.052],
    ["gpt-image-1-mini", "high", "1536x1024", 0.052, 0.052],
    ["gpt-image-1.5", "low", "1024x1024", 0.009, 0.009],
    ["gpt-image-1.5", "low", "1024x1536", 0.013, 0.013056],
    ["gpt-image-1.5", "low", "1536x1024", 0.013, 0.013],
    ["gpt-image-1.5", "medium", "1024x1024", 0.034, 0.034],
    ["gpt-image-1.5", "medium", "1024x1536", 0.051, 0.051],
    ["gpt-image-1.5", "medium", "1536x1024", 0.05, 0.050176],
    ["gpt-image-1.5", "high", "1024x1024", 0.133, 0.13312],
    ["gpt-image-1.5", "high", "1024x1536", 0.2, 0.2],
    ["gpt-image-1.5", "high", "1536x1024", 0.199, 0.199],
    ["gpt-image-2", "low", "1024x1024", 0.006, 0.006],
    ["gpt-image-2", "low", "1024x1536", 0.005, 0.005],
    ["gpt-image-2", "low", "1536x1024", 0.005, 0.005],
    ["gpt-image-2", "medium", "1024x1024", 0.053, 0.053],
    ["gpt-image-2", "medium", "1024x1536", 0.041, 0.04116],
    ["gpt-image-2", "medium", "1536x1024", 0.041, 0.04116],
    ["gpt-image-2", "high", "1024x1024", 0.211, 0.211],
    ["gpt-image-2", "high", "1024x1536", 0.165, 0.165],
    ["gpt-image-2", "high", "1536x1024", 0.165, 0.165],
    // chatgpt-image-latest: the dearer of gpt-image-1.5 and gpt-image-2, cell by cell
    ["chatgpt-image-latest", "low", "1024x1024", 0.009, 0.009],
    ["chatgpt-image-latest", "low", "1024x1536", 0.013, 0.013056],
    ["chatgpt-image-latest", "low", "1536x1024", 0.013, 0.013],
    ["chatgpt-image-latest", "medium", "1024x1024", 0.053, 0.053],
    ["chatgpt-image-latest", "medium", "1024x1536", 0.051, 0.051],
    ["chatgpt-image-latest", "medium", "1536x1024", 0.05, 0.050176],
    ["chatgpt-image-latest", "high", "1024x1024", 0.211, 0.211],
    ["chatgpt-image-latest", "high", "1024x1536", 0.2, 0.2],
    ["chatgpt-image-latest", "high", "1536x1024", 0.199, 0.199],
  ] as const)("%s %s %s: printed $%s, charged $%s", (model, quality, size, printed, charged) => {
    const quote = imagePrice(model, { quality, size });
    expect(quote).toMatchObject({ model, quality, size, perImage: nano(charged), assumed: [] });
    expect(quote?.perImage).toBeGreaterThanOrEqual(nano(printed));
    expect(quote?.source.layer).toBe("media");
    expect(quote?.source.detail).toContain(model);
  });

  it("covers every cell of every table in the data file", () => {
    let cells = 0;
    for (const table of OPENAI_IMAGE_TABLES) cells += table.qualities.length * table.sizes.length;
    expect(cells).toBe(54);
  });
});

describe("image resolution rules", () => {
  it("missing quality and size resolve to the top tier and the dearest size, with notes", () => {
    const quote = imagePrice("gpt-image-1.5");
    expect(quote).toMatchObject({ quality: "high", size: "1024x1536", perImage: nano(0.2) });
    expect(quote?.assumed).toHaveLength(2);
    expect(quote?.assumed.join(" ")).toMatch(/quality not set.*size not set/);
  });

  it('"auto" quality and size resolve the same way', () => {
    const quote = imagePrice("gpt-image-1", { quality: "auto", size: "auto" });
    expect(quote).toMatchObject({ quality: "high", size: "1024x1536", perImage: nano(0.25) });
    expect(quote?.assumed.join(" ")).toMatch(/quality auto.*size auto/);
    // gpt-image-2 bills squares above portrait and landscape
    expect(imagePrice("gpt-image-2", { quality: "auto" })).toMatchObject({
      size: "1024x1024",
      perImage: nano(0.211),
    });
    expect(imagePrice("dall-e-3", {})).toMatchObject({
      quality: "hd",
      size: "1024x1792",
      perImage: nano(0.12),
    });
  });

  it("a missing size resolves to the dearest size of the resolved quality", () => {
    expect(imagePrice("gpt-image-1.5", { quality: "low" })).toMatchObject({
      size: "1024x1536",
      perImage: 13_056_000,
    });
  });

  it("an unlisted size prices at the dearest listed size, with a note", () => {
    const quote = imagePrice("gpt-image-1", { quality: "medium", size: "2048x2048" });
    expect(quote).toMatchObject({ size: "1024x1536", perImage: nano(0.06336) });
    expect(quote?.assumed[0]).toMatch(/2048x2048.*not in gpt-image-1's table/);
    expect(imagePrice("dall-e-2", { size: "1792x1024" })).toMatchObject({
      size: "1024x1024",
      perImage: nano(0.02),
    });
  });

  it("gpt-image-2 prices a custom size by its output token rule, never below the dearest listed size", () => {
    const big = imagePrice("gpt-image-2", { quality: "high", size: "2048x2048" });
    expect(gptImage2OutputTokens("high", 2048, 2048)).toBe(14_272);
    expect(big).toMatchObject({ size: "2048x2048", perImage: 14_272 * 30_000 });
    expect(big?.assumed[0]).toMatch(/token rule/);
    // 1024x768 needs 4,815 tokens ($0.14445): the dearest listed size ($0.211) is the floor
    expect(imagePrice("gpt-image-2", { quality: "high", size: "1024x768" })).toMatchObject({
      size: "1024x768",
      perImage: nano(0.211),
    });
    // outside the documented limits (the API rejects it): the dearest valid size, 2880x2880
    const invalid = imagePrice("gpt-image-2", { quality: "high", size: "5000x5000" });
    expect(invalid).toMatchObject({ size: "2880x2880", perImage: 23_719 * 30_000 });
    expect(imagePrice("gpt-image-2", { size: "not-a-size" })).toMatchObject({ size: "2880x2880" });
  });

  it("the gpt-image-2 token rule reproduces the six official output examples", () => {
    for (const table of OPENAI_IMAGE_TABLES) {
      if (table.kind !== "table" || table.model !== "gpt-image-2") continue;
      for (const quality of table.qualities) {
        for (const size of table.sizes) {
          const [width, height] = size.split("x").map(Number) as [number, number];
          const tokens = gptImage2OutputTokens(quality, width, height) ?? 0;
          expect(Math.round((tokens * 30) / 1000) / 1000).toBeCloseTo(
            table.perImageUsd[quality]?.[size] ?? -1,
            9,
          );
        }
      }
    }
  });

  it("2880x2880 is the dearest valid gpt-image-2 size at every quality", () => {
    const { step, minPixels, maxPixels, maxEdge, maxAspect } = GPT_IMAGE_2_OUTPUT_TOKEN_RULE.limits;
    for (const quality of ["low", "medium", "high"]) {
      let best = { tokens: 0, size: "" };
      for (let width = step; width <= maxEdge; width += step) {
        for (let height = step; height <= maxEdge; height += step) {
          const pixels = width * height;
          if (pixels < minPixels || pixels > maxPixels) continue;
          if (Math.max(width, height) > maxAspect * Math.min(width, height)) continue;
          const tokens = gptImage2OutputTokens(quality, width, height) ?? 0;
          if (tokens > best.tokens) best = { tokens, size: `${width}x${height}` };
        }
      }
      // at low quality 2848x2912 ties with it
      expect(gptImage2OutputTokens(quality, 2880, 2880)).toBe(best.tokens);
      expect(GPT_IMAGE_2_OUTPUT_TOKEN_RULE.largestSize).toBe("2880x2880");
    }
  });

  it("dated snapshots and provider prefixes resolve; nothing matches by prefix", () => {
    expect(imagePrice("gpt-image-1.5-2025-12-16", { quality: "high", size: "1024x1024" })).toMatchObject({
      model: "gpt-image-1.5",
      perImage: nano(0.13312),
    });
    expect(imagePrice("gpt-image-2-2026-04-21", { quality: "low", size: "1024x1024" })?.model).toBe(
      "gpt-image-2",
    );
    expect(imagePrice("openai/gpt-image-1", { quality: "low", size: "1024x1024" })?.model).toBe(
      "gpt-image-1",
    );
    expect(imagePrice("GPT-Image-1-Mini")?.model).toBe("gpt-image-1-mini");
  });

  it("gpt-image-1.5 is not priced as gpt-image-1", () => {
    const one = imagePrice("gpt-image-1", { quality: "high", size: "1024x1024" });
    const onePointFive = imagePrice("gpt-image-1.5", { quality: "high", size: "1024x1024" });
    expect(onePointFive?.model).toBe("gpt-image-1.5");
    expect(onePointFive?.perImage).not.toBe(one?.perImage);
  });

  it("unknown models are undefined", () => {
    for (const model of [
      "gpt-image-3",
      "gpt-image",
      "gpt-image-1.5-preview",
      "dall-e",
      "dall-e-4",
      "gpt-4o",
      "",
    ]) {
      expect(imagePrice(model)).toBeUndefined();
      expect(imageQualities(model)).toBeUndefined();
      expect(imageSizes(model)).toBeUndefined();
    }
  });

  it("dall-e-2 has no quality tiers: any quality is standard", () => {
    expect(imagePrice("dall-e-2", { size: "512x512" })).toMatchObject({ quality: "standard", assumed: [] });
    const hd = imagePrice("dall-e-2", { quality: "hd", size: "512x512" });
    expect(hd).toMatchObject({ quality: "standard", perImage: nano(0.018) });
    expect(hd?.assumed[0]).toMatch(/no quality tiers/);
  });

  it("an unknown quality prices at the top tier, with a note", () => {
    const quote = imagePrice("gpt-image-1", { quality: "ultra", size: "1024x1024" });
    expect(quote).toMatchObject({ quality: "high", perImage: nano(0.167) });
    expect(quote?.assumed[0]).toMatch(/"ultra"/);
    expect(imagePrice("dall-e-3", { quality: "HD ", size: "1024X1024" })).toMatchObject({
      quality: "hd",
      size: "1024x1024",
      perImage: nano(0.08),
    });
  });
});

describe("imageQualities / imageSizes", () => {
  it("lists tiers cheapest first", () => {
    expect(imageQualities("dall-e-2")).toEqual(["standard"]);
    expect(imageQualities("dall-e-3")).toEqual(["standard", "hd"]);
    for (const model of [
      "gpt-image-1",
      "gpt-image-1-mini",
      "gpt-image-1.5",
      "gpt-image-2",
      "chatgpt-image-latest",
    ]) {
      expect(imageQualities(model)).toEqual(["low", "medium", "high"]);
    }
  });

  it("every size costs more at each later tier", () => {
    for (const table of OPENAI_IMAGE_TABLES) {
      const qualities = imageQualities(table.model) ?? [];
      for (const size of imageSizes(table.model) ?? []) {
        const prices = qualities.map((quality) => imagePrice(table.model, { quality, size })?.perImage ?? 0);
        for (let i = 1; i < prices.length; i++) expect(prices[i]).toBeGreaterThan(prices[i - 1] ?? 0);
      }
    }
  });

  it("lists sizes", () => {
    expect(imageSizes("dall-e-2")).toEqual(["256x256", "512x512", "1024x1024"]);
    expect(imageSizes("dall-e-3")).toEqual(["1024x1024", "1024x1792", "1792x1024"]);
    expect(imageSizes("gpt-image-2-2026-04-21")).toEqual(["1024x1024", "1024x1536", "1536x1024"]);
  });

  it("returns copies", () => {
    imageQualities("gpt-image-1")?.pop();
    expect(imageQualities("gpt-image-1")).toHaveLength(3);
  });
});

describe("imageInputTokenBound", () => {
  it.each([
    ["gpt-image-1", undefined, 581],
    ["gpt-image-1", "low", 581],
    ["gpt-image-1", "high", 6_821],
    ["gpt-image-1.5", "high", 6_821],
    ["gpt-image-1.5-2025-12-16", "low", 581],
    ["gpt-image-1-mini", "high", 581], // mini does not accept high input fidelity
    ["gpt-image-2", "low", 1_536], // always high fidelity, patch budget
    ["gpt-image-2", "high", 1_536],
    ["chatgpt-image-latest", "low", 1_536],
    ["chatgpt-image-latest", "high", 6_821],
  ] as const)("%s, fidelity %s: %i tokens", (model, fidelity, tokens) => {
    expect(imageInputTokenBound(model, fidelity)).toBe(tokens);
  });

  it("is undefined for models that are not gpt-image models", () => {
    expect(imageInputTokenBound("dall-e-2")).toBeUndefined();
    expect(imageInputTokenBound("gpt-4o")).toBeUndefined();
    expect(imageInputTokenBound("gpt-image-3")).toBeUndefined();
  });
});

describe("speech rows", () => {
  it.each([
    ["tts-1", 15],
    ["tts-1-hd", 30],
    ["tts-1-1106", 15],
    ["tts-1-hd-1106", 30],
  ] as const)("%s: $%s per million characters", (model, usd) => {
    expect(speechPrice(model)).toMatchObject({ kind: "characters", perMillionCharacters: nano(usd) });
  });

  it.each(["gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts-2025-03-20"])(
    "%s: $0.60 text in, $12 audio out per MTok, $0.015 a minute when the tokens are unknown",
    (model) => {
      expect(speechPrice(model)).toEqual({
        model: "gpt-4o-mini-tts",
        kind: "tokens",
        inputPerMTok: nano(0.6),
        outputAudioPerMTok: nano(12),
        audioTokensPerSecond: 21,
        perMinute: nano(0.015),
        source: expect.objectContaining({ layer: "media" }),
      });
    },
  );

  it("derives audio tokens per second from OpenAI's $0.015 / minute estimate, rounded up", () => {
    const perSecond = ((0.015 / 12) * 1e6) / 60;
    expect(perSecond).toBeCloseTo(20.83, 2);
    expect(speechPrice("gpt-4o-mini-tts")).toMatchObject({ audioTokensPerSecond: Math.ceil(perSecond) });
    // conservative: below the 15.3-16 characters a second measured at speed 1.0
    expect(SPEECH_CHARACTERS_PER_SECOND).toBeLessThan(15.3);
  });

  it("unknown speech models are undefined", () => {
    expect(speechPrice("tts-2")).toBeUndefined();
    expect(speechPrice("gpt-4o-mini")).toBeUndefined();
    expect(speechPrice("whisper-1")).toBeUndefined();
  });
});

describe("transcription rows", () => {
  it("whisper-1 is billed by duration at $0.006 a minute", () => {
    expect(transcriptionPrice("whisper-1")).toEqual({
      model: "whisper-1",
      billing: "duration",
      perMinute: nano(0.006),
      source: expect.objectContaining({ layer: "media" }),
    });
  });

  it.each([
    ["gpt-4o-transcribe", "gpt-4o-transcribe", 0.006, 2.5, 6, 10],
    ["gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe", 0.003, 1.25, 3, 5],
    ["gpt-4o-mini-transcribe-2025-12-15", "gpt-4o-mini-transcribe", 0.003, 1.25, 3, 5],
    ["gpt-4o-transcribe-diarize", "gpt-4o-transcribe-diarize", 0.006, 2.5, 6, 10],
  ] as const)(
    "%s: ~$%s / min, text in $%s, audio in $%s, text out $%s per MTok",
    (model, canonical, perMinute, textIn, audioIn, textOut) => {
      expect(transcriptionPrice(model)).toEqual({
        model: canonical,
        billing: "tokens",
        perMinute: nano(perMinute),
        tokens: {
          textInputPerMTok: nano(textIn),
          audioInputPerMTok: nano(audioIn),
          textOutputPerMTok: nano(textOut),
          audioTokensPerSecond: 17,
        },
        maxDurationSeconds: 1_400,
        source: expect.objectContaining({ layer: "media" }),
      });
    },
  );

  it("the per-minute estimate matches 1,000 audio tokens a minute at the audio input rate", () => {
    for (const model of ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"]) {
      const price = transcriptionPrice(model);
      expect(price?.perMinute).toBe(((price?.tokens?.audioInputPerMTok ?? 0) * 1000) / 1e6);
      expect((price?.tokens?.audioTokensPerSecond ?? 0) * 60).toBeGreaterThanOrEqual(1000);
    }
  });

  it("unknown transcription models are undefined", () => {
    expect(transcriptionPrice("whisper-2")).toBeUndefined();
    expect(transcriptionPrice("gpt-4o")).toBeUndefined();
  });

  it("bounds a non-WAV upload's duration at 6 kbit/s", () => {
    expect(MIN_AUDIO_BYTES_PER_SECOND).toBe(750);
    expect(maxAudioSecondsForBytes(25 * 1024 * 1024)).toBe(34_953);
    expect(maxAudioSecondsForBytes(0)).toBe(0);
  });
});

function wav(options: {
  sampleRate: number;
  channels: number;
  bits: number;
  seconds: number;
  format?: number;
}) {
  const { sampleRate, channels, bits, seconds, format = 1 } = options;
  const blockAlign = (channels * bits) / 8;
  const dataBytes = Math.round(sampleRate * seconds) * blockAlign;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const text = (at: number, value: string) => {
    for (let i = 0; i < value.length; i++) bytes[at + i] = value.charCodeAt(i);
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bits, true);
  text(36, "data");
  view.setUint32(40, dataBytes, true);
  return bytes;
}

describe("wavDurationSeconds", () => {
  it("reads the exact duration of a 16 kHz mono 16-bit WAV", () => {
    expect(wavDurationSeconds(wav({ sampleRate: 16_000, channels: 1, bits: 16, seconds: 3.5 }))).toBe(3.5);
  });

  it("reads stereo 44.1 kHz and float WAVs, and skips other chunks", () => {
    expect(wavDurationSeconds(wav({ sampleRate: 44_100, channels: 2, bits: 16, seconds: 2 }))).toBe(2);
    expect(
      wavDurationSeconds(wav({ sampleRate: 48_000, channels: 1, bits: 32, seconds: 1, format: 3 })),
    ).toBe(1);
    const plain = wav({ sampleRate: 8_000, channels: 1, bits: 8, seconds: 0.5 });
    const list = new Uint8Array([...new TextEncoder().encode("LIST"), 3, 0, 0, 0, 1, 2, 3, 0]);
    const withList = new Uint8Array([...plain.subarray(0, 36), ...list, ...plain.subarray(36)]);
    expect(wavDurationSeconds(withList)).toBe(0.5);
    // a view into a larger buffer
    const padded = new Uint8Array(plain.length + 10);
    padded.set(plain, 5);
    expect(wavDurationSeconds(padded.subarray(5, 5 + plain.length))).toBe(0.5);
  });

  it("counts only the bytes present when the data chunk is cut short or its size is unknown", () => {
    const full = wav({ sampleRate: 16_000, channels: 1, bits: 16, seconds: 2 });
    expect(wavDurationSeconds(full.subarray(0, 44 + 32_000))).toBe(1);
    const streamed = full.slice();
    new DataView(streamed.buffer).setUint32(40, 0xffffffff, true);
    expect(wavDurationSeconds(streamed)).toBe(2);
  });

  it("is undefined for garbage, truncated headers, other containers and compressed formats", () => {
    const good = wav({ sampleRate: 16_000, channels: 1, bits: 16, seconds: 1 });
    expect(wavDurationSeconds(new Uint8Array())).toBeUndefined();
    expect(wavDurationSeconds(new TextEncoder().encode("RIFF"))).toBeUndefined();
    expect(wavDurationSeconds(good.subarray(0, 12))).toBeUndefined();
    expect(wavDurationSeconds(good.subarray(0, 30))).toBeUndefined();
    expect(wavDurationSeconds(good.subarray(0, 40))).toBeUndefined();
    expect(wavDurationSeconds(new TextEncoder().encode("ID3\u0004 this is an mp3, honest"))).toBeUndefined();
    expect(
      wavDurationSeconds(wav({ sampleRate: 16_000, channels: 1, bits: 16, seconds: 1, format: 0x55 })),
    ).toBeUndefined();
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(28, 4_000_000_000, true); // byte rate that disagrees with the format
    expect(wavDurationSeconds(lying)).toBeUndefined();
    let seed = 7;
    for (let n = 0; n < 200; n++) {
      const random = new Uint8Array(64 + (n % 50));
      for (let i = 0; i < random.length; i++) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        random[i] = seed & 0xff;
      }
      if (n % 2 === 0) random.set(new TextEncoder().encode("RIFF\0\0\0\0WAVE"), 0);
      expect(() => wavDurationSeconds(random)).not.toThrow();
    }
    expect(wavDurationSeconds("not bytes" as unknown as Uint8Array)).toBeUndefined();
  });
});

describe("video rows (per second)", () => {
  it.each([
    ["sora-2", "720x1280", 0.1],
    ["sora-2", "1280x720", 0.1],
    ["sora-2-pro", "720x1280", 0.3],
    ["sora-2-pro", "1280x720", 0.3],
    ["sora-2-pro", "1024x1792", 0.5],
    ["sora-2-pro", "1792x1024", 0.5],
  ] as const)("%s %s: $%s", (model, size, usd) => {
    expect(videoPrice(model, size)).toMatchObject({ model, size, perSecond: nano(usd), assumed: [] });
  });

  it("covers every row of the data file", () => {
    expect(OPENAI_VIDEO.reduce((n, table) => n + Object.keys(table.perSecondUsd).length, 0)).toBe(6);
  });

  it("a missing size resolves to the dearest size", () => {
    expect(videoPrice("sora-2-pro")).toMatchObject({ size: "1024x1792", perSecond: nano(0.5) });
    expect(videoPrice("sora-2-pro")?.assumed[0]).toMatch(/size not set/);
    expect(videoPrice("sora-2", "auto")).toMatchObject({ perSecond: nano(0.1) });
  });

  it("an unlisted size prices at the dearest size, scaled up by pixels when larger", () => {
    const hd = videoPrice("sora-2-pro", "1920x1080");
    expect(hd).toMatchObject({ size: "1920x1080", perSecond: 565_011_161 });
    expect(hd?.assumed[0]).toMatch(/scaled up/);
    expect(videoPrice("sora-2-pro", "640x360")).toMatchObject({ size: "1024x1792", perSecond: nano(0.5) });
  });

  it("dated snapshots resolve; unknown models are undefined", () => {
    expect(videoPrice("sora-2-2025-12-08", "1280x720")?.model).toBe("sora-2");
    expect(videoPrice("sora-2-pro-2025-10-06", "1280x720")?.perSecond).toBe(nano(0.3));
    expect(videoPrice("sora-3")).toBeUndefined();
    expect(videoPrice("sora")).toBeUndefined();
  });

  it("the most seconds a request can generate", () => {
    expect(videoMaxSeconds("sora-2")).toBe(20);
    expect(videoMaxSeconds("sora-2-pro-2025-10-06")).toBe(20);
    expect(videoMaxSeconds("gpt-image-1")).toBeUndefined();
  });
});

describe("built-in tool rows", () => {
  it("web_search: $10 / 1k calls, content tokens at the model's input rate", () => {
    const quote = toolCallPrice("web_search", "gpt-5");
    expect(quote).toMatchObject({ tool: "web_search", perCall: nano(0.01), unit: "call" });
    expect(quote?.fixedInputTokensPerCall).toBeUndefined();
    expect(quote?.note).toMatch(/input tokens at the model's rate/);
    expect(toolCallPrice("web_search_2025_08_26", "gpt-4.1")?.tool).toBe("web_search");
  });

  it("web_search on gpt-4o-mini and gpt-4.1-mini bills a fixed 8,000 input tokens per call", () => {
    for (const model of ["gpt-4o-mini", "gpt-4.1-mini-2025-04-14", "gpt-4o-mini-2024-07-18"]) {
      expect(toolCallPrice("web_search", model)).toMatchObject({
        perCall: nano(0.01),
        fixedInputTokensPerCall: 8_000,
      });
    }
    expect(toolCallPrice("web_search", "gpt-4.1-nano")?.fixedInputTokensPerCall).toBeUndefined();
  });

  it("web_search_preview: $25 / 1k calls (non-reasoning, content free; kept for unknown models)", () => {
    expect(toolCallPrice("web_search_preview", "gpt-4o")).toMatchObject({ perCall: nano(0.025) });
    expect(toolCallPrice("web_search_preview", "gpt-4o")?.note).toMatch(/free/);
    expect(toolCallPrice("web_search_preview_2025_03_11", "o3")).toMatchObject({
      tool: "web_search_preview",
      perCall: nano(0.025),
    });
    expect(toolCallPrice("web_search_preview", "o3")?.note).toMatch(/reasoning model bills \$10/);
  });

  it("file_search: $2.50 / 1k calls", () => {
    expect(toolCallPrice("file_search", "gpt-4.1")).toMatchObject({ perCall: nano(0.0025), unit: "call" });
  });

  it.each([
    [undefined, "1g", 0.03],
    ["1g", "1g", 0.03],
    ["4g", "4g", 0.12],
    ["16G", "16g", 0.48],
    ["64g", "64g", 1.92],
    ["128g", "64g", 1.92],
  ] as const)("code_interpreter memory %s: %s container $%s", (memoryLimit, tier, usd) => {
    const quote = toolCallPrice(
      "code_interpreter",
      "gpt-5",
      memoryLimit === undefined ? {} : { memoryLimit },
    );
    expect(quote).toMatchObject({ tool: "code_interpreter", perCall: nano(usd), unit: "container" });
    expect(quote?.source.detail).toContain(tier);
  });

  it("image_generation and unknown tools are undefined", () => {
    expect(toolCallPrice("image_generation", "gpt-5")).toBeUndefined();
    expect(toolCallPrice("computer_use_preview", "gpt-5")).toBeUndefined();
    expect(toolCallPrice("web_searching", "gpt-5")).toBeUndefined();
  });
});

describe("integer nano-USD everywhere", () => {
  it("every price any table can answer is a non-negative integer", () => {
    const amounts: number[] = [];
    for (const table of OPENAI_IMAGE_TABLES) {
      for (const quality of [undefined, "auto", ...table.qualities]) {
        for (const size of [undefined, "auto", "1536x864", "2048x2048", "3840x2160", ...table.sizes]) {
          const quote = imagePrice(table.model, { quality, size });
          if (quote) amounts.push(quote.perImage);
        }
      }
    }
    for (const row of OPENAI_SPEECH) {
      const price = speechPrice(row.model);
      if (price?.kind === "characters") amounts.push(price.perMillionCharacters);
      if (price?.kind === "tokens") amounts.push(price.inputPerMTok, price.outputAudioPerMTok);
    }
    for (const row of OPENAI_TRANSCRIPTION) {
      const price = transcriptionPrice(row.model);
      amounts.push(price?.perMinute ?? -1);
      if (price?.tokens) {
        amounts.push(
          price.tokens.textInputPerMTok,
          price.tokens.audioInputPerMTok,
          price.tokens.textOutputPerMTok,
        );
      }
    }
    for (const table of OPENAI_VIDEO) {
      for (const size of [undefined, "1920x1080", ...Object.keys(table.perSecondUsd)]) {
        amounts.push(videoPrice(table.model, size)?.perSecond ?? -1);
      }
    }
    for (const tool of ["web_search", "web_search_preview", "file_search", "code_interpreter"]) {
      amounts.push(toolCallPrice(tool, "gpt-4o-mini")?.perCall ?? -1);
    }
    expect(amounts.length).toBeGreaterThan(250);
    for (const amount of amounts) {
      expect(Number.isInteger(amount)).toBe(true);
      expect(amount).toBeGreaterThan(0);
    }
  });
});
