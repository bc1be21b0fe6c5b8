import type { ModelPrice } from "@pydantic/genai-prices";
import { TOKEN_PRICES, type TokenPriceRow } from "./data/token-prices.js";
import { type TokenRates, tokenRates } from "./genai-source.js";

/** A row of spendguard's own token table, resolved to integer rates. */
export interface OwnTokenPrice {
  row: TokenPriceRow;
  rates: TokenRates;
  /** e.g. `spendguard token table, https://…, as of 2026-12-04`. */
  detail: string;
}

export interface TokenTable {
  /** The row for a provider and a model name (its id or an alias), lower-cased. */
  find(provider: string, model: string): OwnTokenPrice | undefined;
  /** The first row of any provider for a model name (`unknownModel.fallbackModel` names no provider). */
  findAny(model: string): OwnTokenPrice | undefined;
}

/**
 * Indexes token rows by provider and every name they answer to. `label` names where the rows came from (the
 * bundled table or a snapshot) in each price's source. A later row replaces an earlier one of the same name.
 */
export function createTokenTable(rows: readonly TokenPriceRow[], label: string): TokenTable {
  const index = new Map<string, OwnTokenPrice>();
  const anyProvider = new Map<string, OwnTokenPrice>();
  for (const row of rows) {
    const rates = tokenRates(row.prices as ModelPrice);
    if (rates === undefined) continue; // validated rows always have input and output; see validate.ts
    const entry: OwnTokenPrice = {
      row,
      rates,
      detail: `${label}, ${row.source.url}, as of ${row.source.asOf}`,
    };
    for (const name of [row.model, ...(row.aliases ?? [])]) {
      index.set(key(row.provider, name), entry);
      if (!anyProvider.has(name.trim().toLowerCase())) anyProvider.set(name.trim().toLowerCase(), entry);
    }
  }
  return {
    find: (provider, model) => index.get(key(provider, model)),
    findAny: (model) => anyProvider.get(model.trim().toLowerCase()),
  };
}

const key = (provider: string, model: string) =>
  `${provider.trim().toLowerCase()}\u0000${model.trim().toLowerCase()}`;

/** The label of the table that ships with this release, recorded as the source of its prices. */
export const BUNDLED_TABLE = "spendguard token table (bundled)";

let bundled: TokenTable | undefined;

export function bundledTokenTable(): TokenTable {
  bundled ??= createTokenTable(TOKEN_PRICES, BUNDLED_TABLE);
  return bundled;
}
