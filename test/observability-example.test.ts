import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("examples/observability.ts, offline", () => {
  it("prints a span with the cost, each threshold's webhook once, and the /metrics line", () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.OPENAI_API_KEY;
    const child = spawnSync(process.execPath, ["--import", "tsx", "examples/observability.ts"], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const lines = child.stdout.trim().split("\n");
    expect(lines.filter((line) => line.startsWith("webhook:"))).toEqual([
      "webhook: budget.threshold nightly 10% (16.5% used)",
      "webhook: budget.threshold nightly 30% (33% used)",
    ]);
    expect(lines.filter((line) => line.startsWith("span:"))).toEqual(
      Array(3).fill("span: chat gpt-4o-mini  cost $0.000004950  tokens 13"),
    );
    expect(lines).toContain('metrics: spendguard_budget_spent_usd{budget="nightly",period=""} 0.00001485');
  });
});
