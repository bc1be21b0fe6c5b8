import { RuleViolationError } from "../errors.js";
import { expected } from "../expected.js";
import { rejectUnknownKeys } from "../known-keys.js";
import { normalizeModelName, stripDateSnapshot } from "../model-names.js";
import { type Nano, usdToNano } from "../money.js";
import type { RateCharge } from "../stores/types.js";
import {
  type ApprovalRule,
  type CustomRule,
  NESTED_RULE_KEYS,
  RATE_LIMIT_KEYS,
  type RequestFacts,
  type RequestRewrite,
  RULE_KEYS,
  type RuleRequest,
  type Rules,
} from "./types.js";

/** Rules validated once, with globs compiled and units converted. */
export interface ResolvedRules {
  /** Whether any rule reads the request itself (so its facts must be read); false keeps the hot path short. */
  readsRequests: boolean;
  modelAllow?: readonly Glob[];
  modelDeny: readonly Glob[];
  providers?: ReadonlySet<string>;
  qualities?: readonly string[];
  qualityEnforce: "block" | "rewrite";
  maxImagePixels?: { pixels: number; label: string };
  maxImageCount?: number;
  maxVideoSeconds?: number;
  output?: { limit: number; enforce: "block" | "clamp" };
  maxCostPerRequest?: Nano;
  rateLimits: readonly ResolvedRateLimit[];
  approval?: Required<ApprovalRule>;
  lockoutAfter?: number;
  expiresAt?: number;
  custom: readonly CustomRule[];
}

interface Glob {
  pattern: string;
  regex: RegExp;
}

interface ResolvedRateLimit {
  index: number;
  periodMs: number;
  requests?: number;
  tokens?: number;
  usd?: Nano;
  model?: Glob;
  label: string;
}

const PERIODS: Readonly<Record<string, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export function resolveRules(rules: unknown): ResolvedRules {
  if (rules === undefined) {
    return { readsRequests: false, modelDeny: [], qualityEnforce: "block", rateLimits: [], custom: [] };
  }
  if (typeof rules !== "object" || rules === null) throw expected("rules", "an object", rules);
  rejectUnknownKeys(rules, RULE_KEYS, "rules.");
  for (const [group, keys] of Object.entries(NESTED_RULE_KEYS)) {
    const value = (rules as Record<string, unknown>)[group];
    if (typeof value === "object" && value !== null) rejectUnknownKeys(value, keys, `rules.${group}.`);
  }
  const given = rules as Rules;
  const resolved: ResolvedRules = {
    readsRequests: false,
    modelDeny: [],
    qualityEnforce: "block",
    rateLimits: [],
    custom: [],
  };

  if (given.models !== undefined) {
    if (typeof given.models !== "object" || given.models === null) {
      throw expected("rules.models", "an object like { allow?: [...], deny?: [...] }", given.models);
    }
    if (given.models.allow !== undefined)
      resolved.modelAllow = globs("rules.models.allow", given.models.allow);
    if (given.models.deny !== undefined) resolved.modelDeny = globs("rules.models.deny", given.models.deny);
  }
  if (given.providers !== undefined)
    resolved.providers = new Set(strings("rules.providers", given.providers));

  const images = given.images;
  if (images !== undefined) {
    if (typeof images !== "object" || images === null) throw expected("rules.images", "an object", images);
    if (images.qualities !== undefined)
      resolved.qualities = strings("rules.images.qualities", images.qualities);
    if (images.enforce !== undefined) {
      if (images.enforce !== "block" && images.enforce !== "rewrite") {
        throw expected("rules.images.enforce", '"block" or "rewrite"', images.enforce);
      }
      resolved.qualityEnforce = images.enforce;
    }
    if (images.maxSize !== undefined) {
      const pixels = typeof images.maxSize === "string" ? pixelsOf(images.maxSize) : undefined;
      if (pixels === undefined)
        throw expected("rules.images.maxSize", 'a size like "1024x1024"', images.maxSize);
      resolved.maxImagePixels = { pixels, label: images.maxSize };
    }
    if (images.maxCount !== undefined)
      resolved.maxImageCount = positiveInteger("rules.images.maxCount", images.maxCount);
  }
  if (given.video !== undefined) {
    const seconds = given.video?.maxDurationSeconds;
    if (seconds !== undefined)
      resolved.maxVideoSeconds = positiveNumber("rules.video.maxDurationSeconds", seconds);
  }
  if (given.maxOutputTokens !== undefined) {
    const output = given.maxOutputTokens;
    if (typeof output === "number") {
      resolved.output = { limit: positiveInteger("rules.maxOutputTokens", output), enforce: "block" };
    } else if (typeof output === "object" && output !== null) {
      const enforce = output.enforce ?? "block";
      if (enforce !== "block" && enforce !== "clamp") {
        throw expected("rules.maxOutputTokens.enforce", '"block" or "clamp"', enforce);
      }
      resolved.output = { limit: positiveInteger("rules.maxOutputTokens.limit", output.limit), enforce };
    } else {
      throw expected("rules.maxOutputTokens", "a number of tokens or { limit, enforce }", output);
    }
  }
  if (given.maxCostPerRequestUsd !== undefined) {
    resolved.maxCostPerRequest = usdToNano(
      positiveNumber("rules.maxCostPerRequestUsd", given.maxCostPerRequestUsd),
      "down",
    );
  }
  if (given.rateLimits !== undefined) {
    if (!Array.isArray(given.rateLimits))
      throw expected("rules.rateLimits", "an array of windows", given.rateLimits);
    resolved.rateLimits = given.rateLimits.map((limit, index) => rateLimit(limit, index));
  }
  if (given.approval !== undefined) {
    const approval = given.approval;
    if (typeof approval !== "object" || approval === null || typeof approval.approve !== "function") {
      throw expected("rules.approval", "an object like { aboveUsd, approve(request) }", approval);
    }
    resolved.approval = {
      aboveUsd: nonNegativeNumber("rules.approval.aboveUsd", approval.aboveUsd),
      approve: approval.approve,
      timeoutMs: positiveNumber("rules.approval.timeoutMs", approval.timeoutMs ?? 60_000),
    };
  }
  if (given.lockoutAfter !== undefined)
    resolved.lockoutAfter = positiveInteger("rules.lockoutAfter", given.lockoutAfter);
  if (given.expiresAt !== undefined) {
    const time = given.expiresAt instanceof Date ? given.expiresAt.getTime() : given.expiresAt;
    if (typeof time !== "number" || !Number.isFinite(time)) {
      throw expected("rules.expiresAt", "a Date or epoch milliseconds", given.expiresAt);
    }
    resolved.expiresAt = time;
  }
  if (given.custom !== undefined) {
    if (!Array.isArray(given.custom) || given.custom.some((rule) => typeof rule !== "function")) {
      throw expected("rules.custom", "an array of functions", given.custom);
    }
    resolved.custom = [...given.custom];
  }
  resolved.readsRequests = readsRequests(resolved);
  return resolved;
}

function readsRequests(rules: ResolvedRules): boolean {
  return (
    rules.providers !== undefined ||
    rules.modelAllow !== undefined ||
    rules.modelDeny.length > 0 ||
    rules.qualities !== undefined ||
    rules.maxImagePixels !== undefined ||
    rules.maxImageCount !== undefined ||
    rules.maxVideoSeconds !== undefined ||
    rules.output !== undefined
  );
}

/** A child's rules: its own where it sets them, its parent's otherwise (each rule as a whole). */
export function inheritRules(
  parent: ResolvedRules,
  own: ResolvedRules,
  ownGiven: Rules | undefined,
): ResolvedRules {
  if (!ownGiven) return parent;
  const merged: ResolvedRules = { ...parent };
  const set = ownGiven as Record<string, unknown>;
  if (set.models !== undefined) {
    merged.modelDeny = own.modelDeny;
    if (own.modelAllow) merged.modelAllow = own.modelAllow;
    else delete merged.modelAllow;
  }
  if (set.providers !== undefined) merged.providers = own.providers as ReadonlySet<string>;
  if (set.images !== undefined) {
    merged.qualityEnforce = own.qualityEnforce;
    for (const key of ["qualities", "maxImagePixels", "maxImageCount"] as const) {
      if (own[key] !== undefined) (merged as unknown as Record<string, unknown>)[key] = own[key];
      else delete merged[key];
    }
  }
  const simple = [
    ["video", "maxVideoSeconds"],
    ["maxOutputTokens", "output"],
    ["maxCostPerRequestUsd", "maxCostPerRequest"],
    ["rateLimits", "rateLimits"],
    ["approval", "approval"],
    ["lockoutAfter", "lockoutAfter"],
    ["expiresAt", "expiresAt"],
    ["custom", "custom"],
  ] as const;
  for (const [option, key] of simple) {
    if (set[option] !== undefined) (merged as unknown as Record<string, unknown>)[key] = own[key];
  }
  merged.readsRequests = readsRequests(merged);
  return merged;
}

export interface CallIdentity {
  provider: string;
  operation: string;
  model: string;
}

const NOTHING_TO_DO: Screening = { ok: true, rewrites: [] };

export type Screening =
  | { ok: true; rewrite?: RequestRewrite; rewrites: string[] }
  | { ok: false; error: RuleViolationError };

/**
 * The rules that the request alone decides (DESIGN 2.3 step 2): provider, model, image quality / size / count,
 * video duration, output limit. May rewrite the request (a cheaper quality, a lower or injected output limit).
 */
export function screen(rules: ResolvedRules, call: CallIdentity, facts: RequestFacts): Screening {
  if (!rules.readsRequests) return NOTHING_TO_DO;
  if (rules.providers && !rules.providers.has(call.provider)) {
    return deny(
      "provider_not_allowed",
      `Rule \`providers\` refused provider \`${call.provider}\`: allowed are ${list(rules.providers)}`,
    );
  }
  const modelRefusal = checkModel(rules, [call.model]);
  if (modelRefusal) return { ok: false, error: modelRefusal };

  const rewrite: RequestRewrite = {};
  const rewrites: string[] = [];
  if (rules.qualities && facts.quality !== undefined && !rules.qualities.includes(facts.quality)) {
    const allowed = (facts.qualities ?? []).filter((quality) => rules.qualities?.includes(quality));
    const cheapest = allowed[0];
    if (rules.qualityEnforce === "rewrite" && cheapest !== undefined) {
      rewrite.quality = cheapest;
      rewrites.push(`quality ${facts.quality} → ${cheapest} (rule images.qualities)`);
    } else {
      return deny(
        "quality_not_allowed",
        `Rule \`images.qualities\` refused quality \`${facts.quality}\` for \`${call.model}\`: allowed are ` +
          `${rules.qualities.join(", ")}` +
          (rules.qualityEnforce === "rewrite" ? ` (and ${call.model} offers none of them)` : ""),
      );
    }
  }
  if (rules.maxImagePixels && facts.size !== undefined) {
    const pixels = pixelsOf(facts.size);
    if (pixels === undefined || pixels > rules.maxImagePixels.pixels) {
      return deny(
        "size_not_allowed",
        `Rule \`images.maxSize\` refused size \`${facts.size}\` for \`${call.model}\`: the largest allowed is ` +
          `${rules.maxImagePixels.label}`,
      );
    }
  }
  if (rules.maxImageCount !== undefined && facts.count !== undefined && facts.count > rules.maxImageCount) {
    return deny(
      "count_exceeded",
      `Rule \`images.maxCount\` refused ${facts.count} images in one request: at most ${rules.maxImageCount}`,
    );
  }
  if (
    rules.maxVideoSeconds !== undefined &&
    facts.seconds !== undefined &&
    facts.seconds > rules.maxVideoSeconds
  ) {
    return deny(
      "duration_exceeded",
      `Rule \`video.maxDurationSeconds\` refused ${facts.seconds} s of video from \`${call.model}\`: at most ` +
        `${rules.maxVideoSeconds} s`,
    );
  }
  if (rules.output && facts.hasOutputLimit) {
    const { limit, enforce } = rules.output;
    if (facts.outputLimit === undefined) {
      rewrite.outputLimit = limit;
      rewrites.push(`output limit ${limit} sent (rule maxOutputTokens)`);
    } else if (facts.outputLimit > limit) {
      if (enforce === "block") {
        return deny(
          "max_output_exceeded",
          `Rule \`maxOutputTokens\` refused an output limit of ${facts.outputLimit} tokens: at most ${limit}`,
        );
      }
      rewrite.outputLimit = limit;
      rewrites.push(`output limit ${facts.outputLimit} → ${limit} (rule maxOutputTokens)`);
    }
  }
  return rewrites.length > 0 ? { ok: true, rewrite, rewrites } : { ok: true, rewrites };
}

/** Model allow / deny on every name the call goes by (as requested, without date or prefix, as resolved). */
export function checkModel(rules: ResolvedRules, names: readonly string[]): RuleViolationError | undefined {
  if (!rules.modelAllow && rules.modelDeny.length === 0) return undefined;
  // A batch names several models, separated by commas (no model name contains one): each must pass.
  const models = names.flatMap((name) => name.split(",")).filter((name) => name.length > 0);
  for (const model of models.length > 0 ? models : [""]) {
    const variants = [
      model.trim().toLowerCase(),
      normalizeModelName(model),
      stripDateSnapshot(normalizeModelName(model)),
    ];
    const denied = rules.modelDeny.find((glob) => variants.some((variant) => glob.regex.test(variant)));
    if (denied) {
      return new RuleViolationError(
        "model_not_allowed",
        `Rule \`models.deny\` refused model \`${model}\`: it matches \`${denied.pattern}\``,
      );
    }
    if (
      rules.modelAllow &&
      !rules.modelAllow.some((glob) => variants.some((variant) => glob.regex.test(variant)))
    ) {
      return new RuleViolationError(
        "model_not_allowed",
        `Rule \`models.allow\` refused model \`${model}\`: allowed are ${rules.modelAllow.map((glob) => glob.pattern).join(", ")}`,
      );
    }
  }
  return undefined;
}

/** What a call charges to each rate window that applies to it. */
export function rateCharges(
  rules: ResolvedRules,
  sessionKey: string,
  models: readonly string[],
  usage: { tokens: number; amount: Nano },
): RateCharge[] {
  const charges: RateCharge[] = [];
  for (const limit of rules.rateLimits) {
    if (limit.model && !models.some((model) => limit.model?.regex.test(model.toLowerCase()))) continue;
    const base = `${sessionKey}:rate:${limit.index}`;
    if (limit.requests !== undefined) {
      charges.push({
        key: `${base}:requests`,
        capacity: limit.requests,
        periodMs: limit.periodMs,
        amount: 1,
      });
    }
    if (limit.tokens !== undefined) {
      charges.push({
        key: `${base}:tokens`,
        capacity: limit.tokens,
        periodMs: limit.periodMs,
        amount: usage.tokens,
      });
    }
    if (limit.usd !== undefined) {
      charges.push({
        key: `${base}:usd`,
        capacity: limit.usd,
        periodMs: limit.periodMs,
        amount: usage.amount,
      });
    }
  }
  return charges;
}

/** The message of a rate-limit refusal: which window, its limit, and when it has room again. */
export function rateLimitMessage(rules: ResolvedRules, key: string, retryAfterMs: number): string {
  const [, index, kind] = /:rate:(\d+):(\w+)$/.exec(key) ?? [];
  const limit = rules.rateLimits[Number(index)];
  const label = limit ? limit.label : "a rate limit";
  return `Rule \`rateLimits[${index}]\` (${label}) refused this call's ${kind ?? "use"}: retry in ${retryAfterMs} ms`;
}

export function ruleRequestView(request: RuleRequest): RuleRequest {
  return Object.freeze({ ...request });
}

function rateLimit(value: unknown, index: number): ResolvedRateLimit {
  const name = `rules.rateLimits[${index}]`;
  if (typeof value !== "object" || value === null)
    throw expected(name, "an object like { requests, per }", value);
  rejectUnknownKeys(value, RATE_LIMIT_KEYS, `${name}.`);
  const limit = value as Record<string, unknown>;
  const per = limit.per;
  const periodMs = typeof per === "number" ? per : typeof per === "string" ? PERIODS[per] : undefined;
  if (periodMs === undefined || !Number.isFinite(periodMs) || periodMs <= 0) {
    throw expected(`${name}.per`, '"second", "minute", "hour", "day" or milliseconds', per);
  }
  const resolved: ResolvedRateLimit = { index, periodMs, label: "" };
  const parts: string[] = [];
  if (limit.requests !== undefined) {
    resolved.requests = positiveInteger(`${name}.requests`, limit.requests);
    parts.push(`${resolved.requests} requests`);
  }
  if (limit.tokens !== undefined) {
    resolved.tokens = positiveInteger(`${name}.tokens`, limit.tokens);
    parts.push(`${resolved.tokens} tokens`);
  }
  if (limit.usd !== undefined) {
    resolved.usd = usdToNano(positiveNumber(`${name}.usd`, limit.usd), "down");
    parts.push(`$${limit.usd}`);
  }
  if (parts.length === 0) throw expected(name, "at least one of requests, tokens, usd", value);
  if (limit.model !== undefined) {
    const [glob] = globs(`${name}.model`, [limit.model]);
    if (glob) resolved.model = glob;
  }
  const perLabel = typeof per === "number" ? `${per} ms` : per;
  resolved.label = `${parts.join(" and ")} per ${perLabel}${limit.model ? ` for ${String(limit.model)}` : ""}`;
  return resolved;
}

function deny(code: ConstructorParameters<typeof RuleViolationError>[0], message: string): Screening {
  return { ok: false, error: new RuleViolationError(code, message) };
}

function globs(name: string, patterns: unknown): Glob[] {
  return strings(name, patterns).map((pattern) => ({ pattern, regex: globRegex(pattern) }));
}

function globRegex(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .split("")
    .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

function strings(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item.length === 0)) {
    throw expected(name, "an array of non-empty strings", value);
  }
  return [...value];
}

function list(values: Iterable<string>): string {
  return [...values].join(", ") || "none";
}

/** `1024x1536` → 1572864; undefined when not a size. */
export function pixelsOf(size: string): number | undefined {
  const match = /^(\d+)\s*[x×]\s*(\d+)$/i.exec(size.trim());
  if (!match) return undefined;
  return Number(match[1]) * Number(match[2]);
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw expected(name, "an integer >= 1", value);
  return value;
}

function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw expected(name, "a number > 0", value);
  return value;
}

function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw expected(name, "a number >= 0", value);
  return value;
}
