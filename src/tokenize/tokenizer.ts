import { normalizeModelName, perModel } from "../model-names.js";
import type { EncodingName, Tokenizer } from "./types.js";

/**
 * The encoding a model tokenizes with. cl100k_base for the GPT-4 (not 4o / 4.1 / 4.5) and GPT-3.5 families and
 * the older embedding models; o200k_base for everything else, unknown models included (the modern default).
 */
export const encodingForModel = perModel((model: string): EncodingName => {
  const name = normalizeModelName(model);
  if (
    /^gpt-4(-|$)/.test(name) || // gpt-4, gpt-4-turbo, gpt-4-0613, gpt-4-32k; not gpt-4o, gpt-4.1, gpt-4.5
    /^gpt-3\.?5/.test(name) || // gpt-3.5-turbo, and Azure's gpt-35-turbo
    name.startsWith("text-embedding-3") ||
    name.startsWith("text-embedding-ada-002") ||
    name === "davinci-002" ||
    name === "babbage-002"
  ) {
    return "cl100k_base";
  }
  return "o200k_base";
});

// ---------------------------------------------------------------------------------------------------------
// Linear-time counting
//
// gpt-tokenizer's BPE is quadratic in the length of one pre-tokenized piece: measured on Node 20, "a" x 100,000
// takes 7 s, 100,000 spaces 6.4 s, and 100,000 CJK characters without punctuation 54 s. Any prompt can carry
// such a run, so long texts are counted in chunks of at most CHUNK_MAX characters.
//
// A cut is "safe" when the pre-tokenizer (the o200k and cl100k split regexes) would end a piece there anyway:
// then the pieces, and so the count, are exactly those of the whole text. Two such places:
//  (a) before a space that follows a non-space character: no piece pattern contains a non-space followed by a
//      space, and the regexes have no look-behind, so matching restarts at the space identically;
//  (b) between a letter or digit and a character that is none of letter, digit, mark, whitespace or `'`: letter
//      and digit pieces stop there (the `'` is excluded for contractions such as `'s`).
// Fuzzing 20,000 random strings per encoding, cutting at every safe place, matched the uncut count every time.
// Where a window has no safe place (a run of one letter, of spaces, of CJK, base64), the chunk is cut anyway
// and UNSAFE_CUT_MARGIN tokens are added: measured on 40,000 random cuts of real text, a cut lowered the count
// by at most 1 (it usually raises it).
// ---------------------------------------------------------------------------------------------------------

const CHUNK_MAX = 256;
const CHUNK_MIN = 128;
const UNSAFE_CUT_MARGIN = 2;

const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;
const NOT_A_PIECE_BREAKER = /^[\p{L}\p{N}\p{M}\s\u0085']$/u;

// JS `\s` plus U+0085, which is Unicode White_Space (tiktoken's `\s`) but not JS whitespace.
const WHITESPACE = /^[\s\u0085]$/u;

function isWhitespaceCode(cp: number): boolean {
  if (cp < 0x80) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);
  return WHITESPACE.test(String.fromCodePoint(cp));
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** The code point that ends just before index `i` (a whole surrogate pair when there is one). */
function codePointBefore(text: string, i: number): number {
  const c = text.charCodeAt(i - 1);
  if (isLowSurrogate(c) && i >= 2 && isHighSurrogate(text.charCodeAt(i - 2))) {
    return text.codePointAt(i - 2) ?? c;
  }
  return c;
}

function isLetterOrNumber(cp: number): boolean {
  if (cp < 0x80) {
    return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  }
  return LETTER_OR_NUMBER.test(String.fromCodePoint(cp));
}

function breaksPiece(cp: number): boolean {
  if (cp < 0x80) {
    const letterOrDigit =
      (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
    return !letterOrDigit && !isWhitespaceCode(cp) && cp !== 0x27;
  }
  return !NOT_A_PIECE_BREAKER.test(String.fromCodePoint(cp));
}

/** Whether cutting `text` between `i - 1` and `i` leaves the pre-tokenizer's pieces unchanged. */
function isSafeCut(text: string, i: number): boolean {
  const next = text.charCodeAt(i);
  if (isLowSurrogate(next)) return false;
  const prev = codePointBefore(text, i);
  if (next === 0x20) return !isWhitespaceCode(prev) && !isHighSurrogate(prev);
  if (!isLetterOrNumber(prev)) return false;
  return breaksPiece(text.codePointAt(i) ?? next);
}

export interface ChunkedCount {
  tokens: number;
  /** Cuts made where no safe place was found (each adds UNSAFE_CUT_MARGIN). */
  unsafeCuts: number;
}

/**
 * Counts `text` with `countRaw` in chunks of at most `max` characters, preferring safe cuts found between
 * `min` and `max`. Exact when `unsafeCuts` is 0; otherwise an upper bound. Linear in `text.length`.
 */
export function countInChunks(
  text: string,
  countRaw: (text: string) => number,
  max = CHUNK_MAX,
  min = CHUNK_MIN,
): ChunkedCount {
  const n = text.length;
  if (n <= max) return { tokens: countRaw(text), unsafeCuts: 0 };
  let tokens = 0;
  let unsafeCuts = 0;
  let start = 0;
  while (n - start > max) {
    let cut = -1;
    for (let i = start + max; i > start + min; i--) {
      if (isSafeCut(text, i)) {
        cut = i;
        break;
      }
    }
    if (cut < 0) {
      cut = start + max;
      if (isLowSurrogate(text.charCodeAt(cut)) && cut - 1 > start) cut--;
      unsafeCuts++;
      tokens += UNSAFE_CUT_MARGIN;
    }
    tokens += countRaw(text.slice(start, cut));
    start = cut;
  }
  tokens += countRaw(text.slice(start));
  return { tokens, unsafeCuts };
}

// ---------------------------------------------------------------------------------------------------------
// Memo: agent loops resend the whole conversation every turn, so long strings are counted once and then looked
// up (LRU, bounded by entries and by total characters).
// ---------------------------------------------------------------------------------------------------------

export interface TokenizerMemoOptions {
  /** `false` counts every string afresh (for comparisons). Default true. */
  memo?: boolean;
  /** Strings shorter than this go to a small unordered cache instead of the LRU (default 64). */
  minLength?: number;
  /** Default 4,096. */
  maxEntries?: number;
  /** Total characters of the memoized strings (default 16,000,000). */
  maxChars?: number;
}

/** Counters of the LRU of long strings (the small cache of short ones is not counted). */
export interface TokenizerMemoStats {
  hits: number;
  misses: number;
  entries: number;
  chars: number;
}

export interface MemoizedTokenizer extends Tokenizer {
  memoStats(): TokenizerMemoStats;
  clearMemo(): void;
}

interface MemoEntry {
  tokens: number;
  /** Set for strings keyed by `longKey` (verified on lookup); otherwise the map key is the string itself. */
  text: string | undefined;
  chars: number;
}

// V8 hashes strings longer than 16,383 characters by their length alone, so a Map keyed by many long strings of
// one length degrades to a linear scan (measured: 4,096 such keys took 21 s to insert). Those are keyed by a
// sampled hash instead, and the entry keeps the string to verify a hit.
const V8_MAX_HASHED_LENGTH = 16_383;
const SMALL_CACHE_ENTRIES = 8_192;
const SMALL_MAX_LENGTH = 64;
const LONG_KEY_SAMPLES = 512;

function longKey(text: string): string {
  const n = text.length;
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 0x9e3779b9 ^ n;
  const step = Math.max(1, Math.floor(n / LONG_KEY_SAMPLES));
  const mix = (i: number) => {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  };
  for (let i = 0; i < n; i += step) mix(i);
  for (let i = Math.max(0, n - 64); i < n; i++) mix(i);
  return `\u0000${n}:${(h1 >>> 0).toString(36)}:${(h2 >>> 0).toString(36)}`;
}

/**
 * Wraps a raw counter (`countTokens` of one gpt-tokenizer encoding) with linear-time chunking and the memo.
 * Exported for tests, which pass a counting fake.
 */
export function createTokenizer(
  encoding: EncodingName,
  countRaw: (text: string) => number,
  options: TokenizerMemoOptions = {},
): MemoizedTokenizer {
  const enabled = options.memo ?? true;
  const minLength = options.minLength ?? 64;
  const maxEntries = options.maxEntries ?? 4_096;
  const maxChars = options.maxChars ?? 16_000_000;
  const memo = new Map<string, MemoEntry>();
  // Roles, ids, names and short arguments repeat on every turn too. Counting them costs ~1 µs each in
  // gpt-tokenizer: without this cache a memo-hit recount of a 211-message conversation took 0.66 ms, not 0.03.
  const small = new Map<string, number>();
  let chars = 0;
  let hits = 0;
  let misses = 0;

  const countDirect = (text: string): number => countInChunks(text, countRaw).tokens;

  function count(text: string): number {
    if (text.length === 0) return 0;
    if (!enabled) return countDirect(text);
    if (text.length < minLength) {
      if (text.length > SMALL_MAX_LENGTH) return countDirect(text);
      const cached = small.get(text);
      if (cached !== undefined) return cached;
      const tokens = countDirect(text);
      if (small.size >= SMALL_CACHE_ENTRIES) small.clear();
      small.set(text, tokens);
      return tokens;
    }
    if (text.length > maxChars) {
      misses++;
      return countDirect(text);
    }
    const long = text.length > V8_MAX_HASHED_LENGTH;
    const key = long ? longKey(text) : text;
    const found = memo.get(key);
    if (found !== undefined && found.text === (long ? text : undefined)) {
      hits++;
      memo.delete(key); // re-insert: Map order is the LRU order
      memo.set(key, found);
      return found.tokens;
    }
    misses++;
    const tokens = countDirect(text);
    if (found !== undefined) {
      memo.delete(key);
      chars -= found.chars;
    }
    memo.set(key, { tokens, text: long ? text : undefined, chars: text.length });
    chars += text.length;
    while (memo.size > maxEntries || chars > maxChars) {
      const oldest = memo.keys().next();
      if (oldest.done) break;
      const entry = memo.get(oldest.value);
      memo.delete(oldest.value);
      if (entry) chars -= entry.chars;
    }
    return tokens;
  }

  return {
    encoding,
    count,
    memoStats: () => ({ hits, misses, entries: memo.size, chars }),
    clearMemo: () => {
      memo.clear();
      small.clear();
      chars = 0;
      hits = 0;
      misses = 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Lazy loading: one encoding module per process, imported on first use (o200k costs ~180 ms to load, the
// library's cold import is budgeted at 150 ms).
// ---------------------------------------------------------------------------------------------------------

type CountTokens = (text: string, options: { disallowedSpecial: Set<string> }) => number;

// Special-token strings such as `<|endoftext|>` in untrusted text are counted as plain text, never thrown on.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const loaded = new Map<EncodingName, MemoizedTokenizer>();
const loading = new Map<EncodingName, Promise<MemoizedTokenizer>>();

async function importEncoding(encoding: EncodingName): Promise<CountTokens> {
  // Literal specifiers, so bundlers see both and load only the one asked for.
  switch (encoding) {
    case "o200k_base":
      return (await import("gpt-tokenizer/encoding/o200k_base")).countTokens;
    case "cl100k_base":
      return (await import("gpt-tokenizer/encoding/cl100k_base")).countTokens;
    default:
      throw new TypeError(`Unknown encoding ${JSON.stringify(encoding)}`);
  }
}

/** Loads an encoding on first use; concurrent first calls share one load. A failed load is retried next time. */
export function loadTokenizer(encoding: EncodingName): Promise<Tokenizer> {
  const ready = loaded.get(encoding);
  if (ready) return Promise.resolve(ready);
  let pending = loading.get(encoding);
  if (!pending) {
    pending = importEncoding(encoding).then(
      (countTokens) => {
        const tokenizer = createTokenizer(encoding, (text) => countTokens(text, PLAIN_TEXT));
        loaded.set(encoding, tokenizer);
        loading.delete(encoding);
        return tokenizer;
      },
      (error: unknown) => {
        loading.delete(encoding);
        throw error;
      },
    );
    loading.set(encoding, pending);
  }
  return pending;
}

/** The tokenizer when already loaded, so the hot path needs no await. */
export function loadedTokenizer(encoding: EncodingName): Tokenizer | undefined {
  return loaded.get(encoding);
}

/** Memo counters of a loaded encoding (for tests and benchmarks). */
export function tokenizerMemoStats(encoding: EncodingName): TokenizerMemoStats | undefined {
  return loaded.get(encoding)?.memoStats();
}
