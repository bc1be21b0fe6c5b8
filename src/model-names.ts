/**
 * Model names as callers write them, brought to the forms the price catalog and the tokenizer look up. No
 * prefix or substring matching anywhere: `gpt-4.1-mini` must never be treated as `gpt-4`, so a name is only
 * ever shortened by removing a provider prefix, a fine-tune wrapper or a trailing date snapshot.
 */

/**
 * Lower-cases a model name and removes the parts that do not change how it tokenizes or bills images: any
 * provider prefix (`openai/gpt-4o`) and a fine-tune wrapper (`ft:gpt-4o-mini-2024-07-18:org::id`).
 */
export const normalizeModelName = perModel(normalize);

/**
 * Memoizes a pure function of a model name: callers pass the same few names on every request, and the
 * regexes behind these answers cost microseconds on the hot path. Bounded, since names come from callers.
 */
export function perModel<T>(fn: (model: string) => T, limit = 1024): (model: string) => T {
  const memo = new Map<string, T>();
  return (model) => {
    const known = memo.get(model);
    if (known !== undefined) return known;
    const value = fn(model);
    if (memo.size >= limit) memo.clear();
    memo.set(model, value);
    return value;
  };
}

function normalize(model: string): string {
  let name = model.trim().toLowerCase();
  if (name.startsWith("ft:")) {
    name = name.slice(3);
    const colon = name.indexOf(":");
    if (colon >= 0) name = name.slice(0, colon);
  }
  const slash = name.lastIndexOf("/");
  if (slash >= 0) name = name.slice(slash + 1);
  return name;
}

/** `openai/gpt-4o` → `gpt-4o` for provider `openai`; another provider's prefix is left alone. */
export function stripProviderPrefix(provider: string, model: string): string {
  const prefix = `${provider.trim().toLowerCase()}/`;
  if (prefix.length > 1 && model.toLowerCase().startsWith(prefix) && model.length > prefix.length) {
    return model.slice(prefix.length);
  }
  return model;
}

const ISO_DATE = /^(.+)-(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE = /^(.+)-(\d{4})(\d{2})(\d{2})$/;
const MONTH_DAY = /^(.+)-(\d{2})(\d{2})$/;

/**
 * Removes one trailing snapshot date: `-2024-08-06`, `-20250929` or OpenAI's older `-0613` (month and day).
 * Only real calendar dates count, so `-2025` or `-9999` stay part of the name.
 */
export function stripDateSnapshot(model: string): string {
  let match = ISO_DATE.exec(model) ?? COMPACT_DATE.exec(model);
  if (match) {
    const [, base, year, month, day] = match;
    if (base !== undefined && isDate(Number(year), Number(month), Number(day))) return base;
    return model;
  }
  match = MONTH_DAY.exec(model);
  if (match) {
    const [, base, month, day] = match;
    // Any leap year accepts 02-29.
    if (base !== undefined && isDate(2000, Number(month), Number(day))) return base;
  }
  return model;
}

function isDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
