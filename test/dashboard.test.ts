import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../src/dashboard/index.js";
import {
  BudgetExceededError,
  BudgetedSession,
  budgetStatus,
  type CallRecord,
  listBudgets,
  type MemoryStore,
  memoryStore,
  RuleViolationError,
  storeSummary,
} from "../src/index.js";
import type { BudgetStore } from "../src/stores/types.js";
import { openaiClient, useFakeProviders, user } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "sk-test-secret-key";
const HOUR = 3_600_000;
const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));
/** The screenshots the README shows (390 and 1366 px), retaken by every run. */
const DOCS = fileURLToPath(new URL("../docs/", import.meta.url));
const hasChromium = existsSync(CHROMIUM);

const context = useFakeProviders();

let store: MemoryStore;
let dashboard: Dashboard;
let base: string;
/** The sessions' clock: the seeded calls are spread over the last hours, so the chart has several points. */
let clock = Date.now();
let org: BudgetedSession;
let orgClient: ReturnType<typeof openaiClient>;

const ask = (client: ReturnType<typeof openaiClient>, model: string, maxTokens: number) =>
  client.chat.completions.create({
    model,
    messages: user("Summarise the report."),
    max_completion_tokens: maxTokens,
  });

beforeAll(async () => {
  const fake = context.fake;
  // Every reply uses the whole output limit, so the costs are large enough to read on the page.
  fake.setDefault("openai.chat", { usage: { completion_tokens: 1_000_000 } });
  store = memoryStore();
  clock = Date.now() - 5 * HOUR;
  org = new BudgetedSession({ budgetUsd: 1, id: "org", store, clock: () => clock });
  const research = org.child({ id: "research", budgetUsd: 0.18 });
  const tiny = new BudgetedSession({ budgetUsd: 0.002, id: "tiny", store, clock: () => clock });
  orgClient = org.wrap(openaiClient(fake));
  const researchClient = research.wrap(openaiClient(fake));
  const tinyClient = tiny.wrap(openaiClient(fake));

  await ask(orgClient, "gpt-4o", 6000);
  clock += HOUR;
  await ask(orgClient, "gpt-4o-mini", 6000);
  clock += HOUR;
  await ask(researchClient, "gpt-4o", 16_000);
  clock += HOUR;
  await ask(tinyClient, "gpt-4o-mini", 3200);
  clock += HOUR / 2;
  const refused = await ask(tinyClient, "gpt-4o", 2000).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(BudgetExceededError);
  clock += HOUR / 2;
  await ask(orgClient, "gpt-4o-mini", 4000);
  clock = Date.now();

  dashboard = await startDashboard({ store, port: 0 });
  base = `http://127.0.0.1:${dashboard.port}`;
});

afterAll(async () => {
  await dashboard?.close();
});

/** A request with full control over its headers (fetch does not let a caller set Host). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}${path}`,
      { method: options.method ?? "GET", headers: options.headers ?? {} },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text, headers: response.headers }),
        );
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

const withToken = (headers: Record<string, string> = {}) => ({
  "x-spendguard-token": dashboard.token,
  ...headers,
});
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(path, {
    method: "POST",
    headers: withToken({ "content-type": "application/json", ...headers }),
    body: JSON.stringify(body),
  });

describe("the dashboard server", () => {
  it("prints a URL on 127.0.0.1 with a random url-safe token of at least 128 bits", () => {
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/?token=${dashboard.token}`);
    expect(dashboard.token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  it("refuses every request without the token, and sends no data with the 401", async () => {
    for (const path of ["/", "/index.html", "/app.js", "/style.css", "/?token=wrong-token-0123456789"]) {
      const response = await send(path);
      expect(response.status, path).toBe(401);
      expect(response.text).not.toContain("org");
      expect(response.text).not.toContain("<script");
    }
    for (const path of ["/api/budgets", "/api/history", "/api/report", "/api/summary?session=org"]) {
      const response = await send(path);
      expect(response.status, path).toBe(401);
      expect(response.text).not.toContain("org");
      // The API takes the token from its header only, never from the query string.
      expect((await send(`${path}${path.includes("?") ? "&" : "?"}token=${dashboard.token}`)).status).toBe(
        401,
      );
      expect((await send(path, { headers: { "x-spendguard-token": `${dashboard.token}x` } })).status).toBe(
        401,
      );
    }
    const page = await send(`/?token=${dashboard.token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/app.js?token=${dashboard.token}`);
  });

  it("sends the security headers on every response", async () => {
    for (const response of [await send(`/?token=${dashboard.token}`), await send("/api/budgets")]) {
      expect(response.headers["content-security-policy"]).toMatch(/default-src 'self'/);
      expect(response.headers["content-security-policy"]).not.toMatch(/unsafe-inline/);
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.headers["referrer-policy"]).toBe("no-referrer");
      expect(response.headers["cache-control"]).toBe("no-store");
    }
  });

  it("answers the JSON API from the store", async () => {
    const budgets = JSON.parse((await send("/api/budgets", { headers: withToken() })).text);
    expect(budgets.store).toBe("memory");
    expect(budgets.budgets).toEqual(
      JSON.parse(JSON.stringify(await listBudgets(store))).map((budget: Record<string, unknown>) => ({
        parentId: null,
        period: null,
        ...budget,
      })),
    );
    const summary = JSON.parse((await send("/api/summary?session=tiny", { headers: withToken() })).text);
    expect(summary.summary).toEqual(await storeSummary(store, "tiny"));
    expect(summary.budget).toMatchObject({ id: "tiny", budgetUsd: 0.002 });
    const history = JSON.parse(
      (await send("/api/history?session=tiny&status=blocked", { headers: withToken() })).text,
    );
    expect(history.records).toMatchObject([
      { sessionId: "tiny", status: "blocked", reason: "budget_exceeded" },
    ]);
    const all = JSON.parse((await send("/api/history?limit=2", { headers: withToken() })).text);
    expect(all.records).toHaveLength(2);
    expect(all.records[0].time).toBeGreaterThanOrEqual(all.records[1].time);
    const byProvider = JSON.parse((await send("/api/report?by=provider", { headers: withToken() })).text);
    expect(byProvider.rows).toMatchObject([{ key: "openai", requests: 5, blocked: 1 }]);
  });

  it("names the field of bad input with a 400, and answers 404 for an unknown budget", async () => {
    const cases: [Promise<{ status: number; text: string }>, number, string | undefined][] = [
      [send("/api/history?limit=5000", { headers: withToken() }), 400, "limit"],
      [send("/api/history?limit=abc", { headers: withToken() }), 400, "limit"],
      [send("/api/history?status=lost", { headers: withToken() }), 400, "status"],
      [send("/api/history?before=yesterday", { headers: withToken() }), 400, "before"],
      [send("/api/report?by=colour", { headers: withToken() }), 400, "by"],
      [send("/api/summary", { headers: withToken() }), 400, "session"],
      [post("/api/panic", { on: "yes" }), 400, "on"],
      [post("/api/budget", { session: "org", budgetUsd: "lots" }), 400, "budgetUsd"],
      [post("/api/budget", { session: "org", budgetUsd: -1 }), 400, "budgetUsd"],
      [post("/api/budget", { budgetUsd: 1 }), 400, "session"],
      [post("/api/budget/reset", {}), 400, "session"],
      [post("/api/budget", { session: "nobody", budgetUsd: 1 }), 404, "session"],
      [send("/api/summary?session=nobody", { headers: withToken() }), 404, "session"],
      [send("/api/history?session=nobody", { headers: withToken() }), 404, "session"],
      [send("/api/nothing", { headers: withToken() }), 404, undefined],
    ];
    for (const [pending, status, field] of cases) {
      const response = await pending;
      expect(response.status, response.text).toBe(status);
      expect(JSON.parse(response.text).field).toBe(field);
    }
    const broken = await send("/api/budget", {
      method: "POST",
      headers: withToken({ "content-type": "application/json" }),
      body: "{not json",
    });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.text).field).toBe("body");
  });

  it("refuses mutations from another origin, without JSON or with the token only in the query", async () => {
    const before = await listBudgets(store);
    const evil = await post("/api/panic", { on: true }, { origin: "http://evil.example" });
    expect(evil.status).toBe(403);
    const crossSite = await post("/api/panic", { on: true }, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const rebound = await post("/api/panic", { on: true }, { host: `evil.example:${dashboard.port}` });
    expect(rebound.status).toBe(403);
    const form = await send("/api/panic", {
      method: "POST",
      headers: withToken({ "content-type": "text/plain" }),
      body: JSON.stringify({ on: true }),
    });
    expect(form.status).toBe(415);
    const queryOnly = await send(`/api/panic?token=${dashboard.token}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ on: true }),
    });
    expect(queryOnly.status).toBe(401);
    expect(await listBudgets(store)).toEqual(before);
    expect(before.some((budget) => budget.panic)).toBe(false);
  });

  it("answers 503 when the store fails, without repeating the store's error", async () => {
    const failing: BudgetStore = {
      ...store,
      scopes: async () => {
        throw new Error("connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379");
      },
    };
    const broken = await startDashboard({ store: failing, token: "a-fixed-token-for-this-test" });
    try {
      const response = await fetch(`http://127.0.0.1:${broken.port}/api/budgets`, {
        headers: { "x-spendguard-token": "a-fixed-token-for-this-test" },
      });
      expect(response.status).toBe(503);
      expect(await response.text()).not.toContain("hunter2");
    } finally {
      await broken.close();
    }
  });

  it("never sends an API key: not in the page, not in the API, not even one a store was given", async () => {
    const texts = await Promise.all(
      [`/?token=${dashboard.token}`, `/app.js?token=${dashboard.token}`].map(
        async (path) => (await send(path)).text,
      ),
    );
    for (const path of [
      "/api/budgets",
      "/api/summary?session=org",
      "/api/summary?session=org/research",
      "/api/history?limit=1000",
      "/api/report?by=model",
      "/api/report?by=provider",
      "/api/report?by=session",
      "/api/report?by=day",
    ]) {
      const response = await send(path, { headers: withToken() });
      expect(response.status, path).toBe(200);
      texts.push(response.text);
    }
    for (const text of texts) expect(text).not.toContain(SECRET);

    // A record holding a key where none belongs (a prompt, tags, a model name) is served without it.
    const leaky = memoryStore();
    const record: CallRecord = {
      id: "call-1",
      time: Date.now(),
      sessionId: "leaky",
      scopeIds: ["leaky"],
      provider: "openai",
      operation: "chat.completions.create",
      model: `${SECRET}-pasted-as-a-model`,
      status: "blocked",
      reason: "budget_exceeded",
      estimatedUsd: 1,
      heldUsd: 0,
      actualUsd: 0,
      tier: "standard",
      stream: false,
      flags: [],
      tags: { key: SECRET },
      prompt: [{ role: "user", content: `my key is ${SECRET}` }],
    };
    await leaky.record(record);
    const other = await startDashboard({ store: leaky });
    try {
      const response = await fetch(`http://127.0.0.1:${other.port}/api/history`, {
        headers: { "x-spendguard-token": other.token },
      });
      const text = await response.text();
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("prompt");
      expect(text).not.toContain("tags");
      expect(JSON.parse(text).records[0].model).toBe("sk-…odel");
    } finally {
      await other.close();
    }
  });

  it("validates its options", async () => {
    await expect(startDashboard({ store, port: 70_000 })).rejects.toThrow(/`port`/);
    await expect(startDashboard({ store, token: "short" })).rejects.toThrow(/`token`/);
    await expect(startDashboard({ store, host: "0.0.0.0" as "127.0.0.1" })).rejects.toThrow(/`host`/);
  });
});

// --- The page, in Debian's Chromium ---

if (!hasChromium && !process.env.CI) {
  console.warn(`Skipping the dashboard's browser tests: ${CHROMIUM} is missing (apt-get install chromium).`);
}

describe.skipIf(!hasChromium && !process.env.CI)("the dashboard page in Chromium", () => {
  let browser: Browser;
  let page: Page;
  let dialogAnswer: "accept" | "dismiss" = "accept";
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium package`);
    mkdirSync(OUTPUT, { recursive: true });
    // playwright-core starts it with a fresh temporary profile (--user-data-dir) and --headless.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (dialog) => void (dialogAnswer === "accept" ? dialog.accept() : dialog.dismiss()));
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    await page.goto(dashboard.url);
    await page.locator('li[data-budget-id="tiny"]').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Waits until the page has refreshed after `since` (every poll and every action stamps the body). */
  const refreshedAfter = async (since: number) =>
    page.waitForFunction((time) => Number(document.body.dataset.refreshed) > time, since);

  it("shows every budget with the store's numbers, children under their parent", async () => {
    const budgets = await listBudgets(store);
    expect(budgets.map((budget) => budget.id)).toEqual(["org", "org/research", "tiny"]);
    const shown = await page.locator("li[data-budget-id]").evaluateAll((items) =>
      items.map((item) => ({
        id: item.getAttribute("data-budget-id"),
        indent: Number.parseFloat(getComputedStyle(item).marginLeft),
      })),
    );
    expect(shown.map((item) => item.id)).toEqual(["org", "org/research", "tiny"]);
    expect(shown[1]?.indent).toBeGreaterThan(shown[0]?.indent ?? 0);

    for (const budget of budgets) {
      const summary = await storeSummary(store, budget.id);
      expect(summary).toMatchObject({
        spent: budget.spentUsd,
        budget: budget.budgetUsd,
        remaining: budget.remainingUsd,
      });
      const card = page.locator(`li[data-budget-id="${budget.id}"]`);
      for (const [field, value] of [
        ["spent", budget.spentUsd],
        ["reserved", budget.reservedUsd],
        ["remaining", budget.remainingUsd],
        ["budget", budget.budgetUsd],
      ] as const) {
        const cell = card.locator(`dd[data-field="${field}"]`);
        expect(Number(await cell.getAttribute("data-usd")), `${budget.id} ${field}`).toBe(value);
        expectShownUsd((await cell.textContent()) ?? "", value);
      }
    }
    // Spent / budget: org about 23 %, its child 89 % (amber), tiny 96 % (red).
    await expect(page.locator('li[data-budget-id="org"]').getAttribute("class")).resolves.toMatch(/level-ok/);
    await expect(page.locator('li[data-budget-id="org/research"]').getAttribute("class")).resolves.toMatch(
      /level-warn/,
    );
    await expect(page.locator('li[data-budget-id="tiny"]').getAttribute("class")).resolves.toMatch(
      /level-crit/,
    );
    expect(await page.locator("#store-name").textContent()).toBe("memory");
    expect(await page.locator("#chart svg path.line").count()).toBe(1);
    expect(await page.locator('#by-model tbody tr[data-key="gpt-4o"]').count()).toBe(1);
    expect(await page.locator('#by-model tbody tr[data-key="gpt-4o-mini"]').count()).toBe(1);
    expect(await page.locator('#by-provider tbody tr[data-key="openai"]').count()).toBe(1);

    await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
    expect(existsSync(`${OUTPUT}dashboard.png`)).toBe(true);
  });

  /** Elements wider than the viewport, or boxes whose content needs a sideways swipe (issue 12, item 6). */
  const tooWide = (target: Page) =>
    target.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide: string[] = [];
      for (const element of Array.from(document.querySelectorAll("body *"))) {
        const rect = element.getBoundingClientRect();
        const name = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""}.${element.className}`;
        if (rect.width > 0 && (rect.left < -0.5 || rect.right > width + 0.5))
          wide.push(`${name} ${rect.right}`);
        if (
          element.scrollWidth > element.clientWidth + 1 &&
          getComputedStyle(element).overflowX !== "visible"
        ) {
          wide.push(`${name} scrolls ${element.scrollWidth} > ${element.clientWidth}`);
        }
      }
      return { page: document.documentElement.scrollWidth, width, wide };
    });

  it.each([
    [390, 844, true, "dashboard-390.png"],
    [1366, 768, false, "dashboard-1366.png"],
  ])(
    "at %i px no element is wider than the viewport, and nothing scrolls sideways",
    async (width, height, isMobile, file) => {
      const screen = await browser.newContext({
        viewport: { width, height },
        deviceScaleFactor: isMobile ? 2 : 1,
        isMobile,
        hasTouch: isMobile,
      });
      try {
        const small = await screen.newPage();
        // Real model and endpoint names can be long (fal endpoints, dated snapshots): add one to the report.
        await small.route("**/api/report?by=model", async (route) => {
          const response = await route.fetch();
          const body = (await response.json()) as { rows: Record<string, unknown>[] };
          const long = "fal-ai/bytedance/seedance/v1/pro/image-to-video-2025-06-16";
          body.rows.push({ ...body.rows[0], key: long, requests: 12_345, blocked: 1_234 });
          await route.fulfill({ response, json: body });
        });
        await small.goto(dashboard.url);
        await small.locator('li[data-budget-id="tiny"]').waitFor();
        await small.locator("#chart svg").waitFor();
        await small.locator("#history tbody tr[data-status]").first().waitFor();
        const measured = await tooWide(small);
        expect(measured.wide).toEqual([]);
        expect(measured.page).toBeLessThanOrEqual(width);
        if (isMobile) {
          // Each history row is a card that shows status, reason and cost without a swipe, each under its name.
          const refused = small.locator('#history tbody tr[data-status="blocked"]');
          const box = await refused.boundingBox();
          expect(box?.width ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(width);
          expect(await refused.locator('td[data-label="Reason"]').isVisible()).toBe(true);
          expect(await refused.locator('td[data-label="Cost"]').isVisible()).toBe(true);
        }
        // The README's screenshot shows the store's own numbers, without the added row.
        await small.unrouteAll();
        await small.reload();
        await small.locator("#history tbody tr[data-status]").first().waitFor();
        await small.locator("#chart svg").waitFor();
        mkdirSync(DOCS, { recursive: true });
        await small.screenshot({ path: `${DOCS}${file}`, fullPage: true });
        expect(existsSync(`${DOCS}${file}`)).toBe(true);
      } finally {
        await screen.close();
      }
    },
  );

  it("shows a date beside the time of calls that were not today, and 'No calls match.' inside the table", async () => {
    const later = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    try {
      const page2 = await later.newPage();
      // Three days from now, every seeded call is from another day.
      await page2.clock.setFixedTime(Date.now() + 3 * 24 * HOUR);
      await page2.goto(dashboard.url);
      const first = page2.locator("#history tbody tr[data-status] td").first();
      await first.waitFor();
      const [latest] = await store.history({ limit: 1 });
      const day = (time: number) =>
        new Date(time).toLocaleDateString("en-US", { month: "short", day: "numeric" });
      expect(await first.textContent()).toContain(day(latest?.time ?? 0));
      await page2.getByLabel("Status").selectOption("failed");
      const empty = page2.locator("#history tbody tr[data-empty] td");
      await empty.waitFor();
      expect(await empty.textContent()).toBe("No calls match.");
      expect(await empty.getAttribute("colspan")).toBe("8");
    } finally {
      await later.close();
    }
    // Today's calls show the time alone (the seeded calls are hours old: near midnight they are yesterday's).
    const [latest] = await store.history({ limit: 1 });
    const shown = await page.locator("#history tbody tr[data-status] td").first().textContent();
    if (new Date(latest?.time ?? 0).toDateString() === new Date().toDateString()) {
      expect(shown).toMatch(/^\d{1,2}:\d{2}:\d{2}/);
    } else {
      expect(shown).toMatch(/^[A-Z][a-z]{2} \d{1,2} \d{1,2}:\d{2}:\d{2}/);
    }
  });

  it("lists the refused call with its reason in the history, and filters by session and status", async () => {
    const refused = page.locator('#history tbody tr[data-status="blocked"]');
    await expect(refused.count()).resolves.toBe(1);
    expect(await refused.textContent()).toContain("budget_exceeded");
    expect(await refused.textContent()).toContain("tiny");
    expect(await refused.textContent()).toContain("Refused");

    await page.getByLabel("Session").selectOption("org/research");
    await page.locator("#session-summary:not([hidden])").waitFor();
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll("#history tbody tr td:nth-child(2)")).every(
        (cell) => cell.textContent === "org/research",
      ),
    );
    expect(await page.locator("#history tbody tr").count()).toBe(1);
    expect(await page.locator("#session-summary").textContent()).toContain("org/research: 1 call, 0 refused");

    await page.getByLabel("Session").selectOption("");
    await page.getByLabel("Status").selectOption("blocked");
    await page.waitForFunction(() => document.querySelectorAll("#history tbody tr").length === 1);
    await page.getByLabel("Status").selectOption("");
    await page.waitForFunction(() => document.querySelectorAll("#history tbody tr").length === 6);
  });

  it("turns panic on from the page (after a confirm) so the next wrapped call is refused, and off again", async () => {
    const client = orgClient;
    dialogAnswer = "dismiss";
    await page.getByRole("button", { name: "Panic: stop all calls" }).click();
    await page.waitForTimeout(300);
    expect((await listBudgets(store)).some((budget) => budget.panic)).toBe(false);

    dialogAnswer = "accept";
    await page.getByRole("button", { name: "Panic: stop all calls" }).click();
    await page.getByRole("button", { name: "Panic is on: resume calls" }).waitFor();
    expect((await listBudgets(store)).every((budget) => budget.panic)).toBe(true);
    await page.screenshot({ path: `${OUTPUT}dashboard-panic.png` });

    const error = await ask(client, "gpt-4o-mini", 100).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RuleViolationError);
    expect((error as RuleViolationError).code).toBe("panic");

    await page.getByRole("button", { name: "Panic is on: resume calls" }).click();
    await page.getByRole("button", { name: "Panic: stop all calls" }).waitFor();
    expect((await listBudgets(store)).some((budget) => budget.panic)).toBe(false);
    await expect(ask(client, "gpt-4o-mini", 100)).resolves.toMatchObject({ object: "chat.completion" });
  });

  it("sets, clears and resets a budget from its card, with the keyboard", async () => {
    const id = "org/research";
    const card = page.locator(`li[data-budget-id="${id}"]`);
    await card.getByRole("button", { name: `Edit budget ${id}` }).click();
    const input = card.getByLabel("New budget (USD)");
    await expect(input.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await input.fill("0.75");
    await input.press("Enter");
    await expect.poll(async () => (await budgetStatus(store, id))?.budgetUsd).toBe(0.75);
    expect(await budgetStatus(store, id)).toMatchObject({ overridden: true, codeBudgetUsd: 0.18 });
    await card.locator('dd[data-field="budget"][data-usd="0.75"]').waitFor();
    expect(await card.locator(".badge-info").textContent()).toBe("Override");

    await card.getByRole("button", { name: `Clear the budget override of ${id}` }).click();
    await expect.poll(async () => (await budgetStatus(store, id))?.budgetUsd).toBe(0.18);
    expect((await budgetStatus(store, id))?.overridden).toBe(false);

    const orgSpent = (await budgetStatus(store, "org"))?.spentUsd;
    await card.getByRole("button", { name: `Reset the spend of ${id}` }).click();
    await expect.poll(async () => (await budgetStatus(store, id))?.spentUsd).toBe(0);
    expect((await budgetStatus(store, "org"))?.spentUsd).toBe(orgSpent);
    await card.locator('dd[data-field="spent"][data-usd="0"]').waitFor();
    await card.getByRole("button", { name: `Close the editor of ${id}` }).click();
  });

  it("with the store down, the header says so and one Ctrl-C stops `spendguard dashboard` cleanly", async () => {
    const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
    if (!existsSync(cli))
      execFileSync("npm", ["run", "build"], { cwd: fileURLToPath(new URL("..", import.meta.url)) });
    const child = spawn(process.execPath, [cli, "dashboard", "--store", "redis://127.0.0.1:1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await expect.poll(() => output, { timeout: 10_000 }).toContain("token=");
      const url = /http:\/\/\S+/.exec(output)?.[0] ?? "";
      const down = await browser.newPage();
      await down.goto(url);
      await expect
        .poll(() => down.locator("#store-name").textContent(), { timeout: 10_000 })
        .toBe("unreachable");
      expect(await down.locator("#banner").textContent()).toContain("The store is unavailable");
      const sent = Date.now();
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(Date.now() - sent).toBeLessThan(1500);
      expect(output).toContain("Stopping the dashboard");
      await down.close();
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);

  it("keeps polling, and logged no script error or CSP violation", async () => {
    await refreshedAfter(Date.now());
    expect(pageErrors).toEqual([]);
  });
});

/** The page shows `$1,234.56` from a dollar up and four significant decimals below. */
function expectShownUsd(text: string, value: number): void {
  expect(text).toMatch(/^\$[\d,]+\.\d{2,}$/);
  const shown = Number(text.replace(/[$,]/g, ""));
  const tolerance = value >= 1 ? 0.005 : value >= 0.01 ? 0.00005 : value * 0.005;
  expect(Math.abs(shown - value), `${text} for ${value}`).toBeLessThanOrEqual(tolerance);
}
