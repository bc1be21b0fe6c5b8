import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { calcPrice as CalcPrice, PriceOptions, Provider } from "@pydantic/genai-prices";
import type { GenaiPrices } from "../genai-source.js";
import { createTokenTable, type TokenTable } from "../own-tokens.js";
import {
  POINTER_FORMAT,
  type PriceSnapshot,
  SNAPSHOT_FORMAT,
  SnapshotError,
  type SnapshotPointer,
} from "./types.js";
import { validateGenaiData, validateTable } from "./validate.js";

/** The pointer file a snapshot directory's readers follow to its newest snapshot. */
export const POINTER_FILE = "current.json";

/** A snapshot a catalog prices from: its version now, its data on first use. */
export interface SnapshotSource {
  version: string;
  loadGenai(): Promise<GenaiPrices>;
  loadTokens(): Promise<TokenTable>;
}

/**
 * Opens the newest snapshot of a directory written by `spendguard prices update`: reads its small pointer now
 * (so a session created after an update prices from the new version) and the data itself on first use. Never
 * touches the network.
 */
export function openSnapshot(directory: string): SnapshotSource {
  const dir = resolve(directory);
  const pointer = readPointer(dir);
  if (pointer === undefined)
    throw new SnapshotError(
      `No price snapshot in \`${dir}\` (no ${POINTER_FILE}): run \`spendguard prices update --dir ${dir}\`, or ` +
        "remove `pricing.snapshot` / SPENDGUARD_PRICES to use the bundled prices",
    );
  const file = join(dir, pointer.file);
  const loaded = () => loadSnapshotFile(file, pointer.version);
  return {
    version: pointer.version,
    loadGenai: async () => (await loaded()).genai,
    loadTokens: async () => (await loaded()).tokens,
  };
}

/** The pointer of a snapshot directory; undefined when the directory has none yet. */
export function readPointer(dir: string): SnapshotPointer | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, POINTER_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let pointer: unknown;
  try {
    pointer = JSON.parse(text);
  } catch {
    throw new SnapshotError(`\`${join(dir, POINTER_FILE)}\` is not JSON`);
  }
  const value = pointer as Partial<SnapshotPointer>;
  if (
    value?.format !== POINTER_FORMAT ||
    typeof value.version !== "string" ||
    typeof value.file !== "string" ||
    isAbsolute(value.file) ||
    value.file.includes("/") ||
    value.file.includes("\\")
  )
    throw new SnapshotError(
      `\`${join(dir, POINTER_FILE)}\` is not a snapshot pointer { format: "${POINTER_FORMAT}", version, file }`,
    );
  return value as SnapshotPointer;
}

interface LoadedSnapshot {
  snapshot: PriceSnapshot;
  genai: GenaiPrices;
  tokens: TokenTable;
}

/** Parsed snapshots by file: files never change once written, so each is parsed once per process. */
const cache = new Map<string, Promise<LoadedSnapshot>>();
const CACHED = 2;

function loadSnapshotFile(file: string, version: string): Promise<LoadedSnapshot> {
  let loading = cache.get(file);
  if (loading === undefined) {
    loading = Promise.all([readSnapshot(file, version), import("@pydantic/genai-prices")]).then(
      ([snapshot, genai]) => toLoaded(snapshot, genai.calcPrice),
    );
    if (cache.size >= CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(file, loading);
    loading.catch(() => cache.delete(file));
  }
  return loading;
}

/** Reads and validates a snapshot file, checking it is the version its pointer names. */
export async function readSnapshot(file: string, version?: string): Promise<PriceSnapshot> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new SnapshotError(`Price snapshot \`${file}\` could not be read: ${(error as Error).message}`);
  }
  const snapshot = data as Partial<PriceSnapshot>;
  if (snapshot?.format !== SNAPSHOT_FORMAT || typeof snapshot.version !== "string")
    throw new SnapshotError(`\`${file}\` is not a spendguard price snapshot (format ${SNAPSHOT_FORMAT})`);
  if (version !== undefined && snapshot.version !== version)
    throw new SnapshotError(`\`${file}\` holds version ${snapshot.version}, its pointer says ${version}`);
  return {
    format: SNAPSHOT_FORMAT,
    version: snapshot.version,
    createdAt: String(snapshot.createdAt ?? ""),
    sources: snapshot.sources ?? { genai: "unknown", table: "unknown" },
    genai: validateGenaiData(snapshot.genai),
    tokens: validateTable({ format: "spendguard-table/1", tokens: snapshot.tokens }),
  };
}

function toLoaded(snapshot: PriceSnapshot, calcPrice: typeof CalcPrice): LoadedSnapshot {
  const label = `price snapshot ${snapshot.version}`;
  return {
    snapshot,
    genai: snapshotGenai(
      snapshot.genai,
      `${label} (genai-prices data from ${snapshot.sources.genai})`,
      calcPrice,
    ),
    tokens: createTokenTable(snapshot.tokens, `${label} (spendguard table from ${snapshot.sources.table})`),
  };
}

/**
 * genai-prices' own matching and price calculation over a snapshot's providers, passed per call: the package's
 * process-wide data is never replaced, so sessions on different snapshots (or none) do not see each other's.
 */
export function snapshotGenai(
  providers: readonly Provider[],
  detail: string,
  calcPrice: typeof CalcPrice,
): GenaiPrices {
  const byId = new Map(providers.map((provider) => [provider.id.toLowerCase(), provider]));
  return {
    detail,
    calcPrice(usage, model, options: PriceOptions = {}) {
      const { providerId, ...rest } = options;
      if (providerId !== undefined) {
        const provider = byId.get(providerId.toLowerCase());
        return provider === undefined ? null : calcPrice(usage, model, { ...rest, provider });
      }
      for (const provider of providers) {
        const result = calcPrice(usage, model, { ...rest, provider });
        if (result !== null) return result;
      }
      return null;
    },
  };
}
