import type { KeysOf } from "../known-keys.js";
import type { ProviderId } from "../types.js";

/**
 * The `rules` option (DESIGN 2.7). Every rule applies to every provider path the same way, and a refused call
 * never reaches the network, never takes budget and never consumes rate-limit allowance.
 */
export interface Rules {
  /** Globs (`gpt-4o*`, `claude-*-4-5`, `fal-ai/flux/*`) on the model (and its resolved name). Deny wins; an `allow` list denies the rest. */
  models?: { allow?: readonly string[]; deny?: readonly string[] };
  /** Providers allowed (`openai`, `anthropic`, `fal`, or any `guard()` provider). */
  providers?: readonly string[];
  images?: ImageRules;
  video?: { maxDurationSeconds?: number };
  /** A cap on output tokens per request: `block` refuses a larger limit, `clamp` lowers it. A request without one is sent with this one. */
  maxOutputTokens?: number | { limit: number; enforce?: "block" | "clamp" };
  /** A cap on the worst case of one request, in USD (strict mode also lowers an injected output limit to fit it). */
  maxCostPerRequestUsd?: number;
  rateLimits?: readonly RateLimit[];
  approval?: ApprovalRule;
  /** After this many refused calls the session locks: every call is refused until `session.unlock()`. */
  lockoutAfter?: number;
  /** After this time every call is refused. */
  expiresAt?: Date | number;
  /** Your own rules, run in order after the built-in ones, with the call's worst case known. */
  custom?: readonly CustomRule[];
}

/** Every key of `Rules` and of its object-valued groups (unknown keys throw; see known-keys.ts). */
export const RULE_KEYS = {
  models: true,
  providers: true,
  images: true,
  video: true,
  maxOutputTokens: true,
  maxCostPerRequestUsd: true,
  rateLimits: true,
  approval: true,
  lockoutAfter: true,
  expiresAt: true,
  custom: true,
} as const satisfies KeysOf<Rules>;

export const NESTED_RULE_KEYS = {
  models: { allow: true, deny: true } satisfies KeysOf<NonNullable<Rules["models"]>>,
  images: { qualities: true, enforce: true, maxSize: true, maxCount: true } satisfies KeysOf<ImageRules>,
  video: { maxDurationSeconds: true } satisfies KeysOf<NonNullable<Rules["video"]>>,
  maxOutputTokens: { limit: true, enforce: true } satisfies KeysOf<
    Exclude<NonNullable<Rules["maxOutputTokens"]>, number>
  >,
  approval: { aboveUsd: true, approve: true, timeoutMs: true } satisfies KeysOf<ApprovalRule>,
} as const;

export const RATE_LIMIT_KEYS = {
  requests: true,
  tokens: true,
  usd: true,
  per: true,
  model: true,
} as const satisfies KeysOf<RateLimit>;

export interface ImageRules {
  /** Qualities allowed (`low`, `medium`, `standard`, ...). A request without a quality has its provider's default. */
  qualities?: readonly string[];
  /** `block` refuses another quality; `rewrite` sends the cheapest allowed one instead. @default "block" */
  enforce?: "block" | "rewrite";
  /** The largest image, `WIDTHxHEIGHT`, compared by pixel count (`auto`: the largest the model can make). */
  maxSize?: string;
  /** Images per request at most. */
  maxCount?: number;
}

export interface RateLimit {
  requests?: number;
  /** Input plus output tokens, as held (refunded to what the call used when it settles). */
  tokens?: number;
  /** USD, as held (refunded to the actual cost when it settles). */
  usd?: number;
  per: "second" | "minute" | "hour" | "day" | number;
  /** Only calls to models matching this glob count. */
  model?: string;
}

export interface ApprovalRule {
  /** Calls whose hold is above this (USD) wait for `approve`; the budget stays held meanwhile. */
  aboveUsd: number;
  approve(request: RuleRequest): boolean | Promise<boolean>;
  /** No answer by then denies. @default 60000 */
  timeoutMs?: number;
}

export type CustomRule = (request: RuleRequest) => undefined | { deny: string; message: string };

/** What custom rules and approvers see of a call. Never a key; the params are the request as it will be sent. */
export interface RuleRequest {
  sessionId: string;
  provider: ProviderId;
  operation: string;
  model: string;
  resolvedModel: string;
  /** The worst case (what strict mode holds), USD. */
  estimatedUsd: number;
  params: unknown;
}

/** What rules need to know about a request, read from its params by the provider's operation. */
export interface RequestFacts {
  model: string;
  /** The image quality the provider will use (its default when the request names none). */
  quality?: string;
  /** The qualities the model offers, cheapest first (for `rewrite`). */
  qualities?: readonly string[];
  /** The image size (`1024x1536`), the largest the model offers for `auto`. */
  size?: string;
  /** Images per request. */
  count?: number;
  /** Seconds of video. */
  seconds?: number;
  /** The request's own output limit, when it can carry one (`hasOutputLimit`). */
  outputLimit?: number;
  /** Whether the request has an output-token limit (chat, responses, messages; not images or embeddings). */
  hasOutputLimit?: boolean;
}

/** Changes the rules make to a request before it is priced and sent. */
export interface RequestRewrite {
  quality?: string;
  outputLimit?: number;
}
