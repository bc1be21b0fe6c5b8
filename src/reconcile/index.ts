import { expected } from "../expected.js";
import { nanoToUsd, usdToNano } from "../money.js";
import type { CallRecord } from "../types.js";
import { billedByModel, normalizeModel } from "./cost-reports.js";
import type { DriftRow, ReconcileOptions, ReconcileProvider, ReconcileReport } from "./types.js";

export { normalizeModel } from "./cost-reports.js";
export {
  CostReportError,
  type DriftRow,
  type ReconcileOptions,
  type ReconcileProvider,
  type ReconcileReport,
} from "./types.js";

const DAY_MS = 86_400_000;
const PAGE = 1000;
const PROVIDERS: readonly ReconcileProvider[] = ["openai", "anthropic"];

/**
 * Compares what the ledger charged (settled records in the store's history, by provider and model) with what
 * each provider's own cost report billed for the same whole UTC days. Money is summed in integer nano-USD.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const start = dayStart(options.from, "from");
  const end = dayStart(options.to ?? options.from, "to") + DAY_MS;
  if (end <= start) throw new TypeError("Expected `to` to be the same day as `from` or later");
  const providers = options.providers ?? PROVIDERS;
  for (const provider of providers) {
    if (!PROVIDERS.includes(provider)) throw expected("providers", "openai and / or anthropic", provider);
    if (!options.adminKeys[provider])
      throw new TypeError(
        `No admin key for ${provider}: set ${provider === "openai" ? "OPENAI_ADMIN_KEY" : "ANTHROPIC_ADMIN_KEY"} ` +
          `or store one with \`spendguard keys set ${provider}-admin\``,
      );
  }

  const { ledger, skipped } = await ledgerByModel(options, start, end, providers);
  const billed = await Promise.all(
    providers.map(async (provider) => {
      const request = { provider, adminKey: options.adminKeys[provider] as string, start, end };
      const baseURL = options.baseURLs?.[provider];
      return billedByModel({
        ...request,
        ...(baseURL !== undefined && { baseURL }),
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      });
    }),
  );

  const rows: DriftRow[] = [];
  const byProvider: Omit<DriftRow, "model">[] = [];
  let totalLedger = 0;
  let totalBilled = 0;
  providers.forEach((provider, i) => {
    const charged = ledger.get(provider) ?? new Map<string, number>();
    const report = billed[i] ?? new Map<string, number>();
    const models = [...new Set([...charged.keys(), ...report.keys()])].sort();
    let providerLedger = 0;
    let providerBilled = 0;
    for (const model of models) {
      const ours = charged.get(model) ?? 0;
      const theirs = report.get(model) ?? 0;
      providerLedger += ours;
      providerBilled += theirs;
      rows.push({ provider, model, ...drift(ours, theirs) });
    }
    byProvider.push({ provider, ...drift(providerLedger, providerBilled) });
    totalLedger += providerLedger;
    totalBilled += providerBilled;
  });
  return {
    from: isoDay(start),
    to: isoDay(end - DAY_MS),
    rows,
    byProvider,
    total: drift(totalLedger, totalBilled),
    skippedRecords: skipped,
  };
}

/** The ledger's charges in [start, end) by provider and normalized model, in nano-USD. */
async function ledgerByModel(
  options: ReconcileOptions,
  start: number,
  end: number,
  providers: readonly ReconcileProvider[],
) {
  const ledger = new Map<string, Map<string, number>>();
  const seen = new Set<string>();
  let skipped = 0;
  let before = end;
  for (;;) {
    const page: CallRecord[] = await options.store.history({ before, limit: PAGE });
    let fresh = 0;
    for (const record of page) {
      // pages overlap by one millisecond so records sharing the boundary's time are not lost
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      fresh += 1;
      if (record.time < start || record.time >= end || record.actualUsd === 0) continue;
      if (!providers.includes(record.provider as ReconcileProvider)) {
        skipped += 1;
        continue;
      }
      const model = normalizeModel(record.provider, record.responseModel ?? record.model);
      const byModel = ledger.get(record.provider) ?? new Map<string, number>();
      byModel.set(model, (byModel.get(model) ?? 0) + usdToNano(record.actualUsd, "nearest"));
      ledger.set(record.provider, byModel);
    }
    const oldest = page[page.length - 1]?.time;
    if (page.length < PAGE || oldest === undefined || oldest < start || fresh === 0) break;
    before = oldest + 1;
  }
  return { ledger, skipped };
}

function drift(ledgerNano: number, billedNano: number): Omit<DriftRow, "provider" | "model"> {
  const driftNano = ledgerNano - billedNano;
  return {
    ledgerUsd: nanoToUsd(ledgerNano),
    providerUsd: nanoToUsd(billedNano),
    driftUsd: nanoToUsd(driftNano),
    driftPercent:
      billedNano === 0 ? (driftNano === 0 ? 0 : null) : Math.round((driftNano / billedNano) * 1e6) / 1e4,
  };
}

function dayStart(value: Date, name: string): number {
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time)) throw expected(name, "a valid Date (a UTC day)", value);
  return Math.floor(time / DAY_MS) * DAY_MS;
}

const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
