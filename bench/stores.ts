// Store throughput, part of `npm run bench` (or alone: `npx tsx bench/stores.ts` after `npm run build`):
// reserve + settle pairs per second through the built stores, one budget, a realistic record per call:
//   memory; SQLite (a file, WAL, synchronous=NORMAL), sequential and 64 concurrent flows; Redis (a
//   redis-server of its own on a free port, skipped without the binary), sequential and 64 concurrent flows
//   sharing the store's one connection, next to the machine's PING round trip. Median of 3 rounds after a
//   warm-up round.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BudgetStore, ScopeRef } from "../src/stores/types.js";
import type { CallRecord } from "../src/types.js";

type Row = [string, string, string, string];

const root = fileURLToPath(new URL("..", import.meta.url));

const record: CallRecord = {
  id: "call_bench",
  time: 1_764_000_000_000,
  sessionId: "bench",
  scopeIds: ["bench"],
  provider: "openai",
  operation: "chat.completions.create",
  model: "gpt-4o-mini",
  resolvedModel: "gpt-4o-mini-2024-07-18",
  status: "settled",
  estimatedUsd: 0.000132,
  heldUsd: 0.000132,
  actualUsd: 0.000081,
  usage: { inputTokens: 120, outputTokens: 105 },
  source: "usage",
  tier: "standard",
  stream: false,
  latencyMs: 812,
  requestId: "chatcmpl-bench",
  priceSource: { layer: "genai-prices", detail: "@pydantic/genai-prices@0.1.8" },
  flags: [],
};

/** Pairs per second: the median of 3 rounds of `pairs` pairs, in `flows` concurrent flows. */
async function measure(store: BudgetStore, pairs: number, flows: number): Promise<number> {
  const scope: ScopeRef = { id: "bench", key: "bench", limit: 9e15, thresholds: [30, 80, 95] };
  await store.register([
    { id: "bench", limit: scope.limit, thresholds: scope.thresholds, createdAt: record.time },
  ]);
  let next = 0;
  const pair = async () => {
    const holdId = `h${process.pid}-${next++}`;
    const now = record.time;
    await store.reserve({ holdId, amount: 132_000, scopes: [scope], now, expiresAt: now + 900_000, record });
    await store.settle({ holdId, actual: 81_000, now, record });
  };
  const round = async () => {
    const start = performance.now();
    await Promise.all(
      Array.from({ length: flows }, async () => {
        for (let i = 0; i < pairs / flows; i++) await pair();
      }),
    );
    return pairs / ((performance.now() - start) / 1000);
  };
  await round();
  const rates = [await round(), await round(), await round()].sort((a, b) => a - b);
  return rates[1] ?? Number.NaN;
}

async function pingRate(url: string, pings: number): Promise<number> {
  const Redis = createRequire(import.meta.url)("ioredis") as new (
    url: string,
  ) => {
    ping(): Promise<string>;
    quit(): Promise<unknown>;
  };
  const client = new Redis(url);
  const round = async () => {
    const start = performance.now();
    for (let i = 0; i < pings; i++) await client.ping();
    return pings / ((performance.now() - start) / 1000);
  };
  await round();
  const rates = [await round(), await round(), await round()].sort((a, b) => a - b);
  await client.quit();
  return rates[1] ?? Number.NaN;
}

const rate = (pairsPerSecond: number) => `${Math.round(pairsPerSecond).toLocaleString("en-US")}/s`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (data: Buffer) => {
      output += data.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return child;
}

/** Rows for the bench table: memory, SQLite and Redis, through the built package in `dist/`. */
export async function storeThroughput(): Promise<Row[]> {
  if (!existsSync(`${root}dist/redis.js`)) throw new Error("dist/ is missing: run `npm run build` first");
  const { memoryStore }: typeof import("../src/index.js") = await import(`${root}dist/index.js`);
  const { sqliteStore }: typeof import("../src/stores/sqlite.js") = await import(`${root}dist/sqlite.js`);
  const { redisStore }: typeof import("../src/stores/redis.js") = await import(`${root}dist/redis.js`);
  const rows: Row[] = [];
  const label = "store: reserve+settle pairs/s";

  rows.push([label, "memory, sequential", rate(await measure(memoryStore(), 200_000, 1)), ""]);

  const dir = mkdtempSync(join(tmpdir(), "spendguard-bench-"));
  try {
    const sqlite = sqliteStore({ path: join(dir, "bench.db") });
    rows.push([label, "SQLite file (WAL), sequential", rate(await measure(sqlite, 20_000, 1)), ""]);
    rows.push([label, "SQLite file (WAL), 64 flows", rate(await measure(sqlite, 20_000, 64)), ""]);
    await sqlite.close?.();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (spawnSync("redis-server", ["--version"]).status !== 0) {
    rows.push([label, "Redis", "skipped", "no redis-server on PATH"]);
    return rows;
  }
  const port = await freePort();
  const server = await startRedis(port);
  try {
    const url = `redis://127.0.0.1:${port}`;
    // The machine's round trip, measured in the same run: a pair is two round trips plus the scripts' work.
    const pings = await pingRate(url, 10_000);
    rows.push(["Redis PING, sequential (round-trip baseline)", "", rate(pings), ""]);
    const redis = redisStore({ url, prefix: "bench", historyLimit: 1000 });
    const sequential = await measure(redis, 10_000, 1);
    rows.push([label, "Redis, sequential", rate(sequential), `${(sequential / pings).toFixed(2)}× PING`]);
    const concurrent = await measure(redis, 40_000, 64);
    rows.push([
      label,
      "Redis, 64 flows, one connection",
      rate(concurrent),
      `${(concurrent / pings).toFixed(2)}× PING`,
    ]);
    await redis.close?.();
  } finally {
    server.kill("SIGTERM");
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const row of await storeThroughput()) console.log(row.filter(Boolean).join("  "));
}
