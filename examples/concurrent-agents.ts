// Eight agents share one $0.01 budget and fire requests concurrently. Strict mode holds each call's worst
// case before it is sent, so committed spend can never pass the budget, however the calls interleave.
// Offline by default (see quickstart.ts).
import OpenAI from "openai";
import { BudgetedSession, isSpendguardError } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const fake = process.env.OPENAI_API_KEY ? undefined : await startFakeProviders();
// Answers of about 300 words, like real agents produce.
fake?.setDefault("openai.chat", { content: "lorem ipsum ".repeat(150).trim() });

const session = new BudgetedSession({ budgetUsd: 0.01, id: "team" });
const client = session.wrap(new OpenAI(fake ? { apiKey: "sk-offline", baseURL: fake.openai.baseURL } : {}));

let refused = 0;
async function agent(name: string): Promise<void> {
  for (let turn = 0; turn < 5; turn++) {
    try {
      await client.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: `${name}, turn ${turn}: summarize the news.` }],
        max_completion_tokens: 400,
      });
    } catch (error) {
      if (isSpendguardError(error) && error.code === "budget_exceeded") {
        refused++;
        return;
      }
      throw error;
    }
  }
}

await Promise.all(Array.from({ length: 8 }, (_, i) => agent(`agent-${i + 1}`)));

const summary = session.getSummary();
console.log(`calls settled: ${summary.requests}, refused: ${refused}`);
console.log(
  `spent $${summary.spent.toFixed(6)} of $${summary.budget}, reserved $${summary.reserved.toFixed(6)}`,
);
console.log(summary.spent <= summary.budget ? "PASS: spent stayed within the budget" : "FAIL: overspent");
await session.close();
await fake?.close();
