import { mulDiv, type Nano, type Rounding } from "../money.js";
import type { Usage } from "../types.js";
import type { Rate, TokenPrice } from "./types.js";

const PER_MTOK = 1_000_000;

/** nano-USD per million tokens for a request whose total input is `totalInputTokens` (whole-request tiers). */
export function rateAt(rate: Rate, totalInputTokens: number): number {
  let perMTok = rate.base;
  const tiers = rate.tiers;
  if (tiers !== undefined) {
    for (const tier of tiers) {
      if (totalInputTokens <= tier.above) break;
      perMTok = tier.perMTok;
    }
  }
  return perMTok;
}

/**
 * The cost of a call from its usage. Each bucket pays its own rate; a bucket without a rate of its own pays the
 * plain input (or output) rate, and 1-hour cache writes without a rate pay the 5-minute write rate. When the
 * subsets add up to more than their total (inconsistent usage), no discount applies: every bucket pays at least
 * the plain rate, so the charge never falls below the plain total and never goes negative.
 */
export function usageCost(price: TokenPrice, usage: Usage, rounding: Rounding = "nearest"): Nano {
  const input = tokens(usage.inputTokens);
  const cached = tokens(usage.cachedInputTokens);
  const write = tokens(usage.cacheWriteTokens);
  const write1h = tokens(usage.cacheWrite1hTokens);
  const inputAudio = tokens(usage.inputAudioTokens);
  const inputImage = tokens(usage.inputImageTokens);
  const output = tokens(usage.outputTokens);
  const outputAudio = tokens(usage.outputAudioTokens);
  const outputImage = tokens(usage.outputImageTokens);

  const inputRate = rateAt(price.input, input);
  const outputRate = rateAt(price.output, input);
  const uncached = input - cached - write - write1h - inputAudio - inputImage;
  const text = output - outputAudio - outputImage;
  const inputFloor = uncached < 0 ? inputRate : 0;
  const outputFloor = text < 0 ? outputRate : 0;
  const writeRate = optionalRate(price.cacheWrite, input, inputRate);

  const sum: Numerator = { whole: 0, fraction: 0 };
  add(sum, Math.max(uncached, 0), inputRate);
  add(sum, cached, Math.max(optionalRate(price.cachedInput, input, inputRate), inputFloor));
  add(sum, write, Math.max(writeRate, inputFloor));
  add(sum, write1h, Math.max(optionalRate(price.cacheWrite1h, input, writeRate), inputFloor));
  add(sum, inputAudio, Math.max(optionalRate(price.inputAudio, input, inputRate), inputFloor));
  add(sum, inputImage, Math.max(optionalRate(price.inputImage, input, inputRate), inputFloor));
  add(sum, Math.max(text, 0), outputRate);
  add(sum, outputAudio, Math.max(optionalRate(price.outputAudio, input, outputRate), outputFloor));
  add(sum, outputImage, Math.max(optionalRate(price.outputImage, input, outputRate), outputFloor));
  // Per thousand searches = per million / 1,000, so the same single division applies.
  if (price.webSearchPerThousand !== undefined) {
    add(sum, tokens(usage.webSearches), price.webSearchPerThousand * 1000);
  }
  return total(sum, rounding);
}

export interface WorstCaseRequest {
  inputTokens: number;
  outputTokens: number;
  /** The request may write the prompt cache (Anthropic `cache_control`): input may pay the write rates. */
  cacheWritePossible?: boolean;
}

/**
 * What a request can cost at most, rounded up: every input token at the highest input rate that can apply for
 * the tier its input size selects, every output token at that tier's output rate.
 */
export function worstCaseCost(price: TokenPrice, request: WorstCaseRequest): Nano {
  const input = tokens(request.inputTokens);
  const sum: Numerator = { whole: 0, fraction: 0 };
  add(sum, input, worstInputRate(price, input, request.cacheWritePossible === true));
  add(sum, tokens(request.outputTokens), rateAt(price.output, input));
  return total(sum, "up");
}

/**
 * The largest output limit k >= 0 with `worstCaseCost(price, { inputTokens, outputTokens: k }) <= remaining`:
 * 0 when even the input does not fit, `Number.MAX_SAFE_INTEGER` when output is free.
 */
export function affordableOutputTokens(
  price: TokenPrice,
  request: Omit<WorstCaseRequest, "outputTokens">,
  remaining: Nano,
): number {
  const input = tokens(request.inputTokens);
  const inputRate = worstInputRate(price, input, request.cacheWritePossible === true);
  const outputRate = rateAt(price.output, input);
  const budget = remaining > 0 ? Math.floor(remaining) : 0;
  // ceil((input × inputRate + k × outputRate) / 1e6) <= budget  ⇔  input × inputRate + k × outputRate <= budget × 1e6
  const capacity = budget * PER_MTOK;
  const inputPart = input * inputRate;
  if (Number.isSafeInteger(capacity) && Number.isSafeInteger(inputPart)) {
    const left = capacity - inputPart;
    if (left < 0) return 0;
    if (outputRate === 0) return Number.MAX_SAFE_INTEGER;
    let k = Math.floor(left / outputRate);
    if (k * outputRate > left) k -= 1;
    return k;
  }
  const left = BigInt(budget) * BigInt(PER_MTOK) - BigInt(input) * BigInt(inputRate);
  if (left < 0n) return 0;
  if (outputRate === 0) return Number.MAX_SAFE_INTEGER;
  const k = left / BigInt(outputRate);
  return k > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(k);
}

function worstInputRate(price: TokenPrice, input: number, cacheWritePossible: boolean): number {
  let rate = rateAt(price.input, input);
  if (price.cachedInput !== undefined) rate = Math.max(rate, rateAt(price.cachedInput, input));
  if (cacheWritePossible) {
    if (price.cacheWrite !== undefined) rate = Math.max(rate, rateAt(price.cacheWrite, input));
    if (price.cacheWrite1h !== undefined) rate = Math.max(rate, rateAt(price.cacheWrite1h, input));
  }
  return rate;
}

function optionalRate(rate: Rate | undefined, input: number, fallback: number): number {
  return rate === undefined ? fallback : rateAt(rate, input);
}

/**
 * Σ count × perMTok / 1e6, exact without BigInt. Writing rate = rw·1e6 + rf and count = cw·1e6 + cf (rf, cf
 * below 1e6), count × rate / 1e6 = count·rw + cw·rf + cf·rf / 1e6: the first two are whole nano-USD, the last
 * is a remainder below 1e12 per bucket, summed and divided (and rounded) once. Exact whenever the cost itself
 * is below 2^53 nano-USD ($9 million), whatever the token counts.
 */
interface Numerator {
  whole: number;
  fraction: number;
}

function add(sum: Numerator, count: number, perMTok: number): void {
  if (count === 0) return;
  const rateWhole = Math.floor(perMTok / PER_MTOK);
  const rateRest = perMTok - rateWhole * PER_MTOK;
  const countWhole = Math.floor(count / PER_MTOK);
  sum.whole += count * rateWhole + countWhole * rateRest;
  sum.fraction += (count - countWhole * PER_MTOK) * rateRest;
}

function total(sum: Numerator, rounding: Rounding): Nano {
  return sum.whole + mulDiv(sum.fraction, 1, PER_MTOK, rounding);
}

/** A usage count as a non-negative integer: missing, negative or NaN counts are 0, fractions round up. */
function tokens(count: number | undefined): number {
  if (count === undefined || !(count > 0)) return 0;
  return count < Number.MAX_SAFE_INTEGER ? Math.ceil(count) : Number.MAX_SAFE_INTEGER;
}
