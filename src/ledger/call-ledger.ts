import { randomUUID } from "node:crypto";
import {
  BudgetExceededError,
  InvalidRequestError,
  isSpendguardError,
  RuleViolationError,
  type SpendguardError,
  StoreUnavailableError,
} from "../errors.js";
import { type Nano, nanoToUsd, usdToNano } from "../money.js";
import type { ResolvedOptions, SessionOptions } from "../options.js";
import { usageCost } from "../pricing/cost.js";
import { BUNDLED_SNAPSHOT } from "../pricing/snapshot/types.js";
import type { PriceCatalog } from "../pricing/types.js";
import {
  checkModel,
  type ResolvedRules,
  rateCharges,
  rateLimitMessage,
  ruleRequestView,
  screen as screenRules,
} from "../rules/engine.js";
import type { RequestFacts, RuleRequest } from "../rules/types.js";
import type { Balance, BudgetStore, RateCharge, ScopeRef } from "../stores/types.js";
import type { CallFlag, CallRecord, CostEstimate, PriceSource, Usage } from "../types.js";
import { boundCost } from "./amounts.js";
import { sizeHold } from "./hold-size.js";
import { notifyObservers } from "./observers.js";
import type {
  Admission,
  AdmitContext,
  CallInfo,
  CallLedger,
  CallObserver,
  CallPlan,
  Outcome,
  Screened,
} from "./types.js";

export type { CallInfo };

export interface CallLedgerDeps {
  options: ResolvedOptions;
  callbacks: Pick<SessionOptions, "onBudgetExceeded" | "onCost" | "onOverspend" | "onBlocked">;
  /** The session's rules (a child's are its own merged over its parent's). */
  rules(): ResolvedRules;
  /** Written on every record. */
  tags?: Readonly<Record<string, string>>;
  /** Keep each request's prompt in its record (`history: { includePrompts: true }`). */
  includePrompts: boolean;
  store: BudgetStore;
  catalog: PriceCatalog;
  clock: () => number;
  /** The accounts a call of this session is held on, innermost first. */
  scopes(now: number): readonly ScopeRef[];
  /** Exact or latest-known balances of those accounts. */
  balances(scopes: readonly ScopeRef[], now: number): Balance[];
  /** Told about every balance the store returns, and every record this process writes. */
  observe(balances: readonly Balance[]): void;
  /**
   * Told, before the store is asked, what a settle of this process will change (`held` leaves, `actual` is
   * spent on each scope), so getters count it at once; the returned function forgets it once the store has
   * answered (its balances then include it) or failed (the hold then stays).
   */
  settling(scopes: readonly ScopeRef[], held: Nano, actual: Nano): () => void;
  recorded(record: CallRecord): void;
  /** Delivers a crossed threshold to the session (in this process) that owns the scope. */
  warn(scopeId: string, threshold: number, balance: Balance): void;
  isClosed(): boolean;
  /** Tracks calls in flight (admitted, not yet settled) so `close()` can wait for them. */
  track(promise: Promise<unknown>): void;
  /** Told about every admitted, settled and refused call (telemetry, alert sinks). */
  observers?: readonly CallObserver[];
}

export function createCallLedger(deps: CallLedgerDeps): CallLedger & {
  block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void>;
  clearRefusals(): void;
} {
  const { options, store, clock } = deps;
  const observers = deps.observers ?? [];
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
      priceSnapshot: deps.catalog.snapshot,
      costSource: "local",
      flags: [],
      ...(deps.tags && { tags: { ...deps.tags } }),
    };
    deps.recorded(record);
    // A store that cannot record is already refusing; the refusal itself is what the caller must see.
    await store.record(record).catch(() => undefined);
    if (observers.length > 0) notifyObservers(observers, "onRefuse", { record, error });
    runCallback("onBlocked", deps.callbacks.onBlocked, record);
    await countRefusal(error, now);
  }

  /** Lockout (`rules.lockoutAfter`): refusals counted in this process lock the session in the store. */
  let refusals = 0;
  async function countRefusal(error: SpendguardError, now: number): Promise<void> {
    const limit = deps.rules().lockoutAfter;
    if (limit === undefined || error.code === "locked_out" || error.code === "session_closed") return;
    refusals += 1;
    if (refusals < limit) return;
    const [scope] = deps.scopes(now);
    if (!scope) return;
    const balance = await store.update({ scope, now, flags: { locked: true } }).catch(() => undefined);
    if (balance) deps.observe([balance]);
  }

  /** The checks the request alone decides, in DESIGN 2.3's order: panic, expiry, lockout, then the rules. */
  /** Synchronous when the call passes (the hot path); a refusal is recorded first, so it comes as a promise. */
  function screen(info: CallInfo, facts: () => RequestFacts): Screened | Promise<Screened> {
    const now = clock();
    const rules = deps.rules();
    const scopes = deps.scopes(now);
    // Only exact flags (a store in this process): a shared store's last answer may be stale (panic turned off
    // elsewhere), and its reserve checks the flags itself, atomically, before anything is sent.
    const flagged = store.readSync?.({ scopes, now }) ?? [];
    let refusal: RuleViolationError | undefined;
    const panicked = flagged.find((balance) => balance.flags.panic);
    const locked = flagged.find((balance) => balance.flags.locked);
    if (panicked) refusal = panicError(panicked.id);
    else if (rules.expiresAt !== undefined && now >= rules.expiresAt) {
      refusal = new RuleViolationError(
        "session_expired",
        `Rule \`expiresAt\` refused the call: session \`${options.id}\` expired at ${new Date(rules.expiresAt).toISOString()}`,
      );
    } else if (locked) refusal = lockedError(locked.id);
    else {
      const screened = rules.readsRequests ? screenRules(rules, info, facts()) : undefined;
      if (!screened) return { rewrites: [] };
      if (screened.ok)
        return screened.rewrite
          ? { rewrite: screened.rewrite, rewrites: screened.rewrites }
          : { rewrites: [] };
      refusal = screened.error;
    }
    const refused = refusal;
    return block(info, refused).then(() => {
      throw refused;
    });
  }

  async function admit(plan: CallPlan, context: AdmitContext = {}): Promise<Admission> {
    const info: CallInfo = plan;
    const refuse = async (error: SpendguardError, estimated?: Nano): Promise<never> => {
      await block(info, error, estimated);
      throw error;
    };
    if (deps.isClosed()) {
      await refuse(new InvalidRequestError(`Session \`${options.id}\` is closed`, "session_closed"));
    }
    const rules = deps.rules();
    // The resolved name too: a dated snapshot or an alias must not dodge a model rule.
    const modelRefusal = checkModel(rules, [plan.model, plan.resolvedModel]);
    if (modelRefusal) await refuse(modelRefusal);
    const now = clock();
    const scopes = deps.scopes(now);
    let balances = deps.balances(scopes, now);
    const id = newId("call");
    const holdId = newId("hold");
    const maxCost = rules.maxCostPerRequest ?? Number.POSITIVE_INFINITY;

    for (let attempt = 1; ; attempt++) {
      const remaining = minRemaining(balances);
      const size = sizeHold(plan, options.mode, Math.min(remaining, maxCost), options.minOutputTokens);
      const costRefusal = (amount: Nano) =>
        new RuleViolationError(
          "max_cost_per_request",
          `Rule \`maxCostPerRequestUsd\` refused a request whose worst case is $${nanoToUsd(amount).toFixed(6)}: ` +
            `at most $${nanoToUsd(maxCost).toFixed(6)}`,
        );
      if (!size.ok) {
        if (maxCost < remaining) await refuse(costRefusal(size.amount), size.amount);
        await refuse(budgetError(tightest(balances), size.amount), size.amount);
        throw new Error("unreachable");
      }
      if (size.amount > maxCost) await refuse(costRefusal(size.amount), size.amount);
      const params = plan.paramsWithLimit(size.injectLimit);
      // What custom rules and the approver see (built only when a session has either).
      const view: RuleRequest | undefined =
        rules.custom.length > 0 || rules.approval
          ? ruleRequestView({
              sessionId: options.id,
              provider: plan.provider,
              operation: plan.operation,
              model: plan.model,
              resolvedModel: plan.resolvedModel,
              estimatedUsd: nanoToUsd(size.worstCase),
              params,
            })
          : undefined;
      for (const rule of rules.custom) {
        const verdict = runRule(rule, view as RuleRequest);
        if (verdict) await refuse(new RuleViolationError(verdict.deny, verdict.message), size.amount);
      }
      const chargedTokens =
        plan.hold.kind === "tokens" ? plan.hold.inputTokens + size.outputTokens * plan.hold.choices : 0;
      const charges = rateCharges(rules, scopes[0]?.id ?? options.id, [plan.model, plan.resolvedModel], {
        tokens: chargedTokens,
        amount: size.amount,
      });
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
        priceSnapshot: snapshotOf(plan.priceSource, deps.catalog),
        costSource: "local",
        flags: plan.unpriced ? ["unpriced"] : [],
      };
      // Added one by one, not spread: this record is built on every call.
      if (deps.tags) record.tags = { ...deps.tags };
      if (context.rewrites && context.rewrites.length > 0) record.rewrites = [...context.rewrites];
      if (deps.includePrompts) record.prompt = promptOf(params);
      let result: Awaited<ReturnType<BudgetStore["reserve"]>>;
      try {
        const reserve: Parameters<BudgetStore["reserve"]>[0] = {
          holdId,
          amount: size.amount,
          scopes,
          now,
          expiresAt: now + options.holdTtlMs,
          record,
        };
        if (charges.length > 0) reserve.limits = charges;
        result = await store.reserve(reserve);
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
          params,
          ...(size.injectLimit !== undefined && { injectedLimit: size.injectLimit }),
          startedAt: now,
          scopes,
          record,
          ...(charges.length > 0 && { charges, chargedTokens }),
        };
        deps.track(new Promise<void>((resolve) => settledSignals.set(admission, resolve)));
        if (observers.length > 0)
          notifyObservers(observers, "onAdmit", { admission, balances: result.balances });
        if (view) await approve(admission, view, rules);
        return admission;
      }
      if (result.reason === "panic") await refuse(panicError(result.refusedBy), size.amount);
      if (result.reason === "locked") await refuse(lockedError(result.refusedBy), size.amount);
      if (result.reason === "rate_limit") {
        const retryAfterMs = result.retryAfterMs ?? 0;
        await refuse(
          new RuleViolationError("rate_limited", rateLimitMessage(rules, result.refusedBy, retryAfterMs), {
            retryAfterMs,
          }),
          size.amount,
        );
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

  /**
   * The approval hook (DESIGN 2.3 step 7): the budget is already held while a human or a policy decides; a
   * denial, a timeout or a throwing approver releases the hold and refuses the call.
   */
  async function approve(admission: Admission, view: RuleRequest, rules: ResolvedRules): Promise<void> {
    const approval = rules.approval;
    if (!approval || admission.held <= usdToNano(approval.aboveUsd)) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), approval.timeoutMs);
    });
    let verdict: boolean | "timeout" | "error";
    try {
      verdict = await Promise.race([Promise.resolve(approval.approve(view)), timeout]);
    } catch {
      verdict = "error";
    } finally {
      clearTimeout(timer);
    }
    if (verdict === true) return;
    const why =
      verdict === "timeout"
        ? `no answer within ${approval.timeoutMs} ms`
        : verdict === "error"
          ? "the approver threw"
          : "the approver said no";
    const error = new RuleViolationError(
      "approval_denied",
      `Rule \`approval\` refused a call holding $${nanoToUsd(admission.held).toFixed(6)} (above ` +
        `$${approval.aboveUsd.toFixed(6)}): ${why}`,
    );
    await finish(admission, { kind: "refused", code: error.code });
    runCallback("onBlocked", deps.callbacks.onBlocked, admission.record);
    await countRefusal(error, clock());
    throw error;
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
        const cost = plan.cost(usage, outcome.responseTier);
        // No `await` when the plan prices synchronously (most do): the settle then starts at once.
        actual = typeof cost === "number" ? cost : await cost;
        break;
      }
      case "cost":
        usage = outcome.usage;
        source = "usage";
        requestId = outcome.requestId;
        actual = outcome.actual;
        break;
      case "estimated": {
        usage = outcome.usage;
        flags.push(...outcome.flags);
        responseModel = outcome.responseModel;
        requestId = outcome.requestId;
        const cost = plan.cost(usage);
        actual = Math.min(held, typeof cost === "number" ? cost : await cost);
        break;
      }
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
      case "refused":
        status = "blocked";
        reason = outcome.code;
        actual = 0;
        break;
    }
    const bounded = boundCost(actual);
    if (bounded.ok) {
      actual = bounded.actual;
      if (bounded.flag) flags.push(bounded.flag);
    } else {
      // A cost that is not a number never reaches the store: the call ran, so charge its hold (the safe side).
      emitCallbackWarning("cost", new Error(bounded.why));
      actual = held;
      flags.push("malformed_response");
    }
    if (actual > held) flags.push("overspend");

    // The hold's record becomes the call's record (it is only read again if the lease had ended first).
    const record = admission.record;
    record.status = status;
    record.actualUsd = nanoToUsd(actual);
    record.flags = flags;
    record.latencyMs = now - admission.startedAt;
    if (status !== "settled") record.source = undefined;
    else record.source = source;
    if (reason !== undefined) record.reason = reason;
    if (usage !== undefined) record.usage = usage;
    if (responseModel !== undefined) record.responseModel = responseModel;
    if (requestId !== undefined) record.requestId = requestId;

    let result: Awaited<ReturnType<BudgetStore["settle"]>>;
    // Counted by the getters from here on, so they are exact as soon as the caller has its response.
    const settled = deps.settling(admission.scopes, held, actual);
    deps.recorded(record);
    try {
      const refunds = refundsOf(admission, status === "blocked" ? undefined : { actual, usage });
      result = await store.settle({
        holdId: admission.holdId,
        actual,
        now,
        record,
        ...(refunds.length > 0 && { refunds }),
      });
    } catch (cause) {
      settled();
      // The hold stays in the store and settles at its full amount when its lease ends: the safe side.
      emitCallbackWarning("store", new StoreUnavailableError(store.name, cause));
      if (observers.length > 0)
        notifyObservers(observers, "onSettle", {
          record,
          admission,
          balances: [],
          lost: "store_unavailable",
        });
      return;
    }
    if (!result.settled) {
      // Its lease ended first: already charged at the hold, with its own record.
      settled();
      if (observers.length > 0) {
        const event = { record, admission, balances: result.balances, lost: "lease_expired" } as const;
        notifyObservers(observers, "onSettle", event);
      }
      return;
    }
    deps.observe(result.balances);
    settled();
    if (observers.length > 0)
      notifyObservers(observers, "onSettle", { record, admission, balances: result.balances });

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

  /**
   * Callback mode: with `onBudgetExceeded`, a budget refusal resolves to null after the callback; with it or
   * `onBlocked`, so does a rule refusal (`onBlocked` has already seen its record).
   */
  function resolvesNullOnRefusal(error: unknown): boolean {
    const { onBudgetExceeded, onBlocked } = deps.callbacks;
    if (error instanceof BudgetExceededError && onBudgetExceeded) {
      runCallback("onBudgetExceeded", onBudgetExceeded, error);
      return true;
    }
    return error instanceof RuleViolationError && (onBudgetExceeded !== undefined || onBlocked !== undefined);
  }

  /**
   * Spend that happened without a hold (a batch, billed after the fact): recorded in full even over budget,
   * through the same store step as any settle, so history, callbacks and warnings see it.
   */
  async function charge(plan: CallPlan, usage: Usage, requestId?: string): Promise<CallRecord> {
    const now = clock();
    const scopes = deps.scopes(now);
    const bounded = boundCost(await plan.cost(usage));
    if (!bounded.ok) throw new TypeError(`Cannot record the cost of a ${plan.model} call: ${bounded.why}`);
    const actual = bounded.actual;
    const flags: CallFlag[] = plan.unpriced ? ["unpriced", "unreserved"] : ["unreserved"];
    if (bounded.flag) flags.push(bounded.flag);
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
      priceSnapshot: snapshotOf(plan.priceSource, deps.catalog),
      costSource: "local",
      flags,
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
    if (observers.length > 0) notifyObservers(observers, "onSettle", { record, balances: result.balances });
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
    screen,
    admit,
    clearRefusals: () => {
      refusals = 0;
    },
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

/**
 * What goes back to the rate windows when a call settles: what it was charged beyond what it used (tokens,
 * USD); everything, requests included, when it was refused after its hold (approval denied).
 */
function refundsOf(
  admission: Admission,
  used: { actual: Nano; usage: Usage | undefined } | undefined,
): RateCharge[] {
  const refunds: RateCharge[] = [];
  for (const charge of admission.charges ?? []) {
    let amount = charge.amount;
    if (used) {
      if (charge.key.endsWith(":requests")) amount = 0;
      else if (charge.key.endsWith(":usd")) amount = Math.max(0, charge.amount - used.actual);
      else if (used.usage)
        amount = Math.max(0, charge.amount - used.usage.inputTokens - used.usage.outputTokens);
      else amount = 0;
    }
    if (amount > 0) refunds.push({ ...charge, amount });
  }
  return refunds;
}

function panicError(scopeId: string): RuleViolationError {
  return new RuleViolationError(
    "panic",
    `Panic is on for session \`${scopeId}\`: every paid call is refused until it is turned off`,
  );
}

function lockedError(scopeId: string): RuleViolationError {
  return new RuleViolationError(
    "locked_out",
    `Rule \`lockoutAfter\` locked session \`${scopeId}\` after too many refused calls: every call is refused ` +
      "until session.unlock()",
  );
}

function runRule(
  rule: (request: RuleRequest) => unknown,
  view: RuleRequest,
): { deny: string; message: string } | undefined {
  let verdict: unknown;
  try {
    verdict = rule(view);
  } catch (error) {
    // A rule that throws refuses: failing open would let the call through unchecked.
    return {
      deny: "custom_rule_error",
      message: `A custom rule threw: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (verdict === undefined || verdict === null) return undefined;
  const { deny, message } = verdict as { deny?: unknown; message?: unknown };
  if (typeof deny !== "string" || deny.length === 0) {
    return {
      deny: "custom_rule_error",
      message: "A custom rule returned something other than undefined or { deny, message }",
    };
  }
  return { deny, message: typeof message === "string" ? message : `Custom rule refused the call (${deny})` };
}

/** The prompt part of a request's params, for `history: { includePrompts: true }`. */
function promptOf(params: unknown): unknown {
  if (typeof params !== "object" || params === null) return undefined;
  const body = params as Record<string, unknown>;
  for (const field of ["messages", "input", "prompt", "system"])
    if (body[field] !== undefined) return structuredCloneSafe(body[field]);
  const input = body.input;
  return input;
}

function structuredCloneSafe(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
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

/** Media tables are bundled with the release; token prices come from the catalog's snapshot. */
function snapshotOf(source: PriceSource | undefined, catalog: PriceCatalog): string {
  return source?.layer === "media" ? BUNDLED_SNAPSHOT : catalog.snapshot;
}
