// Store throughput, part of `npm run bench` (or alone: `npx tsx bench/stores.ts` after `npm run build`):
// reserve + settle pairs per second through the built stores, one budget, a realistic record per call:
//   memory; SQLite (a file, WAL, synchronous=NORMAL), sequential and 64 concurrent flows; Redis (a
//   redis-server of its own on a free port, skipped without the binary), sequential and 64 concurrent flows
//   sharing the store's one connection. Each next to its floor measured in the same run: SQLite empty and
//   one-UPDATE transactions, Redis PING and an empty EVALSHA. Median of 3 rounds after a warm-up round.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BudgetStore, ScopeRef } from "../src/stores/types.js";
import type { CallRecord } from "../src/types.js";

export type Row = [string, string, string, string];

const root = fileURLToPath(new URL("..", import.meta.url));

/** A settled record of a typical chat call: what each bench transition writes. */
export const record: CallRecord = {
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
  return rounds(pairs, flows, pair);
}

/** Median of 3 timed rounds (after a warm-up) of `count` operations in `flows` concurrent flows, per second. */
async function rounds(count: number, flows: number, op: () => Promise<unknown>): Promise<number> {
  const round = async () => {
    const start = performance.now();
    await Promise.all(
      Array.from({ length: flows }, async () => {
        for (let i = 0; i < count / flows; i++) await op();
      }),
    );
    return count / ((performance.now() - start) / 1000);
  };
  await round();
  const rates = [await round(), await round(), await round()].sort((a, b) => a - b);
  return rates[1] ?? Number.NaN;
}

/** The floor under any Redis store on this machine: PING and an empty EVALSHA, sequential and 64 flows. */
async function redisFloor(url: string): Promise<{ ping: [number, number]; evalsha: [number, number] }> {
  const Redis = createRequire(import.meta.url)("ioredis") as new (
    url: string,
  ) => {
    ping(): Promise<string>;
    script(command: "LOAD", lua: string): Promise<string>;
    evalsha(sha: string, keys: number, ...args: string[]): Promise<unknown>;
    quit(): Promise<unknown>;
  };
  const client = new Redis(url);
  const sha = await client.script("LOAD", "return 1");
  const empty = () => client.evalsha(sha, 1, "{bench}:floor", "1", "2", "3");
  const ping = () => client.ping();
  const floor = {
    ping: [await rounds(10_000, 1, ping), await rounds(40_000, 64, ping)] as [number, number],
    evalsha: [await rounds(10_000, 1, empty), await rounds(40_000, 64, empty)] as [number, number],
  };
  await client.quit();
  return floor;
}

/**
 * The floor under any SQLite store on this machine, with the driver the store uses: an empty `BEGIN IMMEDIATE`
 * transaction and one that updates one row, in a WAL file with synchronous=NORMAL.
 */
function sqliteFloor(path: string): { empty: number; update: number } {
  const require = createRequire(import.meta.url);
  type Db = {
    exec(sql: string): void;
    prepare(sql: string): { run(...args: unknown[]): unknown };
    close(): void;
  };
  let db: Db;
  try {
    const { DatabaseSync } = require("node:sqlite") as { DatabaseSync: new (path: string) => Db };
    db = new DatabaseSync(path);
  } catch {
    db = new (require("better-sqlite3") as new (path: string) => Db)(path);
  }
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID");
  db.exec("INSERT OR IGNORE INTO t VALUES ('a', 0)");
  const update = db.prepare("UPDATE t SET v = v + 1 WHERE k = 'a'");
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const time = (count: number, body: () => void) => {
    const round = () => {
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        begin.run();
        body();
        commit.run();
      }
      return count / ((performance.now() - start) / 1000);
    };
    round();
    return [round(), round(), round()].sort((a, b) => a - b)[1] ?? Number.NaN;
  };
  const floor = { empty: time(50_000, () => undefined), update: time(50_000, () => update.run()) };
  db.close();
  return floor;
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
    // A pair is two transitions: the floor for pairs is half the one-UPDATE transaction rate.
    const floor = sqliteFloor(join(dir, "floor.db"));
    rows.push(["SQLite floor: empty BEGIN IMMEDIATE transaction", "", rate(floor.empty), ""]);
    rows.push([
      "SQLite floor: one-UPDATE transaction",
      "",
      rate(floor.update),
      `${rate(floor.update / 2)} pairs`,
    ]);
    const sqlite = sqliteStore({ path: join(dir, "bench.db") });
    for (const [flows, pairs] of [
      [1, 20_000],
      [64, 40_000],
    ] as const) {
      const measured = await measure(sqlite, pairs, flows);
      rows.push([
        label,
        `SQLite file (WAL), ${flows === 1 ? "sequential" : `${flows} flows`}`,
        rate(measured),
        `${((measured / (floor.update / 2)) * 100).toFixed(0)}% of the one-UPDATE floor`,
      ]);
    }
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
    // The machine's floor, measured in the same run: a pair is at least one script call per transition.
    const floor = await redisFloor(url);
    rows.push([
      "Redis floor: PING",
      "sequential / 64 flows",
      `${rate(floor.ping[0])} / ${rate(floor.ping[1])}`,
      "",
    ]);
    rows.push([
      "Redis floor: empty EVALSHA",
      "sequential / 64 flows",
      `${rate(floor.evalsha[0])} / ${rate(floor.evalsha[1])}`,
      "",
    ]);
    const redis = redisStore({ url, prefix: "bench", historyLimit: 1000 });
    for (const [flows, pairs, index] of [
      [1, 10_000, 0],
      [64, 40_000, 1],
    ] as const) {
      const measured = await measure(redis, pairs, flows);
      rows.push([
        label,
        `Redis, ${flows === 1 ? "sequential" : `${flows} flows, one connection`}`,
        rate(measured),
        `${(measured / floor.evalsha[index]).toFixed(2)}× empty EVALSHA`,
      ]);
    }
    await redis.close?.();
  } finally {
    server.kill("SIGTERM");
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const row of await storeThroughput()) console.log(row.filter(Boolean).join("  "));
}
