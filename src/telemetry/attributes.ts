import type { Admission } from "../ledger/types.js";
import { nanoToUsd } from "../money.js";
import type { Balance } from "../stores/types.js";
import type { CallRecord } from "../types.js";
import type { Attributes } from "./types.js";

/**
 * Names of the OpenTelemetry GenAI semantic conventions (semantic-conventions-genai, status Development) and
 * spendguard's own. `gen_ai.usage.cost` is what Langfuse, PostHog and LiteLLM read today;
 * `gen_ai.usage.cost.{amount,currency,source}` is the open proposal (PR #443).
 */
export const ATTR = {
  operation: "gen_ai.operation.name",
  provider: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  maxTokens: "gen_ai.request.max_tokens",
  responseId: "gen_ai.response.id",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  cacheRead: "gen_ai.usage.cache_read.input_tokens",
  cacheCreation: "gen_ai.usage.cache_creation.input_tokens",
  reasoning: "gen_ai.usage.reasoning.output_tokens",
  cost: "gen_ai.usage.cost",
  costAmount: "gen_ai.usage.cost.amount",
  costCurrency: "gen_ai.usage.cost.currency",
  costSource: "gen_ai.usage.cost.source",
  tokenType: "gen_ai.token.type",
  errorType: "error.type",
  sessionId: "spendguard.session.id",
  callId: "spendguard.call.id",
  budgetId: "spendguard.budget.id",
  held: "spendguard.hold.usd",
  estimate: "spendguard.estimate.usd",
  remaining: "spendguard.remaining.usd",
  outcome: "spendguard.outcome",
  flags: "spendguard.flags",
  tier: "spendguard.tier",
  stream: "spendguard.stream",
  usageSource: "spendguard.usage.source",
  priceSource: "spendguard.price.source",
  refusalCode: "spendguard.refusal.code",
  lost: "spendguard.settle.lost",
} as const;

/** The GenAI operation name of an SDK method path (`chat.completions.create` → `chat`). */
export function operationName(operation: string): string {
  if (operation.includes("embeddings")) return "embeddings";
  if (/(^|\.)(chat|responses|messages)(\.|$)/.test(operation) && !operation.includes("batches"))
    return "chat";
  if (operation === "completions.create") return "text_completion";
  return "generate_content";
}

export function spanName(record: Pick<CallRecord, "operation" | "model">): string {
  return `${operationName(record.operation)} ${record.model}`;
}

/**
 * What is known when a call is admitted (or refused): the request's side. Without `names`, the operation,
 * provider and model are left as another instrumentation's span of the same call already set them.
 */
export function requestAttributes(record: CallRecord, admission?: Admission, names = true): Attributes {
  const attributes: Attributes = {
    ...(names && {
      [ATTR.operation]: operationName(record.operation),
      [ATTR.provider]: record.provider,
      [ATTR.requestModel]: record.model,
    }),
    [ATTR.sessionId]: record.sessionId,
    [ATTR.callId]: record.id,
    [ATTR.tier]: record.tier,
    [ATTR.stream]: record.stream,
    [ATTR.estimate]: record.estimatedUsd,
    [ATTR.held]: record.heldUsd,
  };
  const hold = admission?.plan.hold;
  const maxTokens = admission?.injectedLimit ?? (hold?.kind === "tokens" ? hold.outputLimit : undefined);
  if (maxTokens !== undefined) attributes[ATTR.maxTokens] = maxTokens;
  if (record.priceSource) attributes[ATTR.priceSource] = record.priceSource.detail;
  return attributes;
}

/** What the settle adds: the response, the usage in the conventions' buckets, the cost, the outcome. */
export function resultAttributes(record: CallRecord, chargedUsd: number): Attributes {
  const attributes: Attributes = { [ATTR.outcome]: record.status };
  if (record.responseModel !== undefined) attributes[ATTR.responseModel] = record.responseModel;
  if (record.requestId !== undefined) attributes[ATTR.responseId] = record.requestId;
  if (record.flags.length > 0) attributes[ATTR.flags] = [...record.flags];
  if (record.source !== undefined) attributes[ATTR.usageSource] = record.source;
  if (record.reason !== undefined) attributes[ATTR.errorType] = record.reason;
  const usage = record.usage;
  if (usage) {
    // spendguard's buckets are totals with subsets, as the conventions define them.
    attributes[ATTR.inputTokens] = usage.inputTokens;
    attributes[ATTR.outputTokens] = usage.outputTokens;
    if (usage.cachedInputTokens !== undefined) attributes[ATTR.cacheRead] = usage.cachedInputTokens;
    if (usage.cacheWriteTokens !== undefined || usage.cacheWrite1hTokens !== undefined) {
      attributes[ATTR.cacheCreation] = (usage.cacheWriteTokens ?? 0) + (usage.cacheWrite1hTokens ?? 0);
    }
    if (usage.reasoningTokens !== undefined) attributes[ATTR.reasoning] = usage.reasoningTokens;
  }
  if (record.status !== "blocked") {
    attributes[ATTR.cost] = chargedUsd;
    attributes[ATTR.costAmount] = chargedUsd;
    attributes[ATTR.costCurrency] = "USD";
    // Computed by spendguard from the provider's usage and its price data.
    attributes[ATTR.costSource] = "local";
  }
  return attributes;
}

/** USD left in the tightest of the accounts (what the next call can hold). */
export function remainingUsd(balances: readonly Balance[]): number | undefined {
  let remaining: number | undefined;
  for (const balance of balances) {
    const left = nanoToUsd(Math.max(0, balance.limit - balance.spent - balance.held));
    if (remaining === undefined || left < remaining) remaining = left;
  }
  return remaining;
}
