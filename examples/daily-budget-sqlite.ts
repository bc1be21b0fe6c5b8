// A daily budget kept in SQLite: every process on this machine that opens the same file shares it, and each
// UTC day starts at zero (no reset job: the day is part of the account key). Offline, against the fake server.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { BudgetExceededError, BudgetedSession } from "spendguard";
import { sqliteStore } from "spendguard/sqlite";
import { startFakeProviders } from "spendguard/testing";

const path = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), "spendguard-")), "budgets.db");
const fake = await startFakeProviders();
let now = Date.parse("2026-11-25T21:00:00Z"); // a clock we can move, to show the next day
fake.setDefault("openai.chat", { usage: { prompt_tokens: 2_000, completion_tokens: 500 } });

/** One "process": its own store handle and session on the shared file, same budget id. */
function agent(name: string) {
  const session = new BudgetedSession({
    budgetUsd: 0.002,
    id: "daily-summarizer",
    period: "day",
    store: sqliteStore({ path }),
    clock: () => now,
  });
  const client = session.wrap(new OpenAI({ apiKey: "sk-offline", baseURL: fake.openai.baseURL }));
  return { name, session, client };
}

async function work(worker: ReturnType<typeof agent>, calls: number) {
  for (let i = 0; i < calls; i++) {
    try {
      await worker.client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `Summarize report ${i}` }],
        max_completion_tokens: 500,
      });
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw error;
      console.log(`${worker.name}: ${i} call(s), then refused: today's budget is used up`);
      return;
    }
  }
  console.log(`${worker.name}: ${calls} call(s)`);
}

const first = agent("agent A");
const second = agent("agent B");
await work(first, 2);
await second.session.refresh();
console.log(`agent B sees today's spend: $${second.session.getTotalSpent().toFixed(6)} of $0.002`);
await work(second, 5);

now = Date.parse("2026-11-26T00:00:05Z");
console.log("--- the next day (UTC) ---");
await work(first, 1);
console.log(`today: $${first.session.getTotalSpent().toFixed(6)} spent`);
console.log(`store: ${path}`);
await Promise.all([first.session.close(), second.session.close()]);
await fake.close();
