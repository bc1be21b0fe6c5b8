import type { BudgetStore } from "../stores/types.js";

/** The providers whose organization cost reports spendguard can read. */
export type ReconcileProvider = "openai" | "anthropic";

export interface ReconcileOptions {
  /** The store whose history is the ledger to check (the one every process shared). */
  store: BudgetStore;
  /** First UTC day, inclusive (`2026-12-03` or a Date at any time that day). */
  from: Date;
  /** Last UTC day, inclusive. @default from */
  to?: Date;
  /** Admin keys by provider (OpenAI admin key, Anthropic Admin API key). A provider without a key is refused. */
  adminKeys: Partial<Record<ReconcileProvider, string>>;
  /** @default both */
  providers?: readonly ReconcileProvider[];
  /** OpenAI's `https://api.openai.com/v1`, Anthropic's `https://api.anthropic.com` (the SDKs' baseURL). */
  baseURLs?: Partial<Record<ReconcileProvider, string>>;
  /** @default 30000 */
  timeoutMs?: number;
}

export interface DriftRow {
  provider: ReconcileProvider;
  /** The model with provider prefix and date snapshot removed (`gpt-4o-mini`), as both sides are compared. */
  model: string;
  ledgerUsd: number;
  providerUsd: number;
  /** ledger − provider: negative when the ledger charged less than the provider billed. */
  driftUsd: number;
  /** drift / provider × 100; null when the provider billed nothing and the ledger something. */
  driftPercent: number | null;
}

export interface ReconcileReport {
  /** `2026-12-03` */
  from: string;
  /** `2026-12-03` (inclusive) */
  to: string;
  rows: DriftRow[];
  byProvider: Omit<DriftRow, "model">[];
  total: Omit<DriftRow, "provider" | "model">;
  /** Ledger records in the range that were priced with no provider cost report to compare (other providers). */
  skippedRecords: number;
}

/** A cost report could not be read (HTTP error, bad answer); names the provider and the status, never the key. */
export class CostReportError extends Error {
  override name = "CostReportError";
}
