import { InvalidRequestError } from "../../errors.js";
import type { CallPlan } from "../../ledger/types.js";
import type { PriceCatalog } from "../../pricing/types.js";
import type { Usage } from "../../types.js";
import { tokenCost } from "../token-plan.js";
import { responsesUsage } from "./usage.js";

/** The parts of an OpenAI `Batch` that `settleBatch` reads. */
export interface BatchLike {
  id: string;
  status?: string;
  /** Only on batches created after 2025-09-07. */
  usage?: unknown;
  model?: string | null;
  endpoint?: string;
}

/**
 * A finished batch as a charge: its usage at the batch tier. `batches.create` holds nothing (its cost is not
 * known until the batch ran); `session.settleBatch(batch)` records the spend once the batch is done.
 */
export async function batchCharge(
  batch: BatchLike,
  model: string | undefined,
  catalog: PriceCatalog,
): Promise<{ plan: CallPlan; usage: Usage }> {
  if (typeof batch !== "object" || batch === null || typeof batch.id !== "string") {
    throw new InvalidRequestError("Expected a Batch object (from `batches.retrieve`) with an `id`");
  }
  if (
    batch.status !== undefined &&
    batch.status !== "completed" &&
    batch.status !== "expired" &&
    batch.status !== "cancelled"
  ) {
    throw new InvalidRequestError(
      `Batch \`${batch.id}\` is ${batch.status}: settle it once it has finished (completed, expired or cancelled)`,
    );
  }
  const usage = responsesUsage(batch.usage);
  if (!usage) {
    throw new InvalidRequestError(
      `Batch \`${batch.id}\` reports no usage (OpenAI only reports it for batches created after 2025-09-07)`,
    );
  }
  const name = model ?? batch.model ?? undefined;
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidRequestError(
      `Batch \`${batch.id}\` does not name its model: pass it as settleBatch(batch, { model })`,
    );
  }
  const price = await catalog.tokenPrice("openai", name, "batch");
  return {
    plan: {
      provider: "openai",
      operation: "batches",
      model: name,
      stream: false,
      tier: "batch",
      resolvedModel: price.model,
      priceSource: price.source,
      ...(price.unpriced && { unpriced: true }),
      hold: { kind: "fixed", amount: 0, expected: 0, units: "a finished batch" },
      cost: tokenCost(catalog, "openai", name, price),
      confidence: "high",
      notes: [],
      paramsWithLimit: () => undefined,
      fromHelper: false,
    },
    usage,
  };
}
