import type { BoundedMap, ProviderMemory } from "./types.js";

/** A map that forgets its oldest entries past `limit` (keys come from providers and callers). */
export function boundedMap<K, V>(limit = 10_000): BoundedMap<K, V> {
  const entries = new Map<K, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > limit) entries.delete(entries.keys().next().value as K);
    },
  };
}

export function createProviderMemory(): ProviderMemory {
  return { responseTokens: boundedMap(), videos: boundedMap() };
}
