import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDashboard } from "../src/dashboard/index.js";
import { BudgetedSession, type ThresholdAlert, webhookAlerts } from "../src/index.js";
import { usdToNano } from "../src/money.js";
import { listBudgets, report } from "../src/report/budgets.js";
import { redisStore } from "../src/stores/redis.js";
import type { AlertJob } from "./fixtures/alert-worker.js";
import { samples, scrape } from "./fixtures/prometheus.js";
import { freePort, type RedisServer, redisAvailable, startRedis } from "./fixtures/redis-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const worker = fileURLToPath(new URL("./fixtures/alert-worker.ts", import.meta.url));

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A webhook receiver on a free port: answers each POST with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = [], delayMs = 0) {
  const received: Received[] = [];
  const answered = { count: 0 };
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      setTimeout(() => {
        response.statusCode = statuses.shift() ?? 200;
        response.end();
        answered.count += 1;
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/hooks/secret-token-in-path`,
    received,
    answered,
    alerts: () => received.map((entry) => JSON.parse(entry.body) as ThresholdAlert),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function spend(session: BudgetedSession, usd: number): Promise<void> {
  await session.guard({ provider: "openai", model: "gpt-4o-mini", estimateUsd: usd }, (settle) => {
    settle(usd);
  });
}

describe("webhook alerts", () => {
  it("posts a crossed threshold once, with budget, period, threshold, percent used, spent, budget, remaining", async () => {
    const hook = await receiver();
    const alerts = webhookAlerts({ url: hook.url });
    const session = new BudgetedSession({
      budgetUsd: 10,
      id: "alerts-one",
      period: "day",
      warningThresholds: [50, 80],
      observers: [alerts],
    });
    await spend(session, 4);
    await spend(session, 4.5); // 85%: crosses 50 and 80 in one settle
    await spend(session, 0.5); // 90%: nothing new
    await alerts.flush();
    const day = new Date().toISOString().slice(0, 10);
    expect(hook.alerts()).toEqual([
      {
        type: "budget.threshold",
        budgetId: "alerts-one",
        period: day,
        threshold: 50,
        percentUsed: 85,
        spentUsd: 8.5,
        reservedUsd: 0,
        budgetUsd: 10,
        remainingUsd: 1.5,
        time: expect.any(String),
      },
      expect.objectContaining({ threshold: 80, percentUsed: 85 }),
    ]);
    expect(hook.received[0]?.headers["content-type"]).toBe("application/json");
    expect(hook.received[0]?.headers["x-spendguard-signature"]).toBeUndefined();
    await hook.close();
  });

  it("fires each threshold again in the next period, never twice in one", async () => {
    const hook = await receiver();
    const alerts = webhookAlerts({ url: hook.url });
    let now = Date.UTC(2026, 11, 4, 23, 0);
    const session = new BudgetedSession({
      budgetUsd: 1,
      id: "alerts-daily",
      period: "day",
      warningThresholds: [80],
      observers: [alerts],
      clock: () => now,
    });
    await spend(session, 0.85);
    await spend(session, 0.1); // still 2026-12-04: already fired
    now = Date.UTC(2026, 11, 5, 1, 0);
    await spend(session, 0.9);
    await alerts.flush();
    expect(hook.alerts().map((alert) => [alert.period, alert.threshold, alert.percentUsed])).toEqual([
      ["2026-12-04", 80, 85],
      ["2026-12-05", 80, 90],
    ]);
    await hook.close();
  });

  it("session.close() waits for the alerts in flight", async () => {
    const hook = await receiver([], 150);
    const session = new BudgetedSession({
      budgetUsd: 1,
      warningThresholds: [10],
      observers: [webhookAlerts({ url: hook.url })],
    });
    await spend(session, 0.2);
    await session.close();
    expect(hook.answered.count).toBe(1); // the receiver took 150 ms to answer
    await hook.close();
  });

  it("signs with HMAC-SHA256 over timestamp.body when a secret is set", async () => {
    const hook = await receiver();
    const alerts = webhookAlerts({ url: hook.url, secret: "whsec_test" });
    const session = new BudgetedSession({ budgetUsd: 1, warningThresholds: [10], observers: [alerts] });
    await spend(session, 0.2);
    await alerts.flush();
    const [delivery] = hook.received;
    const timestamp = String(delivery?.headers["x-spendguard-timestamp"]);
    const expectedSignature = createHmac("sha256", "whsec_test")
      .update(`${timestamp}.${delivery?.body}`)
      .digest("hex");
    expect(delivery?.headers["x-spendguard-signature"]).toBe(`sha256=${expectedSignature}`);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    // A wrong secret does not verify.
    const forged = createHmac("sha256", "other").update(`${timestamp}.${delivery?.body}`).digest("hex");
    expect(delivery?.headers["x-spendguard-signature"]).not.toBe(`sha256=${forged}`);
    await hook.close();
  });

  it("retries a failing receiver with backoff, the same delivery id each time, and never blocks a call", async () => {
    const hook = await receiver([500, 503], 300);
    const alerts = webhookAlerts({ url: hook.url, backoffMs: 20 });
    const session = new BudgetedSession({ budgetUsd: 1, warningThresholds: [10], observers: [alerts] });
    const started = performance.now();
    await spend(session, 0.2);
    await spend(session, 0.1);
    const callsTook = performance.now() - started;
    expect(callsTook).toBeLessThan(250); // the receiver takes 300 ms to answer each attempt
    await alerts.flush();
    expect(hook.received).toHaveLength(3);
    const ids = new Set(hook.received.map((entry) => entry.headers["x-spendguard-delivery"]));
    expect(ids.size).toBe(1);
    await hook.close();
  });

  it("gives up after maxAttempts with a warning that names the origin, never the URL's path or the secret", async () => {
    const hook = await receiver([500, 500, 500]);
    const errors: Error[] = [];
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    const alerts = webhookAlerts({
      url: hook.url,
      secret: "whsec_hidden",
      maxAttempts: 3,
      backoffMs: 1,
      onError: (error) => errors.push(error),
    });
    const session = new BudgetedSession({ budgetUsd: 1, warningThresholds: [10], observers: [alerts] });
    await spend(session, 0.2);
    await alerts.flush();
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    expect(hook.received).toHaveLength(3);
    expect(errors[0]?.message).toMatch(/not delivered to http:\/\/127\.0\.0\.1:\d+: HTTP 500/);
    for (const text of [...warnings, ...errors.map((error) => error.message)]) {
      expect(text).not.toContain("secret-token-in-path");
      expect(text).not.toContain("whsec_hidden");
    }
    await hook.close();
  });

  it("gives up on a receiver that never answers after timeoutMs per attempt", async () => {
    const hook = await receiver([], 2_000);
    const errors: Error[] = [];
    const alerts = webhookAlerts({
      url: hook.url,
      timeoutMs: 50,
      maxAttempts: 2,
      backoffMs: 1,
      onError: (error) => errors.push(error),
    });
    const session = new BudgetedSession({ budgetUsd: 1, warningThresholds: [10], observers: [alerts] });
    await spend(session, 0.2);
    const started = performance.now();
    await alerts.flush();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/was not delivered to http:\/\/127\.0\.0\.1:\d+: timed out$/),
    ]);
    await hook.close();
  });

  it("does not retry a 4xx other than 408/429", async () => {
    const hook = await receiver([404]);
    const alerts = webhookAlerts({ url: hook.url, backoffMs: 1, onError: () => undefined });
    const session = new BudgetedSession({ budgetUsd: 1, warningThresholds: [10], observers: [alerts] });
    await spend(session, 0.2);
    await alerts.flush();
    expect(hook.received).toHaveLength(1);
    await hook.close();
  });

  it("warns when a single call holds more than largeHoldFraction of its budget", async () => {
    const hook = await receiver();
    const alerts = webhookAlerts({ url: hook.url, largeHoldFraction: 0.25 });
    const session = new BudgetedSession({
      budgetUsd: 10,
      id: "alerts-large",
      warningThresholds: [100],
      observers: [alerts],
    });
    await spend(session, 2.5); // exactly a quarter: not more
    await spend(session, 3);
    await alerts.flush();
    expect(hook.alerts()).toEqual([
      {
        type: "call.large_hold",
        budgetId: "alerts-large",
        callId: expect.stringMatching(/^call_/),
        provider: "openai",
        model: "gpt-4o-mini",
        holdUsd: 3,
        budgetUsd: 10,
        fraction: 0.3,
        time: expect.any(String),
      },
    ]);
    await hook.close();
  });

  it("rejects bad options with a typed error that never prints the URL or the secret", () => {
    expect(() => webhookAlerts({ url: "not a url" })).toThrow(/`url` to be an http\(s\) URL/);
    expect(() => webhookAlerts({ url: "ftp://x.example/" })).toThrow(/`url`/);
    expect(() => webhookAlerts({ url: "https://x.example/", secret: "" })).toThrow(/`secret`/);
    expect(() => webhookAlerts({ url: "https://x.example/", maxAttempts: 0 })).toThrow(/`maxAttempts`/);
    expect(() => webhookAlerts({ url: "https://x.example/", largeHoldFraction: 2 })).toThrow(
      /`largeHoldFraction` to be a number in \(0, 1\]/,
    );
    let message = "";
    try {
      webhookAlerts({ url: "hooks.example/T0/secret-path" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/`url`/);
    expect(message).not.toContain("secret-path");
  });
});

if (redisAvailable("test/alerts.test.ts")) {
  describe("across processes on one Redis budget", () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis(await freePort());
    });
    afterAll(async () => {
      await server?.stop();
    });

    function run(job: AlertJob): Promise<{ spent: number; refused: number }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", worker, JSON.stringify(job)], {
          cwd: root,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (data: Buffer) => {
          out += data.toString();
        });
        child.stderr.on("data", (data: Buffer) => {
          err += data.toString();
        });
        child.on("exit", (code) => {
          const line = out.split("\n").find((entry) => entry.startsWith("RESULT "));
          if (code !== 0 || !line) reject(new Error(`worker exited ${code}: ${err}`));
          else resolve(JSON.parse(line.slice(7)));
        });
      });
    }

    it("4 processes crossing 80% deliver exactly one POST per threshold; /metrics totals equal the store's", async () => {
      const hook = await receiver();
      const job: AlertJob = {
        redisUrl: server.url,
        prefix: "alerts4",
        budgetId: "shared-alerts",
        budgetUsd: 1,
        thresholds: [50, 80],
        calls: 25,
        amountUsd: 0.009,
        webhookUrl: hook.url,
        model: "gpt-4o-mini",
      };
      // 4 × 25 × $0.009 = $0.90: every process spends past 50% and 80% of the shared $1.
      const results = await Promise.all([1, 2, 3, 4].map(() => run(job)));
      expect(results.reduce((sum, result) => sum + result.refused, 0)).toBe(0);
      const thresholds = hook.alerts().map((alert) => alert.threshold);
      expect(thresholds.sort((a, b) => a - b)).toEqual([50, 80]);
      const store = redisStore({ url: server.url, prefix: "alerts4" });
      try {
        const [budget] = await listBudgets(store);
        expect(budget?.spentUsd).toBeCloseTo(0.9, 9);
        const rows = await report(store, { by: "session" });
        expect(rows[0]?.requests).toBe(100);
        const dashboard = await startDashboard({ store });
        try {
          const text = await (await scrape(dashboard)).text();
          const labels = { budget: "shared-alerts", period: "" };
          expect(samples(text, "spendguard_budget_spent_usd")).toEqual([{ labels, value: budget?.spentUsd }]);
          expect(samples(text, "spendguard_budget_remaining_usd")).toEqual([
            { labels, value: budget?.remainingUsd },
          ]);
          const cost = samples(text, "spendguard_cost_usd_total");
          const costNano = cost.reduce((sum, sample) => sum + usdToNano(sample.value), 0);
          expect(costNano).toBe(usdToNano(budget?.spentUsd ?? -1));
          const calls = samples(text, "spendguard_calls_total");
          expect(calls).toEqual([
            {
              labels: {
                session: "shared-alerts",
                provider: "openai",
                model: "gpt-4o-mini",
                status: "settled",
              },
              value: 100,
            },
          ]);
        } finally {
          await dashboard.close();
        }
      } finally {
        await store.close?.();
      }
      await hook.close();
    }, 60_000);
  });
}
