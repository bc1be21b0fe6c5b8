// Spend where teams already look: OpenTelemetry spans with the cost, an alert webhook, Prometheus /metrics.
// Offline: the fake provider server, an in-memory span exporter, a local webhook receiver.
import { createServer } from "node:http";
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { BudgetedSession, memoryStore, openTelemetry, prometheusText, webhookAlerts } from "spendguard";
import { startFakeProviders } from "spendguard/testing";

// 1. Your app registers an OpenTelemetry SDK as usual (here: in memory; in production an OTLP exporter).
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);

// 2. A webhook receiver (Slack, PagerDuty, your own endpoint).
const receiver = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on("end", () => {
    const alert = JSON.parse(body);
    console.log(`webhook: ${alert.type} ${alert.budgetId} ${alert.threshold}% (${alert.percentUsed}% used)`);
    response.end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const { port } = receiver.address() as { port: number };

// 3. spendguard: observers see every call; the store decides when a threshold fires.
const fake = await startFakeProviders();
const store = memoryStore();
const alerts = webhookAlerts({ url: `http://127.0.0.1:${port}/hooks/spend`, secret: "whsec_example" });
const client = BudgetedSession.openai({
  budgetUsd: 0.00003,
  id: "nightly",
  store,
  warningThresholds: [10, 30],
  observers: [openTelemetry(), alerts],
  apiKey: "sk-offline",
  clientOptions: { baseURL: fake.openai.baseURL },
});
for (let call = 0; call < 3; call++) {
  await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Write one line about budgets." }],
    max_completion_tokens: 20,
  });
}
await alerts.flush();

for (const span of exporter.getFinishedSpans()) {
  const cost = span.attributes["gen_ai.usage.cost"] as number;
  console.log(
    `span: ${span.name}  cost $${cost.toFixed(9)}  tokens ${span.attributes["gen_ai.usage.input_tokens"]}`,
  );
}

// 4. What `GET /metrics` of `spendguard dashboard` serves Prometheus: every process's spend, from the store.
const exposition = await prometheusText(store);
console.log(
  `metrics: ${exposition.split("\n").find((line) => line.startsWith("spendguard_budget_spent_usd{"))}`,
);

await fake.close();
receiver.close();
