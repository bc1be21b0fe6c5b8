import { createRequire } from "node:module";
import type { Pool, PoolClient, PoolConfig } from "pg";
import { expected } from "../../expected.js";
import { expiredRecord } from "../../ledger/ledger-state.js";
import type { Nano } from "../../money.js";
import type { CallRecord } from "../../types.js";
import type { Balance, BudgetStore, HistoryQuery, ReserveResult, ScopeInfo, SettleResult } from "../types.js";
import { MIGRATIONS } from "./migrations.js";

export interface PostgresStoreOptions {
  /** A `postgres://user:password@host:port/database` URL: the store opens its own pool and closes it. */
  url?: string;
  /** A `pg` Pool to use instead of `url`; the store leaves it open on `close()`. */
  pool?: Pool;
  /** The schema that holds the store's tables, created (and migrated) on first use. @default "spendguard" */
  schema?: string;
  /** Keep only the newest records. @default unbounded */
  historyLimit?: number;
  /** Connections of the pool the store opens from `url`. @default 10 */
  maxConnections?: number;
  /**
   * How long an operation may wait for a connection (opening one, or a free one of the pool when all are busy)
   * before it fails (closed). @default 10000
   */
  connectTimeoutMs?: number;
}

/** SQLSTATEs of a transaction PostgreSQL aborted to break a cycle or a conflict: it is run again. */
const RETRIED = new Set(["40001", "40P01"]);
const ATTEMPTS = 20;

/** One statement on a connection. */
type Query = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * A store in PostgreSQL, shared by every process and host that reaches the database. Each transition is one
 * call of a PL/pgSQL function (`migrations.ts`), so one statement and one round trip, that locks the rows it
 * checks before it reads them, always in one order, so two transitions never wait on each other in a cycle:
 * hold rows first (a settle deletes its own hold before anything else; the lease sweep skips rows another
 * transaction has locked), then account rows sorted by key (`SELECT … ORDER BY key FOR UPDATE`), then rate
 * windows sorted by key. Every check reads rows it has locked, so no two transitions can both pass a check the
 * other's write would fail. Under a stricter default isolation PostgreSQL may abort a call as a serialization
 * failure (or a deadlock, when accounts are first created): it is run again in a READ COMMITTED transaction.
 * Uses the `pg` package (an optional peer dependency).
 */
export function postgresStore(options: PostgresStoreOptions): BudgetStore {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  const {
    url,
    pool: given,
    schema = "spendguard",
    historyLimit,
    maxConnections = 10,
    connectTimeoutMs = 10_000,
  } = options;
  if (given === undefined && (typeof url !== "string" || !/^postgres(ql)?:\/\//.test(url))) {
    // A URL may carry a password: never print it.
    const shown = typeof url === "string" ? `${url.split("://")[0]}://…` : url;
    throw expected("url", "a postgres:// URL (or pass `pool`, a pg Pool)", shown);
  }
  if (
    given !== undefined &&
    (typeof given !== "object" || given === null || typeof given.connect !== "function")
  ) {
    throw expected("pool", "a pg Pool", given);
  }
  if (typeof schema !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw expected("schema", "a lowercase identifier (letters, digits, _; at most 63)", schema);
  }
  if (historyLimit !== undefined && (!Number.isInteger(historyLimit) || historyLimit < 1)) {
    throw expected("historyLimit", "an integer >= 1", historyLimit);
  }
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw expected("maxConnections", "an integer >= 1", maxConnections);
  }
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw expected("connectTimeoutMs", "an integer >= 1 (milliseconds)", connectTimeoutMs);
  }
  const where = describeTarget(given ? given.options : { connectionString: url }, schema);
  // A pool of the store's own is opened now, closed by close(), and opened again if the store is used after.
  const own = () =>
    openPool({ connectionString: url, max: maxConnections, connectionTimeoutMillis: connectTimeoutMs });
  let pool: Pool = given ?? own();
  let ended = false;
  const quoted = `"${schema}"`;

  /** Every failure names the database (never the password); our own errors pass through unchanged. */
  const fail = (error: unknown): Error => {
    if (!isDriverError(error)) return error as Error;
    const reason = isConnectionError(error) ? "is unavailable" : "failed";
    return new Error(`PostgreSQL at ${where} ${reason}: ${(error as Error).message || String(error)}`, {
      cause: error,
    });
  };

  let migrating: Promise<void> | undefined;
  const migrated = (): Promise<void> => {
    migrating ??= withClient((client) => migrate(client, schema, quoted)).catch((error) => {
      migrating = undefined; // the next operation tries again
      throw error;
    });
    return migrating;
  };

  async function withClient<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    if (ended) {
      ended = false;
      pool = own();
    }
    const client = await pool.connect();
    let broken: Error | undefined;
    // The server may drop the connection between two statements: pg reports that as an event, not a throw.
    const dropped = (error: Error) => {
      broken = error;
    };
    client.on("error", dropped);
    try {
      return await body(client);
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      throw error;
    } finally {
      client.off("error", dropped);
      client.release(broken);
    }
  }

  /** Calls a transition function; again, in an explicit READ COMMITTED transaction, when PostgreSQL aborts it. */
  async function transition<T>(fn: string, payload: object): Promise<T> {
    const text = `SELECT ${quoted}.${fn}($1::jsonb) AS result`;
    const values = [JSON.stringify(historyLimit === undefined ? payload : { ...payload, historyLimit })];
    try {
      await migrated();
      for (let attempt = 1; ; attempt++) {
        try {
          const rows = await withClient(async (client) => {
            const query = prepared(client);
            if (attempt === 1) return (await query(text, values)).rows;
            await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
            try {
              const result = (await query(text, values)).rows;
              await client.query("COMMIT");
              return result;
            } catch (error) {
              if (!isConnectionError(error)) await client.query("ROLLBACK");
              throw error;
            }
          });
          return rows[0]?.result as T;
        } catch (error) {
          const code = (error as { code?: string }).code ?? "";
          if (attempt < ATTEMPTS && RETRIED.has(code)) continue;
          throw error;
        }
      }
    } catch (error) {
      throw fail(error);
    }
  }

  /** One statement on its own (register, record, listing); again when PostgreSQL aborts it as a deadlock. */
  async function statement(text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    try {
      await migrated();
      for (let attempt = 1; ; attempt++) {
        try {
          return (await withClient((client) => prepared(client)(text, values))).rows;
        } catch (error) {
          if (attempt < ATTEMPTS && RETRIED.has((error as { code?: string }).code ?? "")) continue;
          throw error;
        }
      }
    } catch (error) {
      throw fail(error);
    }
  }

  const t = (name: string) => `${quoted}.${name}`;
  return {
    name: "postgres",
    async reserve(request) {
      const { record, ...rest } = request;
      const payload = { ...rest, expired: JSON.stringify(expiredRecord(record, request.amount)) };
      try {
        return await transition<ReserveResult>("reserve_hold", payload);
      } catch (error) {
        if ((error as { cause?: { constraint?: string } }).cause?.constraint === "holds_pkey") {
          throw new Error(`Hold ${request.holdId} already exists`);
        }
        throw error;
      }
    },
    settle: (request) =>
      transition<SettleResult>("settle_hold", { ...request, record: JSON.stringify(request.record) }),
    read: (request) => transition<Balance[]>("read_balances", request),
    update: (request) => transition<Balance>("update_scope", request),
    async record(record) {
      await statement(`SELECT ${t("append_record")}($1, $2)`, [JSON.stringify(record), historyLimit ?? null]);
    },

    async register(scopes) {
      if (scopes.length === 0) return;
      // Rows in id order: two processes registering the same ids lock them in one order (no deadlock).
      await statement(
        `INSERT INTO ${t("registry")} (id, info, created_at)
         SELECT id, info, created_at FROM unnest($1::text[], $2::text[], $3::double precision[])
           AS n(id, info, created_at) ORDER BY id
         ON CONFLICT (id) DO UPDATE SET info = excluded.info`,
        [scopes.map((scope) => scope.id), scopes.map(describeScope), scopes.map((scope) => scope.createdAt)],
      );
    },

    async scopes() {
      const rows = await statement(
        `SELECT r.info, r.created_at, s.limit_override FROM ${t("registry")} r
         LEFT JOIN ${t("scope_ids")} s ON s.id = r.id ORDER BY r.seq`,
        [],
      );
      return rows.map((row) => ({
        ...(JSON.parse(row.info as string) as Omit<ScopeInfo, "createdAt">),
        createdAt: row.created_at as number,
        ...(row.limit_override !== null && { limitOverride: Number(row.limit_override) as Nano }),
      }));
    },

    async history(query) {
      if (query.limit !== undefined && query.limit <= 0) return [];
      const [text, values] = historySql(t, query);
      const rows = await statement(text, values);
      return rows.map((row) => JSON.parse(row.record as string) as CallRecord);
    },

    async close() {
      // A pool the caller passed in is the caller's to close; closing twice is harmless.
      if (given !== undefined || ended) return;
      ended = true;
      await pool.end();
    },
  };
}

function openPool(config: PoolConfig): Pool {
  let pg: { Pool: new (config: PoolConfig) => Pool };
  try {
    pg = createRequire(import.meta.url)("pg") as typeof pg;
  } catch (error) {
    throw new Error("postgresStore() needs the `pg` package: npm install pg", { cause: error });
  }
  const pool = new pg.Pool(config);
  // An idle connection the server dropped: the next operation opens another (or fails, closed).
  pool.on("error", () => undefined);
  return pool;
}

/** Statements are prepared once per connection (by a name derived from their text). */
const statementNames = new Map<string, string>();
function prepared(client: PoolClient): Query {
  return (text, values = []) => {
    let name = statementNames.get(text);
    if (name === undefined) {
      name = `spendguard_${statementNames.size}`;
      statementNames.set(text, name);
    }
    return client.query({ name, text, values });
  };
}

/** Creates the schema and applies the migrations it has not seen, one process at a time. */
async function migrate(client: PoolClient, schema: string, quoted: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`spendguard migrations ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_version (
         version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query(
      `SELECT coalesce(max(version), 0) AS version FROM ${quoted}.schema_version`,
    );
    const from = Number(rows[0]?.version);
    if (from > MIGRATIONS.length) {
      throw new Error(
        `The PostgreSQL schema \`${schema}\` has version ${from}, newer than this spendguard knows ` +
          `(${MIGRATIONS.length}): upgrade spendguard`,
      );
    }
    for (const [index, migration] of MIGRATIONS.entries()) {
      if (index < from) continue;
      await client.query(migration.replaceAll("$schema", quoted));
      await client.query(`INSERT INTO ${quoted}.schema_version (version) VALUES ($1)`, [index + 1]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

function historySql(t: (name: string) => string, query: HistoryQuery): [string, unknown[]] {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  let from = `${t("history")} h`;
  let order = "h.seq";
  if (query.sessionId !== undefined) {
    from = `${t("history_scopes")} s JOIN ${t("history")} h ON h.seq = s.seq`;
    order = "s.seq";
    where.push(`s.scope_id = ${param(query.sessionId)}`);
  }
  if (query.before !== undefined) where.push(`h.time < ${param(query.before)}`);
  if (query.status !== undefined) where.push(`h.status = ${param(query.status)}`);
  if (query.model !== undefined) {
    const model = param(query.model);
    where.push(`(h.model = ${model} OR h.resolved_model = ${model})`);
  }
  const limit = query.limit === undefined ? "" : ` LIMIT ${param(query.limit)}`;
  return [
    `SELECT h.record FROM ${from}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} DESC${limit}`,
    values,
  ];
}

function describeScope(scope: ScopeInfo): string {
  return JSON.stringify({
    id: scope.id,
    ...(scope.parentId !== undefined && { parentId: scope.parentId }),
    limit: scope.limit,
    ...(scope.period !== undefined && { period: scope.period }),
    thresholds: [...scope.thresholds],
  });
}

/** `host:port, database db, schema s`, for error messages: never the user's password. */
function describeTarget(config: PoolConfig, schema: string): string {
  let host = config.host ?? process.env.PGHOST ?? "localhost";
  let port = String(config.port ?? process.env.PGPORT ?? 5432);
  let database = config.database ?? process.env.PGDATABASE;
  if (config.connectionString) {
    let parsed: URL;
    try {
      parsed = new URL(config.connectionString);
    } catch {
      // Node's error would carry the whole URL, password included.
      throw expected("url", "a valid postgres:// URL", `${config.connectionString.split("://")[0]}://…`);
    }
    host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get("host") || host;
    port = parsed.port || port;
    database = decodeURIComponent(parsed.pathname.slice(1)) || database;
  }
  return `${host}:${port}, database ${database ?? "(the user's)"}, schema ${schema}`;
}

/** An error PostgreSQL or the driver raised (SQLSTATE or a socket error), not one of this store's own. */
function isDriverError(error: unknown): boolean {
  return error instanceof Error && ("code" in error || /connect|Connection|timeout/i.test(error.message));
}

/** The connection is gone or could not be made: the server is down, restarting or unreachable. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    return code.startsWith("08") || code.startsWith("57P") || code === "53300";
  }
  // Socket errors (ECONNREFUSED, ECONNRESET…) and the driver's own "Connection terminated" / timeouts.
  return typeof code === "string" || /connect|Connection terminated|timeout/i.test(error.message);
}
