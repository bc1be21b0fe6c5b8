import { randomUUID } from "node:crypto";
import {
  BudgetExceededError,
  InvalidRequestError,
  isSpendguardError,
  RuleViolationError,
  type SpendguardError,
  StoreUnavailableError,
} from "../errors.js";
import { type Nano, nanoToUsd } from "../money.js";
import type { ResolvedOptions, SessionOptions } from "../options.js";
import { usageCost } from "../pricing/cost.js";
import type { PriceCatalog } from "../pricing/types.js";
import type { Balance, BudgetStore, ScopeRef } from "../stores/types.js";
import type { CallFlag, CallRecord, CostEstimate, ServiceTier, Usage } from "../types.js";
import { sizeHold } from "./hold-size.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "./types.js";

export interface CallLedgerDeps {
  options: ResolvedOptions;
  callbacks: Pick<SessionOptions, "onBudgetExceeded" | "onCost" | "onOverspend">;
  store: BudgetStore;
  catalog: PriceCatalog;
  clock: () => number;
  /** The accounts a call of this session is held on, innermost first. */
  scopes(now: number): readonly ScopeRef[];
  /** Exact or latest-known balances of those accounts. */
  balances(scopes: readonly ScopeRef[], now: number): Balance[];
  /** Told about every balance the store returns, and every record this process writes. */
  observe(balances: readonly Balance[]): void;
  recorded(record: CallRecord): void;
  /** Delivers a crossed threshold to the session (in this process) that owns the scope. */
  warn(scopeId: string, threshold: number, balance: Balance): void;
  isClosed(): boolean;
  /** Tracks calls in flight (admitted, not yet settled) so `close()` can wait for them. */
  track(promise: Promise<unknown>): void;
}

/** Facts about a call known before it could be planned (used to record refusals). */
export interface CallInfo {
  provider: string;
  operation: string;
  model: string;
  stream: boolean;
  tier: ServiceTier;
}

export function createCallLedger(deps: CallLedgerDeps): CallLedger & {
  block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void>;
} {
  const { options, store, clock } = deps;
  const finished = new WeakSet<Admission>();
  /** Resolves each admitted call's in-flight promise once it has settled. */
  const settledSignals = new WeakMap<Admission, () => void>();

  async function block(info: CallInfo, error: SpendguardError, estimated: Nano = 0): Promise<void> {
    const now = clock();
    const record: CallRecord = {
      id: newId("call"),
      time: now,
      sessionId: deps.scopes(now)[0]?.id ?? options.id,
      scopeIds: deps.scopes(now).map((scope) => scope.id),
      provider: info.provider,
      operation: info.operation,
      model: info.model,
      status: "blocked",
      reason: error.code,
      estimatedUsd: nanoToUsd(estimated),
      heldUsd: 0,
      actualUsd: 0,
      tier: info.tier,
      stream: info.stream,
      flags: [],
    };
    deps.recorded(record);
    // A store that cannot record is already refusing; the refusal itself is what the caller must see.
    await store.record(record).catch(() => undefined);
  }

  async function admit(plan: CallPlan): Promise<Admission> {
    const info: CallInfo = plan;
    if (deps.isClosed()) {
      const error = new InvalidRequestError(`Session \`${options.id}\` is closed`, "session_closed");
      await block(info, error);
      throw error;
    }
    const now = clock();
    const scopes = deps.scopes(now);
    let balances = deps.balances(scopes, now);
    const id = newId("call");
    const holdId = newId("hold");

    for (let attempt = 1; ; attempt++) {
      const size = sizeHold(plan, options.mode, minRemaining(balances), options.minOutputTokens);
      if (!size.ok) {
        const refusing = tightest(balances);
        const error = budgetError(refusing, size.amount);
        await block(info, error, size.amount);
        throw error;
      }
      const record: CallRecord = {
        id,
        time: now,
        sessionId: scopes[0]?.id ?? options.id,
        scopeIds: scopeIds(scopes),
        provider: plan.provider,
        operation: plan.operation,
        model: plan.model,
        resolvedModel: plan.resolvedModel,
        status: "settled",
        estimatedUsd: nanoToUsd(size.worstCase),
        heldUsd: nanoToUsd(size.amount),
        actualUsd: nanoToUsd(size.amount),
        source: "estimated",
        tier: plan.tier,
        stream: plan.stream,
        priceSource: plan.priceSource,
        flags: plan.unpriced ? ["unpriced"] : [],
      };
      let result: Awaited<ReturnType<BudgetStore["reserve"]>>;
      try {
        result = await store.reserve({
          holdId,
          amount: size.amount,
          scopes,
          now,
          expiresAt: now + options.holdTtlMs,
          record,
        });
      } catch (cause) {
        throw new StoreUnavailableError(store.name, cause);
      }
      deps.observe(result.balances);
      if (result.ok) {
        const admission: Admission = {
          id,
          holdId,
          held: size.amount,
          plan,
          params: plan.paramsWithLimit(size.injectLimit),
          ...(size.injectLimit !== undefined && { injectedLimit: size.injectLimit }),
          startedAt: now,
          record,
        };
        deps.track(new Promise<void>((resolve) => settledSignals.set(admission, resolve)));
        return admission;
      }
      if (result.reason === "panic") {
        const error = new RuleViolationError(
          "panic",
          `Panic is on for session \`${result.refusedBy}\`: every paid call is refused until it is turned off`,
        );
        await block(info, error, size.amount);
        throw error;
      }
      // The balances this process knew were stale (another process or flow spent meanwhile): size the
      // injected limit again against the store's answer, once.
      balances = result.balances;
      if (size.injectLimit !== undefined && attempt === 1) continue;
      const refusing =
        result.balances.find((balance) => balance.id === result.refusedBy) ?? tightest(balances);
      const error = budgetError(refusing, size.amount);
      await block(info, error, size.amount);
      throw error;
    }
  }

  async function finish(admission: Admission, outcome: Outcome): Promise<void> {
    if (finished.has(admission)) return;
    finished.add(admission);
    try {
      await settle(admission, outcome);
    } finally {
      settledSignals.get(admission)?.();
    }
  }

  async function settle(admission: Admission, outcome: Outcome): Promise<void> {
    const now = clock();
    const { plan, held } = admission;
    const flags: CallFlag[] = [...admission.record.flags];
    let actual: Nano;
    let usage: Usage | undefined;
    let source: CallRecord["source"] = "estimated";
    let status: CallRecord["status"] = "settled";
    let reason: string | undefined;
    let responseModel: string | undefined;
    let requestId: string | undefined;

    switch (outcome.kind) {
      case "usage": {
        usage = outcome.usage;
        source = "usage";
        responseModel = outcome.responseModel;
        requestId = outcome.requestId;
        actual = await plan.cost(usage, outcome.responseTier);
        break;
      }
      case "cost":
        usage = outcome.usage;
        source = "usage";
        requestId = outcome.requestId;
        actual = outcome.actual;
        break;
      case "estimated":
        usage = outcome.usage;
        flags.push(...outcome.flags);
        responseModel = outcome.responseModel;
        requestId = outcome.requestId;
        actual = Math.min(held, await plan.cost(usage));
        break;
      case "hold":
        flags.push(...outcome.flags);
        responseModel = outcome.responseModel;
        requestId = outcome.requestId;
        actual = held;
        break;
      case "failed":
        status = "failed";
        reason = outcome.reason;
        actual = 0;
        break;
    }
    if (actual > held) flags.push("overspend");

    // The hold's record becomes the call's record (it is only read again if the lease had ended first).
    const record = admission.record;
    record.status = status;
    record.actualUsd = nanoToUsd(actual);
    record.flags = flags;
    record.latencyMs = now - admission.startedAt;
    if (status === "failed") record.source = undefined;
    else record.source = source;
    if (reason !== undefined) record.reason = reason;
    if (usage !== undefined) record.usage = usage;
    if (responseModel !== undefined) record.responseModel = responseModel;
    if (requestId !== undefined) record.requestId = requestId;

    let result: Awaited<ReturnType<BudgetStore["settle"]>>;
    try {
      result = await store.settle({ holdId: admission.holdId, actual, now, record });
    } catch (cause) {
      // The hold stays in the store and settles at its full amount when its lease ends: the safe side.
      emitCallbackWarning("store", new StoreUnavailableError(store.name, cause));
      return;
    }
    if (!result.settled) return; // its lease ended first: already charged at the hold, with its own record
    deps.observe(result.balances);
    deps.recorded(record);

    if (status === "settled") runCallback("onCost", deps.callbacks.onCost, record);
    if (actual > held) {
      runCallback("onOverspend", deps.callbacks.onOverspend, { record, overByUsd: nanoToUsd(actual - held) });
    }
    for (const warning of result.warnings) {
      const balance = result.balances.find((entry) => entry.key === warning.key);
      if (balance) deps.warn(warning.id, warning.threshold, balance);
    }
  }

  async function estimate(plan: CallPlan): Promise<CostEstimate> {
    const now = clock();
    const balances = deps.balances(deps.scopes(now), now);
    const size = sizeHold(plan, options.mode, minRemaining(balances), options.minOutputTokens);
    const worst = size.ok ? size.worstCase : size.amount;
    const notes = [...plan.notes, ...size.notes];
    if (!size.ok) notes.push("strict mode would refuse this call now");
    const hold = plan.hold;
    const inputCost =
      hold.kind === "tokens"
        ? usageCost(hold.price, { inputTokens: hold.inputTokens, outputTokens: 0 }, "up")
        : 0;
    const extra = hold.kind === "tokens" ? (hold.extra ?? 0) : worst;
    return {
      costUsd: nanoToUsd(worst),
      expectedUsd: nanoToUsd(size.ok ? size.expected : worst),
      inputTokens: hold.kind === "tokens" ? hold.inputTokens : 0,
      outputTokens: size.outputTokens,
      confidence: plan.confidence,
      breakdown: {
        inputUsd: nanoToUsd(Math.min(inputCost, worst)),
        outputUsd: nanoToUsd(Math.max(0, worst - inputCost - extra)),
        otherUsd: nanoToUsd(Math.min(extra, worst)),
      },
      priceSource: plan.priceSource,
      model: plan.model,
      resolvedModel: plan.resolvedModel,
      tier: plan.tier,
      notes,
    };
  }

  function resolvesNullOnRefusal(error: unknown): boolean {
    if (!(error instanceof BudgetExceededError) || !deps.callbacks.onBudgetExceeded) return false;
    const callback = deps.callbacks.onBudgetExceeded;
    runCallback("onBudgetExceeded", callback, error);
    return true;
  }

  /**
   * Spend that happened without a hold (a batch, billed after the fact): recorded in full even over budget,
   * through the same store step as any settle, so history, callbacks and warnings see it.
   */
  async function charge(plan: CallPlan, usage: Usage, requestId?: string): Promise<CallRecord> {
    const now = clock();
    const scopes = deps.scopes(now);
    const actual = await plan.cost(usage);
    const record: CallRecord = {
      id: newId("call"),
      time: now,
      sessionId: scopes[0]?.id ?? options.id,
      scopeIds: scopeIds(scopes),
      provider: plan.provider,
      operation: plan.operation,
      model: plan.model,
      resolvedModel: plan.resolvedModel,
      status: "settled",
      estimatedUsd: nanoToUsd(actual),
      heldUsd: 0,
      actualUsd: nanoToUsd(actual),
      usage,
      source: "usage",
      tier: plan.tier,
      stream: false,
      priceSource: plan.priceSource,
      flags: plan.unpriced ? ["unpriced", "unreserved"] : ["unreserved"],
      ...(requestId !== undefined && { requestId }),
    };
    const holdId = newId("hold");
    let result: Awaited<ReturnType<BudgetStore["settle"]>>;
    try {
      await store.reserve({
        holdId,
        amount: 0,
        scopes,
        now,
        expiresAt: now + options.holdTtlMs,
        record,
        force: true,
      });
      result = await store.settle({ holdId, actual, now, record });
    } catch (cause) {
      throw new StoreUnavailableError(store.name, cause);
    }
    deps.observe(result.balances);
    deps.recorded(record);
    runCallback("onCost", deps.callbacks.onCost, record);
    for (const warning of result.warnings) {
      const balance = result.balances.find((entry) => entry.key === warning.key);
      if (balance) deps.warn(warning.id, warning.threshold, balance);
    }
    return record;
  }

  /** Admissions the provider bills later, by the provider's id (a background response, a video). */
  const later = new Map<string, Admission>();

  function awaitLater(key: string, admission: Admission): void {
    // Entries past their lease were charged by the store already: forget them.
    const expired = clock() - options.holdTtlMs;
    for (const [id, waiting] of later) if (waiting.startedAt < expired) later.delete(id);
    later.set(key, admission);
  }

  function settleLater(key: string, outcome: Outcome): boolean {
    const admission = later.get(key);
    if (!admission) return false;
    later.delete(key);
    void finish(admission, outcome);
    return true;
  }

  return {
    sessionId: options.id,
    admit,
    finish,
    estimate,
    resolvesNullOnRefusal,
    block,
    charge,
    awaitLater,
    settleLater,
    isAwaited: (key) => later.has(key),
  };
}

const scopeIdsOf = new WeakMap<readonly ScopeRef[], string[]>();

function scopeIds(scopes: readonly ScopeRef[]): string[] {
  let ids = scopeIdsOf.get(scopes);
  if (!ids) {
    ids = Object.freeze(scopes.map((scope) => scope.id)) as string[];
    scopeIdsOf.set(scopes, ids);
  }
  return ids;
}

function budgetError(balance: Balance | undefined, estimated: Nano): BudgetExceededError {
  return new BudgetExceededError({
    sessionId: balance?.id ?? "unknown",
    estimated,
    spent: balance?.spent ?? 0,
    reserved: balance?.held ?? 0,
    budget: balance?.limit ?? 0,
  });
}

function minRemaining(balances: readonly Balance[]): Nano {
  let remaining = Number.POSITIVE_INFINITY;
  for (const balance of balances)
    remaining = Math.min(remaining, balance.limit - balance.spent - balance.held);
  return remaining === Number.POSITIVE_INFINITY ? 0 : Math.max(0, remaining);
}

function tightest(balances: readonly Balance[]): Balance | undefined {
  let found: Balance | undefined;
  for (const balance of balances) {
    if (!found || balance.limit - balance.spent - balance.held < found.limit - found.spent - found.held) {
      found = balance;
    }
  }
  return found;
}

/** Random per process, then a counter: unique across processes, and cheap on the hot path. */
const ID_PREFIX = randomUUID().replaceAll("-", "").slice(0, 16);
let idCounter = 0;

export function newId(prefix: string): string {
  idCounter += 1;
  return `${prefix}_${ID_PREFIX}${idCounter.toString(36)}`;
}

export function runCallback<T>(name: string, callback: ((arg: T) => void) | undefined, arg: T): void {
  if (!callback) return;
  try {
    const result = callback(arg) as unknown;
    if (result instanceof Promise) result.catch((error: unknown) => emitCallbackWarning(name, error));
  } catch (error) {
    emitCallbackWarning(name, error);
  }
}

function emitCallbackWarning(name: string, error: unknown): void {
  const message = isSpendguardError(error) || error instanceof Error ? error.message : String(error);
  process.emitWarning(`spendguard: ${name} threw: ${message}`, { code: "SPENDGUARD_CALLBACK_ERROR" });
}
