/** Public types shared by every part of spendguard. USD amounts are plain numbers (floats) here. */

export type ProviderId = "openai" | "anthropic" | "fal" | (string & {});

/** OpenAI service tiers (Anthropic has `batch` too). `standard` is OpenAI's `default`. */
export type ServiceTier = "standard" | "batch" | "flex" | "priority";

/**
 * Usage normalized across providers. Token buckets are totals with subsets: `inputTokens` includes cache
 * reads and writes (Anthropic's `input_tokens` does not: its adapter adds them), `outputTokens` includes
 * reasoning tokens. Unknown stays `undefined`, never 0.
 */
export interface Usage {
  inputTokens: number;
  /** Subset of `inputTokens` read from the prompt cache. */
  cachedInputTokens?: number;
  /** Subset of `inputTokens` written to the cache (5-minute writes for Anthropic). */
  cacheWriteTokens?: number;
  /** Subset of `inputTokens` written to the 1-hour cache (Anthropic). */
  cacheWrite1hTokens?: number;
  /** Subset of `inputTokens` that were audio. */
  inputAudioTokens?: number;
  /** Subset of `inputTokens` that were image tokens (gpt-image models). */
  inputImageTokens?: number;
  outputTokens: number;
  /** Subset of `outputTokens` spent on hidden reasoning. */
  reasoningTokens?: number;
  /** Subset of `outputTokens` that were audio. */
  outputAudioTokens?: number;
  /** Subset of `outputTokens` that were image tokens (gpt-image models). */
  outputImageTokens?: number;
  /** Server-side web searches billed per call. */
  webSearches?: number;
  /** Server-side file searches billed per call (Responses `file_search`). */
  fileSearches?: number;
  /** Code interpreter containers (sessions) billed per container. */
  containers?: number;
  /** Media units, for media pricing (images generated, seconds of audio / video, characters spoken). */
  images?: number;
  seconds?: number;
  characters?: number;
}

/** Where a price came from: the layer of the catalog that answered, with its version or as-of date. */
export interface PriceSource {
  layer: "override" | "media" | "genai-prices" | "fallback" | "table";
  /** e.g. `@pydantic/genai-prices@0.1.8`, `user override`, `media table 2026-11-20`. */
  detail: string;
  /** Set when a service-tier price was derived by a rule rather than read from a price sheet. */
  tierRule?: string;
}

export type CallStatus = "settled" | "blocked" | "failed";

/**
 * Flags on a record:
 * - `no_usage`: the provider answered without usage; charged at the hold.
 * - `malformed_response`: the provider's body could not be parsed; charged at the hold.
 * - `interrupted`: a stream ended early (break, abort, error); charged from the streamed deltas.
 * - `reasoning_unseen`: an interrupted stream of a reasoning model, whose hidden tokens cannot be counted;
 *   charged at the hold.
 * - `overspend`: the actual cost exceeded the hold.
 * - `lease_expired`: the hold's lease ended before it settled; charged at the hold.
 * - `unpriced`: priced as another model through `unknownModel.fallbackModel`.
 * - `callback_error`: a user callback threw while this call was recorded.
 * - `unreserved`: spend recorded after the fact, without a hold (a batch settled with `settleBatch`).
 * - `cost_overflow`: the cost was above the largest amount a store holds exactly (`MAX_NANO`, about $9.0
 *   million); recorded at that bound, which refuses every later call as any overspend does.
 */
export type CallFlag =
  | "no_usage"
  | "malformed_response"
  | "interrupted"
  | "reasoning_unseen"
  | "overspend"
  | "lease_expired"
  | "unpriced"
  | "callback_error"
  | "unreserved"
  | "cost_overflow";

/** One attempt through spendguard: allowed and settled, blocked before the network, or failed. */
export interface CallRecord {
  id: string;
  /** Epoch milliseconds when the call was admitted or refused. */
  time: number;
  sessionId: string;
  /** The session and every ancestor the hold was taken on, innermost first. */
  scopeIds: string[];
  provider: ProviderId;
  /** The SDK method path, e.g. `chat.completions.create`. */
  operation: string;
  /** The model as the caller named it. */
  model: string;
  /** The model the price was resolved to (dated snapshots and prefixes resolved). */
  resolvedModel?: string;
  /** The model the provider says served the call. */
  responseModel?: string;
  status: CallStatus;
  /** Why a call was blocked or failed: an error code (`budget_exceeded`, `unknown_price`, ...) or HTTP status. */
  reason?: string;
  /** The worst-case cost of the request (what strict mode holds). */
  estimatedUsd: number;
  /** What the ledger held while the call ran (0 when blocked). */
  heldUsd: number;
  /** What was charged (0 when blocked or failed). */
  actualUsd: number;
  usage?: Usage;
  /** `usage` when the provider reported it; `estimated` when counted or charged at the hold. */
  source?: "usage" | "estimated";
  tier: ServiceTier;
  stream: boolean;
  latencyMs?: number;
  /** The provider's id for the response (`chatcmpl-…`). */
  requestId?: string;
  priceSource?: PriceSource;
  /** The price data the call was priced from: a snapshot's version (`spendguard prices update`) or `bundled-<date>`. */
  priceSnapshot?: string;
  /** `local`: computed from spendguard's prices; `provider`: the cost the provider reported for the call. */
  costSource?: "local" | "provider";
  flags: CallFlag[];
  /** The session's tags (`tags` option). */
  tags?: Record<string, string>;
  /** What the rules changed in the request (`quality high → low (rule images.qualities)`). */
  rewrites?: string[];
  /** The request's prompt (messages, input, prompt), only with `history: { includePrompts: true }`. */
  prompt?: unknown;
}

export interface CostEstimate {
  /** The worst case: what strict mode holds for this request. */
  costUsd: number;
  /** What the call is expected to cost (what estimate mode holds). */
  expectedUsd: number;
  inputTokens: number;
  /** The output limit the worst case assumes (the request's, or the one strict mode would inject). */
  outputTokens: number;
  confidence: "high" | "medium" | "low";
  breakdown: { inputUsd: number; outputUsd: number; otherUsd: number };
  priceSource: PriceSource;
  model: string;
  resolvedModel: string;
  tier: ServiceTier;
  /** Why confidence is not high, or what was assumed. */
  notes: string[];
}

export interface WarningEvent {
  /** The threshold crossed, in percent. */
  threshold: number;
  sessionId: string;
  spent: number;
  reserved: number;
  remaining: number;
  budget: number;
  utilizationPercent: number;
  /** The period the threshold was crossed in (`2026-12-04`, `week-2026-11-30`); absent without `period`. */
  period?: string;
}

export interface OverspendEvent {
  record: CallRecord;
  /** How far the actual cost exceeded the hold, in USD. */
  overByUsd: number;
}

export interface ModelTotals {
  requests: number;
  spentUsd: number;
  inputTokens: number;
  outputTokens: number;
}

export interface BudgetSummary {
  sessionId: string;
  budget: number;
  spent: number;
  reserved: number;
  remaining: number;
  /** Spent / budget, in percent (0 for a zero budget). */
  utilizationPercent: number;
  /**
   * Settled calls seen by this process. Like `spent`, this count, `blocked`, `failed`, `overspends` and the
   * tables below include the calls of the session's children (sub-budgets).
   */
  requests: number;
  /** Calls refused before the network, by this process. */
  blocked: number;
  /** Calls that failed at the provider (charged 0), by this process. */
  failed: number;
  /** Calls whose actual cost exceeded their hold, by this process. */
  overspends: number;
  byModel: Record<string, ModelTotals>;
  byProvider: Record<string, ModelTotals>;
  blockedByReason: Record<string, number>;
}
