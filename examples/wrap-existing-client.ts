// Wrap a client you already have: wrap() meters that client in place and returns it. Every request it sends is
// held and settled on the session's budget; everything else about it is unchanged (`withResponse()`,
// `withOptions()`, `models.list()`...), and its key moves into spendguard's transport. Offline by default.
import OpenAI from "openai";
import { BudgetedSession } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

const fake = process.env.OPENAI_API_KEY ? undefined : await startFakeProviders();
const openai = new OpenAI(fake ? { apiKey: "sk-offline", baseURL: fake.openai.baseURL } : {});

const session = new BudgetedSession({ budgetUsd: 0.02, id: "wrap-example" });
const client = session.wrap(openai, { tier: "standard" });
console.log("the same client, metered:", client === openai);

// The SDK's own APIPromise comes back: withResponse() still gives the raw response and request id.
const { data, request_id } = await client.chat.completions
  .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "One word: ok?" }] })
  .withResponse();
console.log("reply:", data.choices[0]?.message.content, "request id:", request_id);

// Streams are metered too; spendguard asks for the usage chunk and hides it from you.
const stream = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Count to five." }],
  stream: true,
});
let text = "";
for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
console.log("streamed:", text);

const [last] = await session.history({ limit: 1 });
console.log(`last call: ${last?.model}, $${last?.actualUsd.toFixed(8)} from ${last?.source}`);
console.log(
  `spent $${session.getTotalSpent().toFixed(8)}, remaining $${session.getRemainingBudget().toFixed(8)}`,
);
await session.close();
await fake?.close();
