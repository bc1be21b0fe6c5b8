import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { TOKEN_PRICES } from "../data/token-prices.js";
import { type DiffLimits, diffPrices, type PriceChange, type PriceData, suspicious } from "./diff.js";
import { POINTER_FILE, readPointer, readSnapshot } from "./load.js";
import {
  POINTER_FORMAT,
  type PriceSnapshot,
  SNAPSHOT_FORMAT,
  SnapshotError,
  type SnapshotPointer,
} from "./types.js";
import { validateGenaiData, validateTable } from "./validate.js";

export interface PriceUpdateOptions {
  /** The snapshot directory every process points at (`pricing: { snapshot }` / SPENDGUARD_PRICES). */
  dir: string;
  /** genai-prices' published data.json: an http(s) URL or a file path. @default genai-prices' own URL */
  genai?: string;
  /** spendguard's own table (`{ format: "spendguard-table/1", tokens }`): a URL or a path. @default kept as is */
  table?: string;
  /** Write even when the update looks suspicious. */
  force?: boolean;
  limits?: DiffLimits;
  now?: Date;
  /** How long each download may take. @default 30000 */
  timeoutMs?: number;
}

export interface PriceUpdatePreview {
  /** The version the directory points at now (`bundled-…` when it has no snapshot yet). */
  current: string;
  candidate: PriceSnapshot;
  changes: PriceChange[];
  /** Why the update is suspicious; `update` refuses it without `force`. */
  findings: string[];
}

export interface PriceUpdateResult extends PriceUpdatePreview {
  /** Whether a snapshot was written (false when nothing changed). */
  written: boolean;
  file?: string;
}

/** Downloads and validates the sources and compares them with the directory's current prices; writes nothing. */
export async function previewPriceUpdate(options: PriceUpdateOptions): Promise<PriceUpdatePreview> {
  const dir = resolve(options.dir);
  const now = options.now ?? new Date();
  const baseline = await currentData(dir);
  const genaiSource = options.genai ?? (await import("@pydantic/genai-prices")).REMOTE_DATA_JSON_URL;
  const genai = validateGenaiData(await fetchJson(genaiSource, options.timeoutMs));
  const tokens =
    options.table === undefined
      ? [...baseline.data.tokens]
      : validateTable(await fetchJson(options.table, options.timeoutMs));
  const data = { genai, tokens };
  const body = JSON.stringify(data);
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 8);
  const candidate: PriceSnapshot = {
    format: SNAPSHOT_FORMAT,
    version: `${now
      .toISOString()
      .replace(/:/g, ".")
      .replace(/\.\d{3}Z$/, "Z")}-${hash}`,
    createdAt: now.toISOString(),
    sources: {
      genai: withoutSecrets(genaiSource),
      table: options.table === undefined ? baseline.tableSource : withoutSecrets(options.table),
    },
    genai,
    tokens,
  };
  const changes = diffPrices(baseline.data, data, now);
  return {
    current: baseline.version,
    candidate,
    changes,
    findings: suspicious(changes, baseline.data, options.limits),
  };
}

/**
 * `spendguard prices update`: preview, refuse a suspicious update without `force` (nothing is written), then
 * write the snapshot file and switch the directory's pointer to it, each by an atomic rename. Processes already
 * running keep their prices; each session created afterwards prices from the new snapshot.
 */
export async function updatePrices(options: PriceUpdateOptions): Promise<PriceUpdateResult> {
  const preview = await previewPriceUpdate(options);
  if (preview.findings.length > 0 && !options.force)
    throw new SnapshotError(
      "The update looks suspicious and was not written (check the sources, or pass --force to write it anyway)",
      preview.findings,
    );
  if (preview.changes.length === 0) return { ...preview, written: false };
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const fileName = `prices-${preview.candidate.version}.json`;
  const file = join(dir, fileName);
  await atomicWrite(file, JSON.stringify(preview.candidate));
  const pointer: SnapshotPointer = {
    format: POINTER_FORMAT,
    version: preview.candidate.version,
    file: fileName,
  };
  await atomicWrite(join(dir, POINTER_FILE), `${JSON.stringify(pointer, null, 2)}\n`);
  return { ...preview, written: true, file };
}

/**
 * A source as it is recorded in the snapshot (and so in every record's price source): a URL loses its user
 * name, password, query and fragment, where download tokens live.
 */
export function withoutSecrets(source: string): string {
  if (!/^https?:\/\//i.test(source)) return source;
  try {
    const url = new URL(source);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/** fetch refuses URLs with user info: send it as HTTP Basic authentication instead. */
function credentialsAsHeader(source: string): { url: string; headers: Record<string, string> } {
  const url = new URL(source);
  if (url.username === "" && url.password === "") return { url: source, headers: {} };
  const basic = Buffer.from(
    `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
  ).toString("base64");
  url.username = "";
  url.password = "";
  return { url: url.toString(), headers: { authorization: `Basic ${basic}` } };
}

async function atomicWrite(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, text, { mode: 0o644 });
  await rename(temporary, file);
}

async function currentData(dir: string): Promise<{ version: string; data: PriceData; tableSource: string }> {
  const pointer = readPointer(dir);
  if (pointer !== undefined) {
    const snapshot = await readSnapshot(join(dir, pointer.file), pointer.version);
    return { version: snapshot.version, data: snapshot, tableSource: snapshot.sources.table };
  }
  const { waitForUpdate } = await import("@pydantic/genai-prices");
  const { BUNDLED_SNAPSHOT } = await import("./types.js");
  return {
    version: BUNDLED_SNAPSHOT,
    data: { genai: (await waitForUpdate()) ?? [], tokens: TOKEN_PRICES },
    tableSource: `${BUNDLED_SNAPSHOT} (src/pricing/data/token-prices.ts)`,
  };
}

/** A JSON document from an http(s) URL or a file path, with a message naming the source when it fails. */
async function fetchJson(source: string, timeoutMs = 30_000): Promise<unknown> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    let response: Response;
    try {
      const { url, headers } = credentialsAsHeader(source);
      response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // the runtime's message may quote the URL, query and user info included
      const reason = (error as Error).message.split(source).join(withoutSecrets(source));
      throw new SnapshotError(`Could not download \`${withoutSecrets(source)}\`: ${reason}`);
    }
    if (!response.ok)
      throw new SnapshotError(`\`${withoutSecrets(source)}\` answered HTTP ${response.status}`);
    text = await response.text();
  } else {
    try {
      text = await readFile(source, "utf8");
    } catch (error) {
      throw new SnapshotError(`Could not read \`${source}\`: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SnapshotError(`\`${withoutSecrets(source)}\` is not JSON`);
  }
}
