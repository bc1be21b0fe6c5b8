const SHOWN = 4;
/** Shorter keys are hidden entirely: their last four characters would be too much of them. */
const MIN_LENGTH_TO_SHOW = 12;

/** `sk-…abcd` for listings: the `sk-` prefix (not secret) and the last 4 characters only. */
export function maskKey(key: string): string {
  const prefix = key.startsWith("sk-") ? "sk-" : "";
  if (key.length < MIN_LENGTH_TO_SHOW) return `${prefix}…`;
  return `${prefix}…${key.slice(-SHOWN)}`;
}
