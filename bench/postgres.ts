// PostgreSQL store throughput (`npx tsx bench/postgres.ts` after `npm run build`; part of `npm run bench`):
// reserve + settle pairs per second through the built store on one budget, sequential and in 64 concurrent
// flows, next to the floor measured in the same run on the same pool: an empty transaction (BEGIN; COMMIT)
// and a transaction of one one-row UPDATE. A pair is two transactions, so the fair floor is half of each
// rate. Server from SPENDGUARD_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), in a schema of
// its own that is dropped afterwards. Median of 3 rounds after a warm-up round.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Pool } from "pg";
import type { BudgetStore, ScopeRef } from "../src/stores/types.js";
import { type Row, record } from "./stores.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const url = process.env.SPENDGUARD_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const CONNECTIONS = 10;

/** Operations per second: the median of 3 rounds of `count` operations in `flows` concurrent flows. */
async function measure(operation: () => Promise<unknown>, count: number, flows: number): Promise<number> {
  const round = async () => {
    const start = performance.now();
    await Promise.all(
      Array.from({ length: flows }, async () => {
        for (let i = 0; i < count / flows; i++) await operation();
      }),
    );
    return count / ((performance.now() - start) / 1000);
  };
  await round();
  const rates = [await round(), await round(), await round()].sort((a, b) => a - b);
  return rates[1] ?? Number.NaN;
}

const rate = (perSecond: number) => `${Math.round(perSecond).toLocaleString("en-US")}/s`;

export async function postgresThroughput(): Promise<Row[]> {
  if (!existsSync(`${root}dist/postgres.js`)) throw new Error("dist/ is missing: run `npm run build` first");
  const { postgresStore }: typeof import("../src/stores/postgres/index.js") = await import(
    `${root}dist/postgres.js`
  );
  const { Pool: PgPool } = createRequire(import.meta.url)("pg") as { Pool: new (config: object) => Pool };
  const schema = `sg_bench_${randomBytes(4).toString("hex")}`;
  const pool = new PgPool({ connectionString: url, max: CONNECTIONS });
  const rows: Row[] = [];
  const label = "store: reserve+settle pairs/s";
  const reachable = await pool.query("SELECT 1").catch((error: Error) => error);
  if (reachable instanceof Error) {
    await pool.end();
    return [[label, "PostgreSQL", "skipped", `no server at SPENDGUARD_POSTGRES_URL (${reachable.message})`]];
  }
  try {
    await pool.query(
      `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".floor (id int PRIMARY KEY, n bigint)`,
    );
    await pool.query(`INSERT INTO "${schema}".floor VALUES (1, 0)`);
    const empty = async () => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("COMMIT");
      } finally {
        client.release();
      }
    };
    const update = async () => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query({
          name: "bench_floor",
          text: `UPDATE "${schema}".floor SET n = n + 1 WHERE id = 1`,
        });
        await client.query("COMMIT");
      } finally {
        client.release();
      }
    };
    const store: BudgetStore = postgresStore({ pool, schema });
    const scope: ScopeRef = { id: "bench", key: "bench", limit: 9e15, thresholds: [30, 80, 95] };
    await store.register([
      { id: "bench", limit: scope.limit, thresholds: scope.thresholds, createdAt: record.time },
    ]);
    let next = 0;
    const pair = async () => {
      const holdId = `h${next++}`;
      const now = record.time;
      await store.reserve({
        holdId,
        amount: 132_000,
        scopes: [scope],
        now,
        expiresAt: now + 900_000,
        record,
      });
      await store.settle({ holdId, actual: 81_000, now, record });
    };
    for (const [flows, name] of [
      [1, "sequential"],
      [64, `64 flows, ${CONNECTIONS} connections`],
    ] as const) {
      const floorEmpty = await measure(empty, 1_024, flows);
      const floorUpdate = await measure(update, 1_024, flows);
      rows.push([`PostgreSQL empty transaction, ${name}`, "", rate(floorEmpty), ""]);
      rows.push([`PostgreSQL one-row UPDATE transaction, ${name}`, "", rate(floorUpdate), ""]);
      const pairs = await measure(pair, 512, flows);
      rows.push([
        label,
        `PostgreSQL, ${name}`,
        rate(pairs),
        `${((2 * pairs) / floorUpdate).toFixed(2)}× the one-row UPDATE transaction (2 per pair)`,
      ]);
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const row of await postgresThroughput()) console.log(row.filter(Boolean).join("  "));
}
