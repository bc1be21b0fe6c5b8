import { stripDateSnapshot, stripProviderPrefix } from "../model-names.js";
import { CostReportError, type ReconcileProvider } from "./types.js";

/** What a provider billed, in nano-USD, by normalized model name. */
export type BilledByModel = Map<string, number>;

const DEFAULT_BASE: Record<ReconcileProvider, string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
};

const DAY_MS = 86_400_000;
const MAX_PAGES = 100;

/** `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`; the key both sides of a reconciliation are grouped by. */
export function normalizeModel(provider: string, model: string): string {
  return stripDateSnapshot(stripProviderPrefix(provider, model.trim().toLowerCase()));
}

export interface CostReportRequest {
  provider: ReconcileProvider;
  adminKey: string;
  /** UTC midnight of the first day. */
  start: number;
  /** UTC midnight after the last day (exclusive). */
  end: number;
  baseURL?: string;
  timeoutMs?: number;
}

/** Reads the provider's organization cost report for whole UTC days, every page, grouped by model. */
export async function billedByModel(request: CostReportRequest): Promise<BilledByModel> {
  const base = (request.baseURL ?? DEFAULT_BASE[request.provider]).replace(/\/+$/, "");
  return request.provider === "openai" ? openaiCosts(base, request) : anthropicCosts(base, request);
}

async function openaiCosts(base: string, request: CostReportRequest): Promise<BilledByModel> {
  const billed: BilledByModel = new Map();
  const days = Math.round((request.end - request.start) / DAY_MS);
  let page: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const query = new URLSearchParams({
      start_time: String(request.start / 1000),
      end_time: String(request.end / 1000),
      bucket_width: "1d",
      group_by: "line_item",
      limit: String(Math.min(days, 180)),
    });
    if (page !== undefined) query.set("page", page);
    const body = (await getJson(`${base}/organization/costs?${query}`, "OpenAI", request, {
      authorization: `Bearer ${request.adminKey}`,
    })) as OpenAICostsPage;
    for (const bucket of body.data ?? []) {
      for (const result of bucket.results ?? []) {
        const value = result.amount?.value;
        if (typeof value !== "number" || !Number.isFinite(value)) continue;
        if (result.amount?.currency && result.amount.currency.toLowerCase() !== "usd")
          throw new CostReportError(`OpenAI reported a cost in ${result.amount.currency}, not USD`);
        // line items read `gpt-4o-mini-2024-07-18, input`: the model is before the first comma
        const item = result.line_item ?? "unattributed";
        add(billed, normalizeModel("openai", item.split(",")[0] ?? item), Math.round(value * 1e9));
      }
    }
    if (!body.has_more || !body.next_page) return billed;
    page = body.next_page;
  }
  throw new CostReportError(`OpenAI's cost report did not end after ${MAX_PAGES} pages`);
}

async function anthropicCosts(base: string, request: CostReportRequest): Promise<BilledByModel> {
  const billed: BilledByModel = new Map();
  let page: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const query = new URLSearchParams({
      starting_at: new Date(request.start).toISOString(),
      ending_at: new Date(request.end).toISOString(),
      bucket_width: "1d",
      limit: "31",
    });
    query.append("group_by[]", "description");
    if (page !== undefined) query.set("page", page);
    const body = (await getJson(`${base}/v1/organizations/cost_report?${query}`, "Anthropic", request, {
      "x-api-key": request.adminKey,
      "anthropic-version": "2023-06-01",
    })) as AnthropicCostPage;
    for (const bucket of body.data ?? []) {
      for (const result of bucket.results ?? []) {
        if (result.currency && result.currency.toUpperCase() !== "USD")
          throw new CostReportError(`Anthropic reported a cost in ${result.currency}, not USD`);
        const cents = Number(result.amount);
        if (!Number.isFinite(cents)) continue;
        // lowest currency units (cents) as a decimal string; 1 cent = 10,000,000 nano-USD
        const model = result.model ?? result.cost_type ?? "unattributed";
        add(billed, normalizeModel("anthropic", model), Math.round(cents * 1e7));
      }
    }
    if (!body.has_more || !body.next_page) return billed;
    page = body.next_page;
  }
  throw new CostReportError(`Anthropic's cost report did not end after ${MAX_PAGES} pages`);
}

function add(billed: BilledByModel, model: string, nano: number): void {
  billed.set(model, (billed.get(model) ?? 0) + nano);
}

async function getJson(
  url: string,
  name: string,
  request: CostReportRequest,
  headers: Record<string, string>,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(request.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new CostReportError(
      `Could not reach ${name}'s cost report (${redactQuery(url)}): ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? " (is the key an admin key?)" : "";
    throw new CostReportError(`${name}'s cost report answered HTTP ${response.status}${hint}`);
  }
  try {
    return await response.json();
  } catch {
    throw new CostReportError(`${name}'s cost report did not answer JSON`);
  }
}

const redactQuery = (url: string) => url.split("?")[0] ?? url;

interface OpenAICostsPage {
  data?: { results?: { amount?: { value?: number; currency?: string }; line_item?: string | null }[] }[];
  has_more?: boolean;
  next_page?: string | null;
}

interface AnthropicCostPage {
  data?: {
    results?: { amount?: string; currency?: string; model?: string | null; cost_type?: string | null }[];
  }[];
  has_more?: boolean;
  next_page?: string | null;
}
