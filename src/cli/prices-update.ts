import { describeChange, type PriceUpdateOptions, previewPriceUpdate, updatePrices } from "../index.js";
import { UsageError } from "./usage.js";

export interface PriceUpdateFlags {
  json: boolean;
  dir?: string;
  genai?: string;
  table?: string;
  force?: boolean;
  "max-change"?: string;
}

type Print = (text: string) => void;

/** `spendguard prices update|diff`: fetch, validate and (update) write a price snapshot. */
export async function pricesUpdate(
  action: "update" | "diff",
  flags: PriceUpdateFlags,
  env: NodeJS.ProcessEnv,
  print: Print,
): Promise<void> {
  const dir = flags.dir ?? env.SPENDGUARD_PRICES;
  if (dir === undefined || dir === "")
    throw new UsageError(`Expected --dir DIR (or SPENDGUARD_PRICES): where the snapshots live`);
  const options: PriceUpdateOptions = { dir };
  if (flags.genai !== undefined) options.genai = flags.genai;
  if (flags.table !== undefined) options.table = flags.table;
  if (flags.force) options.force = true;
  if (flags["max-change"] !== undefined) {
    const factor = Number(flags["max-change"].replace(/x$/i, ""));
    if (!Number.isFinite(factor) || factor <= 1)
      throw new UsageError(
        `Expected --max-change to be a factor > 1 (e.g. 2 or 3x), got ${flags["max-change"]}`,
      );
    options.limits = { maxFactor: factor };
  }
  const result = action === "update" ? await updatePrices(options) : await previewPriceUpdate(options);
  const written = "written" in result ? result.written : false;
  if (flags.json) {
    print(
      JSON.stringify(
        {
          current: result.current,
          version: result.candidate.version,
          written,
          changes: result.changes,
          findings: result.findings,
        },
        null,
        2,
      ),
    );
    return;
  }
  const added = result.changes.filter((change) => change.kind === "added").length;
  const removed = result.changes.filter((change) => change.kind === "removed").length;
  print(
    `${result.current} → ${result.candidate.version}: ${result.changes.length} change(s), ` +
      `${added} added, ${removed} removed`,
  );
  for (const change of result.changes.slice(0, 200)) print(`  ${describeChange(change)}`);
  if (result.changes.length > 200) print(`  … ${result.changes.length - 200} more (--json lists all)`);
  for (const finding of result.findings) print(`suspicious: ${finding}`);
  if (action === "update")
    print(written ? `Wrote ${result.candidate.version}; new sessions price from it.` : "Nothing changed.");
}
