// `npm run demo`: a small research agent works through a list of questions on a tight budget. Each call's
// cost, the budget bar, the warnings as they fire, the refusal, and a final summary are printed.
// Offline against spendguard's fake provider server; `npm run demo -- --live` with OPENAI_API_KEY set runs the
// same loop against the real API (it spends real money: at most the budget).
import { BudgetedSession, displayBalance, isSpendguardError } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const live = process.argv.includes("--live");
if (live && !process.env.OPENAI_API_KEY) {
  console.error("--live needs OPENAI_API_KEY in the environment");
  process.exit(1);
}

const BUDGET_USD = 0.02;
const MODEL = "gpt-4o";
const MAX_OUTPUT = 300;
const QUESTIONS = [
  "What limits the range of an electric car in winter?",
  "How do heat pumps change that?",
  "Which battery chemistries cope best with cold?",
  "How does preconditioning work?",
  "What do fleet operators do about it?",
  "Summarize everything for a newsletter.",
  "Turn the summary into ten tweets.",
  "Translate the tweets into French.",
];

const fake = live ? undefined : await startFakeProviders();
// Offline answers of 150 to 400 words, like a chatty model.
let answer = 0;
fake?.setDefault("openai.chat", () => ({ content: words(150 + ((answer++ * 97) % 250)) }));

// Warnings fire while a call settles; they are printed after that call's line.
const warnings: string[] = [];
const client = BudgetedSession.openai({
  budgetUsd: BUDGET_USD,
  id: "demo-agent",
  onWarning: (warning) =>
    warnings.push(
      `   ⚠ warning: ${warning.threshold}% of the budget used ($${warning.spent.toFixed(5)} spent)`,
    ),
  ...(fake && { apiKey: "sk-offline", clientOptions: { baseURL: fake.openai.baseURL } }),
});
const { session } = client;

console.log(`\nspendguard demo: ${QUESTIONS.length} questions to ${MODEL} on a $${BUDGET_USD} budget`);
console.log(
  live ? "(live: real OpenAI API)\n" : "(offline: built-in fake provider; --live for the real API)\n",
);

const messages: { role: "system" | "user" | "assistant"; content: string }[] = [
  { role: "system", content: "You are a concise research assistant." },
];

for (const [index, question] of QUESTIONS.entries()) {
  messages.push({ role: "user", content: question });
  const estimate = await session.estimate({
    provider: "openai",
    operation: "chat.completions",
    params: { model: MODEL, messages, max_completion_tokens: MAX_OUTPUT },
  });
  process.stdout.write(`${index + 1}. ${question}\n   worst case $${estimate.costUsd.toFixed(5)} … `);
  try {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_completion_tokens: MAX_OUTPUT,
    });
    const content = reply.choices[0]?.message.content ?? "";
    messages.push({ role: "assistant", content });
    const [record] = await session.history({ limit: 1 });
    console.log(
      `charged $${record?.actualUsd.toFixed(5)} (${reply.usage?.prompt_tokens} in / ${reply.usage?.completion_tokens} out)`,
    );
    console.log(`   ${bar(session.getTotalSpent() / BUDGET_USD)}`);
    for (const warning of warnings.splice(0)) console.log(color(33, warning));
  } catch (error) {
    if (!isSpendguardError(error)) throw error;
    console.log(color(31, "refused"));
    console.log(color(31, `   ✗ ${error.message}`));
    break;
  }
}

const summary = session.getSummary();
// Rounded so that spent + reserved + remaining shown add up to the budget shown.
const shown = displayBalance(summary);
console.log("\nsummary");
console.table({
  budget: usd(shown.budget),
  spent: usd(shown.spent),
  reserved: usd(shown.reserved),
  remaining: usd(shown.remaining),
  utilization: `${summary.utilizationPercent.toFixed(1)}%`,
  "calls settled": summary.requests,
  "calls refused": summary.blocked,
});
console.table(
  Object.fromEntries(
    Object.entries(summary.byModel).map(([model, totals]) => [
      model,
      {
        calls: totals.requests,
        input: totals.inputTokens,
        output: totals.outputTokens,
        spent: usd(totals.spentUsd),
      },
    ]),
  ),
);
console.log(summary.spent <= summary.budget ? "Committed spend stayed within the budget." : "Over budget!");
await session.close();
await fake?.close();

function words(count: number): string {
  const vocabulary = [
    "battery",
    "range",
    "cold",
    "heat",
    "pump",
    "charge",
    "cell",
    "winter",
    "energy",
    "drive",
  ];
  return Array.from({ length: count }, (_, i) => vocabulary[(i * 7) % vocabulary.length]).join(" ");
}

function bar(fraction: number): string {
  const width = 30;
  const filled = Math.min(width, Math.round(fraction * width));
  const text = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% of budget`;
  return color(fraction >= 0.8 ? 33 : 32, text);
}

function usd(value: number): string {
  return `$${value.toFixed(6)}`;
}

function color(code: number, text: string): string {
  return process.stdout.isTTY ? `\u001b[${code}m${text}\u001b[0m` : text;
}
