import { describe, expect, it } from "vitest";
import { MINIMAX_SPEECH, MINIMAX_VIDEO } from "../src/pricing/data/minimax-media.js";
import {
  minimaxBillableCharacters,
  minimaxModels,
  minimaxSpeechQuote,
  minimaxVideoQuote,
} from "../src/pricing/index.js";

const nano = (usd: number) => Math.round(usd * 1e9);

describe("MiniMax video rows (price per clip, read back through minimaxVideoQuote)", () => {
  const ROWS: [model: string, resolution: string, seconds: number, usd: number][] = [
    ["MiniMax-Hailuo-2.3", "768P", 6, 0.28],
    ["MiniMax-Hailuo-2.3", "768P", 10, 0.56],
    ["MiniMax-Hailuo-2.3", "1080P", 6, 0.49],
    ["MiniMax-Hailuo-2.3-Fast", "768P", 6, 0.19],
    ["MiniMax-Hailuo-2.3-Fast", "768P", 10, 0.32],
    ["MiniMax-Hailuo-2.3-Fast", "1080P", 6, 0.33],
    ["MiniMax-Hailuo-02", "512P", 6, 0.1],
    ["MiniMax-Hailuo-02", "512P", 10, 0.15],
    ["MiniMax-Hailuo-02", "768P", 6, 0.28],
    ["MiniMax-Hailuo-02", "768P", 10, 0.56],
    ["MiniMax-Hailuo-02", "1080P", 6, 0.49],
  ];

  it.each(ROWS)("%s %s %i s: $%s", (model, resolution, duration, usd) => {
    const quote = minimaxVideoQuote(model, { resolution, duration });
    expect(quote).toMatchObject({ model, unit: "video", units: duration, amount: nano(usd), resolution });
    expect(quote?.maxDurationSeconds).toBe(10);
    expect(quote?.assumed).toEqual([]);
    expect(quote?.source).toMatchObject({ layer: "media" });
    expect(quote?.source.detail).toMatch(/as of 2026-01-17/);
  });

  it("tests every cell of the table", () => {
    const cells = MINIMAX_VIDEO.flatMap((row) =>
      Object.entries(row.cells).flatMap(([resolution, byDuration]) =>
        Object.keys(byDuration).map((seconds) => `${row.model} ${resolution} ${seconds}`),
      ),
    );
    expect(cells.sort()).toEqual(ROWS.map(([m, r, s]) => `${m} ${r} ${s}`).sort());
  });
});

describe("minimaxVideoQuote: resolving a request", () => {
  it("prices a missing duration at the longest offered and a missing resolution at the dearest", () => {
    const quote = minimaxVideoQuote("MiniMax-Hailuo-2.3");
    expect(quote).toMatchObject({ units: 10, resolution: "768P", amount: nano(0.56) });
    expect(quote?.assumed).toEqual([
      "duration not set: priced at the longest offered, 10 s",
      "resolution not set: priced at the dearest, 768P",
    ]);
  });

  it("prices a missing resolution at the dearest for the duration asked", () => {
    expect(minimaxVideoQuote("MiniMax-Hailuo-02", { duration: 6 })).toMatchObject({
      resolution: "1080P",
      amount: nano(0.49),
    });
    expect(minimaxVideoQuote("MiniMax-Hailuo-02", { duration: 10 })).toMatchObject({
      resolution: "768P",
      amount: nano(0.56),
    });
    expect(minimaxVideoQuote("MiniMax-Hailuo-02", { duration: 6, resolution: " " })?.resolution).toBe(
      "1080P",
    );
  });

  it("prices a missing duration at the longest the resolution offers", () => {
    const quote = minimaxVideoQuote("MiniMax-Hailuo-2.3", { resolution: "1080P" });
    expect(quote).toMatchObject({ units: 6, amount: nano(0.49) });
    expect(quote?.assumed).toEqual(["duration not set: priced at the longest offered, 6 s"]);
  });

  it("prices a duration between lengths as the next longer, and says so", () => {
    const quote = minimaxVideoQuote("MiniMax-Hailuo-2.3-Fast", { duration: 7, resolution: "768P" });
    expect(quote).toMatchObject({ units: 10, amount: nano(0.32) });
    expect(quote?.assumed).toEqual(["duration 7 s is not offered: priced as the next longer, 10 s"]);
    expect(minimaxVideoQuote("MiniMax-Hailuo-02", { duration: 1, resolution: "512P" })).toMatchObject({
      units: 6,
      amount: nano(0.1),
    });
  });

  it("prices what the API rejects at the dearest clip", () => {
    const long = minimaxVideoQuote("MiniMax-Hailuo-2.3", { duration: 12, resolution: "768P" });
    expect(long).toMatchObject({ units: 10, amount: nano(0.56) });
    expect(long?.assumed.join()).toMatch(/longer than/);
    const hd10 = minimaxVideoQuote("MiniMax-Hailuo-02", { duration: 10, resolution: "1080P" });
    expect(hd10).toMatchObject({ amount: nano(0.56) });
    const unknown = minimaxVideoQuote("MiniMax-Hailuo-2.3", { resolution: "4K", duration: 6 });
    expect(unknown).toMatchObject({ resolution: "1080P", amount: nano(0.49) });
    expect(unknown?.assumed.join()).toMatch(/"4K" is not offered/);
    const negative = minimaxVideoQuote("MiniMax-Hailuo-2.3", { duration: -1 });
    expect(negative?.amount).toBe(nano(0.56));
    expect(negative?.assumed.join()).toMatch(/not a length/);
  });

  it("reads resolutions case-insensitively and without the P", () => {
    expect(minimaxVideoQuote("MiniMax-Hailuo-02", { resolution: "512p", duration: 10 })?.amount).toBe(
      nano(0.15),
    );
    expect(minimaxVideoQuote("MiniMax-Hailuo-02", { resolution: "768", duration: 6 })?.amount).toBe(
      nano(0.28),
    );
  });

  it("matches model names case-insensitively, with a minimax/ prefix, never by prefix", () => {
    expect(minimaxVideoQuote("minimax-hailuo-2.3")?.model).toBe("MiniMax-Hailuo-2.3");
    expect(minimaxVideoQuote("minimax/MiniMax-Hailuo-02")?.model).toBe("MiniMax-Hailuo-02");
    expect(minimaxVideoQuote("MiniMax-Hailuo-2.3-Fast", { duration: 6, resolution: "768P" })?.amount).toBe(
      nano(0.19),
    );
  });

  it.each(["MiniMax-Hailuo", "MiniMax-Hailuo-2", "video-01", "video-01-live2d", "T2V-01", "MiniMax-H3", ""])(
    "%j is unknown",
    (model) => {
      expect(minimaxVideoQuote(model)).toBeUndefined();
    },
  );
});

describe("MiniMax speech rows (per character)", () => {
  const ROWS: [model: string, usdPerMillion: number][] = [
    ["speech-2.8-hd", 100],
    ["speech-2.8-turbo", 60],
    ["speech-2.6-hd", 100],
    ["speech-2.6-turbo", 60],
    ["speech-02-hd", 100],
    ["speech-02-turbo", 60],
  ];

  it.each(ROWS)("%s: $%s per million characters", (model, usd) => {
    expect(minimaxSpeechQuote(model, 1_000_000)).toMatchObject({
      model,
      unit: "character",
      units: 1_000_000,
      amount: nano(usd),
      assumed: [],
    });
    expect(minimaxSpeechQuote(model, 10_000)?.amount).toBe(nano(usd / 100));
  });

  it("tests every speech model of the table", () => {
    expect(MINIMAX_SPEECH.flatMap((row) => row.models).sort()).toEqual(ROWS.map(([m]) => m).sort());
  });

  it("prices per character exactly ($60 / M is 60,000 nano-USD a character)", () => {
    expect(minimaxSpeechQuote("speech-2.6-turbo", 1)?.amount).toBe(60_000);
    expect(minimaxSpeechQuote("speech-2.6-hd", 3)?.amount).toBe(300_000);
    expect(minimaxSpeechQuote("speech-2.6-hd", 0)?.amount).toBe(0);
  });

  it("rounds a fractional count up, and says so", () => {
    const quote = minimaxSpeechQuote("speech-02-hd", 10.2);
    expect(quote).toMatchObject({ units: 11, amount: 1_100_000 });
    expect(quote?.assumed).toEqual(["10.2 characters rounded up to 11"]);
  });

  it("refuses unknown models and bad counts", () => {
    expect(minimaxSpeechQuote("speech-01-hd", 10)).toBeUndefined();
    expect(minimaxSpeechQuote("speech-2.6", 10)).toBeUndefined();
    expect(minimaxSpeechQuote("speech-2.6-hd", -1)).toBeUndefined();
    expect(minimaxSpeechQuote("speech-2.6-hd", Number.NaN)).toBeUndefined();
    expect(minimaxSpeechQuote("speech-2.6-hd", Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it("matches case-insensitively with a prefix", () => {
    expect(minimaxSpeechQuote("MiniMax/Speech-2.6-HD", 1)?.model).toBe("speech-2.6-hd");
  });
});

describe("minimaxBillableCharacters: the largest count MiniMax can bill", () => {
  it.each([
    ["", 0],
    ["Hello, world.", 13],
    ["你好", 4],
    ["你好, world", 11],
    ["こんにちは", 10],
    ["안녕하세요", 10],
    ["，。！", 6],
    ["ＡＢＣ", 6],
    ["𠀀", 2],
    ["café", 4],
    ["😀", 1],
    ["Pause <#0.5#> here", 18],
  ])("%j counts %i", (text, count) => {
    expect(minimaxBillableCharacters(text)).toBe(count);
  });

  it("feeds minimaxSpeechQuote", () => {
    const characters = minimaxBillableCharacters("语音合成 test");
    expect(minimaxSpeechQuote("speech-2.6-turbo", characters)).toMatchObject({
      units: 13,
      amount: 13 * 60_000,
    });
  });
});

describe("minimaxModels", () => {
  it("lists the video and speech models", () => {
    expect(minimaxModels()).toEqual({
      video: ["MiniMax-Hailuo-2.3", "MiniMax-Hailuo-2.3-Fast", "MiniMax-Hailuo-02"],
      speech: [
        "speech-2.6-hd",
        "speech-02-hd",
        "speech-2.6-turbo",
        "speech-02-turbo",
        "speech-2.8-hd",
        "speech-2.8-turbo",
      ],
    });
  });

  it("answers integers everywhere", () => {
    const { video, speech } = minimaxModels();
    for (const model of video) {
      for (const duration of [undefined, 1, 6, 7, 10, 11]) {
        const quote = minimaxVideoQuote(model, duration === undefined ? {} : { duration });
        expect(Number.isInteger(quote?.amount)).toBe(true);
        expect(Number.isInteger(quote?.units)).toBe(true);
      }
    }
    for (const model of speech) {
      for (const characters of [0, 1, 7, 12_345, 9.5]) {
        expect(Number.isInteger(minimaxSpeechQuote(model, characters)?.amount)).toBe(true);
      }
    }
  });
});
