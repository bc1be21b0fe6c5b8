import type { SpendguardError } from "../../errors.js";
import { InvalidRequestError, isSpendguardError } from "../../errors.js";
import type { CallInfo } from "../../ledger/call-ledger.js";
import type { Admission, CallLedger, Outcome } from "../../ledger/types.js";
import type { Nano } from "../../money.js";
import type { ServiceTier } from "../../types.js";
import { mayHaveReachedProvider } from "../meter.js";
import { type FalInput, falFacts, falOutcome, falPlan, falRewrite, inputOf } from "./plan.js";

/**
 * @fal-ai/client is a plain object of closures (no classes, no private fields): the wrapper is a Proxy whose
 * paid functions (`run`, `subscribe`, `stream`, `queue.submit`) hold the worst case from the endpoint's price
 * table and settle from the billed units. A queued job keeps its hold until `queue.result` (or `subscribe`)
 * delivers its output; fal bills only successful outputs, so an error answer releases it.
 */
export interface FalWrapContext {
  ledger: CallLedger & { block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void> };
  tier: ServiceTier;
  session?: unknown;
  /** `x-fal-billable-units` by request id, filled by `falUnitsFetch` when spendguard created the client. */
  billedUnits?: Map<string, number>;
  /** Runs before each paid call is sent (fetches keychain credentials once). */
  prepare?: () => Promise<void>;
}

export function isFalClient(client: unknown): boolean {
  const candidate = client as { run?: unknown; subscribe?: unknown; queue?: { submit?: unknown } };
  return (
    typeof candidate?.run === "function" &&
    typeof candidate.subscribe === "function" &&
    typeof candidate.queue?.submit === "function"
  );
}

type AnyFn = (...args: unknown[]) => unknown;
type FalClientLike = Record<string, unknown> & { queue: Record<string, unknown> };

/** Queued jobs this session holds budget for: what they asked for, to price their output. */
interface QueuedJob {
  endpointId: string;
  input: FalInput;
}

const MAX_UNITS_REMEMBERED = 1_000;

const wrappedClients = new WeakSet<object>();

export function wrapFal<T extends object>(client: T, context: FalWrapContext): T {
  if (wrappedClients.has(client)) {
    throw new TypeError("This client is already wrapped by spendguard; wrap the original client");
  }
  const real = client as unknown as FalClientLike;
  const jobs = new Map<string, QueuedJob>();
  const { ledger } = context;

  const unitsOf = (requestId: unknown): number | undefined => {
    if (typeof requestId !== "string" || !context.billedUnits) return undefined;
    const units = context.billedUnits.get(requestId);
    context.billedUnits.delete(requestId);
    return units;
  };

  /**
   * Screens, plans and admits a call: a refusal is recorded and thrown (or answered with null in callback
   * mode). The admission's `params` are the options to send (a rule may have lowered the quality).
   */
  async function admit(operation: string, endpointId: unknown, options: unknown): Promise<Admission | null> {
    const model = typeof endpointId === "string" ? endpointId : "";
    const info = { provider: "fal", operation, model, stream: operation === "stream", tier: context.tier };
    await context.prepare?.();
    try {
      let sent = options;
      let rewrites: readonly string[] = [];
      if (model) {
        const screened = await ledger.screen(info, () => falFacts(model, options));
        rewrites = screened.rewrites;
        if (screened.rewrite) sent = falRewrite(options, screened.rewrite);
      }
      let plan: ReturnType<typeof falPlan>;
      try {
        plan = falPlan(operation, endpointId, sent, context.tier);
      } catch (error) {
        if (isSpendguardError(error)) await ledger.block(info, error);
        throw error;
      }
      return await ledger.admit(plan, { rewrites, params: sent });
    } catch (error) {
      if (ledger.resolvesNullOnRefusal(error)) return null;
      throw error;
    }
  }

  const settleResult = (admission: Admission, endpointId: string, input: FalInput, result: unknown) => {
    const requestId = (result as { requestId?: unknown } | null)?.requestId;
    void ledger.finish(admission, falOutcome(endpointId, input, result, unitsOf(requestId)));
  };

  async function run(endpointId: unknown, options?: unknown): Promise<unknown> {
    const admission = await admit("run", endpointId, options);
    if (!admission) return null;
    try {
      const result = await (real.run as AnyFn)(endpointId, admission.params);
      settleResult(admission, endpointId as string, inputOf(admission.params), result);
      return result;
    } catch (error) {
      void ledger.finish(admission, failure(error));
      throw error;
    }
  }

  async function subscribe(endpointId: unknown, options?: unknown): Promise<unknown> {
    const admission = await admit("subscribe", endpointId, options);
    if (!admission) return null;
    const given = (admission.params ?? {}) as { onEnqueue?: (requestId: string) => void };
    let requestId: string | undefined;
    const watched = {
      ...given,
      onEnqueue(id: string) {
        requestId = id;
        given.onEnqueue?.(id);
      },
    };
    try {
      const result = await (real.subscribe as AnyFn)(endpointId, watched);
      settleResult(admission, endpointId as string, inputOf(admission.params), result);
      return result;
    } catch (error) {
      if (requestId !== undefined && !isJobFailure(error)) {
        // Queued, and neither finished nor failed as far as we know (a client timeout, a dropped poll): the job
        // may still run and bill. Its hold waits for `queue.result`, or its lease.
        jobs.set(requestId, { endpointId: endpointId as string, input: inputOf(admission.params) });
        ledger.awaitLater(requestId, admission);
      } else void ledger.finish(admission, requestId === undefined ? failure(error) : released(error));
      throw error;
    }
  }

  async function submit(endpointId: unknown, options?: unknown): Promise<unknown> {
    const admission = await admit("queue.submit", endpointId, options);
    if (!admission) return null;
    let status: { request_id?: unknown };
    try {
      status = (await (real.queue.submit as AnyFn)(endpointId, admission.params)) as { request_id?: unknown };
    } catch (error) {
      void ledger.finish(admission, failure(error));
      throw error;
    }
    if (typeof status?.request_id === "string") {
      jobs.set(status.request_id, { endpointId: endpointId as string, input: inputOf(admission.params) });
      ledger.awaitLater(status.request_id, admission);
    } else void ledger.finish(admission, { kind: "hold", flags: ["malformed_response"] });
    return status;
  }

  async function result(endpointId: unknown, options?: unknown): Promise<unknown> {
    const requestId = (options as { requestId?: unknown } | undefined)?.requestId;
    const job =
      typeof requestId === "string" && ledger.isAwaited(requestId) ? jobs.get(requestId) : undefined;
    if (!job) return (real.queue.result as AnyFn)(endpointId, options);
    const id = requestId as string;
    try {
      const output = await (real.queue.result as AnyFn)(endpointId, options);
      const units = unitsOf(id);
      jobs.delete(id);
      ledger.settleLater(id, falOutcome(job.endpointId, job.input, output, units));
      return output;
    } catch (error) {
      if (isJobFailure(error)) {
        jobs.delete(id);
        ledger.settleLater(id, released(error));
      }
      throw error;
    }
  }

  async function stream(endpointId: unknown, options?: unknown): Promise<unknown> {
    const admission = await admit("stream", endpointId, options);
    if (!admission) return null;
    let falStream: FalStreamLike;
    try {
      falStream = (await (real.stream as AnyFn)(endpointId, admission.params)) as FalStreamLike;
    } catch (error) {
      void ledger.finish(admission, failure(error));
      throw error;
    }
    const input = inputOf(admission.params);
    falStream.on("done", (data) => {
      const units = unitsOf(falStream.requestId);
      void ledger.finish(admission, falOutcome(endpointId as string, input, data, units));
    });
    falStream.on("error", (error) => void ledger.finish(admission, failure(error)));
    // Aborted by the caller: the endpoint may have produced (and billed) its output already.
    falStream.signal?.addEventListener("abort", () => {
      void ledger.finish(admission, { kind: "hold", flags: ["interrupted"] });
    });
    return falStream;
  }

  const refuseRealtime = () => {
    throw new InvalidRequestError(
      "fal realtime connections are not metered by spendguard (their cost is not known per message); use " +
        "run, subscribe, stream or the queue",
    );
  };

  // Read on every access: the `fal` singleton's `config()` replaces the client behind its getters.
  const children = new WeakMap<object, object>();
  const child = (name: string, own: Record<string, unknown>) => () => {
    const target = real[name] as object | undefined;
    if (typeof target !== "object" || target === null) return target;
    let wrapped = children.get(target);
    if (!wrapped) {
      wrapped = overlay(target, own);
      children.set(target, wrapped);
    }
    return wrapped;
  };
  const getters: Record<string, () => unknown> = {
    run: () => run,
    subscribe: () => subscribe,
    stream: () => stream,
    queue: child("queue", { submit, result }),
    streaming: child("streaming", { stream }),
    realtime: child("realtime", { connect: refuseRealtime }),
  };
  if (context.session !== undefined) getters.session = () => context.session;
  const wrapped = overlay(real, getters, true);
  wrappedClients.add(wrapped);
  return wrapped as T;
}

interface FalStreamLike {
  on(type: "done" | "error", listener: (value: unknown) => void): void;
  readonly requestId?: string;
  readonly signal?: AbortSignal;
}

/**
 * A Proxy of `target` answering `own` properties itself (as values, or through getters when `lazy`); every
 * other property reads through, functions bound to the target.
 */
function overlay(target: object, own: Record<string, unknown>, lazy = false): object {
  return new Proxy(target, {
    get(object, prop) {
      if (typeof prop === "string" && Object.hasOwn(own, prop)) {
        return lazy ? (own[prop] as () => unknown)() : own[prop];
      }
      const value = Reflect.get(object, prop, object) as unknown;
      return typeof value === "function" ? (value as AnyFn).bind(object) : value;
    },
  });
}

/** fal answered with an error status: no output was produced, and fal bills only successful outputs. */
function isJobFailure(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && !NOT_FINAL.has(status);
}

/** Statuses that say nothing about the job's fate (not ready, not found yet, rate limited, user timeout). */
const NOT_FINAL = new Set([400, 404, 408, 409, 425, 429, 504]);

function released(error: unknown): Outcome {
  const status = (error as { status?: unknown } | null)?.status;
  return { kind: "failed", reason: typeof status === "number" ? `http_${status}` : "error" };
}

/** A failed call: fal's error answer releases the hold; a network failure that may have reached fal charges it. */
function failure(error: unknown): Outcome {
  if (typeof (error as { status?: unknown } | null)?.status === "number") return released(error);
  if (!mayHaveReachedProvider(error)) return { kind: "failed", reason: "unreachable" };
  return { kind: "hold", flags: ["interrupted"] };
}

/**
 * The fetch spendguard gives the fal clients it creates: passes every request through and remembers the
 * `x-fal-billable-units` header of each response by its request id (the SDK drops both headers).
 */
export function falUnitsFetch(inner: typeof fetch, billedUnits: Map<string, number>): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await inner(input, init);
    const requestId = response.headers.get("x-fal-request-id");
    const units = Number(response.headers.get("x-fal-billable-units") ?? Number.NaN);
    if (requestId && Number.isFinite(units) && units >= 0) {
      if (billedUnits.size >= MAX_UNITS_REMEMBERED)
        billedUnits.delete(billedUnits.keys().next().value as string);
      billedUnits.set(requestId, units);
    }
    return response;
  }) as typeof fetch;
}
