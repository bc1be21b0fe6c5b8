import type { Provider } from "@pydantic/genai-prices";
import type { TokenPriceRow } from "../data/token-prices.js";
import { SnapshotError, TABLE_FORMAT } from "./types.js";

/*
 * Schema checks for downloaded price data. Each finding names where it is (`anthropic/claude-x input_mtok`)
 * and what was expected; the first 20 are reported. Data with any finding is rejected whole.
 */

type Problems = string[];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

function checkRate(where: string, value: unknown, problems: Problems): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0)
      problems.push(`${where}: expected a rate >= 0, got ${show(value)}`);
    return;
  }
  if (!isObject(value) || !Array.isArray(value.tiers)) {
    problems.push(`${where}: expected a number or { base, tiers }, got ${show(value)}`);
    return;
  }
  checkRate(`${where}.base`, value.base, problems);
  value.tiers.forEach((tier: unknown, i: number) => {
    if (!isObject(tier)) {
      problems.push(`${where}.tiers[${i}]: expected { start, price }`);
      return;
    }
    if (typeof tier.start !== "number" || !Number.isInteger(tier.start) || tier.start < 0)
      problems.push(`${where}.tiers[${i}].start: expected an integer >= 0, got ${show(tier.start)}`);
    checkRate(`${where}.tiers[${i}].price`, tier.price, problems);
  });
}

/** genai-prices lists free models (`:free`, moderation) with no rates at all: `allowEmpty` accepts them. */
function checkPrices(where: string, prices: unknown, problems: Problems, allowEmpty = false): void {
  if (!isObject(prices) || (!allowEmpty && Object.keys(prices).length === 0)) {
    problems.push(`${where}: expected at least one price, got ${show(prices)}`);
    return;
  }
  for (const [key, value] of Object.entries(prices)) {
    if (value === undefined || value === null) {
      problems.push(`${where} ${key}: missing rate`);
      continue;
    }
    checkRate(`${where} ${key}`, value, problems);
  }
}

/** genai-prices' published `data.json`: an array of providers (or `{ providers: [...] }`). */
export function validateGenaiData(data: unknown): Provider[] {
  const providers = isObject(data) && Array.isArray(data.providers) ? data.providers : data;
  if (!Array.isArray(providers) || providers.length === 0)
    throw new SnapshotError("Expected genai-prices data to be a non-empty array of providers", [
      `got ${show(data)}`,
    ]);
  const problems: Problems = [];
  const seen = new Set<string>();
  providers.forEach((provider: unknown, p: number) => {
    if (!isObject(provider) || typeof provider.id !== "string" || provider.id === "") {
      problems.push(`provider #${p}: expected an object with an id, got ${show(provider)}`);
      return;
    }
    if (seen.has(provider.id)) problems.push(`provider ${provider.id}: listed twice`);
    seen.add(provider.id);
    if (!Array.isArray(provider.models)) {
      problems.push(`provider ${provider.id}: expected a models array`);
      return;
    }
    provider.models.forEach((model: unknown, m: number) => {
      if (!isObject(model) || typeof model.id !== "string" || model.id === "") {
        problems.push(`${provider.id} model #${m}: expected an object with an id`);
        return;
      }
      const where = `${provider.id}/${model.id}`;
      if (!isObject(model.match)) problems.push(`${where}: expected a match rule`);
      if (Array.isArray(model.prices)) {
        if (model.prices.length === 0) problems.push(`${where}: expected at least one price`);
        model.prices.forEach((entry: unknown, i: number) => {
          if (isObject(entry)) checkPrices(`${where} prices[${i}]`, entry.prices, problems, true);
          else problems.push(`${where} prices[${i}]: expected { prices }`);
        });
      } else {
        checkPrices(where, model.prices, problems, true);
      }
    });
  });
  if (problems.length > 0) throw new SnapshotError("genai-prices data failed validation", problems);
  return providers as Provider[];
}

const REQUIRED = ["input_mtok", "output_mtok"];

/** spendguard's own published table: `{ format: "spendguard-table/1", tokens: [...] }`. */
export function validateTable(data: unknown): TokenPriceRow[] {
  if (!isObject(data) || data.format !== TABLE_FORMAT || !Array.isArray(data.tokens))
    throw new SnapshotError(
      `Expected spendguard's table to be { format: "${TABLE_FORMAT}", tokens: [...] }, got ${show(data)}`,
    );
  const problems: Problems = [];
  data.tokens.forEach((row: unknown, i: number) => {
    if (!isObject(row) || typeof row.provider !== "string" || typeof row.model !== "string") {
      problems.push(`token row #${i}: expected { provider, model, prices, source }`);
      return;
    }
    const where = `${row.provider}/${row.model}`;
    checkPrices(where, row.prices, problems);
    for (const key of REQUIRED) {
      if (isObject(row.prices) && row.prices[key] === undefined)
        problems.push(`${where} ${key}: missing rate`);
    }
    const source = row.source;
    if (!isObject(source) || typeof source.url !== "string" || typeof source.asOf !== "string")
      problems.push(`${where}: expected a source { url, asOf, evidence }`);
    if (
      row.aliases !== undefined &&
      (!Array.isArray(row.aliases) || row.aliases.some((a) => typeof a !== "string"))
    )
      problems.push(`${where}: expected aliases to be strings`);
  });
  if (problems.length > 0) throw new SnapshotError("spendguard's table failed validation", problems);
  return data.tokens as TokenPriceRow[];
}
