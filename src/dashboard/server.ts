import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { expected } from "../expected.js";
import { maskKey } from "../keys/mask.js";
import {
  type BudgetStatus,
  budgetStatus,
  listBudgets,
  type ReportDimension,
  type ReportRow,
  report,
  resetBudget,
  setBudget,
  setPanic,
  storeSummary,
} from "../report/budgets.js";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "../report/prometheus.js";
import type { BudgetStore, HistoryQuery } from "../stores/types.js";
import type { BudgetSummary, CallRecord, CallStatus, ModelTotals, Usage } from "../types.js";

export interface DashboardOptions {
  store: BudgetStore;
  /** `0` picks a free port. @default 0 */
  port?: number;
  /** The dashboard only ever listens on the loopback interface. @default "127.0.0.1" */
  host?: "127.0.0.1";
  /** The access token every request must carry (at least 16 URL-safe characters). @default 256 random bits */
  token?: string;
  /** The clock that picks each budget's current period. @default Date.now */
  now?: () => number;
}

export interface Dashboard {
  /** `http://127.0.0.1:PORT/?token=...`: the page, with its access token. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";
const TOKEN_HEADER = "x-spendguard-token";
const TOKEN_PATTERN = /^[A-Za-z0-9_~.-]{16,256}$/;
const MAX_BODY_BYTES = 16 * 1024;
const DEFAULT_HISTORY_LIMIT = 100;
const MAX_HISTORY_LIMIT = 1000;
const MAX_BUDGET_USD = 9_000_000;
const STATUSES: readonly CallStatus[] = ["settled", "blocked", "failed"];
const DIMENSIONS: readonly ReportDimension[] = ["model", "provider", "day", "session"];
const API_PATHS = [
  "/api/budgets",
  "/api/summary",
  "/api/history",
  "/api/report",
  "/api/panic",
  "/api/budget",
  "/api/budget/reset",
];
/** OpenAI and Anthropic keys (`sk-...`, `sk-ant-...`) and fal keys (`<uuid>:<hex>`). */
const KEY_PATTERN =
  /sk-[A-Za-z0-9_-]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{16,}/gi;

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

interface Asset {
  body: Buffer;
  contentType: string;
}

/**
 * The local dashboard: a page and a JSON API over `store`, on 127.0.0.1 only, behind an access token that
 * every request must carry (the page and its files in the query string, the API in the `x-spendguard-token`
 * header).
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  const { store } = options;
  if (typeof store !== "object" || store === null || typeof store.scopes !== "function") {
    throw expected("store", "a spendguard store", store);
  }
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw expected("port", "an integer from 0 to 65535", requestedPort);
  }
  if (options.host !== undefined && options.host !== HOST) {
    throw expected("host", `"${HOST}" (the dashboard listens on the loopback interface only)`, options.host);
  }
  const token = options.token ?? randomBytes(32).toString("base64url");
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) {
    throw new TypeError("Expected `token` to be 16 to 256 URL-safe characters ([A-Za-z0-9_~.-])");
  }
  const now = options.now ?? Date.now;
  const assets = loadAssets(token);
  const context: Context = { store, now, tokenDigest: digest(token), port: 0 };

  const server = createServer((request, response) => {
    handle(context, assets, request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: "Internal error" });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(requestedPort, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  context.port = port;

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The page polls over keep-alive connections, which would otherwise hold `close` open.
        server.closeAllConnections();
      }),
  };
}

interface Context {
  store: BudgetStore;
  now: () => number;
  tokenDigest: Buffer;
  port: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

async function handle(
  context: Context,
  assets: Map<string, Asset>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  // A page on another site that rebinds its DNS name to 127.0.0.1 sends its own name as Host.
  if (!isLocalHost(request.headers.host, context.port)) {
    sendJson(response, 403, { error: "Forbidden: unknown Host" });
    return;
  }
  const url = new URL(request.url ?? "/", `http://${HOST}:${context.port}`);
  if (url.pathname === "/metrics") {
    await handleMetrics(context, url, request, response);
    return;
  }
  if (url.pathname.startsWith("/api/")) {
    await handleApi(context, url, request, response);
    return;
  }
  if (!tokenMatches(context, url.searchParams.get("token") ?? headerValue(request, TOKEN_HEADER))) {
    sendText(
      response,
      401,
      "Unauthorized: open the dashboard with the URL it printed (it carries the token).",
    );
    return;
  }
  if (request.method !== "GET") {
    response.setHeader("allow", "GET");
    sendText(response, 405, "Method not allowed");
    return;
  }
  const asset = assets.get(url.pathname === "/" ? "/index.html" : url.pathname);
  if (!asset) {
    sendText(response, 404, "Not found");
    return;
  }
  response.writeHead(200, { "content-type": asset.contentType, "content-length": asset.body.length });
  response.end(asset.body);
}

/** Prometheus scrapes with the token as a bearer token (or the page's header or query parameter). */
async function handleMetrics(
  context: Context,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const bearer = /^Bearer (.+)$/.exec(headerValue(request, "authorization") ?? "")?.[1];
  const token = bearer ?? headerValue(request, TOKEN_HEADER) ?? url.searchParams.get("token");
  if (!tokenMatches(context, token)) {
    sendText(response, 401, "Unauthorized: send the dashboard's token as a bearer token");
    return;
  }
  if (request.method !== "GET") {
    response.setHeader("allow", "GET");
    sendText(response, 405, "Method not allowed");
    return;
  }
  let text: string;
  try {
    text = await prometheusText(context.store, { now: context.now() });
  } catch {
    sendText(response, 503, "The store is unavailable");
    return;
  }
  response.writeHead(200, {
    "content-type": PROMETHEUS_CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function handleApi(
  context: Context,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // The API takes the token from its header only: a cross-site page cannot set a custom header without a
  // CORS preflight, which this server never grants.
  if (!tokenMatches(context, headerValue(request, TOKEN_HEADER))) {
    sendJson(response, 401, { error: `Unauthorized: the ${TOKEN_HEADER} header is missing or wrong` });
    return;
  }
  const origin = headerValue(request, "origin");
  if (origin !== undefined && !isLocalOrigin(origin, context.port)) {
    sendJson(response, 403, { error: "Forbidden: cross-origin request" });
    return;
  }
  const fetchSite = headerValue(request, "sec-fetch-site");
  if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") {
    sendJson(response, 403, { error: "Forbidden: cross-site request" });
    return;
  }
  try {
    const body = await route(context, url, request);
    sendJson(response, 200, body);
  } catch (error) {
    if (error instanceof HttpError) {
      sendJson(response, error.status, {
        error: error.message,
        ...(error.field !== undefined && { field: error.field }),
      });
    } else {
      // Store errors can carry connection strings: say only that the store failed.
      sendJson(response, 503, { error: "The store is unavailable" });
    }
  }
}

async function route(context: Context, url: URL, request: IncomingMessage): Promise<unknown> {
  const { store } = context;
  const at = { now: context.now() };
  const key = `${request.method} ${url.pathname}`;
  switch (key) {
    case "GET /api/budgets":
      return {
        store: redact(store.name),
        now: at.now,
        budgets: (await listBudgets(store, at)).map(budgetJson),
      };
    case "GET /api/summary": {
      const session = requiredSession(url.searchParams.get("session"));
      const summary = await storeSummary(store, session, at);
      const budget = await budgetStatus(store, session, at);
      if (!summary || !budget) throw unknownSession();
      return { summary: summaryJson(summary), budget: budgetJson(budget) };
    }
    case "GET /api/history": {
      const query = historyQuery(url.searchParams);
      if (query.sessionId !== undefined) await requireBudget(context, query.sessionId);
      return { records: (await store.history(query)).map(recordJson) };
    }
    case "GET /api/report": {
      const by = url.searchParams.get("by") ?? "model";
      if (!DIMENSIONS.includes(by as ReportDimension)) {
        throw badRequest("by", `Expected \`by\` to be one of ${DIMENSIONS.join(", ")}`);
      }
      const sessionParam = url.searchParams.get("session");
      const session = sessionParam === null ? undefined : requiredSession(sessionParam);
      if (session !== undefined) await requireBudget(context, session);
      const rows = await report(store, {
        by: by as ReportDimension,
        ...(session !== undefined && { sessionId: session }),
      });
      return { by, rows: rows.map(reportRowJson) };
    }
    case "POST /api/panic": {
      const body = await jsonBody(request);
      if (typeof body.on !== "boolean") throw badRequest("on", "Expected `on` to be true or false");
      const ids = await setPanic(store, body.on, at);
      return { panic: body.on, budgets: ids.map(redact) };
    }
    case "POST /api/budget": {
      const body = await jsonBody(request);
      const session = requiredSession(body.session);
      const budgetUsd = body.budgetUsd;
      if (
        budgetUsd !== null &&
        (typeof budgetUsd !== "number" ||
          !Number.isFinite(budgetUsd) ||
          budgetUsd < 0 ||
          budgetUsd > MAX_BUDGET_USD)
      ) {
        throw badRequest(
          "budgetUsd",
          `Expected \`budgetUsd\` to be a number from 0 to ${MAX_BUDGET_USD}, or null to clear the override`,
        );
      }
      await requireBudget(context, session);
      return { budget: budgetJson(await setBudget(store, session, budgetUsd, at)) };
    }
    case "POST /api/budget/reset": {
      const body = await jsonBody(request);
      const session = requiredSession(body.session);
      await requireBudget(context, session);
      return { budget: budgetJson(await resetBudget(store, session, at)) };
    }
    default:
      if (API_PATHS.includes(url.pathname)) {
        throw new HttpError(405, `Method ${String(request.method)} not allowed on ${url.pathname}`);
      }
      throw new HttpError(404, "Not found");
  }
}

// --- Input ---

function historyQuery(params: URLSearchParams): HistoryQuery {
  const query: HistoryQuery = { limit: DEFAULT_HISTORY_LIMIT };
  const session = params.get("session");
  if (session !== null && session !== "") query.sessionId = requiredSession(session);
  const limit = params.get("limit");
  if (limit !== null) {
    const value = Number(limit);
    if (!/^\d+$/.test(limit) || value < 1 || value > MAX_HISTORY_LIMIT) {
      throw badRequest("limit", `Expected \`limit\` to be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
    }
    query.limit = value;
  }
  const status = params.get("status");
  if (status !== null && status !== "") {
    if (!STATUSES.includes(status as CallStatus)) {
      throw badRequest("status", `Expected \`status\` to be one of ${STATUSES.join(", ")}`);
    }
    query.status = status as CallStatus;
  }
  const model = params.get("model");
  if (model !== null && model !== "") {
    if (model.length > 200) throw badRequest("model", "Expected `model` to be at most 200 characters");
    query.model = model;
  }
  const before = params.get("before");
  if (before !== null && before !== "") {
    if (!/^\d{1,15}$/.test(before)) {
      throw badRequest("before", "Expected `before` to be a time in epoch milliseconds");
    }
    query.before = Number(before);
  }
  return query;
}

function requiredSession(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 500) {
    throw badRequest("session", "Expected `session` to be a budget id");
  }
  return value;
}

async function requireBudget(context: Context, id: string): Promise<void> {
  const scopes = await context.store.scopes();
  if (!scopes.some((scope) => scope.id === id)) throw unknownSession();
}

async function jsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const contentType = headerValue(request, "content-type") ?? "";
  if (contentType.split(";")[0]?.trim().toLowerCase() !== "application/json") {
    throw new HttpError(415, "Expected content-type: application/json");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "Request body too large");
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw badRequest("body", "Expected a JSON body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("body", "Expected a JSON object");
  }
  return body as Record<string, unknown>;
}

function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, message, field);
}

function unknownSession(): HttpError {
  return new HttpError(404, "No budget with this id in the store", "session");
}

// --- Output: only the documented fields, never a whole object from the store ---

function budgetJson(budget: BudgetStatus) {
  return {
    id: redact(budget.id),
    parentId: budget.parentId === undefined ? null : redact(budget.parentId),
    period: budget.period ?? null,
    key: redact(budget.key),
    budgetUsd: budget.budgetUsd,
    codeBudgetUsd: budget.codeBudgetUsd,
    overridden: budget.overridden,
    spentUsd: budget.spentUsd,
    reservedUsd: budget.reservedUsd,
    remainingUsd: budget.remainingUsd,
    utilizationPercent: budget.utilizationPercent,
    panic: budget.panic,
    locked: budget.locked,
    createdAt: budget.createdAt,
  };
}

function summaryJson(summary: BudgetSummary) {
  return {
    sessionId: redact(summary.sessionId),
    budget: summary.budget,
    spent: summary.spent,
    reserved: summary.reserved,
    remaining: summary.remaining,
    utilizationPercent: summary.utilizationPercent,
    requests: summary.requests,
    blocked: summary.blocked,
    failed: summary.failed,
    overspends: summary.overspends,
    byModel: totalsJson(summary.byModel),
    byProvider: totalsJson(summary.byProvider),
    blockedByReason: Object.fromEntries(
      Object.entries(summary.blockedByReason).map(([reason, count]) => [redact(reason), count]),
    ),
  };
}

function totalsJson(totals: Record<string, ModelTotals>) {
  return Object.fromEntries(
    Object.entries(totals).map(([name, row]) => [
      redact(name),
      {
        requests: row.requests,
        spentUsd: row.spentUsd,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
      },
    ]),
  );
}

const USAGE_FIELDS = [
  "inputTokens",
  "cachedInputTokens",
  "cacheWriteTokens",
  "outputTokens",
  "reasoningTokens",
  "images",
  "seconds",
  "characters",
  "webSearches",
] as const satisfies readonly (keyof Usage)[];

/** A history record without its prompt, tags or anything else a store may hold beside the documented fields. */
function recordJson(record: CallRecord) {
  let usage: Partial<Record<(typeof USAGE_FIELDS)[number], number>> | null = null;
  if (record.usage) {
    usage = {};
    for (const field of USAGE_FIELDS) {
      const value = record.usage[field];
      if (typeof value === "number") usage[field] = value;
    }
  }
  return {
    id: redact(record.id),
    time: record.time,
    sessionId: redact(record.sessionId),
    scopeIds: record.scopeIds.map(redact),
    provider: redact(record.provider),
    operation: redact(record.operation),
    model: redact(record.model),
    resolvedModel: record.resolvedModel === undefined ? null : redact(record.resolvedModel),
    status: record.status,
    reason: record.reason === undefined ? null : redact(record.reason),
    estimatedUsd: record.estimatedUsd,
    heldUsd: record.heldUsd,
    actualUsd: record.actualUsd,
    usage,
    source: record.source ?? null,
    tier: record.tier,
    stream: record.stream,
    latencyMs: record.latencyMs ?? null,
    flags: record.flags.map(redact),
    rewrites: (record.rewrites ?? []).map(redact),
  };
}

function reportRowJson(row: ReportRow) {
  return {
    key: redact(row.key),
    requests: row.requests,
    blocked: row.blocked,
    failed: row.failed,
    spentUsd: row.spentUsd,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
  };
}

// --- HTTP helpers ---

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Hashing first gives both sides the same length, so the comparison is constant-time for any input. */
function tokenMatches(context: Context, candidate: string | null | undefined): boolean {
  if (typeof candidate !== "string" || candidate.length === 0) return false;
  return timingSafeEqual(digest(candidate), context.tokenDigest);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function isLocalHost(host: string | undefined, port: number): boolean {
  return host === `${HOST}:${port}` || host === `localhost:${port}`;
}

function isLocalOrigin(origin: string, port: number): boolean {
  return origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
}

// --- Assets ---

const CONTENT_TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "icon.svg": "image/svg+xml",
};

/**
 * The page's files, read once. They sit next to this module in `src/` (tests, tsx) and under
 * `dist/dashboard/assets/` once built, where this module is bundled into `dist/` or a folder below it.
 */
function loadAssets(token: string): Map<string, Asset> {
  const folder = ["./assets/", "./dashboard/assets/", "../dashboard/assets/"]
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((candidate) => existsSync(`${candidate}index.html`));
  if (folder === undefined) throw new Error("spendguard: the dashboard's page files are missing");
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(CONTENT_TYPES)) {
    let text = readFileSync(`${folder}${name}`, "utf8");
    // The page's own links carry the token so that its files pass the same check as the page.
    if (name === "index.html") text = text.replaceAll("{{token}}", encodeURIComponent(token));
    assets.set(`/${name}`, { body: Buffer.from(text, "utf8"), contentType });
  }
  return assets;
}

/**
 * Records never hold keys; this masks anything shaped like one in the strings a store returns all the same
 * (a key pasted as a session id or model name).
 */
function redact(text: string): string {
  return text.replace(KEY_PATTERN, (key) => maskKey(key));
}
