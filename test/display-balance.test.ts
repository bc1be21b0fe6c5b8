import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { BudgetedSession, displayBalance } from "../src/index.js";
import { sqliteStore } from "../src/stores/sqlite.js";
import { seededRandom } from "../src/testing/seeded-random.js";

describe("displayBalance (issue 12, item 8)", () => {
  it("the demo's numbers: spent + remaining shown add up to the budget shown", () => {
    const shown = displayBalance({ budget: 0.02, spent: 0.0178475, reserved: 0 });
    expect(shown.spent.toFixed(6)).toBe("0.017848");
    expect(shown.remaining.toFixed(6)).toBe("0.002152");
    expect((shown.spent + shown.remaining).toFixed(6)).toBe("0.020000");
  });

  it("never understates spend and never overstates what is left, for many random balances", () => {
    const random = seededRandom(12);
    for (let index = 0; index < 20_000; index++) {
      // Budgets are whole micro-dollars here (users give USD amounts like 0.02); spend and holds are any nano.
      const budgetNano = 1000 * (1 + Math.floor(random() * 1e6));
      const spentNano = Math.floor(random() * budgetNano);
      const heldNano = Math.floor(random() * (budgetNano - spentNano));
      const balance = { budget: budgetNano / 1e9, spent: spentNano / 1e9, reserved: heldNano / 1e9 };
      const shown = displayBalance(balance);
      const micros = (usd: number) => Math.round(usd * 1e6);
      expect(micros(shown.spent) + micros(shown.reserved) + micros(shown.remaining)).toBe(
        micros(shown.budget),
      );
      expect(shown.spent).toBeGreaterThanOrEqual(balance.spent - 1e-12);
      expect(shown.remaining).toBeLessThanOrEqual(balance.budget - balance.spent - balance.reserved + 1e-12);
    }
  });

  it("spendguard status shows parts that add up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sg-display-"));
    const store = sqliteStore({ path: join(dir, "budgets.db") });
    const session = new BudgetedSession({ budgetUsd: 0.02, id: "demo", store });
    await session.guard({ provider: "x", model: "m", estimateUsd: 0.0178475 }, async () => undefined);
    let stdout = "";
    const code = await main(["status", "demo", "--store", `sqlite:${join(dir, "budgets.db")}`], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      stdin: process.stdin,
      env: {},
    });
    await session.close();
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^spent {7}\$0\.017848 /m);
    expect(stdout).toMatch(/^remaining {3}\$0\.002152$/m);
  });
});
