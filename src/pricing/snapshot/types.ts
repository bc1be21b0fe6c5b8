import type { Provider } from "@pydantic/genai-prices";
import type { TokenPriceRow } from "../data/token-prices.js";

/** The format tag of a snapshot file; a file with another tag is refused. */
export const SNAPSHOT_FORMAT = "spendguard-prices/1";
/** The format tag of `current.json`, the pointer a snapshot directory's readers follow. */
export const POINTER_FORMAT = "spendguard-prices-pointer/1";
/** spendguard's own table as published at `--table` (the same rows as src/pricing/data/token-prices.ts). */
export const TABLE_FORMAT = "spendguard-table/1";

/** What `priceSnapshot` says on records priced from the data bundled with this release. */
export const BUNDLED_SNAPSHOT = "bundled-2026-12-04";

/**
 * One version of the price data: genai-prices' published providers (its `data.json`) and spendguard's own token
 * rows. Written by `spendguard prices update`, never changed afterwards.
 */
export interface PriceSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** `2026-12-04T23.30.00Z-1a2b3c4d`: creation time and the first 8 hex of the data's SHA-256. */
  version: string;
  createdAt: string;
  sources: { genai: string; table: string };
  genai: Provider[];
  tokens: TokenPriceRow[];
}

export interface SnapshotPointer {
  format: typeof POINTER_FORMAT;
  version: string;
  /** The snapshot's file name, in the same directory. */
  file: string;
}

/** A snapshot that failed validation or a check; `problems` lists every finding, one line each. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length > 0 ? `${message}\n  - ${problems.slice(0, 20).join("\n  - ")}` : message);
  }
}
