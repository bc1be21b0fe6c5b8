import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { expected } from "../expected.js";
import { type KeysOf, rejectUnknownKeys } from "../known-keys.js";
import { expiredRecord } from "../ledger/ledger-state.js";
import { crossedThresholds } from "../ledger/warnings.js";
import { addCapped, type Nano } from "../money.js";
import type { CallRecord } from "../types.js";
import { consume, refund } from "./rate-window.js";
import type {
  Balance,
  BudgetStore,
  HistoryQuery,
  ReadRequest,
  ReserveRequest,
  ReserveResult,
  ScopeInfo,
  ScopeRef,
  SettleRequest,
  SettleResult,
  UpdateRequest,
} from "./types.js";

export interface SqliteStoreOptions {
  /** The database file, created when missing. Every process that opens the same file shares the budgets. */
  path?: string;
  /** An open database to use instead of `path` (better-sqlite3 `Database` or node:sqlite `DatabaseSync`). */
  database?: SqliteDatabase;
  /** Keep only the newest records. @default unbounded */
  historyLimit?: number;
  /** How long a transition waits for another process's transaction before it fails. @default 5000 */
  busyTimeoutMs?: number;
}

const SQLITE_STORE_OPTION_KEYS = {
  path: true,
  database: true,
  historyLimit: true,
  busyTimeoutMs: true,
} as const satisfies KeysOf<SqliteStoreOptions>;

/** What the store needs of an open database: satisfied by better-sqlite3's `Database` and node:sqlite's `DatabaseSync`. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  close(): unknown;
  /** better-sqlite3 only. */
  transaction?: unknown;
}

export interface SqliteStatement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/**
 * The schema, one entry per version (`PRAGMA user_version` is the number applied). Append, never edit.
 * Amounts are integer nano-USD; times are epoch ms.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    key TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    spent INTEGER NOT NULL,
    held INTEGER NOT NULL,
    fired TEXT NOT NULL -- JSON array: the warning thresholds already reported since the last reset
  ) WITHOUT ROWID;
  CREATE TABLE scope_ids (
    id TEXT PRIMARY KEY,
    flags TEXT NOT NULL, -- JSON object
    limit_override INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE holds (
    hold_id TEXT PRIMARY KEY,
    amount INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    scopes TEXT NOT NULL, -- JSON array of ScopeRef
    record TEXT NOT NULL -- JSON CallRecord, written if the lease expires
  ) WITHOUT ROWID;
  CREATE INDEX holds_by_expiry ON holds (expires_at);
  CREATE TABLE rate_windows (
    key TEXT PRIMARY KEY,
    tat REAL NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE registry (
    id TEXT PRIMARY KEY,
    info TEXT NOT NULL, -- JSON ScopeInfo without createdAt
    created_at REAL NOT NULL
  );
  CREATE TABLE history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    status TEXT NOT NULL,
    model TEXT NOT NULL,
    resolved_model TEXT,
    record TEXT NOT NULL -- JSON CallRecord
  );
  CREATE INDEX history_by_status ON history (status, seq);
  CREATE INDEX history_by_model ON history (model, seq);
  CREATE INDEX history_by_resolved_model ON history (resolved_model, seq);
  CREATE TABLE history_scopes (
    scope_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (scope_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX history_scopes_by_seq ON history_scopes (seq);
  `,
  // 2: a commit costs about one page write per b-tree it touches, so a transition touches as few as it can:
  // no index on the holds (the sweep scans them: they are the calls in flight) nor on history's filters (a
  // filtered read scans newest first), and history without AUTOINCREMENT (its sequence table was one more).
  `
  DROP INDEX holds_by_expiry;
  DROP INDEX history_by_status;
  DROP INDEX history_by_model;
  DROP INDEX history_by_resolved_model;
  DROP INDEX history_scopes_by_seq;
  CREATE TABLE history_v2 (
    seq INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    status TEXT NOT NULL,
    model TEXT NOT NULL,
    resolved_model TEXT,
    record TEXT NOT NULL -- JSON CallRecord
  );
  INSERT INTO history_v2 (seq, time, status, model, resolved_model, record)
    SELECT seq, time, status, model, resolved_model, record FROM history;
  DROP TABLE history;
  ALTER TABLE history_v2 RENAME TO history;
  `,
];

/**
 * A store in a SQLite file, shared by every process on the machine that opens it (a local disk: WAL needs
 * memory shared between the processes, which network file systems do not give). Each transition runs in
 * one `BEGIN IMMEDIATE` transaction (the write lock is taken before anything is read), in WAL mode with
 * `synchronous=NORMAL`: a committed transition survives a process crash; a power loss may lose the last
 * few. Uses `node:sqlite` where Node has it (22.5+, unflagged from 22.13), otherwise the `better-sqlite3`
 * package (an optional peer dependency).
 */
export function sqliteStore(options: SqliteStoreOptions): BudgetStore {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  rejectUnknownKeys(options, SQLITE_STORE_OPTION_KEYS);
  const { path, database, historyLimit, busyTimeoutMs = 5000 } = options;
  if (database === undefined && (typeof path !== "string" || path === "")) {
    throw expected("path", "a file path (or pass `database`)", path);
  }
  if (database !== undefined && (typeof database !== "object" || database === null)) {
    throw expected("database", "an open better-sqlite3 or node:sqlite database", database);
  }
  if (historyLimit !== undefined && (!Number.isInteger(historyLimit) || historyLimit < 1)) {
    throw expected("historyLimit", "an integer >= 1", historyLimit);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw expected("busyTimeoutMs", "an integer >= 0 (milliseconds)", busyTimeoutMs);
  }
  if (database === undefined) checkDirectory(path as string);
  function start() {
    const db = connect(database ?? open(path as string));
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    migrate(db);
    return { db, ledger: createSqlLedger(db, historyLimit) };
  }
  const where = database === undefined ? `SQLite file \`${resolve(path as string)}\`` : "SQLite database";
  /** A driver error as the caller should read it: which file, and what SQLite said. */
  const failure = (error: unknown): unknown =>
    isDriverError(error) ? new Error(`${where}: ${error.message}`, { cause: error }) : error;
  // Opened now, so a bad file fails at creation (naming the path); opened again if used after close().
  let opened: ReturnType<typeof start> | undefined;
  try {
    opened = start();
  } catch (error) {
    if (database !== undefined || !isDriverError(error)) throw error;
    throw new TypeError(
      `Expected \`path\` to be a SQLite database file that can be opened, got ${JSON.stringify(path)}: ${error.message}`,
      { cause: error },
    );
  }
  const use = () => {
    opened ??= start();
    return opened;
  };
  type Ledger = ReturnType<typeof start>["ledger"];
  interface Pending {
    fn: (ledger: Ledger) => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  // Group commit: every transition asked for in one event-loop turn runs in one `BEGIN IMMEDIATE`
  // transaction, each in a savepoint of its own (a transition that throws leaves no trace, as before).
  let pending: Pending[] = [];
  function commit(): void {
    const batch = pending;
    if (batch.length === 0) return;
    pending = [];
    let outcomes: { ok: boolean; value: unknown }[];
    try {
      const { db, ledger } = use();
      outcomes = db.batch(batch.map((item) => () => item.fn(ledger)));
    } catch (error) {
      for (const item of batch) item.reject(failure(error));
      return;
    }
    outcomes.forEach((outcome, index) => {
      const item = batch[index] as Pending;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(failure(outcome.value));
    });
  }
  // The batch commits a few microtasks after its first transition, before any I/O or timer of this turn, so
  // that flows resumed by the previous commit (each a few `await`s deep) join it.
  let hops = 0;
  function tick(): void {
    if (++hops < COMMIT_HOPS) queueMicrotask(tick);
    else {
      hops = 0;
      commit();
    }
  }
  const write = <T>(fn: (ledger: Ledger) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (pending.length === 0) queueMicrotask(tick);
      pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    });
  const query = async <T>(fn: (ledger: ReturnType<typeof start>["ledger"]) => T): Promise<T> => {
    try {
      // Reads see every transition asked for before them.
      if (pending.length > 0) {
        hops = 0;
        commit();
      }
      return fn(use().ledger);
    } catch (error) {
      throw failure(error);
    }
  };

  return {
    name: "sqlite",
    reserve: (request) => write((ledger) => ledger.reserve(request)),
    settle: (request) => write((ledger) => ledger.settle(request)),
    read: (request) => write((ledger) => ledger.read(request)),
    update: (request) => write((ledger) => ledger.update(request)),
    record: (record) => write((ledger) => ledger.append(record)),
    register: (scopes) => write((ledger) => ledger.register(scopes)),
    scopes: () => query((ledger) => ledger.scopes()),
    history: (request) => query((ledger) => ledger.history(request)),
    close: async () => {
      // A database the caller passed in is the caller's to close.
      if (database === undefined && opened) {
        opened.db.close();
        opened = undefined;
      }
    },
  };
}

/** An error of better-sqlite3 (`SqliteError`, code `SQLITE_*`) or node:sqlite (`ERR_SQLITE_ERROR`). */
function isDriverError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === "string" && code.includes("SQLITE");
}

/** Microtasks a group commit waits for more transitions (see `tick`). */
const COMMIT_HOPS = 8;

/** A path in a directory that does not exist fails here, naming the path, instead of deep in the driver. */
function checkDirectory(path: string): void {
  if (path === ":memory:" || path.startsWith("file:")) return;
  const directory = dirname(resolve(path));
  let isDirectory = false;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw expected("path", `a file in an existing directory (\`${directory}\` does not exist)`, path);
  }
}

interface Connection {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction; a throw rolls it back. */
  immediate<T>(fn: () => T): T;
  /**
   * Runs each function in a savepoint of one `BEGIN IMMEDIATE` transaction: one that throws is rolled back
   * alone and reported as `{ ok: false, value: error }`. Throws (after a rollback) when the transaction fails.
   */
  batch(fns: readonly (() => unknown)[]): { ok: boolean; value: unknown }[];
  close(): void;
}

function open(path: string): SqliteDatabase {
  const require = createRequire(import.meta.url);
  const nodeSqlite = loadNodeSqlite(require);
  if (nodeSqlite) return new nodeSqlite.DatabaseSync(path);
  let Database: new (path: string) => SqliteDatabase;
  try {
    Database = require("better-sqlite3") as typeof Database;
  } catch (error) {
    throw new Error(
      "sqliteStore() needs the `better-sqlite3` package on this Node: npm install better-sqlite3",
      {
        cause: error,
      },
    );
  }
  return new Database(path);
}

/** node:sqlite (Node 22.5+; behind `--experimental-sqlite` before 22.13, when requiring it throws). */
function loadNodeSqlite(
  require: NodeJS.Require,
): { DatabaseSync: new (path: string) => SqliteDatabase } | undefined {
  // Node prints "ExperimentalWarning: SQLite is an experimental feature" on the first load: that is Node's
  // notice to whoever chose node:sqlite, not to a user of spendguard's store, so it is kept off their stderr.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return require("node:sqlite") as { DatabaseSync: new (path: string) => SqliteDatabase };
  } catch {
    return undefined;
  } finally {
    process.emitWarning = emitWarning;
  }
}

function connect(db: SqliteDatabase): Connection {
  const statement = (sql: string) => {
    let prepared: SqliteStatement | undefined;
    return () => {
      prepared ??= db.prepare(sql);
      prepared.run();
    };
  };
  const begin = statement("BEGIN IMMEDIATE");
  const commit = statement("COMMIT");
  const rollback = statement("ROLLBACK");
  const savepoint = statement("SAVEPOINT transition");
  const release = statement("RELEASE transition");
  const undo = statement("ROLLBACK TO transition");
  function batch(fns: readonly (() => unknown)[]): { ok: boolean; value: unknown }[] {
    begin();
    try {
      const outcomes = fns.map((fn) => {
        savepoint();
        try {
          const value = fn();
          release();
          return { ok: true, value };
        } catch (error) {
          undo();
          release();
          return { ok: false, value: error };
        }
      });
      commit();
      return outcomes;
    } catch (error) {
      rollback();
      throw error;
    }
  }
  if (typeof db.transaction === "function") {
    // better-sqlite3: its transaction helper issues BEGIN IMMEDIATE through `.immediate`.
    const transaction = (db.transaction as (fn: (body: () => unknown) => unknown) => unknown)(
      (body: () => unknown) => body(),
    ) as { immediate(body: () => unknown): unknown };
    return {
      exec: (sql) => void db.exec(sql),
      prepare: (sql) => db.prepare(sql),
      immediate: <T>(fn: () => T) => transaction.immediate(fn) as T,
      batch,
      close: () => void db.close(),
    };
  }
  return {
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    immediate<T>(fn: () => T): T {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = fn();
        db.exec("COMMIT");
        return result;
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    batch,
    close: () => void db.close(),
  };
}

/** Applies the migrations this database has not seen, once, even when several processes open it at once. */
function migrate(db: Connection): void {
  const version = () => (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (version() === MIGRATIONS.length) return;
  db.immediate(() => {
    const from = version();
    if (from > MIGRATIONS.length) {
      throw new Error(
        `The SQLite budget database has schema version ${from}, newer than this spendguard knows ` +
          `(${MIGRATIONS.length}): upgrade spendguard`,
      );
    }
    for (const migration of MIGRATIONS.slice(from)) db.exec(migration);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}

interface AccountRow {
  key: string;
  id: string;
  spent: Nano;
  held: Nano;
  fired: Set<number>;
}

interface ScopeIdRow {
  flags: Record<string, boolean>;
  override: Nano | undefined;
}

interface HoldRow {
  hold_id: string;
  amount: Nano;
  scopes: string;
  record: string;
}

type Warning = SettleResult["warnings"][number];

/**
 * The transitions of `ledger-state.ts` over SQLite rows. Each runs inside one transaction: it reads the rows
 * it needs into a cache, applies the same arithmetic as the memory store, and writes back what changed.
 */
function createSqlLedger(db: Connection, historyLimit: number | undefined) {
  const sql = {
    account: db.prepare("SELECT spent, held, fired FROM accounts WHERE key = ?"),
    saveAccount: db.prepare(
      `INSERT INTO accounts (key, id, spent, held, fired) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET spent = excluded.spent, held = excluded.held, fired = excluded.fired`,
    ),
    scopeId: db.prepare("SELECT flags, limit_override FROM scope_ids WHERE id = ?"),
    saveScopeId: db.prepare(
      `INSERT INTO scope_ids (id, flags, limit_override) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET flags = excluded.flags, limit_override = excluded.limit_override`,
    ),
    hold: db.prepare("SELECT hold_id, amount, scopes, record FROM holds WHERE hold_id = ?"),
    expired: db.prepare(
      "SELECT hold_id, amount, scopes, record FROM holds WHERE expires_at <= ? ORDER BY expires_at",
    ),
    saveHold: db.prepare(
      "INSERT INTO holds (hold_id, amount, expires_at, scopes, record) VALUES (?, ?, ?, ?, ?)",
    ),
    deleteHold: db.prepare("DELETE FROM holds WHERE hold_id = ?"),
    window: db.prepare("SELECT tat FROM rate_windows WHERE key = ?"),
    saveWindow: db.prepare(
      "INSERT INTO rate_windows (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
    ),
    append: db.prepare(
      "INSERT INTO history (time, status, model, resolved_model, record) VALUES (?, ?, ?, ?, ?)",
    ),
    appendScope: db.prepare("INSERT OR IGNORE INTO history_scopes (scope_id, seq) VALUES (?, ?)"),
    trim: db.prepare("DELETE FROM history WHERE seq <= ?"),
    trimScopes: db.prepare("DELETE FROM history_scopes WHERE seq <= ?"),
    register: db.prepare(
      `INSERT INTO registry (id, info, created_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET info = excluded.info`,
    ),
    scopes: db.prepare(
      `SELECT r.info, r.created_at, s.limit_override FROM registry r
       LEFT JOIN scope_ids s ON s.id = r.id ORDER BY r.rowid`,
    ),
  };
  const historyQueries = new Map<string, SqliteStatement>();
  const trimEvery = Math.max(1, Math.floor((historyLimit ?? 0) / 10));

  function append(record: CallRecord): void {
    const { lastInsertRowid } = sql.append.run(
      record.time,
      record.status,
      record.model,
      record.resolvedModel ?? null,
      JSON.stringify(record),
    );
    const seq = Number(lastInsertRowid);
    for (const scopeId of record.scopeIds) sql.appendScope.run(scopeId, seq);
    // Old records go in bulk, every tenth of the limit (reads never see more than the limit, see history()).
    if (historyLimit !== undefined && seq > historyLimit && seq % trimEvery === 0) {
      sql.trim.run(seq - historyLimit);
      sql.trimScopes.run(seq - historyLimit);
    }
  }

  /** The rows one transition touches, read once and written back by `flush`. */
  function transition() {
    const accounts = new Map<string, AccountRow>();
    const scopeIds = new Map<string, ScopeIdRow>();
    const dirtyAccounts = new Set<AccountRow>();
    const dirtyScopeIds = new Set<string>();

    function scopeId(id: string): ScopeIdRow {
      let found = scopeIds.get(id);
      if (!found) {
        const row = sql.scopeId.get(id) as { flags: string; limit_override: Nano | null } | undefined;
        found = { flags: row ? JSON.parse(row.flags) : {}, override: row?.limit_override ?? undefined };
        scopeIds.set(id, found);
      }
      return found;
    }

    function account(scope: Pick<ScopeRef, "id" | "key">, write: boolean): AccountRow {
      let found = accounts.get(scope.key);
      if (!found) {
        const row = sql.account.get(scope.key) as { spent: Nano; held: Nano; fired: string } | undefined;
        found = {
          key: scope.key,
          id: scope.id,
          spent: row?.spent ?? 0,
          held: row?.held ?? 0,
          fired: new Set(row ? (JSON.parse(row.fired) as number[]) : []),
        };
        accounts.set(scope.key, found);
      }
      if (write) dirtyAccounts.add(found);
      return found;
    }

    const limitOf = (scope: Pick<ScopeRef, "id" | "limit">): Nano =>
      scopeId(scope.id).override ?? scope.limit;

    function balance(scope: Pick<ScopeRef, "id" | "key" | "limit">): Balance {
      const entry = account(scope, false);
      return {
        key: scope.key,
        id: scope.id,
        limit: limitOf(scope),
        spent: entry.spent,
        held: entry.held,
        flags: { ...scopeId(scope.id).flags },
      };
    }

    /** `report: false` (a lease-expiry sweep) leaves thresholds unmarked: the next settle reports them. */
    function apply(scopes: readonly ScopeRef[], amount: Nano, actual: Nano, report = true): Warning[] {
      const warnings: Warning[] = [];
      for (const scope of scopes) {
        const entry = account(scope, true);
        entry.held -= amount;
        entry.spent = addCapped(entry.spent, actual);
        if (!report) continue;
        for (const threshold of crossedThresholds(
          entry.spent,
          limitOf(scope),
          scope.thresholds,
          entry.fired,
        )) {
          warnings.push({ id: scope.id, key: scope.key, threshold });
        }
      }
      return warnings;
    }

    /** Settles expired holds at their full amount: the provider may have billed them. */
    function sweep(now: number): void {
      for (const hold of sql.expired.all(now) as HoldRow[]) {
        sql.deleteHold.run(hold.hold_id);
        apply(JSON.parse(hold.scopes) as ScopeRef[], hold.amount, hold.amount, false);
        append(expiredRecord(JSON.parse(hold.record) as CallRecord, hold.amount));
      }
    }

    function flush(): void {
      for (const entry of dirtyAccounts) {
        sql.saveAccount.run(entry.key, entry.id, entry.spent, entry.held, JSON.stringify([...entry.fired]));
      }
      for (const id of dirtyScopeIds) {
        const entry = scopeId(id);
        sql.saveScopeId.run(id, JSON.stringify(entry.flags), entry.override ?? null);
      }
    }

    return { scopeId, account, balance, apply, sweep, flush, dirtyScopeIds };
  }

  return {
    reserve(request: ReserveRequest): ReserveResult {
      const tx = transition();
      tx.sweep(request.now);
      const refuse = (
        reason: "budget" | "panic" | "locked" | "rate_limit",
        refusedBy: string,
        retryAfterMs?: number,
      ): ReserveResult => {
        const balances = request.scopes.map(tx.balance);
        // The sweep may have settled holds: keep that, and nothing of this request.
        tx.flush();
        return {
          ok: false,
          reason,
          refusedBy,
          balances,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        };
      };
      if (!request.force) {
        for (const scope of request.scopes) {
          const flags = tx.scopeId(scope.id).flags;
          if (flags.panic) return refuse("panic", scope.id);
          if (flags.locked) return refuse("locked", scope.id);
        }
        for (const scope of request.scopes) {
          const entry = tx.account(scope, false);
          if (entry.spent + entry.held + request.amount > tx.balance(scope).limit)
            return refuse("budget", scope.id);
        }
        const consumed: [string, number][] = [];
        for (const charge of request.limits ?? []) {
          const row = sql.window.get(charge.key) as { tat: number } | undefined;
          const result = consume(row?.tat, charge, request.now);
          if (!result.ok) return refuse("rate_limit", charge.key, result.retryAfterMs);
          consumed.push([charge.key, result.tat]);
        }
        for (const [key, tat] of consumed) sql.saveWindow.run(key, tat);
      }
      if (sql.hold.get(request.holdId)) throw new Error(`Hold ${request.holdId} already exists`);
      for (const scope of request.scopes) tx.account(scope, true).held += request.amount;
      sql.saveHold.run(
        request.holdId,
        request.amount,
        request.expiresAt,
        JSON.stringify(request.scopes),
        JSON.stringify(request.record),
      );
      tx.flush();
      return { ok: true, balances: request.scopes.map(tx.balance) };
    },

    settle(request: SettleRequest): SettleResult {
      const tx = transition();
      tx.sweep(request.now);
      const hold = sql.hold.get(request.holdId) as HoldRow | undefined;
      if (!hold) {
        tx.flush();
        return { settled: false, held: 0, balances: [], warnings: [] };
      }
      sql.deleteHold.run(request.holdId);
      const scopes = JSON.parse(hold.scopes) as ScopeRef[];
      const warnings = tx.apply(scopes, hold.amount, request.actual);
      for (const charge of request.refunds ?? []) {
        const row = sql.window.get(charge.key) as { tat: number } | undefined;
        const tat = refund(row?.tat, charge);
        if (tat !== undefined) sql.saveWindow.run(charge.key, tat);
      }
      append(request.record);
      tx.flush();
      return { settled: true, held: hold.amount, balances: scopes.map(tx.balance), warnings };
    },

    read(request: ReadRequest): Balance[] {
      const tx = transition();
      tx.sweep(request.now);
      tx.flush();
      return request.scopes.map(tx.balance);
    },

    update(request: UpdateRequest): Balance {
      const tx = transition();
      tx.sweep(request.now);
      const { scope } = request;
      const settings = tx.scopeId(scope.id);
      if (request.limit !== undefined) {
        settings.override = request.limit ?? undefined;
        tx.dirtyScopeIds.add(scope.id);
      }
      if (request.flags) {
        settings.flags = { ...settings.flags, ...request.flags };
        tx.dirtyScopeIds.add(scope.id);
      }
      const entry = tx.account(scope, true);
      if (request.reset) {
        entry.spent = 0;
        entry.fired.clear();
      }
      tx.flush();
      return tx.balance(scope);
    },

    append,

    register(scopes: readonly ScopeInfo[]): void {
      for (const scope of scopes) {
        const info = {
          id: scope.id,
          ...(scope.parentId !== undefined && { parentId: scope.parentId }),
          limit: scope.limit,
          ...(scope.period !== undefined && { period: scope.period }),
          thresholds: [...scope.thresholds],
        };
        sql.register.run(scope.id, JSON.stringify(info), scope.createdAt);
      }
    },

    scopes(): ScopeInfo[] {
      const rows = sql.scopes.all() as { info: string; created_at: number; limit_override: Nano | null }[];
      return rows.map((row) => ({
        ...(JSON.parse(row.info) as Omit<ScopeInfo, "createdAt">),
        createdAt: row.created_at,
        ...(row.limit_override !== null && { limitOverride: row.limit_override }),
      }));
    },

    history(query: HistoryQuery): CallRecord[] {
      if (query.limit !== undefined && query.limit <= 0) return [];
      const where: string[] = [];
      const params: unknown[] = [];
      let from = "history h";
      let order = "h.seq";
      if (query.sessionId !== undefined) {
        from = "history_scopes s JOIN history h ON h.seq = s.seq";
        order = "s.seq";
        where.push("s.scope_id = ?");
        params.push(query.sessionId);
      }
      if (historyLimit !== undefined) {
        // Records past the limit that the next bulk trim will remove.
        where.push(`h.seq > (SELECT coalesce(max(seq), 0) FROM history) - ${historyLimit}`);
      }
      if (query.before !== undefined) {
        where.push("h.time < ?");
        params.push(query.before);
      }
      if (query.status !== undefined) {
        where.push("h.status = ?");
        params.push(query.status);
      }
      if (query.model !== undefined) {
        where.push("(h.model = ? OR h.resolved_model = ?)");
        params.push(query.model, query.model);
      }
      const text =
        `SELECT h.record FROM ${from}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}` +
        ` ORDER BY ${order} DESC LIMIT ?`;
      let statement = historyQueries.get(text);
      if (!statement) {
        statement = db.prepare(text);
        historyQueries.set(text, statement);
      }
      const rows = statement.all(...params, query.limit ?? -1) as { record: string }[];
      return rows.map((row) => JSON.parse(row.record) as CallRecord);
    },
  };
}
