import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { type Dashboard, startDashboard } from "../src/dashboard/index.js";
import { BudgetedSession, listBudgets, memoryStore, prometheusText } from "../src/index.js";
import { usdToNano } from "../src/money.js";
import { sqliteStore } from "../src/stores/sqlite.js";
import type { BudgetStore } from "../src/stores/types.js";
import { samples, scrape } from "./fixtures/prometheus.js";
import { openaiClient, sharedFakeProviders, until, user } from "./helpers.js";

const fake = sharedFakeProviders();

describe("Prometheus text from the store", () => {
  let store: BudgetStore;
  let dashboard: Dashboard;
  beforeAll(async () => {
    store = memoryStore();
    dashboard = await startDashboard({ store });
  });
  afterAll(async () => {
    await dashboard.close();
  });

  it("every budget's balance and every call's cost, parsed back exactly by a Prometheus parser", async () => {
    const team = new BudgetedSession({ budgetUsd: 2, id: 'team "a"\\x', store, period: "day" });
    const client = team.wrap(openaiClient(fake));
    fake.script("openai.chat", { usage: { prompt_tokens: 9, completion_tokens: 4 } });
    await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 20, messages: user("a") });
    await client.chat.completions.create({ model: "gpt-4o", max_tokens: 20, messages: user("b") });
    await expect(
      client.chat.completions.create({ model: "gpt-4o", max_tokens: 90_000_000, messages: user("c") }),
    ).rejects.toThrow();
    const response = await scrape(dashboard);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    const [budget] = await listBudgets(store);
    const day = new Date().toISOString().slice(0, 10);
    const labels = { budget: 'team "a"\\x', period: day };
    expect(samples(text, "spendguard_budget_spent_usd")).toEqual([{ labels, value: budget?.spentUsd }]);
    expect(samples(text, "spendguard_budget_limit_usd")).toEqual([{ labels, value: 2 }]);
    expect(samples(text, "spendguard_budget_remaining_usd")).toEqual([
      { labels, value: budget?.remainingUsd },
    ]);
    expect(samples(text, "spendguard_budget_panic")).toEqual([{ labels, value: 0 }]);
    const cost = samples(text, "spendguard_cost_usd_total");
    expect(cost.map((sample) => sample.labels.model).sort()).toEqual(["gpt-4o", "gpt-4o-mini"]);
    // The per-model costs add up to the balance, to the nano-dollar.
    const total = cost.reduce((sum, sample) => sum + usdToNano(sample.value), 0);
    expect(total).toBe(usdToNano(team.getTotalSpent()));
    expect(samples(text, "spendguard_refusals_total")).toEqual([
      { labels: { session: 'team "a"\\x', reason: "budget_exceeded" }, value: 1 },
    ]);
    expect(samples(text, "spendguard_calls_total")).toContainEqual({
      labels: { session: 'team "a"\\x', provider: "openai", model: "gpt-4o", status: "blocked" },
      value: 1,
    });
    expect(samples(text, "spendguard_tokens_total")).toContainEqual({
      labels: { session: 'team "a"\\x', provider: "openai", model: "gpt-4o-mini", type: "input" },
      value: 9,
    });
  });

  it("refuses a scrape without the token, with a wrong one, and anything but GET", async () => {
    expect((await fetch(`http://127.0.0.1:${dashboard.port}/metrics`)).status).toBe(401);
    expect((await scrape(dashboard, { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    const viaHeader = await fetch(`http://127.0.0.1:${dashboard.port}/metrics`, {
      headers: { "x-spendguard-token": dashboard.token },
    });
    expect(viaHeader.status).toBe(200);
    const post = await fetch(`http://127.0.0.1:${dashboard.port}/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${dashboard.token}` },
    });
    expect(post.status).toBe(405);
  });

  it("an empty store is a valid, empty exposition", async () => {
    const text = await prometheusText(memoryStore());
    expect(parsePrometheusTextFormat(text).every((family) => family.metrics.length === 0)).toBe(true);
    expect(text).toContain("# TYPE spendguard_budget_spent_usd gauge");
  });

  it("a store that fails is a 503 that says nothing of the store", async () => {
    const broken = {
      ...memoryStore(),
      name: "redis://user:pw@host",
      scopes: async () => {
        throw new Error("connect ECONNREFUSED redis://user:pw@host");
      },
    } as BudgetStore;
    const failing = await startDashboard({ store: broken });
    try {
      const response = await scrape(failing);
      expect(response.status).toBe(503);
      expect(await response.text()).not.toContain("pw");
    } finally {
      await failing.close();
    }
  });
});

describe("`spendguard dashboard` for a Prometheus scrape config", () => {
  it("takes a fixed token from SPENDGUARD_DASHBOARD_TOKEN and serves /metrics of the store", async () => {
    const folder = mkdtempSync(join(tmpdir(), "spendguard-metrics-"));
    const path = join(folder, "budgets.db");
    const store = sqliteStore({ path });
    const session = new BudgetedSession({ budgetUsd: 3, id: "cli-scrape", store });
    await session.guard({ provider: "openai", model: "gpt-4o-mini", estimateUsd: 0.5 }, (settle) =>
      settle(0.25),
    );
    await store.close?.();
    let stdout = "";
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const token = "fixed-scrape-token-0123";
    const running = main(["dashboard", "--store", `sqlite:${path}`], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => undefined },
      stdin: Readable.from([]) as NodeJS.ReadableStream,
      env: { SPENDGUARD_DASHBOARD_TOKEN: token },
      stop: stopped,
    });
    try {
      await until(() => stdout.includes("Dashboard: "));
      const url = new URL(/Dashboard: (\S+)/.exec(stdout)?.[1] ?? "");
      expect(url.searchParams.get("token")).toBe(token);
      const response = await fetch(`${url.origin}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      expect(samples(await response.text(), "spendguard_budget_spent_usd")).toEqual([
        { labels: { budget: "cli-scrape", period: "" }, value: 0.25 },
      ]);
    } finally {
      stop();
      expect(await running).toBe(0);
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
