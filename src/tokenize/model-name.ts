/**
 * Lower-cases a model name and removes the parts that do not change how it tokenizes or bills images: a
 * provider prefix (`openai/gpt-4o`) and a fine-tune wrapper (`ft:gpt-4o-mini-2024-07-18:org::id`).
 */
export function normalizeModelName(model: string): string {
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
