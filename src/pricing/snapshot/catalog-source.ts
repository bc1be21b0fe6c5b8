import { expected } from "../../expected.js";
import type { PricingOptions } from "../../options.js";
import type { CatalogDependencies } from "../catalog.js";
import type { PriceOverride } from "../types.js";
import { openSnapshot } from "./load.js";

/**
 * The catalog's data for a session: the newest snapshot of `dir` (read when the session is created, so an
 * update reaches every session created after it), or the bundled data when no directory is set.
 */
export function snapshotDependencies(dir: unknown): CatalogDependencies {
  if (dir === undefined || dir === "") return {};
  if (typeof dir !== "string" || dir.trim() === "")
    throw expected("pricing.snapshot", "a snapshot directory (a path string)", dir);
  const source = openSnapshot(dir);
  return { snapshot: source.version, loadGenaiPrices: source.loadGenai, loadTokenTable: source.loadTokens };
}

/** `pricing` without its `snapshot` entry: the per-model overrides. */
export function modelOverrides(pricing: PricingOptions): Record<string, PriceOverride> {
  const overrides: Record<string, PriceOverride> = {};
  for (const [name, value] of Object.entries(pricing)) {
    if (name === "snapshot") continue; // the directory, checked by snapshotDependencies
    overrides[name] = value as PriceOverride;
  }
  return overrides;
}
