// `npm run bench`: spendguard's overhead, measured side by side in one run (ratios, not absolute timings).
//   1. a wrapped vs a raw `chat.completions.create` against the same local fake server (in its own process):
//      non-streaming and a 1,000-chunk stream (median time per call, rounds interleaved so machine noise hits
//      both alike);
//      plus the CPU a wrapped call adds with an in-memory fetch (no network in the way);
//   2. token counting of a 100-turn agent conversation: incremental (memoized) vs a full recount;
//   3. the memory ledger: reserve + settle pairs per second, sequential and 64 concurrent flows; the same
//      through each store (memory, SQLite, Redis: bench/stores.ts);
//   4. cold `import("spendguard")` of the built package, in fresh processes, and which heavy modules it loads.

import { createHook } from "node:async_hooks";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics } from "node:v8";
import { observeOpenAI } from "@langfuse/openai";
import OpenAI from "openai";
import type { ScopeRef } from "../src/stores/types.js";
import { countChatInput, loadTokenizer } from "../src/tokenize/index.js";
import { createTokenizer } from "../src/tokenize/tokenizer.js";
import type { CallRecord } from "../src/types.js";
import { postgresThroughput } from "./postgres.js";
import { storeThroughput } from "./stores.js";

const root = fileURLToPath(new URL("..", import.meta.url));
// The wrapper is measured as shipped: the built package (`npm run bench` builds first), not the sources
// through tsx, whose dev transforms add work to every closure.
const distEntry = `${root}dist/index.js`;
if (!existsSync(distEntry)) throw new Error("dist/ is missing: run `npm run build` (npm run bench does)");
const { BudgetedSession, memoryStore }: typeof import("../src/index.js") = await import(distEntry);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const fmt = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);
const rows: [string, string, string, string][] = [];

/**
 * Times the raw call and each contender in turn (the order rotates every round), so drift and noise on a busy
 * machine hit all alike; compares the medians with the raw call's.
 */
async function compare(
  label: string,
  samples: number,
  raw: () => Promise<unknown>,
  contenders: readonly (readonly [string, () => Promise<unknown>])[],
): Promise<void> {
  const all = [["raw", raw] as const, ...contenders];
  const times = all.map(() => [] as number[]);
  for (let i = 0; i < Math.ceil(samples / 5); i++) for (const [, fn] of all) await fn();
  for (let i = 0; i < samples; i++) {
    for (let k = 0; k < all.length; k++) {
      const index = (i + k) % all.length;
      const fn = all[index]?.[1] as () => Promise<unknown>;
      const start = performance.now();
      await fn();
      times[index]?.push(performance.now() - start);
    }
  }
  const rawMedian = median(times[0] ?? []);
  contenders.forEach(([name], index) => {
    const value = median(times[index + 1] ?? []);
    rows.push([`${label}: ${name}`, fmt(rawMedian), fmt(value), `${(value / rawMedian).toFixed(3)}×`]);
  });
}

/** The fake provider server in a child process, like a real provider outside the caller's event loop. */
async function startServerProcess(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", `${root}bench/fake-server-process.ts`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim()));
    child.once("exit", (code) => reject(new Error(`fake server exited with ${code}`)));
  });
  return { url, stop: () => child.stdin.end() };
}

async function wrapperOverhead(): Promise<void> {
  const server = await startServerProcess();
  const options = { apiKey: "sk-bench", baseURL: `${server.url}/v1`, maxRetries: 0 };
  const raw = new OpenAI(options);
  const session = new BudgetedSession({ budgetUsd: 1_000_000, store: memoryStore({ historyLimit: 100 }) });
  const wrapped = session.wrap(new OpenAI(options));
  // The peer: @langfuse/openai (tracking only, no budget), with no OpenTelemetry SDK registered.
  const peer = observeOpenAI(new OpenAI(options));
  const params = {
    model: "gpt-4o-mini",
    messages: [
      { role: "system" as const, content: "You are a helpful assistant." },
      { role: "user" as const, content: "Summarize the benefits of budgets for AI agents in one sentence." },
    ],
    max_completion_tokens: 200,
  };
  await compare("chat.completions.create (JSON)", 3000, () => raw.chat.completions.create(params), [
    ["spendguard", () => wrapped.chat.completions.create(params)],
    ["@langfuse/openai", () => peer.chat.completions.create(params)],
  ]);

  const consume = async (client: OpenAI, includeUsage: boolean) => {
    const stream = await client.chat.completions.create({
      ...params,
      max_completion_tokens: 2000,
      stream: true,
      ...(includeUsage && { stream_options: { include_usage: true } }),
    });
    for await (const _ of stream) {
      // read every chunk
    }
  };
  await compare("1,000-chunk stream, caller asks for usage", 200, () => consume(raw, true), [
    ["spendguard", () => consume(wrapped, true)],
    ["@langfuse/openai", () => consume(peer, true)],
  ]);
  // What asking for the usage chunk costs by itself (a `"usage":null` on every chunk, one more chunk): the
  // provider's format, not spendguard's work, but part of what a caller who did not ask for it pays.
  await compare("raw stream without include_usage", 200, () => consume(raw, false), [
    ["raw with include_usage", () => consume(raw, true)],
    ["spendguard, usage chunk hidden", () => consume(wrapped, false)],
  ]);
  await session.close();
  server.stop();
}

/**
 * CPU time per call of the client process, raw vs wrapped, with an in-memory fetch answering at once: what
 * spendguard adds to a call without any network in the way (DESIGN 7 budgets ~20 µs outside tokenizing).
 * Rounds alternate raw and wrapped; the medians of the per-round averages are compared.
 */
async function cpuPerCall(): Promise<void> {
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
  const raw = new OpenAI(options);
  const session = new BudgetedSession({ budgetUsd: 1_000_000, store: memoryStore({ historyLimit: 100 }) });
  const wrapped = session.wrap(new OpenAI(options));
  const params = {
    model: "gpt-4o-mini",
    messages: [{ role: "user" as const, content: "Summarize the benefits of budgets for AI agents." }],
    max_completion_tokens: 200,
  };
  const peer = observeOpenAI(new OpenAI(options));
  const round = async (client: OpenAI, calls: number) => {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) await client.chat.completions.create(params);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / calls;
  };
  const contenders = [
    ["raw", raw],
    ["spendguard", wrapped],
    ["@langfuse/openai", peer],
  ] as const;
  for (const [, client] of contenders) await round(client, 2000);
  const cpu = contenders.map(() => [] as number[]);
  for (let i = 0; i < 12; i++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (i + k) % contenders.length;
      cpu[index]?.push(await round(contenders[index]?.[1] as OpenAI, 1000));
    }
  }
  const call = (client: OpenAI) => () => client.chat.completions.create(params);
  const rawCpu = median(cpu[0] ?? []);
  const rawPromises = await promisesPerCall(call(raw));
  const rawBytes = await bytesPerCall(call(raw));
  rows.push([
    "CPU per call, in-memory fetch: raw",
    `${rawCpu.toFixed(0)} µs`,
    `${rawPromises.toFixed(0)} promises`,
    `${(rawBytes / 1024).toFixed(1)} KB`,
  ]);
  for (const index of [1, 2]) {
    const [name, client] = contenders[index] as (typeof contenders)[number];
    const value = median(cpu[index] ?? []);
    const promises = await promisesPerCall(call(client));
    const bytes = await bytesPerCall(call(client));
    rows.push([
      `CPU per call, in-memory fetch: ${name}`,
      `+${(value - rawCpu).toFixed(0)} µs`,
      `+${(promises - rawPromises).toFixed(0)} promises`,
      `+${((bytes - rawBytes) / 1024).toFixed(1)} KB`,
    ]);
  }
  await session.close();
}

/** Promises created per call (async_hooks counts every promise, awaited or not). */
async function promisesPerCall(fn: () => Promise<unknown>, calls = 500): Promise<number> {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "PROMISE") count++;
    },
  });
  hook.enable();
  for (let i = 0; i < calls; i++) await fn();
  hook.disable();
  return count / calls;
}

/**
 * Bytes allocated per call: the young generation's growth over a batch small enough that no scavenge runs in
 * between (a batch during which one ran shows a shrink and is measured again); median of 15 batches.
 */
async function bytesPerCall(fn: () => Promise<unknown>, calls = 20): Promise<number> {
  const youngUsed = () =>
    getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_used_size ?? 0;
  const samples: number[] = [];
  for (let attempt = 0; attempt < 200 && samples.length < 15; attempt++) {
    const before = youngUsed();
    for (let i = 0; i < calls; i++) await fn();
    const after = youngUsed();
    if (after > before) samples.push((after - before) / calls);
  }
  return median(samples);
}

async function tokenCounting(): Promise<void> {
  const tokenizer = await loadTokenizer("o200k_base");
  const conversation: { role: string; content: string }[] = [
    { role: "system", content: "You are a research agent." },
  ];
  const turns: (typeof conversation)[] = [];
  for (let turn = 0; turn < 100; turn++) {
    conversation.push({ role: "user", content: `Question ${turn}: ${"what about the budget ".repeat(20)}` });
    conversation.push({
      role: "assistant",
      content: `Answer ${turn}: ${"the ledger holds the worst case ".repeat(60)}`,
    });
    turns.push([...conversation]);
  }
  const count = (counter: typeof tokenizer) => {
    const start = performance.now();
    for (const messages of turns) countChatInput(counter, { model: "gpt-4o", messages });
    return performance.now() - start;
  };
  const memoized = count(tokenizer);
  const { countTokens } = await import("gpt-tokenizer/encoding/o200k_base");
  const plain = createTokenizer("o200k_base", (text) => countTokens(text, { disallowedSpecial: new Set() }), {
    memo: false,
  });
  const full = count(plain);
  rows.push([
    "100-turn conversation, counted turn by turn",
    fmt(full),
    fmt(memoized),
    `${(memoized / full).toFixed(3)}×`,
  ]);
}

async function ledgerThroughput(): Promise<void> {
  const store = memoryStore({ historyLimit: 1000 });
  const scope: ScopeRef = { id: "bench", key: "bench", limit: 1e15, thresholds: [30, 80, 95] };
  const record = { id: "r", status: "settled", flags: [], scopeIds: ["bench"] } as unknown as CallRecord;
  let next = 0;
  const pair = async () => {
    const holdId = `h${next++}`;
    await store.reserve({ holdId, amount: 1000, scopes: [scope], now: 0, expiresAt: 1e12, record });
    await store.settle({ holdId, actual: 900, now: 0, record });
  };
  const n = 100_000;
  let start = performance.now();
  for (let i = 0; i < n; i++) await pair();
  const sequential = n / ((performance.now() - start) / 1000);
  start = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = 0; i < n / 64; i++) await pair();
    }),
  );
  const concurrent = n / ((performance.now() - start) / 1000);
  rows.push([
    "memory ledger: reserve+settle pairs/s",
    "sequential",
    `${Math.round(sequential).toLocaleString()}/s`,
    "",
  ]);
  rows.push([
    "memory ledger: reserve+settle pairs/s",
    "64 flows",
    `${Math.round(concurrent).toLocaleString()}/s`,
    "",
  ]);
}

function coldImport(): void {
  const entry = distEntry;
  const script = `
    const start = performance.now();
    await import(${JSON.stringify(entry)});
    const ms = performance.now() - start;
    const heavy = ["gpt-tokenizer", "genai-prices", "openai/"].filter((name) =>
      process.moduleLoadList.join(" ").includes(name) || Object.keys(globalThis.require?.cache ?? {}).some((p) => p.includes(name)));
    console.log(JSON.stringify({ ms, heavy }));`;
  const runs = Array.from(
    { length: 9 },
    () =>
      JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }),
      ) as {
        ms: number;
        heavy: string[];
      },
  );
  const loaded = new Set(runs.flatMap((run) => run.heavy));
  rows.push([
    'cold import("spendguard") (median of 9 processes)',
    "",
    fmt(median(runs.map((run) => run.ms))),
    loaded.size ? `loaded: ${[...loaded].join(", ")}` : "no tokenizer / price data / SDK loaded",
  ]);
}

// `BENCH_ONLY=calls npm run bench` measures the per-call rows alone.
const only = process.env.BENCH_ONLY;
await wrapperOverhead();
await cpuPerCall();
if (only !== "calls") {
  await tokenCounting();
  await ledgerThroughput();
  rows.push(...(await storeThroughput()));
  rows.push(...(await postgresThroughput()));
  coldImport();
}

const widths = [0, 1, 2, 3].map((column) =>
  Math.max(
    ...[["", "raw / before", "wrapped / after", "ratio"], ...rows].map((row) => row[column]?.length ?? 0),
  ),
);
const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
console.log(line(["", "raw / before", "wrapped / after", "ratio"]));
for (const row of rows) console.log(line(row));
