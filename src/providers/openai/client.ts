import { isSpendguardError, type SpendguardError } from "../../errors.js";
import { meteredFetch } from "../../intercept/metered-fetch.js";
import { type TransportMeter, withMeter } from "../../intercept/meters.js";
import { isProxied, type ProxyPlan, proxyClient } from "../../intercept/proxy.js";
import type { CallInfo } from "../../ledger/call-ledger.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import type { Nano } from "../../money.js";
import type { PriceCatalog } from "../../pricing/types.js";
import type { ServiceTier } from "../../types.js";
import { callInfo, type Operation, type OperationMeter, type ProviderMemory } from "./operation.js";
import { LATER_HOOKS, OPERATIONS, PAID_REQUESTS } from "./operations.js";

export interface OpenAIWrapContext {
  ledger: CallLedger & { block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void> };
  catalog: PriceCatalog;
  tier: ServiceTier;
  memory: ProviderMemory;
  /** Exposed as `client.session` (the one-line factory does this). */
  session?: unknown;
}

/** Helpers that call `this._client.<resource>.<method>`: run with our proxy as `_client`, so each call is metered. */
const HELPERS = new Set([
  "chat.completions.parse",
  "chat.completions.stream",
  "chat.completions.runTools",
  "responses.parse",
  "responses.stream",
]);

type AnyFn = (...args: unknown[]) => unknown;

interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (client: unknown, props: unknown) => unknown;
}

type APIPromiseClass = new (
  client: unknown,
  responsePromise: Promise<unknown>,
  parse: (client: unknown, props: unknown) => unknown,
) => Promise<unknown>;

export function isOpenAIClient(client: unknown): boolean {
  const candidate = client as { chat?: { completions?: { create?: unknown } }; withOptions?: unknown };
  return (
    typeof candidate?.chat?.completions?.create === "function" && typeof candidate.withOptions === "function"
  );
}

/** A Proxy over a copy of `client` whose fetch is metered: every paid method passes the session's ledger. */
export function wrapOpenAI<T extends object>(client: T, context: OpenAIWrapContext): T {
  if (isProxied(client))
    throw new TypeError("This client is already wrapped by spendguard; wrap the original client");
  const withOptions = (client as { withOptions?: (options: object) => T }).withOptions;
  if (typeof withOptions !== "function") {
    throw new TypeError("Expected an OpenAI client (from the `openai` package, version 5 or later)");
  }
  const currentFetch = (client as { fetch?: typeof fetch }).fetch ?? globalThis.fetch;
  const real = withOptions.call(client, { fetch: guardedFetch(currentFetch) });
  return proxyFor(real, context);
}

/** The client's fetch, metered, and refusing a paid request that arrives without a hold (see `unmetered`). */
function guardedFetch(inner: typeof fetch): typeof fetch {
  return meteredFetch(inner, { refuse: unmetered }) as typeof fetch;
}

/**
 * A paid request with no meter bypassed the resource methods (`client.post("/chat/completions")`, a helper
 * spendguard does not know): refuse it rather than let it spend unmetered. It answers like an API error that
 * must not be retried, so the SDK throws at once.
 */
function unmetered(url: string, init: RequestInit | undefined): Response | undefined {
  if ((init?.method ?? "GET").toUpperCase() !== "POST") return undefined;
  const path = new URL(url).pathname;
  if (!PAID_REQUESTS.some((pattern) => pattern.test(path))) return undefined;
  const message =
    `spendguard refused ${path}: a paid request reached the network without a budget hold. Call it through ` +
    "the wrapped client's resource methods (e.g. client.chat.completions.create) so that it is metered.";
  return new Response(
    JSON.stringify({ error: { message, type: "spendguard_unmetered", code: "unmetered_request" } }),
    {
      status: 402,
      headers: { "content-type": "application/json", "x-should-retry": "false" },
    },
  );
}

function proxyFor<T extends object>(real: T, context: OpenAIWrapContext): T {
  const APIPromise = apiPromiseClass(real);
  const shims = new WeakMap<object, object>();
  let proxy: T;
  const plan: ProxyPlan = {
    root(prop) {
      if (prop === "session" && context.session !== undefined) return { value: context.session };
      if (prop === "withOptions") {
        return {
          value: (options: Record<string, unknown> = {}) => {
            const next = { ...options };
            if (typeof next.fetch === "function") next.fetch = guardedFetch(next.fetch as typeof fetch);
            else delete next.fetch; // inherit the metered fetch
            const child = (real as { withOptions(options: object): T }).withOptions(next);
            return proxyFor(child, context);
          },
        };
      }
      return undefined;
    },
    isResource: (value) => "_client" in value,
    method(path, target, fn) {
      const operation = OPERATIONS.get(path);
      if (operation) return meteredMethod(target, fn, operation, real, APIPromise, context);
      const later = LATER_HOOKS.get(path);
      if (later) return laterHook(target, fn, later, context.ledger);
      if (HELPERS.has(path)) {
        return (...args: unknown[]) => {
          let shim = shims.get(target);
          if (!shim) {
            shim = Object.create(target, { _client: { value: proxy } }) as object;
            shims.set(target, shim);
          }
          return fn.apply(shim, args);
        };
      }
      return undefined;
    },
  };
  proxy = proxyClient(real, plan);
  return proxy;
}

/**
 * A paid method, metered: returns the SDK's own APIPromise class (so `.withResponse()`, `.asResponse()` and
 * helpers keep working) over a response that only starts once the hold is taken.
 */
function meteredMethod(
  target: object,
  original: AnyFn,
  operation: Operation,
  real: object,
  APIPromise: APIPromiseClass,
  context: OpenAIWrapContext,
): AnyFn {
  const { ledger } = context;
  const optionsArg = operation.paramsArg + 1;
  return (...args: unknown[]) => {
    const params = args[operation.paramsArg];
    const fromHelper = hasHelperHeader(args[optionsArg]);
    let inner: APIPromiseLike | undefined;
    let admission: Admission | undefined;
    let meter: OperationMeter | undefined;

    const started = (async () => {
      let plan: CallPlan;
      try {
        plan = await operation.plan(params, {
          catalog: context.catalog,
          tier: context.tier,
          fromHelper,
          args,
          memory: context.memory,
        });
      } catch (error) {
        if (isSpendguardError(error))
          await ledger.block(callInfo(operation.path, params, context.tier), error);
        throw error;
      }
      admission = await ledger.admit(plan);
      meter = operation.meter(admission, plan, ledger);
      const sent = [...args];
      sent[operation.paramsArg] = admission.params;
      sent[optionsArg] = withMeter(args[optionsArg], meter);
      inner = original.apply(target, sent) as APIPromiseLike;
      return inner.responsePromise;
    })();

    const responsePromise = started.then(undefined, (error: unknown) => {
      if (admission) {
        const outcome: Outcome = meter?.mayBeBilled
          ? { kind: "hold", flags: ["interrupted"] }
          : { kind: "failed", reason: failureReason(error) };
        void ledger.finish(admission, outcome);
      } else if (!fromHelper && ledger.resolvesNullOnRefusal(error)) {
        return refusedProps(error, operation.path);
      }
      throw error;
    });

    return new APIPromise(real, responsePromise, (client, props) => {
      if (refused.has(props as object)) return null;
      if (!inner) throw new Error("spendguard: response parsed before the request was sent");
      return inner.parseResponse(client, props);
    });
  };
}

/** A free method whose response may settle work billed later (`responses.retrieve`, `videos.retrieve`). */
export interface LaterHook {
  /** The provider id the call is about, from its arguments. */
  key(args: readonly unknown[]): string | undefined;
  optionsArg: number;
  meter(key: string, ledger: CallLedger): TransportMeter;
}

function laterHook(target: object, original: AnyFn, hook: LaterHook, ledger: CallLedger): AnyFn {
  return (...args: unknown[]) => {
    const key = hook.key(args);
    if (key === undefined || !ledger.isAwaited(key)) return original.apply(target, args);
    const sent = [...args];
    sent[hook.optionsArg] = withMeter(args[hook.optionsArg], hook.meter(key, ledger));
    return original.apply(target, sent);
  };
}

const refused = new WeakSet<object>();

/** What a refused call resolves with in callback mode: `null`, and a 402 for `.asResponse()`. */
function refusedProps(error: unknown, path: string): object {
  const code = isSpendguardError(error) ? error.code : "refused";
  const message = error instanceof Error ? error.message : String(error);
  const props = {
    response: new Response(JSON.stringify({ error: { type: code, code, message } }), {
      status: 402,
      headers: { "content-type": "application/json", "x-spendguard-refused": code },
    }),
    options: { method: "post", path },
    controller: new AbortController(),
    requestLogID: "spendguard-refused",
    retryOfRequestLogID: undefined,
    startTime: Date.now(),
  };
  refused.add(props);
  return props;
}

function hasHelperHeader(options: unknown): boolean {
  const headers = (options as { headers?: unknown } | undefined)?.headers;
  if (!headers || typeof headers !== "object") return false;
  if (headers instanceof Headers) return headers.has("x-stainless-helper-method");
  return Object.keys(headers).some((name) => name.toLowerCase() === "x-stainless-helper-method");
}

function failureReason(error: unknown): string {
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number") return `http_${status}`;
  return error instanceof Error ? error.name : "error";
}

const apiPromiseClasses = new WeakMap<object, APIPromiseClass>();

/**
 * The SDK's APIPromise class of this client's module instance (an app may load both the ESM and CJS builds):
 * read from a request whose options never resolve, so nothing is sent.
 */
function apiPromiseClass(client: object): APIPromiseClass {
  const key = Object.getPrototypeOf(client) as object;
  const known = apiPromiseClasses.get(key);
  if (known) return known;
  const request = (client as { request?: (options: Promise<never>) => unknown }).request;
  if (typeof request !== "function") throw new TypeError("Expected an OpenAI client with a `request` method");
  const probe = request.call(client, new Promise<never>(() => {})) as Partial<APIPromiseLike> & object;
  if (!(probe instanceof Promise) || !("responsePromise" in probe) || !("parseResponse" in probe)) {
    throw new TypeError(
      "This version of the openai SDK is not supported: its APIPromise has an unknown shape",
    );
  }
  const Class = probe.constructor as APIPromiseClass;
  apiPromiseClasses.set(key, Class);
  return Class;
}
