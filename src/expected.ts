/**
 * The one way a bad argument is reported: a TypeError naming the option, what it must be, and what was given
 * (``Expected `budgetUsd` to be a finite number >= 0, got `-5` (number)``). Objects are never printed: they may
 * hold a key.
 */
export function expected(name: string, what: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be ${what}, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (value === null) return "`null`";
  if (value === undefined) return "`undefined`";
  if (typeof value === "string") return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  return `\`${String(value)}\` (${typeof value})`;
}
