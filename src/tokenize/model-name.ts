/**
 * Lower-cases a model name and removes the parts that do not change how it tokenizes or bills images: a
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

/** Removes a snapshot suffix: `-2024-08-06` or `-0613`. */
export function stripSnapshot(name: string): string {
  return name.replace(/-(\d{4}-\d{2}-\d{2}|\d{4})$/, "");
}
