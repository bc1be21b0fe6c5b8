import { UnknownPriceError } from "../errors.js";
import { expected } from "../expected.js";
import { usdToNano } from "../money.js";
import type { ServiceTier } from "../types.js";
import { modelLimit } from "./data/model-limits.js";
import {
  type GenaiMatch,
  type GenaiPrices,
  loadGenaiPrices,
  lookupGenai,
  tokenRates,
} from "./genai-source.js";
import { bundledTokenTable, type OwnTokenPrice, type TokenTable } from "./own-tokens.js";
import { modelCandidates } from "./resolve-model.js";
import { applyServiceTier } from "./service-tiers.js";
import { BUNDLED_SNAPSHOT } from "./snapshot/types.js";
import type { CatalogOptions, PriceCatalog, PriceOverride, Rate, TokenPrice } from "./types.js";

export interface CatalogDependencies {
  /** Replaces the lazy `import("@pydantic/genai-prices")` (tests count or fake it). */
  loadGenaiPrices?: () => Promise<GenaiPrices>;
  /** spendguard's own token prices (the bundled table, or a snapshot's); asked before genai-prices. */
  loadTokenTable?: () => Promise<TokenTable>;
  /** The version of the price data (recorded on every record as `priceSnapshot`). @default the bundled data */
  snapshot?: string;
}

const DAY_MS = 86_400_000;
/** Model names come from callers; past this many distinct (provider, model, tier) keys the cache starts over. */
const MAX_CACHED = 2_000;

type Validity = GenaiMatch["validity"];

interface CacheEntry {
  price: TokenPrice;
  /** Set for dated prices: the entry answers only for this UTC day. */
  day?: number;
}

type Lookup = { price: TokenPrice; validity: Validity } | { price: undefined; hint?: string };

interface OverrideEntry {
  key: string;
  provider: string | undefined;
  override: PriceOverride;
}

/**
 * The price catalog. Layers, first hit wins, each answer naming its layer in `source`:
 * 1. user overrides (`pricing`), used as they are for every service tier;
 * 2. spendguard's own token table (models genai-prices does not know yet, corrections of its data);
 * 3. @pydantic/genai-prices, imported on first use (never at import time), through its own model matching;
 * 4. service tiers genai-prices does not encode (./service-tiers.ts);
 * 5. unknown: `UnknownPriceError`, or `fallbackModel`'s price flagged `unpriced`. Never $0, never the network.
 * Each (provider, model, tier) resolves once; dated prices re-resolve on a new UTC day, time-of-day prices
 * on every call.
 */
export function createPriceCatalog(
  options: CatalogOptions = {},
  dependencies: CatalogDependencies = {},
): PriceCatalog {
  const overrides = indexOverrides(options.overrides ?? {});
  const fallbackModel = options.fallbackModel;
  const load = dependencies.loadGenaiPrices ?? loadGenaiPrices;
  const loadTokens = dependencies.loadTokenTable ?? (async () => bundledTokenTable());
  const cache = new Map<string, CacheEntry>();
  let genai: Promise<GenaiPrices> | undefined;

  function genaiPrices(): Promise<GenaiPrices> {
    if (genai === undefined) {
      const loading = load();
      genai = loading;
      loading.catch(() => {
        if (genai === loading) genai = undefined; // a failed load is retried by the next lookup
      });
    }
    return genai;
  }

  function findOverride(provider: string, name: string): OverrideEntry | undefined {
    const entries = overrides.get(name);
    if (entries === undefined) return undefined;
    return entries.find((entry) => entry.provider === provider) ?? entries.find((entry) => !entry.provider);
  }

  async function lookup(provider: string, model: string, at: Date, anyProvider: boolean): Promise<Lookup> {
    let source: GenaiPrices | undefined;
    const ownTokens = await loadTokens();
    for (const candidate of modelCandidates(provider, model)) {
      const own = findOverride(provider, candidate);
      if (own !== undefined) return { price: overridePrice(provider, own, undefined), validity: "always" };
      const ownRow = ownTokens.find(provider, candidate);
      if (ownRow !== undefined) return fromOwnTable(provider, ownRow);
      source ??= await genaiPrices();
      const match = lookupGenai(source, provider, candidate, at);
      if (match === undefined) continue;
      return fromGenai(provider, match, source, ownTokens);
    }
    if (anyProvider) {
      const ownRow = ownTokens.findAny(model);
      if (ownRow !== undefined) return fromOwnTable(provider, ownRow);
      source ??= await genaiPrices();
      const match = lookupGenai(source, undefined, model.trim().toLowerCase(), at);
      if (match !== undefined) return fromGenai(provider, match, source, ownTokens);
    }
    return { price: undefined };
  }

  function fromGenai(
    provider: string,
    match: GenaiMatch,
    source: GenaiPrices,
    ownTokens: TokenTable,
  ): Lookup {
    const onResolved = findOverride(provider, match.modelId);
    if (onResolved !== undefined)
      return { price: overridePrice(provider, onResolved, match), validity: "always" };
    const corrected = ownTokens.find(match.providerId, match.modelId);
    if (corrected !== undefined) return fromOwnTable(provider, corrected);
    const rates = tokenRates(match.price);
    if (rates === undefined) {
      const units = Object.keys(match.price).join(", ") || "nothing";
      return {
        price: undefined,
        hint:
          `${source.detail} prices \`${match.modelId}\` by ${units}, not per token. Add a token price with ` +
          `\`pricing: { "${match.modelId}": { inputPerMTok, outputPerMTok } }\` if the call is billed per token.`,
      };
    }
    const price: TokenPrice = {
      provider,
      model: match.modelId,
      tier: "standard",
      ...rates,
      source: { layer: "genai-prices", detail: source.detail },
    };
    const limit = modelLimit(match.providerId, match.modelId);
    if (limit !== undefined) price.maxOutputTokens = limit.maxOutputTokens;
    if (match.contextWindow !== undefined) price.contextWindow = match.contextWindow;
    return { price, validity: match.validity };
  }

  function fromOwnTable(provider: string, own: OwnTokenPrice): Lookup {
    const { row, rates, detail } = own;
    const overridden = findOverride(provider, row.model.toLowerCase());
    if (overridden !== undefined)
      return { price: overridePrice(provider, overridden, undefined), validity: "always" };
    const price: TokenPrice = {
      provider,
      model: row.model,
      tier: "standard",
      ...rates,
      source: { layer: "table", detail },
    };
    const maxOutputTokens = row.maxOutputTokens ?? modelLimit(row.provider, row.model)?.maxOutputTokens;
    if (maxOutputTokens !== undefined) price.maxOutputTokens = maxOutputTokens;
    if (row.contextWindow !== undefined) price.contextWindow = row.contextWindow;
    return { price, validity: "always" };
  }

  async function resolve(
    provider: string,
    model: string,
    at: Date,
  ): Promise<{ price: TokenPrice; validity: Validity }> {
    const found = await lookup(provider, model, at, false);
    if (found.price !== undefined) return found;
    if (fallbackModel === undefined) throw new UnknownPriceError(provider, model, found.hint);
    const fallback = await lookup(provider, fallbackModel, at, true);
    if (fallback.price === undefined) {
      throw new UnknownPriceError(
        provider,
        model,
        `The fallback model \`${fallbackModel}\` (unknownModel.fallbackModel) has no known price either. ` +
          `Add one with \`pricing: { "${fallbackModel}": { inputPerMTok, outputPerMTok } }\`.`,
      );
    }
    const price: TokenPrice = {
      ...fallback.price,
      unpriced: true,
      source: {
        layer: "fallback",
        detail: `priced as \`${fallback.price.model}\` (unknownModel.fallbackModel) from ${fallback.price.source.detail}`,
      },
    };
    return { price, validity: fallback.validity };
  }

  /** Keys by the names exactly as callers pass them, so the hot path skips the string work. */
  const keys = new Map<string, string>();

  function cached(provider: string, model: string, tier: ServiceTier, time: number) {
    const raw = `${provider}\u0000${model}\u0000${tier}`;
    let key = keys.get(raw);
    if (key === undefined) {
      key = `${provider.trim().toLowerCase()}\u0000${model.trim().toLowerCase()}\u0000${tier}`;
      if (keys.size >= MAX_CACHED) keys.clear();
      keys.set(raw, key);
    }
    const day = Math.floor(time / DAY_MS);
    const entry = cache.get(key);
    const price =
      entry !== undefined && (entry.day === undefined || entry.day === day) ? entry.price : undefined;
    return { key, day, price };
  }

  function cachedTokenPrice(provider: string, model: string, tier: ServiceTier, at = new Date()) {
    return cached(provider, model, tier, at.getTime()).price;
  }

  async function tokenPrice(
    provider: string,
    model: string,
    tier: ServiceTier,
    at = new Date(),
  ): Promise<TokenPrice> {
    const time = at.getTime();
    if (Number.isNaN(time)) throw new TypeError("Expected `at` to be a valid Date, got an invalid Date");
    const { key, day, price: known } = cached(provider, model, tier, time);
    if (known !== undefined) return known;

    const resolved = await resolve(provider.trim().toLowerCase(), model, at);
    const price = freeze(applyServiceTier(resolved.price, tier));
    if (resolved.validity !== "instant") {
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, resolved.validity === "day" ? { price, day } : { price });
    }
    return price;
  }

  return { tokenPrice, cachedTokenPrice, snapshot: dependencies.snapshot ?? BUNDLED_SNAPSHOT };
}

function overridePrice(provider: string, entry: OverrideEntry, match: GenaiMatch | undefined): TokenPrice {
  const { override } = entry;
  const model = match?.modelId ?? entry.key;
  const price: TokenPrice = {
    provider,
    model,
    tier: "standard",
    input: perMTok(override.inputPerMTok),
    output: perMTok(override.outputPerMTok),
    source: { layer: "override", detail: `user override pricing["${entry.key}"]` },
  };
  if (override.cachedInputPerMTok !== undefined) price.cachedInput = perMTok(override.cachedInputPerMTok);
  if (override.cacheWritePerMTok !== undefined) price.cacheWrite = perMTok(override.cacheWritePerMTok);
  if (override.cacheWrite1hPerMTok !== undefined) price.cacheWrite1h = perMTok(override.cacheWrite1hPerMTok);
  const maxOutputTokens =
    override.maxOutputTokens ?? modelLimit(match?.providerId ?? provider, model)?.maxOutputTokens;
  if (maxOutputTokens !== undefined) price.maxOutputTokens = maxOutputTokens;
  const contextWindow = override.contextWindow ?? match?.contextWindow;
  if (contextWindow !== undefined) price.contextWindow = contextWindow;
  return price;
}

function perMTok(usd: number): Rate {
  return { base: usdToNano(usd) };
}

const USD_FIELDS = [
  "inputPerMTok",
  "outputPerMTok",
  "cachedInputPerMTok",
  "cacheWritePerMTok",
  "cacheWrite1hPerMTok",
];
const COUNT_FIELDS = ["maxOutputTokens", "contextWindow"];

/** Overrides by lower-cased model name; several entries when they differ by provider restriction. */
function indexOverrides(overrides: Readonly<Record<string, PriceOverride>>): Map<string, OverrideEntry[]> {
  const index = new Map<string, OverrideEntry[]>();
  for (const [name, override] of Object.entries(overrides)) {
    const path = `pricing["${name}"]`;
    if (typeof override !== "object" || override === null) {
      throw expected(path, "an object with inputPerMTok and outputPerMTok", override);
    }
    const fields = override as unknown as Record<string, unknown>;
    for (const field of USD_FIELDS) {
      const value = fields[field];
      const required = field === "inputPerMTok" || field === "outputPerMTok";
      if (value === undefined && !required) continue;
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw expected(`${path}.${field}`, "a finite number >= 0 (USD per million tokens)", value);
      }
    }
    for (const field of COUNT_FIELDS) {
      const value = fields[field];
      if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) {
        throw expected(`${path}.${field}`, "an integer >= 1", value);
      }
    }
    const key = name.trim().toLowerCase();
    const provider = override.provider?.trim().toLowerCase() || undefined;
    const entries = index.get(key) ?? [];
    entries.push({ key, provider, override });
    index.set(key, entries);
  }
  return index;
}

/** Cached prices are shared by every caller: make them read-only. */
function freeze(price: TokenPrice): TokenPrice {
  for (const value of Object.values(price)) {
    if (typeof value === "object" && value !== null) {
      const tiers = (value as Rate).tiers;
      if (Array.isArray(tiers)) {
        for (const tier of tiers) Object.freeze(tier);
        Object.freeze(tiers);
      }
      Object.freeze(value);
    }
  }
  return Object.freeze(price);
}
