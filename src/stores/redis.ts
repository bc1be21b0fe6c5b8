/**
 * Key layout (`<p>` is the prefix, `<root>` the root scope id of a budget tree: the last of a reserve's
 * scopes, which are innermost first). Every key of a tree carries the hash tag `{<p>:<root>}`, so each
 * transition script touches a single slot (Redis Cluster ready); the scripts build these keys from that tag.
 *
 *   {<p>:<root>}:account:<account key>  hash    spent, held (integer nano-USD), fired ("30,80," thresholds reported)
 *   {<p>:<root>}:scope:<scope id>       hash    override (nano-USD), flag:<name> ("1" | "0")
 *   {<p>:<root>}:hold:<hold id>         hash    amount, scopes (JSON ScopeRef[]), ids (the record's scopeIds),
 *                                               expired (the record written if the lease ends first)
 *   {<p>:<root>}:expiries               zset    hold id scored by expiresAt (the lease sweep)
 *   {<p>:<root>}:rate:<window key>      string  the window's theoretical arrival time (GCRA, ms)
 *   {<p>:<root>}:history:<scope id>     list    records (JSON) held on that scope id, newest first, capped
 *   {<p>}:roots                         hash    scope id -> its root id: the tree read, update and history look in
 *   {<p>}:scopes / {<p>}:created        hash    scope id -> registered ScopeInfo (JSON) / first createdAt
 *   {<p>}:history                       list    every record, newest first, capped: history() without sessionId
 *
 * Transitions: the reserves and settles this process asks for in one event-loop turn go to Redis in one call
 * of the transitions script per tree (batch.lua runs reserve.lua's and settle.lua's function for each, each as
 * if alone); a settle's hold stays in Redis until its call lands. Other commands send queued transitions
 * first, so a command never overtakes a transition queued before it (calls made concurrently, without
 * awaiting each other, have no order to keep).
 *
 * History: each scope id's list is appended in the same script as the transition (exact for
 * `history({ sessionId })`). The global list lives in another slot, so it is appended by a second command
 * after the script, batched (a few milliseconds later, one command for many records; at once before this
 * store's own `history()` or `close()`): it is an index for listing, not part of the ledger, and a Redis
 * failure or a crash of the process in between can leave a record out of it (never out of its sessions'
 * lists). Each list is capped at `historyLimit` records.
 *
 * A scope id belongs to one tree: the first reserve (or `register`) files it under its root in `{<p>}:roots`,
 * and a reserve naming it under another root is refused with an error. `read`, `update` and `history` look an
 * id up there; an id never reserved on nor registered is taken as the root of its own tree (the core
 * registers every session before using it). Rate windows live in the tree of the reserve that consumes them.
 */

import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Redis, RedisOptions } from "ioredis";
import { expected } from "../expected.js";
import { type KeysOf, rejectUnknownKeys } from "../known-keys.js";
import { expiredRecord } from "../ledger/ledger-state.js";
import type { CallRecord } from "../types.js";
import { filterHistory } from "./memory.js";
import type { Balance, BudgetStore, RateCharge, ReserveResult, ScopeInfo, SettleResult } from "./types.js";

export interface RedisStoreOptions {
  /**
   * An ioredis client to use; the store leaves it open on `close()`. Give it `enableOfflineQueue: false` and
   * a small `maxRetriesPerRequest` so calls fail (closed) at once while Redis is down instead of queueing.
   */
  client?: Redis;
  /** A `redis://` URL: the store creates its own client, failing fast while Redis is down, and closes it. */
  url?: string;
  /** Prefix of every key. @default "spendguard" */
  prefix?: string;
  /** Records kept in each history list (per scope id, and the global one). @default 1000 */
  historyLimit?: number;
}

const REDIS_STORE_OPTION_KEYS = {
  client: true,
  url: true,
  prefix: true,
  historyLimit: true,
} as const satisfies KeysOf<RedisStoreOptions>;

/** A Redis store: every transition is one Lua script, so any number of processes and hosts can share it. */
export function redisStore(options: RedisStoreOptions): BudgetStore {
  if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
  rejectUnknownKeys(options, REDIS_STORE_OPTION_KEYS);
  const { client: given, url, prefix = "spendguard", historyLimit = 1000 } = options;
  if (given === undefined && (typeof url !== "string" || url === "")) {
    throw expected("url", "a redis:// URL (or pass `client`, an ioredis client)", url);
  }
  if (given === undefined) checkUrl(url as string);
  if (given !== undefined && (typeof given !== "object" || given === null || !("defineCommand" in given))) {
    throw expected("client", "an ioredis client", given);
  }
  if (typeof prefix !== "string" || prefix === "" || /[{}]/.test(prefix)) {
    throw expected("prefix", "a non-empty string without braces", prefix);
  }
  if (!Number.isInteger(historyLimit) || historyLimit < 1) {
    throw expected("historyLimit", "an integer >= 1", historyLimit);
  }
  const client = given ?? createClient(url as string);
  const scripts = defineScripts(client);
  const where = `${client.options.host ?? "127.0.0.1"}:${client.options.port ?? 6379}`;
  // The latest connection error of this store's own client, which says why commands fail while it is down.
  let connectionError: Error | undefined;
  if (given === undefined) {
    client.on("error", (error: Error) => {
      connectionError = error;
    });
    client.on("ready", () => {
      connectionError = undefined;
    });
  }
  /** A failure as the caller should read it: where Redis was expected, and why it could not answer. */
  function failure(error: unknown): unknown {
    const message = error instanceof Error ? error.message : String(error);
    // Errors of the scripts themselves (a hold id reused, a scope filed under another tree) say enough.
    if (error instanceof Error && error.name === "ReplyError" && !CONNECTION_REPLY.test(message))
      return error;
    if (error instanceof Error && !isConnectionFailure(error) && client.status === "ready") return error;
    const reason = inWords(connectionError ?? error);
    return new Error(`Redis at ${where} did not answer: ${reason}`, { cause: error });
  }
  const cap = String(historyLimit);
  const global = {
    roots: `{${prefix}}:roots`,
    scopes: `{${prefix}}:scopes`,
    created: `{${prefix}}:created`,
    history: `{${prefix}}:history`,
  };
  const tree = (root: string) => `{${prefix}:${root}}`;

  // The initial connection of a lazily connecting client; afterwards commands fail fast while it is down.
  let connecting: Promise<unknown> | undefined;
  /** Set while (and after) close() ends this store's own client; cleared when the store is used again. */
  let closing: Promise<void> | undefined;
  async function ready(): Promise<void> {
    if (closing) {
      // Used after close(): once the old connection has ended, open it again (a given client stays closed).
      await closing;
      closing = undefined;
    }
    if (client.status === "wait" || (given === undefined && client.status === "end")) {
      connecting ??= client.connect().finally(() => {
        connecting = undefined;
      });
    }
    // Every operation issued while the first connection is being made waits for it (not only the first one).
    if (connecting) await connecting;
  }

  /** Scope id -> root id, as filed in Redis (a filing never changes, so it is safe to keep). */
  const filed = new Map<string, string>();

  async function claim(ids: readonly string[], root: string): Promise<void> {
    const unclaimed = ids.filter((id) => filed.get(id) !== root);
    if (unclaimed.length === 0) return;
    const roots = (await scripts.claim(global.roots, root, ...unclaimed)) as string[];
    unclaimed.forEach((id, index) => {
      const filedRoot = roots[index] as string;
      if (filedRoot !== root) {
        throw new Error(
          `Scope id \`${id}\` belongs to the budget tree of \`${filedRoot}\` in this Redis store, not to ` +
            `\`${root}\`: a scope id keeps the parents it was first used with`,
        );
      }
      filed.set(id, root);
    });
  }

  async function rootsOf(ids: readonly string[]): Promise<(string | undefined)[]> {
    const unknown = [...new Set(ids.filter((id) => !filed.has(id)))];
    if (unknown.length > 0) {
      const roots = await client.hmget(global.roots, ...unknown);
      unknown.forEach((id, index) => {
        const root = roots[index];
        if (typeof root === "string") filed.set(id, root);
      });
    }
    return ids.map((id) => filed.get(id));
  }

  // Records for the global list, sent together a few milliseconds later (see the top of this file), or
  // before this store's own history() reads it.
  let unindexed: string[] = [];
  let indexTimer: NodeJS.Timeout | undefined;
  function index(records: readonly string[]): void {
    if (records.length === 0) return;
    unindexed.push(...records);
    indexTimer ??= setTimeout(() => void flushIndex(), INDEX_DELAY_MS).unref();
  }
  async function flushIndex(): Promise<void> {
    clearTimeout(indexTimer);
    indexTimer = undefined;
    const records = unindexed;
    unindexed = [];
    if (records.length > 0) await scripts.index(global.history, cap, ...records).catch(() => undefined);
  }

  // The reserves and settles asked for in one event-loop turn go to Redis together: one script call per
  // budget tree (batch.lua), each transition applied as if alone. Other commands send them first, so that
  // every command still runs in the order it was asked for.
  interface Queued {
    kind: "r" | "s";
    args: string[];
    resolve: (reply: unknown) => void;
    reject: (error: unknown) => void;
  }
  let queued = new Map<string, Queued[]>();
  let hops = 0;
  function tick(): void {
    if (++hops < BATCH_HOPS) queueMicrotask(tick);
    else {
      hops = 0;
      sendQueued();
    }
  }
  function sendQueued(): void {
    if (queued.size === 0) return;
    const batches = queued;
    queued = new Map();
    for (const [root, batch] of batches) {
      const args = batch.flatMap((item) => [item.kind, String(item.args.length), ...item.args]);
      scripts.transitions(`${tree(root)}:expiries`, tree(root), ...args).then(
        (replies) => {
          (replies as unknown[]).forEach((reply, index) => {
            const item = batch[index] as Queued;
            if (Array.isArray(reply) && reply[0] === "error") item.reject(new Error(String(reply[1])));
            else item.resolve(reply);
          });
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      );
    }
  }
  function transition(root: string, kind: "r" | "s", args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (queued.size === 0) queueMicrotask(tick);
      const batch = queued.get(root);
      if (batch) batch.push({ kind, args, resolve, reject });
      else queued.set(root, [{ kind, args, resolve, reject }]);
    });
  }

  const charges = (list: readonly RateCharge[] | undefined) =>
    (list ?? []).flatMap((charge) => [
      charge.key,
      String(charge.capacity),
      String(charge.periodMs),
      String(charge.amount),
    ]);

  async function readTree(
    root: string,
    scopes: readonly { id: string; key: string; limit: number }[],
    now: number,
  ): Promise<Balance[]> {
    const args = scopes.flatMap((scope) => [scope.id, scope.key, String(scope.limit)]);
    const [balances, appended] = (await scripts.read(
      `${tree(root)}:expiries`,
      tree(root),
      String(now),
      cap,
      ...args,
    )) as [RawBalance[], string[]];
    index(appended);
    return balances.map(toBalance);
  }

  const store: BudgetStore = {
    name: "redis",

    async reserve(request) {
      const root = rootOf(request.scopes.map((scope) => scope.id));
      await ready();
      await claim(
        request.scopes.map((scope) => scope.id),
        root,
      );
      const [ok, reason, refusedBy, retryAfterMs, balances, appended] = (await transition(root, "r", [
        String(request.now),
        String(request.expiresAt),
        request.holdId,
        String(request.amount),
        request.force ? "1" : "0",
        cap,
        JSON.stringify(request.scopes),
        JSON.stringify(request.record.scopeIds),
        JSON.stringify(expiredRecord(request.record, request.amount)),
        ...charges(request.limits),
      ])) as [number, ReserveFailure["reason"], string, number, RawBalance[], string[]];
      index(appended);
      if (ok === 1) return { ok: true, balances: balances.map(toBalance) };
      return {
        ok: false,
        reason,
        refusedBy,
        balances: balances.map(toBalance),
        ...(retryAfterMs >= 0 && { retryAfterMs }),
      };
    },

    async settle(request) {
      const root = rootOf(request.record.scopeIds);
      await ready();
      const [settled, held, balances, warnings, appended] = (await transition(root, "s", [
        String(request.now),
        request.holdId,
        String(request.actual),
        cap,
        JSON.stringify(request.record),
        JSON.stringify(request.record.scopeIds),
        ...charges(request.refunds),
      ])) as [number, string, RawBalance[], [string, string, string][], string[]];
      index(appended);
      const result: SettleResult = {
        settled: settled === 1,
        held: Number(held),
        balances: balances.map(toBalance),
        warnings: warnings.map(([id, key, threshold]) => ({ id, key, threshold: Number(threshold) })),
      };
      return result;
    },

    async read(request) {
      if (request.scopes.length === 0) return [];
      await ready();
      const fallback = rootOf(request.scopes.map((scope) => scope.id));
      const roots = await rootsOf(request.scopes.map((scope) => scope.id));
      // Usually one tree; a read may name accounts of several.
      const byRoot = new Map<string, number[]>();
      request.scopes.forEach((_, index) => {
        const root = roots[index] ?? fallback;
        byRoot.set(root, [...(byRoot.get(root) ?? []), index]);
      });
      const balances: Balance[] = [];
      await Promise.all(
        [...byRoot].map(async ([root, indexes]) => {
          const read = await readTree(
            root,
            indexes.map((index) => request.scopes[index]!),
            request.now,
          );
          indexes.forEach((position, index) => {
            balances[position] = read[index]!;
          });
        }),
      );
      return balances;
    },

    async update(request) {
      await ready();
      const { scope } = request;
      const [root = scope.id] = await rootsOf([scope.id]);
      const override =
        request.limit === undefined ? "" : request.limit === null ? "clear" : String(request.limit);
      const flags = Object.entries(request.flags ?? {}).flatMap(([name, on]) => [name, on ? "1" : "0"]);
      const [balance, appended] = (await scripts.update(
        `${tree(root)}:expiries`,
        tree(root),
        String(request.now),
        cap,
        scope.id,
        scope.key,
        String(scope.limit),
        request.reset ? "1" : "0",
        override,
        ...flags,
      )) as [RawBalance, string[]];
      index(appended);
      return toBalance(balance);
    },

    async record(record) {
      const root = rootOf(record.scopeIds.length > 0 ? record.scopeIds : [record.sessionId]);
      await ready();
      const json = JSON.stringify(record);
      await scripts.record(`${tree(root)}:expiries`, tree(root), cap, json, JSON.stringify(record.scopeIds));
      index([json]);
    },

    async register(scopes) {
      if (scopes.length === 0) return;
      await ready();
      const args = scopes.flatMap((scope) => {
        const info = {
          id: scope.id,
          ...(scope.parentId !== undefined && { parentId: scope.parentId }),
          limit: scope.limit,
          ...(scope.period !== undefined && { period: scope.period }),
          thresholds: [...scope.thresholds],
        };
        return [scope.id, scope.parentId ?? "", String(scope.createdAt), JSON.stringify(info)];
      });
      await scripts.register(global.scopes, global.created, global.roots, ...args);
    },

    async scopes() {
      await ready();
      const [infos, created] = await Promise.all([
        client.hgetall(global.scopes),
        client.hgetall(global.created),
      ]);
      const ids = Object.keys(infos);
      const roots = await rootsOf(ids);
      const overrides = await Promise.all(
        ids.map((id, index) => client.hget(`${tree(roots[index] ?? id)}:scope:${id}`, "override")),
      );
      return ids
        .map((id, index): ScopeInfo => {
          const override = overrides[index];
          return {
            ...(JSON.parse(infos[id] as string) as Omit<ScopeInfo, "createdAt">),
            createdAt: Number(created[id]),
            ...(typeof override === "string" && { limitOverride: Number(override) }),
          };
        })
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async history(query) {
      if (query.limit !== undefined && query.limit <= 0) return [];
      await ready();
      await flushIndex();
      let key = global.history;
      if (query.sessionId !== undefined) {
        const [root = query.sessionId] = await rootsOf([query.sessionId]);
        key = `${tree(root)}:history:${query.sessionId}`;
      }
      const filtered = query.before !== undefined || query.status !== undefined || query.model !== undefined;
      // The lists are capped, so reading a whole one is bounded; without filters only `limit` are needed.
      const stop = !filtered && query.limit !== undefined ? query.limit - 1 : -1;
      const raw = await client.lrange(key, 0, stop);
      return filterHistory(
        raw.map((json) => JSON.parse(json) as CallRecord),
        { ...query, sessionId: undefined },
      );
    },

    async close() {
      sendQueued();
      await flushIndex();
      // A client the caller passed in is the caller's to close.
      if (given !== undefined) return;
      closing ??= (async () => {
        if (client.status === "ready") {
          // Wait for the socket to end, so that using the store again opens a new one.
          const ended = once(client, "end");
          await client.quit().catch(() => client.disconnect());
          // (quit() may have ended it already: status is a live field.)
          if ((client.status as string) !== "end") await ended;
        } else client.disconnect();
      })();
      await closing;
    },
  };
  for (const method of [
    "reserve",
    "settle",
    "read",
    "update",
    "record",
    "register",
    "scopes",
    "history",
  ] as const) {
    const run = store[method] as (...args: unknown[]) => Promise<unknown>;
    const inOrder = method !== "reserve" && method !== "settle";
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      // Transitions asked for earlier go first (see sendQueued).
      if (inOrder) sendQueued();
      return run(...args).catch((error: unknown) => {
        throw failure(error);
      });
    };
  }
  return store;
}

/** Replies that mean Redis cannot serve anyone right now, not that a script refused something. */
const CONNECTION_REPLY = /^(NOAUTH|WRONGPASS|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOPERM)/;

function isConnectionFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === "string" ||
    /Connection is closed|Stream isn't writeable|connect|Reached the max retries|timed? ?out/i.test(
      error.message,
    )
  );
}

/** Why a connection failed, in words (never with the URL: it may hold a password). */
function inWords(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED") return "connection refused (nothing listens there, or Redis is down)";
  if (code === "ETIMEDOUT" || /timed? ?out/i.test(message)) return "connection timed out";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ECONNRESET") return "connection reset by the server";
  if (/^(NOAUTH|WRONGPASS)/.test(message)) return "authentication failed (check the password or user)";
  if (/Connection is closed|Stream isn't writeable/.test(message))
    return "not connected (Redis is down or unreachable)";
  return message;
}

/** A bad URL fails at creation, naming the option; the password never appears in the message. */
function checkUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw expected("url", "a redis:// or rediss:// URL", url.replace(/\/\/([^:@/]*):([^@/]*)@/, "//$1:***@"));
  }
}

/** Microtasks a batch of transitions waits for more (flows resumed by the previous reply, a few awaits deep). */
const BATCH_HOPS = 8;

/** How long records wait to be added to the global history list, so that one command adds many. */
const INDEX_DELAY_MS = 5;

type ReserveFailure = Extract<ReserveResult, { ok: false }>;
type RawBalance = [string, string, string, string, string, string[]];

function toBalance([key, id, limit, spent, held, flagList]: RawBalance): Balance {
  const flags: Record<string, boolean> = {};
  for (let i = 0; i + 1 < flagList.length; i += 2) flags[flagList[i] as string] = flagList[i + 1] === "1";
  return { key, id, limit: Number(limit), spent: Number(spent), held: Number(held), flags };
}

/** The root of a chain of scope ids, innermost first: its last. */
function rootOf(ids: readonly string[]): string {
  const root = ids[ids.length - 1];
  if (root === undefined) throw new TypeError("Expected at least one scope, got none");
  return root;
}

type Script = (...args: string[]) => Promise<unknown>;

interface Scripts {
  transitions: Script;
  read: Script;
  update: Script;
  record: Script;
  register: Script;
  claim: Script;
  index: Script;
}

/**
 * Scripts that work on one tree get ledger.lua in front (transitions: also reserve.lua and settle.lua, the
 * functions batch.lua calls); the number is how many KEYS each takes.
 */
const SCRIPTS: Record<keyof Scripts, { keys: number; tree: boolean }> = {
  transitions: { keys: 1, tree: true },
  read: { keys: 1, tree: true },
  update: { keys: 1, tree: true },
  record: { keys: 1, tree: true },
  register: { keys: 3, tree: false },
  claim: { keys: 1, tree: false },
  index: { keys: 1, tree: false },
};

let sources: Record<keyof Scripts, string> | undefined;

/**
 * Reads the .lua files next to this module (`src/stores/redis/` in the sources, `dist/redis/` in the build,
 * for both the ESM and the CJS entry) once.
 */
function loadSources(): Record<keyof Scripts, string> {
  if (sources) return sources;
  const read = (name: string) => readFileSync(new URL(`./redis/${name}.lua`, import.meta.url), "utf8");
  const ledger = read("ledger");
  const loaded = {} as Record<keyof Scripts, string>;
  for (const [name, { tree }] of Object.entries(SCRIPTS) as [keyof Scripts, { tree: boolean }][]) {
    if (name === "transitions")
      loaded[name] = [ledger, read("reserve"), read("settle"), read("batch")].join("\n");
    else loaded[name] = tree ? `${ledger}\n${read(name)}` : read(name);
  }
  sources = loaded;
  return loaded;
}

/** Registers each script on the client (`defineCommand`: EVALSHA, with EVAL when Redis lost the script). */
function defineScripts(client: Redis): Scripts {
  const lua = loadSources();
  const commands = client as unknown as Record<string, Script>;
  const scripts = {} as Scripts;
  for (const [name, { keys }] of Object.entries(SCRIPTS) as [keyof Scripts, { keys: number }][]) {
    const command = `spendguard_${name}`;
    client.defineCommand(command, { lua: lua[name], numberOfKeys: keys });
    scripts[name] = (...args) => (commands[command] as Script).apply(client, args);
  }
  return scripts;
}

function createClient(url: string): Redis {
  let RedisClient: new (url: string, options: RedisOptions) => Redis;
  try {
    RedisClient = createRequire(import.meta.url)("ioredis") as typeof RedisClient;
  } catch (error) {
    throw new Error("redisStore() needs the `ioredis` package: npm install ioredis", { cause: error });
  }
  const client = new RedisClient(url, {
    lazyConnect: true,
    // Fail closed at once while Redis is down (the core refuses the call) and work again once it is back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  // Errors reach the caller as rejected commands (the store keeps the latest, see failure()); without a
  // listener ioredis would also log each one.
  return client;
}
