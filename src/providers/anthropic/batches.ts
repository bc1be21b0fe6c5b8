import { InvalidRequestError } from "../../errors.js";
import { tapResponse } from "../../intercept/body-tap.js";
import type { CallLedger, CallPlan } from "../../ledger/types.js";
import { type Nano, roundTo } from "../../money.js";
import { usageCost, worstCaseCost } from "../../pricing/cost.js";
import type { PriceCatalog } from "../../pricing/types.js";
import type { Usage } from "../../types.js";
import { createMeter, jsonBody } from "../meter.js";
import { requireBody } from "../request.js";
import type { LaterHook, Operation } from "../types.js";
import { planMessages } from "./messages.js";
import { anthropicUsage } from "./usage.js";

/**
 * `messages.batches.create`: every request is known up front, so the batch holds the sum of their worst cases
 * at the batch rate; the hold waits until `messages.batches.results` delivers each message's usage.
 */
export const batchesCreate: Operation = {
  path: "messages.batches.create",
  url: /\/v1\/messages\/batches$/,
  // Every model of the batch is checked (rules split the list on commas).
  facts(params) {
    const requests = (params as { requests?: unknown } | null)?.requests;
    const models = Array.isArray(requests)
      ? requests.map((request) => (request as { params?: { model?: unknown } })?.params?.model)
      : [];
    return {
      model: [...new Set(models.filter((model): model is string => typeof model === "string"))].join(","),
    };
  },
  async plan(params, context): Promise<CallPlan> {
    const body = requireBody(params, "messages.batches.create");
    if (!Array.isArray(body.requests) || body.requests.length === 0) {
      throw new InvalidRequestError("Expected `requests` to be a non-empty array of { custom_id, params }");
    }
    let amount = 0;
    const models = new Set<string>();
    for (const request of body.requests as { params?: unknown }[]) {
      const plan = await planMessages(
        "messages.batches.create",
        request?.params,
        { ...context, fromHelper: false },
        "batch",
      );
      if (plan.hold.kind !== "tokens") continue;
      const { hold } = plan;
      amount += worstCaseCost(hold.price, {
        inputTokens: hold.inputTokens,
        outputTokens: (hold.outputLimit ?? 0) * hold.choices,
        cacheWritePossible: hold.cacheWritePossible,
      });
      models.add(plan.resolvedModel);
    }
    const [first] = models;
    return {
      provider: "anthropic",
      operation: "messages.batches.create",
      model: models.size === 1 && first ? first : [...models].join(","),
      stream: false,
      tier: "batch",
      resolvedModel: models.size === 1 && first ? first : [...models].join(","),
      priceSource: { layer: "genai-prices", detail: "per request, at the batch rate" },
      hold: { kind: "fixed", amount, expected: amount, units: `${body.requests.length} requests` },
      cost: () => amount,
      confidence: "medium",
      notes: [`${body.requests.length} requests held at their worst case, at the batch rate`],
      fromHelper: false,
      paramsWithLimit: () => ({ ...body }),
    };
  },
  meter: (admission, _plan, ledger) =>
    createMeter((response) =>
      jsonBody(response, (json) => {
        if (typeof json?.id === "string") ledger.awaitLater(json.id, admission);
        else void ledger.finish(admission, { kind: "hold", flags: ["malformed_response"] });
      }),
    ),
};

/** Reading a batch's results settles its hold: each message's usage, priced at the batch rate of its model. */
export const batchesResults: LaterHook = {
  path: "messages.batches.results",
  method: "GET",
  url: /\/v1\/messages\/batches\/([^/]+)\/results$/,
  meter: (key, ledger, catalog) =>
    createMeter((response) => {
      const chunks: Uint8Array[] = [];
      return tapResponse(response, {
        chunk(bytes) {
          chunks.push(bytes);
          return bytes;
        },
        end() {
          void settleResults(key, Buffer.concat(chunks).toString("utf8"), ledger, catalog);
          return undefined;
        },
        stop() {
          // Read partly: the results can be fetched again; the hold waits (or its lease charges it).
        },
      });
    }),
};

async function settleResults(
  key: string,
  jsonl: string,
  ledger: CallLedger,
  catalog: PriceCatalog,
): Promise<void> {
  let actual: Nano = 0;
  const total: Usage = { inputTokens: 0, outputTokens: 0 };
  for (const line of jsonl.split("\n")) {
    if (line.trim() === "") continue;
    let entry: { result?: { type?: string; message?: Record<string, unknown> } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const message = entry.result?.type === "succeeded" ? entry.result.message : undefined;
    const usage = anthropicUsage(message?.usage);
    if (!message || !usage || typeof message.model !== "string") continue;
    const price = await catalog.tokenPrice("anthropic", message.model, "batch").catch(() => undefined);
    if (!price) continue;
    actual += usageCost(price, usage, "nearest");
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
  }
  ledger.settleLater(key, { kind: "cost", actual: roundTo(actual, "nearest"), usage: total, requestId: key });
}
