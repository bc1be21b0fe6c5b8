import { mulDiv, type Nano, usdToNano } from "../money.js";
import type { PriceSource } from "../types.js";
import {
  MINIMAX_SPEECH,
  MINIMAX_VIDEO,
  MINIMAX_WIDE_CHARACTER_WEIGHT,
  MINIMAX_WIDE_RANGES,
  type MinimaxVideoRow,
} from "./data/minimax-media.js";
import type { MediaSource } from "./data/openai-media.js";

/*
 * Layer 2 of the catalog for MiniMax's own API (./data/minimax-media.ts), in integer nano-USD rounded up.
 * Model names match case-insensitively and exactly (an `minimax/` provider prefix is removed): `MiniMax-Hailuo-2.3`
 * is never priced as `MiniMax-Hailuo-2.3-Fast`.
 */

export interface MediaQuote {
  /** The canonical model name. */
  model: string;
  /** `video`: one clip, priced by resolution and duration. `character`: speech, per billable character. */
  unit: "video" | "character";
  /** Seconds of video, or billable characters. */
  units: number;
  /** nano-USD: the most the request can cost. */
  amount: Nano;
  /** Video: the priced resolution. */
  resolution?: string;
  /** Video: the longest clip the model offers. */
  maxDurationSeconds?: number;
  source: PriceSource;
  /** What was assumed to resolve the request. Empty when nothing was. */
  assumed: string[];
}

const canonical = (model: string) => {
  const name = model.trim().toLowerCase();
  return name.startsWith("minimax/") ? name.slice("minimax/".length) : name;
};

const up = (usd: number) => usdToNano(usd, "up");

function sourceOf(kind: string, model: string, source: MediaSource): PriceSource {
  return {
    layer: "media",
    detail: `MiniMax media table (${kind}: ${model}), ${source.url}, as of ${source.asOf}`,
  };
}

interface VideoModel {
  model: string;
  /** nano-USD, by resolution then duration. */
  cells: ReadonlyMap<string, ReadonlyMap<number, Nano>>;
  longest: number;
  source: PriceSource;
}

function compileVideo(row: MinimaxVideoRow): VideoModel {
  const cells = new Map<string, Map<number, Nano>>();
  let longest = 0;
  for (const [resolution, byDuration] of Object.entries(row.cells)) {
    const durations = new Map<number, Nano>();
    for (const [seconds, usd] of Object.entries(byDuration)) {
      durations.set(Number(seconds), up(usd));
      longest = Math.max(longest, Number(seconds));
    }
    cells.set(resolution, durations);
  }
  return { model: row.model, cells, longest, source: sourceOf("video", row.model, row.source) };
}

const VIDEO = new Map(MINIMAX_VIDEO.map((row) => [row.model.toLowerCase(), compileVideo(row)]));

const SPEECH = new Map(
  MINIMAX_SPEECH.flatMap((row) =>
    row.models.map((model): [string, { model: string; perMillion: Nano; source: PriceSource }] => [
      model.toLowerCase(),
      { model, perMillion: up(row.perMillionCharactersUsd), source: sourceOf("speech", model, row.source) },
    ]),
  ),
);

/** The models this table prices (for docs and the CLI). */
export function minimaxModels(): { video: string[]; speech: string[] } {
  return {
    video: [...VIDEO.values()].map((v) => v.model),
    speech: [...SPEECH.values()].map((s) => s.model),
  };
}

function normalizeResolution(resolution: string): string {
  const value = resolution.trim().toUpperCase();
  return /^\d+$/.test(value) ? `${value}P` : value;
}

interface Cell {
  resolution: string;
  seconds: number;
  price: Nano;
}

function dearest(cells: readonly Cell[]): Cell | undefined {
  return cells.reduce<Cell | undefined>(
    (best, cell) => (!best || cell.price > best.price ? cell : best),
    undefined,
  );
}

/**
 * The price of one clip. MiniMax bills per video by model x resolution x duration (6 s or 10 s; 1080P only 6 s).
 * Missing duration: the longest the (resolution of the) model offers. Missing resolution: the dearest.
 * A duration between offered lengths: the next longer one. Values the API rejects (too long, an unknown
 * resolution, 1080P x 10 s) are priced at the dearest offered clip. Unknown model: undefined.
 */
export function minimaxVideoQuote(
  model: string,
  options: { duration?: number; resolution?: string } = {},
): MediaQuote | undefined {
  const entry = VIDEO.get(canonical(model));
  if (!entry) return undefined;
  const assumed: string[] = [];
  const all: Cell[] = [...entry.cells].flatMap(([resolution, durations]) =>
    [...durations].map(([seconds, price]) => ({ resolution, seconds, price })),
  );
  let candidates = all;
  const resolutionGiven = options.resolution !== undefined && options.resolution.trim() !== "";
  if (options.resolution !== undefined && resolutionGiven) {
    const resolution = normalizeResolution(options.resolution);
    const matching = all.filter((cell) => cell.resolution === resolution);
    if (matching.length > 0) candidates = matching;
    else
      assumed.push(
        `resolution "${options.resolution}" is not offered by ${entry.model}: priced at the dearest clip`,
      );
  }
  const duration = options.duration;
  if (duration === undefined) {
    const longest = Math.max(...candidates.map((cell) => cell.seconds));
    candidates = candidates.filter((cell) => cell.seconds === longest);
    assumed.push(`duration not set: priced at the longest offered, ${longest} s`);
  } else if (!Number.isFinite(duration) || duration <= 0) {
    assumed.push(`duration ${duration} is not a length: priced at the dearest clip`);
  } else {
    const longer = candidates.filter((cell) => cell.seconds >= duration);
    const next = longer.length > 0 ? Math.min(...longer.map((cell) => cell.seconds)) : undefined;
    if (next === undefined) {
      assumed.push(
        `duration ${duration} s is longer than ${entry.model} offers here: priced at the dearest clip`,
      );
      candidates = all;
    } else {
      if (next !== duration)
        assumed.push(`duration ${duration} s is not offered: priced as the next longer, ${next} s`);
      candidates = candidates.filter((cell) => cell.seconds === next);
    }
  }
  const cell = dearest(candidates);
  if (!cell) return undefined;
  if (!resolutionGiven) assumed.push(`resolution not set: priced at the dearest, ${cell.resolution}`);
  return {
    model: entry.model,
    unit: "video",
    units: cell.seconds,
    amount: cell.price,
    resolution: cell.resolution,
    maxDurationSeconds: entry.longest,
    source: entry.source,
    assumed,
  };
}

function isWide(codePoint: number): boolean {
  return MINIMAX_WIDE_RANGES.some(([from, to]) => codePoint >= from && codePoint <= to);
}

/**
 * The most characters MiniMax can bill for `text`: every East Asian wide character (CJK, kana, Hangul,
 * fullwidth punctuation) counts 2, any other code point 1 (see MINIMAX_WIDE_CHARACTER_WEIGHT).
 */
export function minimaxBillableCharacters(text: string): number {
  let count = 0;
  for (const char of text) {
    count += isWide(char.codePointAt(0) ?? 0) ? MINIMAX_WIDE_CHARACTER_WEIGHT : 1;
  }
  return count;
}

/**
 * Speech (T2A) for `characters` billable characters, at the model's price per million characters, rounded up.
 * Pass `minimaxBillableCharacters(text)`, which counts a wide (CJK) character as 2. Unknown model or a negative
 * / non-finite count: undefined.
 */
export function minimaxSpeechQuote(model: string, characters: number): MediaQuote | undefined {
  const entry = SPEECH.get(canonical(model));
  if (!entry || !Number.isFinite(characters) || characters < 0) return undefined;
  const assumed: string[] = [];
  let units = characters;
  if (!Number.isInteger(characters)) {
    units = Math.ceil(characters);
    assumed.push(`${characters} characters rounded up to ${units}`);
  }
  return {
    model: entry.model,
    unit: "character",
    units,
    amount: mulDiv(units, entry.perMillion, 1_000_000, "up"),
    source: entry.source,
    assumed,
  };
}
