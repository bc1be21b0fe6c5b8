import type { MediaSource } from "./openai-media.js";

/**
 * MiniMax's own media prices (platform.minimax.io, pay as you go): video per clip by model x resolution x
 * duration, speech per character. Data only; ../minimax.ts resolves requests against it. USD as printed
 * (converted to integer nano-USD by minimax.ts, rounding up). MiniMax's token LLMs are priced by
 * @pydantic/genai-prices, not here. Read 2026-11; where sources disagree the higher price is kept.
 */

const PAYGO = "https://platform.minimax.io/docs/guides/pricing-paygo";
const VIDEO_PRICING = "https://platform.minimax.io/docs/guides/pricing-video";

export interface MinimaxVideoRow {
  model: string;
  /** USD per video, by resolution (as the API spells it), then duration in seconds. Only offered pairs. */
  cells: Readonly<Record<string, Readonly<Record<number, number>>>>;
  source: MediaSource;
  note?: string;
}

const VIDEO_EVIDENCE =
  "a copy of MiniMax's pricing docs compiled from platform.minimax.io/docs (public GitHub reference, last updated " +
  "2026-01-17), Video table: Hailuo-2.3-Fast 768P 6s $0.19 / 10s $0.32 / 1080P 6s $0.33; Hailuo-2.3 and 02 768P " +
  "6s $0.28 / 10s $0.56 / 1080P 6s $0.49; Hailuo-02 512P 6s $0.10 / 10s $0.15. fal resells Hailuo 2.3 at the " +
  "same prices (fal llms.txt pages), Runware (2026-02) lists the same Fast prices. A skill note " +
  "(git.renolation.com, 2026-04-12) says $0.25 / $0.52 for 768P: the higher is kept";

const VIDEO_SOURCE: MediaSource = { url: VIDEO_PRICING, asOf: "2026-01-17", evidence: VIDEO_EVIDENCE };

export const MINIMAX_VIDEO: readonly MinimaxVideoRow[] = [
  {
    model: "MiniMax-Hailuo-2.3",
    cells: { "768P": { 6: 0.28, 10: 0.56 }, "1080P": { 6: 0.49 } },
    source: VIDEO_SOURCE,
  },
  {
    model: "MiniMax-Hailuo-2.3-Fast",
    cells: { "768P": { 6: 0.19, 10: 0.32 }, "1080P": { 6: 0.33 } },
    source: VIDEO_SOURCE,
    note: "image-to-video only",
  },
  {
    model: "MiniMax-Hailuo-02",
    cells: { "512P": { 6: 0.1, 10: 0.15 }, "768P": { 6: 0.28, 10: 0.56 }, "1080P": { 6: 0.49 } },
    source: VIDEO_SOURCE,
    note: "512P is image-to-video only",
  },
];

export interface MinimaxSpeechRow {
  models: readonly string[];
  perMillionCharactersUsd: number;
  source: MediaSource;
}

const SPEECH_EVIDENCE =
  "the compiled copy of MiniMax's pricing docs (2026-01-17), Pay as You Go audio: T2A speech-2.6-turbo and " +
  "speech-02-turbo $60 / M characters, speech-2.6-hd and speech-02-hd $100 / M characters";

export const MINIMAX_SPEECH: readonly MinimaxSpeechRow[] = [
  {
    models: ["speech-2.6-hd", "speech-02-hd"],
    perMillionCharactersUsd: 100,
    source: {
      url: PAYGO,
      asOf: "2026-01-17",
      evidence: `${SPEECH_EVIDENCE}; aigateway.sh also lists speech-02-hd at $0.100 / 1k characters`,
    },
  },
  {
    models: ["speech-2.6-turbo", "speech-02-turbo"],
    perMillionCharactersUsd: 60,
    source: {
      url: PAYGO,
      asOf: "2026-01-17",
      evidence: `${SPEECH_EVIDENCE}; Replicate's speech-2.6-turbo page: $0.06 / 1,000 characters`,
    },
  },
  {
    models: ["speech-2.8-hd"],
    perMillionCharactersUsd: 100,
    source: {
      url: PAYGO,
      asOf: "2026-11",
      evidence:
        "not in the January copy of MiniMax's table; fal resells it at $0.1 per 1,000 characters " +
        "(fal-ai/minimax/speech-2.8-hd llms.txt, undated), the hd price of every earlier generation",
    },
  },
  {
    models: ["speech-2.8-turbo"],
    perMillionCharactersUsd: 60,
    source: {
      url: PAYGO,
      asOf: "2026-11",
      evidence:
        "not in the January copy of MiniMax's table; OpenRouter's model page (model released 2026-07-16): $60 / M characters; eachlabs.ai (2026-05-08): $0.06 / 1,000 " +
        "characters. piapi.ai's $0.09 / 1k is a reseller's price, not kept",
    },
  },
];

/**
 * How MiniMax counts billable characters (`usage_characters` / `usage.characters` in its answers). Its docs as
 * read do not state the rule; billed counts above the text's length appear in its examples (34 billed for a
 * 22-word text), and other integrators budget a Chinese character as 2. The bound therefore counts every
 * East Asian wide character (CJK ideographs, kana, Hangul, CJK and fullwidth punctuation) as 2 and any other
 * code point, including spaces, punctuation and `<#0.5#>` pause markers, as 1.
 */
export const MINIMAX_WIDE_CHARACTER_WEIGHT = 2;

/** Code point ranges counted as wide (East Asian Wide / Fullwidth blocks). */
export const MINIMAX_WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small forms
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x1b000, 0x1b16f], // kana supplement and extensions
  [0x20000, 0x3134f], // CJK extensions B to G and compatibility supplement
];
