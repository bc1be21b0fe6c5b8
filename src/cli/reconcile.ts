import { type BudgetStore, type ReconcileProvider, reconcile, resolveApiKey } from "../index.js";
import type { CliIo } from "./commands.js";
import { table } from "./format.js";
import { UsageError } from "./usage.js";

export interface ReconcileFlags {
  json: boolean;
  from?: string;
  to?: string;
  provider?: string;
  "max-drift"?: string;
}

/** Exit code when the drift is above `--max-drift`. */
export const DRIFT_EXIT_CODE = 4;

/**
 * `spendguard reconcile [DAY] [--from DAY --to DAY] [--provider openai|anthropic] [--max-drift 2%]`: the
 * ledger against the providers' cost reports. Admin keys: OPENAI_ADMIN_KEY / ANTHROPIC_ADMIN_KEY, or the
 * keychain accounts `openai-admin` / `anthropic-admin`.
 */
export async function reconcileCommand(
  store: BudgetStore,
  day: string | undefined,
  flags: ReconcileFlags,
  io: CliIo,
  print: (text: string) => void,
): Promise<number> {
  const from = parseDay(flags.from ?? day, "--from (or a DAY)");
  const to = flags.to === undefined ? from : parseDay(flags.to, "--to");
  const maxDrift = flags["max-drift"] === undefined ? undefined : parsePercent(flags["max-drift"]);
  const providers = parseProviders(flags.provider);
  const adminKeys: Partial<Record<ReconcileProvider, string>> = {};
  const baseURLs: Partial<Record<ReconcileProvider, string>> = {};
  for (const provider of providers) {
    const explicit = io.env[provider === "openai" ? "OPENAI_ADMIN_KEY" : "ANTHROPIC_ADMIN_KEY"];
    const key = await resolveApiKey(`${provider}-admin`, explicit || undefined, {
      env: io.env,
      ...(io.keychain && { keychain: io.keychain }),
    });
    if (key !== undefined) adminKeys[provider] = key.key;
    const base = io.env[provider === "openai" ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL"];
    if (base) baseURLs[provider] = base;
  }
  const report = await reconcile({ store, from, to, providers, adminKeys, baseURLs });
  const over = maxDrift !== undefined && exceeds(report.total.driftPercent, report.total.driftUsd, maxDrift);
  if (flags.json) {
    print(JSON.stringify({ ...report, maxDriftPercent: maxDrift ?? null, exceeded: over }, null, 2));
    return over ? DRIFT_EXIT_CODE : 0;
  }
  const percent = (value: number | null) =>
    value === null ? "n/a" : `${value > 0 ? "+" : ""}${value.toFixed(2)}%`;
  const usd = (value: number) => `$${value.toFixed(6)}`;
  const signed = (value: number) => `${value < 0 ? "-" : "+"}${usd(Math.abs(value))}`;
  print(
    `Ledger vs provider cost reports, ${report.from}${report.to === report.from ? "" : ` to ${report.to}`} (UTC)`,
  );
  print(
    table(
      ["provider", "model", "ledger", "provider", "drift", "drift %"],
      [
        ...report.rows.map((row) => [
          row.provider,
          row.model,
          usd(row.ledgerUsd),
          usd(row.providerUsd),
          signed(row.driftUsd),
          percent(row.driftPercent),
        ]),
        ...report.byProvider.map((row) => [
          row.provider,
          "(all models)",
          usd(row.ledgerUsd),
          usd(row.providerUsd),
          signed(row.driftUsd),
          percent(row.driftPercent),
        ]),
        [
          "total",
          "",
          usd(report.total.ledgerUsd),
          usd(report.total.providerUsd),
          signed(report.total.driftUsd),
          percent(report.total.driftPercent),
        ],
      ],
    ),
  );
  if (report.skippedRecords > 0)
    print(`${report.skippedRecords} record(s) of other providers have no cost report to compare with.`);
  if (over) print(`Drift above --max-drift ${maxDrift}%.`);
  return over ? DRIFT_EXIT_CODE : 0;
}

function exceeds(percent: number | null, driftUsd: number, max: number): boolean {
  if (percent === null) return driftUsd !== 0;
  return Math.abs(percent) > max;
}

function parseDay(value: string | undefined, name: string): Date {
  if (value === undefined) throw new UsageError(`Expected ${name}: a UTC day like 2026-12-03`);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    throw new UsageError(`Expected ${name} to be a UTC day like 2026-12-03, got ${value}`);
  return date;
}

function parsePercent(value: string): number {
  const number = Number(value.trim().replace(/%$/, ""));
  if (!Number.isFinite(number) || number < 0)
    throw new UsageError(`Expected --max-drift to be a percentage like 2%, got ${value}`);
  return number;
}

function parseProviders(value: string | undefined): ReconcileProvider[] {
  if (value === undefined) return ["openai", "anthropic"];
  const names = value.split(",").map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (name !== "openai" && name !== "anthropic")
      throw new UsageError(`Expected --provider to be openai and / or anthropic, got ${name}`);
  }
  return names as ReconcileProvider[];
}
