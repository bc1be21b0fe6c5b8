// Quick start: a wrapped OpenAI client with a $0.05 budget.
// Offline by default: without OPENAI_API_KEY it talks to spendguard's built-in fake provider server.
import { BudgetExceededError, BudgetedSession } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const fake = process.env.OPENAI_API_KEY ? undefined : await startFakeProviders();

const client = BudgetedSession.openai({
  budgetUsd: 0.05,
  onWarning: (warning) => console.log(`warning: ${warning.threshold}% of the budget used`),
  ...(fake && { apiKey: "sk-offline", clientOptions: { baseURL: fake.openai.baseURL } }),
});

try {
  const reply = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello in five words." }],
    max_completion_tokens: 50,
  });
  console.log("reply:", reply.choices[0]?.message.content);
} catch (error) {
  if (error instanceof BudgetExceededError) console.log("refused:", error.message);
  else throw error;
}

const summary = client.session.getSummary();
console.log(`spent $${summary.spent.toFixed(6)} of $${summary.budget} (${summary.requests} call)`);
await fake?.close();
