import { type KeysOf, rejectUnknownKeys } from "../known-keys.js";
import { createLedgerState } from "../ledger/ledger-state.js";
import type { CallRecord } from "../types.js";
import type { BudgetStore, HistoryQuery } from "./types.js";

export interface MemoryStoreOptions {
  /** How many history records to keep; older ones are dropped first. @default 1000 */
  historyLimit?: number;
}

const MEMORY_STORE_OPTION_KEYS = { historyLimit: true } as const satisfies KeysOf<MemoryStoreOptions>;

/**
 * A store inside this process: exact, synchronous underneath, shared by every session and wrapped client
 * given the same instance. Nothing survives the process.
 */
export interface MemoryStore extends BudgetStore {
  readSync: NonNullable<BudgetStore["readSync"]>;
  /** Holds not yet settled. */
  openHolds(): number;
}

export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  if (typeof options === "object" && options !== null) rejectUnknownKeys(options, MEMORY_STORE_OPTION_KEYS);
  const historyLimit = options.historyLimit ?? 1000;
  if (!Number.isInteger(historyLimit) || historyLimit < 1) {
    throw new TypeError(
      `Expected \`historyLimit\` to be an integer >= 1, got \`${String(historyLimit)}\` (${typeof historyLimit})`,
    );
  }
  const history = createRing<CallRecord>(historyLimit);
  const state = createLedgerState((record) => history.push(record));

  return {
    name: "memory",
    reserve: async (request) => state.reserve(request),
    settle: async (request) => state.settle(request),
    read: async (request) => state.read(request),
    update: async (request) => state.update(request),
    readSync: (request) => state.read(request),
    register: async (scopes) => state.register(scopes),
    scopes: async () => state.scopes(),
    record: async (record) => {
      history.push(record);
    },
    history: async (query) => filterHistory(history.newestFirst(), query),
    openHolds: () => state.openHolds(),
  };
}

export function filterHistory(newestFirst: Iterable<CallRecord>, query: HistoryQuery): CallRecord[] {
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  const out: CallRecord[] = [];
  if (limit <= 0) return out;
  for (const record of newestFirst) {
    if (query.before !== undefined && record.time >= query.before) continue;
    if (query.sessionId !== undefined && !record.scopeIds.includes(query.sessionId)) continue;
    if (query.status !== undefined && record.status !== query.status) continue;
    if (query.model !== undefined && record.model !== query.model && record.resolvedModel !== query.model) {
      continue;
    }
    out.push(record);
    if (out.length >= limit) break;
  }
  return out;
}

interface Ring<T> {
  push(item: T): void;
  newestFirst(): Generator<T>;
}

function createRing<T>(capacity: number): Ring<T> {
  const items: T[] = [];
  let next = 0;
  return {
    push(item) {
      if (items.length < capacity) items.push(item);
      else items[next] = item;
      next = (next + 1) % capacity;
    },
    *newestFirst() {
      for (let i = 1; i <= items.length; i++) {
        const index = (next - i + capacity) % capacity;
        const item = items[index];
        if (item !== undefined) yield item;
      }
    },
  };
}
