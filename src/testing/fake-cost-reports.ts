import type { FakeExchange, FakeReply, FakeRoute } from "./fake-providers.js";

/*
 * The providers' organization cost reports, as `spendguard reconcile` reads them with an admin key:
 * OpenAI `GET /v1/organization/costs` (USD numbers per line item, Unix-second day buckets) and Anthropic
 * `GET /v1/organizations/cost_report` (cents as decimal strings per model and token type, RFC 3339 buckets).
 * Both page through day buckets with `limit` and `page` / `next_page`, at most 7 buckets a page, so a week or
 * more exercises the client's paging.
 */

/** One cost line: what the provider billed for a model on a UTC day. */
export interface FakeCostLine {
  /** `2026-12-03` */
  day: string;
  /** As the provider names it in its report (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-20250514`). */
  model: string;
  usd: number;
  /** OpenAI's line item suffix, Anthropic's token type. @default input / uncached_input_tokens */
  kind?: string;
}

export interface CostReportReply extends FakeReply {
  /** The lines the report holds; the route answers those whose day falls in the requested range. */
  costs?: FakeCostLine[];
}

const DAY_MS = 86_400_000;
const DEFAULT_LIMIT = 7;

export function costReportRoutes(): FakeRoute<CostReportReply>[] {
  return [
    { name: "openai.costs", method: "GET", path: "/v1/organization/costs", handle: openaiCosts },
    {
      name: "anthropic.costReport",
      method: "GET",
      path: "/v1/organizations/cost_report",
      handle: anthropicCosts,
    },
  ];
}

async function openaiCosts(exchange: FakeExchange<CostReportReply>): Promise<void> {
  const { request, reply } = exchange;
  if (!/^Bearer \S+/.test(request.headers.authorization ?? ""))
    return exchange.json(401, { error: { message: "Missing admin key", type: "invalid_request_error" } });
  if (reply.status !== undefined && reply.status >= 400)
    return exchange.json(reply.status, {
      error: { message: reply.error?.message ?? "error", type: "server_error" },
    });
  const start = Number(request.query.start_time) * 1000;
  const end = request.query.end_time === undefined ? Date.now() : Number(request.query.end_time) * 1000;
  if (!Number.isFinite(start))
    return exchange.json(400, {
      error: { message: "start_time is required", type: "invalid_request_error" },
    });
  const page = pageOf(days(start, end), request.query);
  await exchange.json(200, {
    object: "page",
    data: page.days.map((day) => ({
      object: "bucket",
      start_time: day / 1000,
      end_time: (day + DAY_MS) / 1000,
      results: linesOn(reply, day).map((line) => ({
        object: "organization.costs.result",
        amount: { value: line.usd, currency: "usd" },
        line_item: request.query.group_by === "line_item" ? `${line.model}, ${line.kind ?? "input"}` : null,
        project_id: null,
      })),
    })),
    has_more: page.next !== undefined,
    next_page: page.next ?? null,
  });
}

async function anthropicCosts(exchange: FakeExchange<CostReportReply>): Promise<void> {
  const { request, reply } = exchange;
  if (!request.headers["x-api-key"] || !request.headers["anthropic-version"])
    return exchange.json(401, {
      type: "error",
      error: { type: "authentication_error", message: "x-api-key and anthropic-version are required" },
    });
  if (reply.status !== undefined && reply.status >= 400)
    return exchange.json(reply.status, { type: "error", error: { type: "api_error", message: "error" } });
  const start = Date.parse(request.query.starting_at ?? "");
  const end = request.query.ending_at === undefined ? Date.now() : Date.parse(request.query.ending_at);
  if (!Number.isFinite(start))
    return exchange.json(400, {
      type: "error",
      error: { type: "invalid_request_error", message: "starting_at is required" },
    });
  const grouped = /description/.test(request.rawBody + JSON.stringify(request.query));
  const page = pageOf(days(start, end), request.query);
  await exchange.json(200, {
    data: page.days.map((day) => ({
      starting_at: new Date(day).toISOString().replace(".000Z", "Z"),
      ending_at: new Date(day + DAY_MS).toISOString().replace(".000Z", "Z"),
      results: linesOn(reply, day).map((line) => ({
        currency: "USD",
        // lowest currency units (cents) as a decimal string: "123.45" is $1.2345
        amount: (line.usd * 100).toFixed(6),
        workspace_id: null,
        description: grouped ? `${line.model} Usage - ${line.kind ?? "uncached_input_tokens"}` : null,
        cost_type: grouped ? "tokens" : null,
        context_window: grouped ? "0-200k" : null,
        model: grouped ? line.model : null,
        service_tier: grouped ? "standard" : null,
        token_type: grouped ? (line.kind ?? "uncached_input_tokens") : null,
      })),
    })),
    has_more: page.next !== undefined,
    next_page: page.next ?? null,
  });
}

/** UTC midnights from the day of `start` up to (not including) `end`. */
function days(start: number, end: number): number[] {
  const out: number[] = [];
  for (let day = Math.floor(start / DAY_MS) * DAY_MS; day < end; day += DAY_MS) out.push(day);
  return out;
}

function pageOf(all: number[], query: Record<string, string>) {
  const limit = Math.min(Number(query.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT, DEFAULT_LIMIT);
  const offset = query.page === undefined ? 0 : Number(query.page.replace(/^page_/, ""));
  const next = offset + limit < all.length ? `page_${offset + limit}` : undefined;
  return { days: all.slice(offset, offset + limit), next };
}

function linesOn(reply: CostReportReply, day: number): FakeCostLine[] {
  const date = new Date(day).toISOString().slice(0, 10);
  return (reply.costs ?? []).filter((line) => line.day === date);
}
