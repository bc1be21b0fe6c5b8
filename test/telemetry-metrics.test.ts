import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { metrics, trace } from "@opentelemetry/api";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { BudgetedSession, openTelemetry, type SessionOptions } from "../src/index.js";
import { loadOpenTelemetryApi } from "../src/telemetry/index.js";
import { TestReader, useOpenTelemetrySdk } from "./fixtures/otel.js";
import { openaiClient, sharedFakeProviders, user } from "./helpers.js";

const fake = sharedFakeProviders();
const root = fileURLToPath(new URL("..", import.meta.url));
const { exporter, installTracer, installMeter, points } = useOpenTelemetrySdk();

function session(options: Partial<SessionOptions> = {}) {
  return new BudgetedSession({ budgetUsd: 5, observers: [openTelemetry()], ...options });
}

describe("OpenTelemetry metrics", () => {
  it("token usage by type, duration, cost by session/provider/model, refusals by code, budget gauges", async () => {
    const guarded = session({ id: "otel-metrics", budgetUsd: 1 });
    const client = guarded.wrap(openaiClient(fake));
    fake.script("openai.chat", { usage: { prompt_tokens: 700, completion_tokens: 70 } });
    await client.chat.completions.create({ model: "gpt-4.1-mini", max_tokens: 100, messages: user("m") });
    await expect(
      client.chat.completions.create({ model: "gpt-4.1-mini", max_tokens: 2_000_000, messages: user("m") }),
    ).rejects.toThrow();
    const [, settled] = await guarded.history(); // newest first
    const model = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4.1-mini",
    };
    const tokenPoints = (await points("gen_ai.client.token.usage")).filter(
      (point) => point.attributes["gen_ai.request.model"] === "gpt-4.1-mini",
    );
    expect(tokenPoints).toEqual([
      {
        attributes: { ...model, "gen_ai.response.model": "gpt-4.1-mini", "gen_ai.token.type": "input" },
        value: { sum: 700, count: 1 },
      },
      {
        attributes: { ...model, "gen_ai.response.model": "gpt-4.1-mini", "gen_ai.token.type": "output" },
        value: { sum: 70, count: 1 },
      },
    ]);
    const durations = (await points("gen_ai.client.operation.duration")).filter(
      (point) => point.attributes["gen_ai.request.model"] === "gpt-4.1-mini",
    );
    expect(durations).toHaveLength(1);
    expect(durations[0]?.value).toMatchObject({ count: 1 });
    const cost = (await points("spendguard.cost")).filter(
      (point) => point.attributes["spendguard.session.id"] === "otel-metrics",
    );
    expect(cost).toEqual([
      {
        attributes: {
          "spendguard.session.id": "otel-metrics",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-4.1-mini",
        },
        value: settled?.actualUsd,
      },
    ]);
    const refusals = (await points("spendguard.refusals")).filter(
      (point) => point.attributes["spendguard.session.id"] === "otel-metrics",
    );
    expect(refusals).toEqual([
      {
        attributes: {
          "spendguard.session.id": "otel-metrics",
          "error.type": "budget_exceeded",
          "gen_ai.provider.name": "openai",
        },
        value: 1,
      },
    ]);
    const spent = (await points("spendguard.budget.spent")).find(
      (point) => point.attributes["spendguard.budget.id"] === "otel-metrics",
    );
    expect(spent?.value).toBe(guarded.getTotalSpent());
    const remaining = (await points("spendguard.budget.remaining")).find(
      (point) => point.attributes["spendguard.budget.id"] === "otel-metrics",
    );
    expect(remaining?.value).toBe(guarded.getRemainingBudget());
  });
});

describe("OpenTelemetry metrics registered late", () => {
  it("an observer already in use before the app registers its MeterProvider records into it afterwards", async () => {
    metrics.disable();
    const lateReader = new TestReader();
    try {
      const guarded = session({ id: "otel-late" });
      const client = guarded.wrap(openaiClient(fake));
      await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 20, messages: user("early") });
      const early = guarded.getTotalSpent(); // recorded nowhere: no SDK yet
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [lateReader] }));
      await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 20, messages: user("late") });
      const { resourceMetrics } = await lateReader.collect();
      const cost = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === "spendguard.cost");
      expect(cost?.dataPoints.map((point) => point.value)).toEqual([guarded.getTotalSpent() - early]);
    } finally {
      metrics.disable();
      installMeter();
    }
  });
});

describe("without OpenTelemetry", () => {
  it("is a no-op when @opentelemetry/api is not installed", async () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: "MODULE_NOT_FOUND" });
    };
    expect(loadOpenTelemetryApi(missing)).toBeUndefined();
    expect(loadOpenTelemetryApi()).toBeDefined();
  });

  it("a session with openTelemetry() works in a process where @opentelemetry/api cannot be loaded", () => {
    // Every require of the package fails in the child, as when it is not installed.
    const hideApi =
      'const M = require("node:module"); const resolve = M._resolveFilename; M._resolveFilename = function (r, ...a) {' +
      ' if (r === "@opentelemetry/api" || r.startsWith("@opentelemetry/api/")) throw Object.assign(new Error("Cannot find module " + r), { code: "MODULE_NOT_FOUND" });' +
      " return resolve.call(this, r, ...a); };";
    const hideApiFile = join(mkdtempSync(join(tmpdir(), "spendguard-otel-")), "hide-api.cjs");
    writeFileSync(hideApiFile, hideApi);
    const script = `
      import { BudgetedSession, openTelemetry } from "./src/index.ts";
      const observer = openTelemetry();
      const session = new BudgetedSession({ budgetUsd: 1, observers: [observer] });
      await session.guard({ provider: "openai", model: "gpt-4o-mini", estimateUsd: 0.01 }, (settle) => settle(0.004));
      console.log(JSON.stringify({ hooks: Object.keys(observer), spent: session.getTotalSpent() }));`;
    const child = spawnSync(
      process.execPath,
      ["--require", hideApiFile, "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({ hooks: [], spent: 0.004 });
  });

  it("makes no span and records no cost when no SDK is registered", async () => {
    trace.disable();
    metrics.disable();
    try {
      const guarded = session({ id: "otel-none" });
      const client = guarded.wrap(openaiClient(fake));
      await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 50, messages: user("x") });
      expect(guarded.getTotalSpent()).toBeGreaterThan(0);
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      expect(
        (await points("spendguard.cost")).filter(
          (p) => p.attributes["spendguard.session.id"] === "otel-none",
        ),
      ).toEqual([]);
    } finally {
      installTracer();
    }
  });

  it("rejects bad options with a typed error naming the option", () => {
    expect(() => openTelemetry({ spans: "nested" as never })).toThrow(
      /`spans`.*"auto", "own", "active" or "none"/,
    );
    expect(() => new BudgetedSession({ budgetUsd: 1, observers: "otel" as never })).toThrow(/`observers`/);
  });
});
