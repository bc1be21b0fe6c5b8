// `npm run build && npx tsx bench/telemetry.ts`: what telemetry costs a wrapped call, measured side by side in
// one run. CPU per call of the client process with an in-memory fetch (no network), rounds interleaved:
//   raw client · wrapped, no observers · wrapped + openTelemetry() with no SDK registered (the no-op path) ·
//   wrapped + openTelemetry() with an SDK registered (in-memory span exporter and metric reader).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { context, trace } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import OpenAI from "openai";

const root = fileURLToPath(new URL("..", import.meta.url));
const distEntry = `${root}dist/index.js`;
if (!existsSync(distEntry)) throw new Error("dist/ is missing: run `npm run build` first");
const { BudgetedSession, memoryStore, openTelemetry }: typeof import("../src/index.js") = await import(
  distEntry
);

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const answer = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Budgets keep agents honest." },
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 30, completion_tokens: 6, total_tokens: 36 },
});
const fetch = async () =>
  new Response(answer, { status: 200, headers: { "content-type": "application/json" } });
const options = { apiKey: "sk-bench", baseURL: "http://127.0.0.1:9/v1", maxRetries: 0, fetch };
const params = {
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content: "Summarize the benefits of budgets for AI agents." }],
  max_completion_tokens: 200,
};

function wrapped(observers?: ReturnType<typeof openTelemetry>[]): OpenAI {
  const session = new BudgetedSession({
    budgetUsd: 1_000_000,
    store: memoryStore({ historyLimit: 100 }),
    ...(observers && { observers }),
  });
  return session.wrap(new OpenAI(options));
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const meterProvider = new MeterProvider({ readers: [new Reader()] });
// The SDK is handed to this one observer through `api` (never registered globally), so the no-SDK variant
// keeps seeing the API's no-op providers in the same process.
const withSdk = {
  trace: {
    getTracer: (name: string) => tracerProvider.getTracer(name),
    getActiveSpan: () => trace.getActiveSpan(),
  },
  metrics: { getMeter: (name: string) => meterProvider.getMeter(name) },
  context,
};

// BASE_DIST=<another build's dist/index.js>: also time that build's wrapper (the same release before a change).
const baseDist = process.env.BASE_DIST;
const baseBuild: typeof import("../src/index.js") | undefined = baseDist ? await import(baseDist) : undefined;

const variants: { label: string; client: OpenAI }[] = [
  ...(baseBuild
    ? [
        {
          label: "wrapped, BASE_DIST build",
          client: new baseBuild.BudgetedSession({
            budgetUsd: 1_000_000,
            store: baseBuild.memoryStore({ historyLimit: 100 }),
          }).wrap(new OpenAI(options)),
        },
      ]
    : []),
  { label: "raw client", client: new OpenAI(options) },
  { label: "wrapped, no observers", client: wrapped() },
  { label: "wrapped + openTelemetry(), no SDK registered", client: wrapped([openTelemetry()]) },
  {
    label: "wrapped + openTelemetry(), in-memory SDK",
    client: wrapped([openTelemetry({ api: withSdk as never })]),
  },
];

async function round(client: OpenAI, calls: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) await client.chat.completions.create(params);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

const timings = variants.map(() => [] as number[]);
let exported = 0;
for (const variant of variants) await round(variant.client, 1500); // warm-up
for (let r = 0; r < 10; r++) {
  const order = r % 2 === 0 ? [...variants.entries()] : [...variants.entries()].reverse();
  for (const [index, variant] of order) {
    timings[index]?.push(await round(variant.client, 1000));
    exported += exporter.getFinishedSpans().length;
    exporter.reset(); // keep memory flat
  }
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const medians = timings.map(median);
const reference = variants.findIndex((variant) => variant.label === "wrapped, no observers");
const wrappedMedian = medians[reference] ?? Number.NaN;
console.log(`node ${process.version}: CPU per call, median of 10 interleaved rounds of 1,000 calls`);
for (const [index, variant] of variants.entries()) {
  const value = medians[index] ?? Number.NaN;
  const diff = value - wrappedMedian;
  const delta =
    index === reference || variant.label === "raw client"
      ? ""
      : ` (${diff >= 0 ? "+" : ""}${diff.toFixed(1)} µs vs wrapped, no observers)`;
  console.log(`  ${variant.label.padEnd(48)} ${value.toFixed(1).padStart(7)} µs${delta}`);
}
console.log(`  spans exported by the in-memory SDK while measured: ${exported}`);
