import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { BudgetedSession, type BudgetStore, CostReportError, memoryStore, reconcile } from "../src/index.js";
import { sqliteStore } from "../src/stores/sqlite.js";
import type { FakeCostLine } from "../src/testing/index.js";
import { openaiClient, useFakeProviders, user } from "./helpers.js";

const context = useFakeProviders();
const fake = () => context.fake;
const folder = mkdtempSync(join(tmpdir(), "spendguard-reconcile-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const DAY = Date.UTC(2026, 11, 3); // 2026-12-03
const HOUR = 3_600_000;
const OPENAI_ADMIN = "sk-admin-openai-secret";
const ANTHROPIC_ADMIN = "sk-ant-admin01-secret";

/**
 * A ledger with known charges: on 2026-12-03 gpt-4o-mini 1000 in / 500 out ($0.00045 at $0.15 / $0.60) and
 * claude-haiku-4-5 1000 in / 100 out ($0.0015 at $1 / $5); on 2026-12-02 one more gpt-4o-mini call, outside
 * the day reconciled.
 */
async function seed(store: BudgetStore) {
  let now = DAY - 12 * HOUR;
  const session = new BudgetedSession({ budgetUsd: 5, store, clock: () => now });
  const openai = session.wrap(openaiClient(fake()));
  const claude = session.wrap(
    new Anthropic({ apiKey: "sk-ant-test", baseURL: fake().anthropic.baseURL, maxRetries: 0 }),
  );
  const chat = { usage: { prompt_tokens: 1000, completion_tokens: 500 }, model: "gpt-4o-mini-2024-07-18" };
  fake().script("openai.chat", chat, chat);
  fake().script("anthropic.messages", { usage: { input_tokens: 1000, output_tokens: 100 } });
  await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("yesterday") });
  now = DAY + 9 * HOUR;
  await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("today") });
  await claude.messages.create({ model: "claude-haiku-4-5", max_tokens: 100, messages: user("today") });
  await session.close();
}

/** What the providers billed: OpenAI $0.0005 for gpt-4o-mini that day (10% more than the ledger), Anthropic exact. */
const OPENAI_LINES: FakeCostLine[] = [
  { day: "2026-12-03", model: "gpt-4o-mini-2024-07-18", usd: 0.0002, kind: "input" },
  { day: "2026-12-03", model: "gpt-4o-mini-2024-07-18", usd: 0.0003, kind: "output" },
  { day: "2026-12-02", model: "gpt-4o-mini-2024-07-18", usd: 0.00045, kind: "input" },
];
const ANTHROPIC_LINES: FakeCostLine[] = [
  { day: "2026-12-03", model: "claude-haiku-4-5-20251001", usd: 0.001, kind: "uncached_input_tokens" },
  { day: "2026-12-03", model: "claude-haiku-4-5-20251001", usd: 0.0005, kind: "output_tokens" },
];

function scriptReports() {
  fake().setDefault("openai.costs", { costs: OPENAI_LINES });
  fake().setDefault("anthropic.costReport", { costs: ANTHROPIC_LINES });
}

const options = (store: BudgetStore) => ({
  store,
  from: new Date(DAY),
  adminKeys: { openai: OPENAI_ADMIN, anthropic: ANTHROPIC_ADMIN },
  baseURLs: { openai: fake().openai.baseURL, anthropic: fake().anthropic.baseURL },
});

describe("reconcile", () => {
  it("reports exactly the known drift per model, per provider and in total", async () => {
    const store = memoryStore();
    await seed(store);
    scriptReports();
    const report = await reconcile(options(store));
    expect(report.from).toBe("2026-12-03");
    expect(report.rows).toEqual([
      {
        provider: "openai",
        model: "gpt-4o-mini",
        ledgerUsd: 0.00045,
        providerUsd: 0.0005,
        driftUsd: -0.00005,
        driftPercent: -10,
      },
      {
        provider: "anthropic",
        model: "claude-haiku-4-5",
        ledgerUsd: 0.0015,
        providerUsd: 0.0015,
        driftUsd: 0,
        driftPercent: 0,
      },
    ]);
    expect(report.total).toEqual({
      ledgerUsd: 0.00195,
      providerUsd: 0.002,
      driftUsd: -0.00005,
      driftPercent: -2.5,
    });
    // the admin keys went in the providers' own headers
    const [costs] = fake().requests.filter((r) => r.route === "openai.costs");
    expect(costs?.headers.authorization).toBe(`Bearer ${OPENAI_ADMIN}`);
    expect(costs?.query).toMatchObject({
      start_time: String(DAY / 1000),
      end_time: String((DAY + 24 * HOUR) / 1000),
    });
    const [report2] = fake().requests.filter((r) => r.route === "anthropic.costReport");
    expect(report2?.headers["x-api-key"]).toBe(ANTHROPIC_ADMIN);
  });

  it("pages through a range longer than a page, and counts a model only one side knows", async () => {
    const store = memoryStore();
    await seed(store);
    fake().setDefault("openai.costs", {
      costs: [...OPENAI_LINES, { day: "2026-11-25", model: "gpt-4.1", usd: 0.25, kind: "output" }],
    });
    fake().setDefault("anthropic.costReport", { costs: ANTHROPIC_LINES });
    const report = await reconcile({
      ...options(store),
      from: new Date(DAY - 10 * 24 * HOUR),
      to: new Date(DAY),
    });
    expect(fake().requests.filter((r) => r.route === "openai.costs").length).toBeGreaterThan(1);
    expect(report.rows.find((row) => row.model === "gpt-4.1")).toEqual({
      provider: "openai",
      model: "gpt-4.1",
      ledgerUsd: 0,
      providerUsd: 0.25,
      driftUsd: -0.25,
      driftPercent: -100,
    });
    // both gpt-4o-mini days are in range now: ledger 0.0009, billed 0.00095
    expect(report.rows.find((row) => row.model === "gpt-4o-mini")).toMatchObject({
      ledgerUsd: 0.0009,
      providerUsd: 0.00095,
    });
  });

  it("reads a ledger longer than one history page, records sharing a millisecond included", async () => {
    const store = memoryStore({ historyLimit: 5000 });
    let call = 0;
    // three records per millisecond; 2,501 of them put a page boundary (1,000) inside one millisecond
    const session = new BudgetedSession({
      budgetUsd: 100,
      store,
      clock: () => DAY + HOUR + Math.floor(call / 3),
    });
    for (; call < 2501; call++) {
      await session.guard({ provider: "openai", model: "gpt-4o-mini", estimateUsd: 0.001 }, async (settle) =>
        settle(0.001),
      );
    }
    fake().setDefault("openai.costs", { costs: [{ day: "2026-12-03", model: "gpt-4o-mini", usd: 2.501 }] });
    const report = await reconcile({ ...options(store), providers: ["openai"] });
    expect(report.rows).toEqual([
      {
        provider: "openai",
        model: "gpt-4o-mini",
        ledgerUsd: 2.501,
        providerUsd: 2.501,
        driftUsd: 0,
        driftPercent: 0,
      },
    ]);
  });

  it("refuses without an admin key, and names the provider and status when a report fails, never the key", async () => {
    const store = memoryStore();
    await expect(reconcile({ ...options(store), adminKeys: { openai: OPENAI_ADMIN } })).rejects.toThrow(
      "No admin key for anthropic",
    );
    fake().script("openai.costs", { status: 500 });
    fake().setDefault("anthropic.costReport", { costs: [] });
    const error = await reconcile(options(store)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CostReportError);
    expect((error as Error).message).toBe("OpenAI's cost report answered HTTP 500");
    expect((error as Error).message).not.toContain(OPENAI_ADMIN);
  });
});

describe("spendguard reconcile", () => {
  async function cli(args: string[], env: NodeJS.ProcessEnv) {
    let stdout = "";
    let stderr = "";
    const code = await main(args, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: Readable.from([]) as NodeJS.ReadableStream,
      env,
      keychain: {
        backend: "test",
        get: async (account) => (account === "anthropic-admin" ? ANTHROPIC_ADMIN : null),
        set: async () => undefined,
        delete: async () => false,
        list: async () => [],
      },
    });
    return { code, stdout, stderr };
  }

  it("prints the drift and exits 4 above --max-drift, 0 below; --json", async () => {
    const path = join(folder, "ledger.db");
    const store = sqliteStore({ path });
    await seed(store);
    await store.close?.();
    scriptReports();
    const env = {
      OPENAI_ADMIN_KEY: OPENAI_ADMIN,
      OPENAI_BASE_URL: fake().openai.baseURL,
      ANTHROPIC_BASE_URL: fake().anthropic.baseURL,
    };
    const strict = await cli(
      ["reconcile", "2026-12-03", "--store", `sqlite:${path}`, "--max-drift", "2%"],
      env,
    );
    expect(strict.stderr).toBe("");
    expect(strict.code).toBe(4);
    expect(strict.stdout).toMatch(
      /openai\s+gpt-4o-mini\s+\$0\.000450\s+\$0\.000500\s+-\$0\.000050\s+-10\.00%/,
    );
    expect(strict.stdout).toMatch(/total\s+\$0\.001950\s+\$0\.002000\s+-\$0\.000050\s+-2\.50%/);
    expect(strict.stdout).toContain("Drift above --max-drift 2%");

    const loose = await cli(
      [
        "reconcile",
        "--from",
        "2026-12-03",
        "--to",
        "2026-12-03",
        "--store",
        `sqlite:${path}`,
        "--max-drift",
        "3%",
        "--json",
      ],
      env,
    );
    expect(loose.code).toBe(0);
    expect(JSON.parse(loose.stdout)).toMatchObject({ exceeded: false, total: { driftPercent: -2.5 } });
    for (const output of [strict, loose]) {
      expect(output.stdout + output.stderr).not.toContain(OPENAI_ADMIN);
      expect(output.stdout + output.stderr).not.toContain(ANTHROPIC_ADMIN);
    }
    expect((await cli(["reconcile", "--store", `sqlite:${path}`], env)).code).toBe(2);
    expect((await cli(["reconcile", "2026-13-40", "--store", `sqlite:${path}`], env)).stderr).toContain(
      "UTC day",
    );
  });
});
