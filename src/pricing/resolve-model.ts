import { stripDateSnapshot, stripProviderPrefix } from "../model-names.js";

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
