/**
 * Unknown keys in options are errors, not silence: a misspelled rule (`rules.model` for `rules.models`) would
 * otherwise leave a safety limit off. Each option group declares its keys once, next to its type, as
 * `{ key: true, ... } satisfies KeysOf<TheType>`: the compiler then fails when a key is added to the type and
 * not to the list (or the other way round), so the list cannot drift from the type.
 */
export type KeysOf<T> = { readonly [K in T extends unknown ? keyof T : never]: true };

/**
 * Throws a TypeError naming the first key of `value` that `known` does not list, and the closest valid name
 * (``Unknown option `budget`; did you mean `budgetUsd`?``). `path` prefixes nested names (`rules.`).
 */
export function rejectUnknownKeys(value: object, known: Readonly<Record<string, true>>, path = ""): void {
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(known, key)) continue;
    const names = Object.keys(known);
    const suggestion = closest(key, names);
    const hint = suggestion
      ? `did you mean \`${path}${suggestion}\`?`
      : `expected one of ${names.map((name) => `\`${name}\``).join(", ")}`;
    throw new TypeError(`Unknown option \`${path}${key}\`; ${hint}`);
  }
}

/** The valid name a typo most likely meant: same letters ignoring case, a prefix, or a few edits away. */
export function closest(given: string, names: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  const sameCase = names.find((name) => name.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const candidate = name.toLowerCase();
    const distance =
      lower.length >= 3 && (candidate.startsWith(lower) || lower.startsWith(candidate))
        ? 0.5
        : editDistance(lower, candidate);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(given.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
