/**
 * Model-name candidates, most specific first. The catalog asks its price layers for each in turn and the first
 * hit wins. There is deliberately no prefix or substring matching here: `gpt-4.1-mini` must never be priced as
 * `gpt-4`, so a name is only ever shortened by removing a provider prefix or a trailing date snapshot.
 */
export function modelCandidates(provider: string, model: string): string[] {
  const given = model.trim().toLowerCase();
  const candidates = [given];
  const unprefixed = stripProviderPrefix(provider, given);
  if (unprefixed !== given) candidates.push(unprefixed);
  const undated = stripDateSnapshot(unprefixed);
  if (undated !== unprefixed) candidates.push(undated);
  return candidates;
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
