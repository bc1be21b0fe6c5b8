// A wrapped Anthropic client: prompt caching priced right, a stream, and the exact input count.
// Offline by default: without ANTHROPIC_API_KEY it talks to spendguard's fake provider server.
import { BudgetedSession } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const fake = process.env.ANTHROPIC_API_KEY ? undefined : await startFakeProviders();

const claude = BudgetedSession.anthropic({
  budgetUsd: 0.5,
  anthropic: { exactInputTokens: true }, // hold the exact input (messages.countTokens is free)
  onCost: (record) =>
    console.log(
      `${record.model}: $${record.actualUsd.toFixed(6)} ` +
        `(input ${record.usage?.inputTokens}, cache read ${record.usage?.cachedInputTokens ?? 0}, ` +
        `cache write ${record.usage?.cacheWriteTokens ?? 0}, output ${record.usage?.outputTokens})`,
    ),
  ...(fake && { apiKey: "sk-ant-offline", clientOptions: { baseURL: fake.anthropic.baseURL } }),
});

// A long system prompt cached with cache_control: the first call writes the cache, the second reads it.
const system = [
  {
    type: "text" as const,
    text: "You are a meticulous assistant for a budgeting library. ".repeat(200),
    cache_control: { type: "ephemeral" as const },
  },
];
for (const question of ["What is a hold?", "What is a lease?"]) {
  await claude.messages.create({
    model: "claude-haiku-4-5",
    max_tokens: 200,
    system,
    messages: [{ role: "user", content: question }],
  });
}

// The SDK's stream helper works through the wrapper; the stream settles from its final usage.
const message = await claude.messages
  .stream({ model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user", content: "Say hi" }] })
  .finalMessage();
console.log("streamed:", message.content[0]?.type === "text" ? message.content[0].text : "");

const summary = claude.session.getSummary();
console.log(`spent $${summary.spent.toFixed(6)} of $${summary.budget} in ${summary.requests} calls`);
await fake?.close();
