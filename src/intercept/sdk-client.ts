import { isSpendguardError, type SpendguardError } from "../errors.js";
import type { CallInfo } from "../ledger/call-ledger.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../ledger/types.js";
import type { Nano } from "../money.js";
import type { PriceCatalog } from "../pricing/types.js";
import { callInfo } from "../providers/request.js";
import { modelFacts } from "../providers/rule-facts.js";
import type {
  LaterHook,
  Operation,
  OperationMeter,
  PlanContext,
  ProviderMemory,
} from "../providers/types.js";
import type { ServiceTier } from "../types.js";
import { meteredFetch } from "./metered-fetch.js";
import { withMeter } from "./meters.js";
import { isProxied, type ProxyPlan, proxyClient } from "./proxy.js";

/**
 * Wrapping a Stainless-generated SDK client (openai, @anthropic-ai/sdk): a copy of the client whose fetch is
 * metered, behind a Proxy whose paid methods return the SDK's own APIPromise; each provider says which methods
 * are paid and how it words a refusal.
 */
export interface SdkWrapSpec {
  provider: string;
  /** What to call the client in an error (`an OpenAI client (from the openai package, version 5 or later)`). */
  expected: string;
  operations: ReadonlyMap<string, Operation>;
  laterHooks: ReadonlyMap<string, LaterHook>;
  /**
   * SDK helpers that call other methods of the client (`chat.completions.stream`, `messages.stream`,
   * `beta.messages.toolRunner`): they run with `this` over the resource's proxy and `this._client` the
   * client's proxy, so every call they make is metered.
   */
  helpers: ReadonlySet<string>;
  /** The body of the error response that refuses an unmetered paid request, in the provider's error format. */
  refusal(message: string): object;
}

export interface SdkWrapContext {
  ledger: CallLedger & { block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void> };
  catalog: PriceCatalog;
  tier: ServiceTier;
  memory: ProviderMemory;
  /** Exposed as `client.session` (the one-line factories do this). */
  session?: unknown;
  countTokens?: PlanContext["countTokens"];
}

type AnyFn = (...args: unknown[]) => unknown;

/** Client fields that hold credentials (openai, @anthropic-ai/sdk). */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "apiKey",
  "authToken",
  "adminKey",
  "webhookSecret",
  "webhookKey",
]);

const redacted = new WeakMap<object, object>();

/** The client's `_options` without its credentials (helpers read timeouts and headers from it). */
function redactedOptions(real: object): object | undefined {
  const options = (real as { _options?: Record<string, unknown> })._options;
  if (!options) return options;
  let copy = redacted.get(options);
  if (!copy) {
    copy = Object.fromEntries(Object.entries(options).filter(([key]) => !SECRET_FIELDS.has(key)));
    redacted.set(options, copy);
  }
  return copy;
}

interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (client: unknown, props: unknown) => unknown;
}

type APIPromiseClass = new (
  client: unknown,
  responsePromise: Promise<unknown>,
  parse: (client: unknown, props: unknown) => unknown,
) => Promise<unknown>;

/** A Proxy over a copy of `client` whose fetch is metered: every paid method passes the session's ledger. */
export function wrapStainlessClient<T extends object>(
  client: T,
  spec: SdkWrapSpec,
  context: SdkWrapContext,
): T {
  if (isProxied(client))
    throw new TypeError("This client is already wrapped by spendguard; wrap the original client");
  const withOptions = (client as { withOptions?: (options: object) => T }).withOptions;
  if (typeof withOptions !== "function") throw new TypeError(`Expected ${spec.expected}`);
  const currentFetch = (client as { fetch?: Fetch }).fetch ?? globalThis.fetch;
  const real = withOptions.call(client, { fetch: guardedFetch(currentFetch, spec) });
  return wrapSdkClient(real, spec, context);
}

function wrapSdkClient<T extends object>(real: T, spec: SdkWrapSpec, context: SdkWrapContext): T {
  const APIPromise = apiPromiseClass(real);
  const shims = new WeakMap<object, object>();
  let proxy: T;
  const plan: ProxyPlan = {
    root(prop) {
      if (prop === "session" && context.session !== undefined) return { value: context.session };
      // Agent code holding the wrapped client must not read the key back (DESIGN 2.11).
      if (typeof prop === "string" && SECRET_FIELDS.has(prop)) return { value: undefined };
      if (prop === "_options") return { value: redactedOptions(real) };
      if (prop === "withOptions") {
        return {
          value: (options: Record<string, unknown> = {}) => {
            const derived = { ...options };
            // A fetch of the caller's gets metered too; without one, the child inherits the metered fetch.
            if (typeof derived.fetch === "function")
              derived.fetch = guardedFetch(derived.fetch as Fetch, spec);
            else delete derived.fetch;
            const child = (real as { withOptions(options: object): T }).withOptions(derived);
            return wrapSdkClient(child, spec, context);
          },
        };
      }
      return undefined;
    },
    isResource: (value) => "_client" in value,
    method(path, target, fn, self) {
      const operation = spec.operations.get(path);
      if (operation) return meteredMethod(target, fn, operation, real, APIPromise, spec, context);
      const later = spec.laterHooks.get(path);
      if (later) return laterHook(target, fn, later, context);
      if (!spec.helpers.has(path)) return undefined;
      return (...args: unknown[]) => {
        let shim = shims.get(self);
        if (!shim) {
          shim = Object.create(self, { _client: { value: proxy } }) as object;
          shims.set(self, shim);
        }
        return fn.apply(shim, args);
      };
    },
  };
  proxy = proxyClient(real, plan);
  return proxy;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The client's fetch, metered, refusing a paid request that arrives without a hold. */
function guardedFetch(inner: Fetch, spec: SdkWrapSpec): Fetch {
  const paid = [...spec.operations.values()].map((operation) => operation.url);
  return meteredFetch(inner, { refuse: (url, init) => unmetered(url, init, paid, spec) });
}

/**
 * A paid request with no meter bypassed the resource methods (`client.post("/v1/messages")`, a helper
 * spendguard does not know): refuse it rather than let it spend unmetered. It answers like an API error that
 * must not be retried, so the SDK throws at once.
 */
function unmetered(
  url: string,
  init: RequestInit | undefined,
  paid: readonly RegExp[],
  spec: SdkWrapSpec,
): Response | undefined {
  if ((init?.method ?? "GET").toUpperCase() !== "POST") return undefined;
  const path = new URL(url).pathname;
  if (!paid.some((pattern) => pattern.test(path))) return undefined;
  const message =
    `spendguard refused ${path}: a paid request reached the network without a budget hold. Call it through ` +
    "the wrapped client's resource methods (e.g. client.messages.create) so that it is metered.";
  return new Response(JSON.stringify(spec.refusal(message)), {
    status: 402,
    headers: { "content-type": "application/json", "x-should-retry": "false" },
  });
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
  spec: SdkWrapSpec,
  context: SdkWrapContext,
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
      const info = callInfo(spec.provider, operation.path, params, context.tier);
      // Rules first (DESIGN 2.3): a refused call is never priced, held or sent; a rewrite is priced as sent.
      let sentParams = params;
      let rewrites: readonly string[] = [];
      if (typeof params === "object" && params !== null) {
        const facts = () => operation.facts?.(params, { args, memory: context.memory }) ?? modelFacts(params);
        const screened = await ledger.screen(info, facts);
        rewrites = screened.rewrites;
        if (screened.rewrite && operation.rewrite) sentParams = operation.rewrite(params, screened.rewrite);
      }
      let plan: CallPlan;
      try {
        plan = await operation.plan(sentParams, {
          catalog: context.catalog,
          tier: context.tier,
          fromHelper,
          args,
          memory: context.memory,
          ...(context.countTokens && { countTokens: context.countTokens }),
        });
      } catch (error) {
        if (isSpendguardError(error)) await ledger.block(info, error);
        throw error;
      }
      admission = await ledger.admit(plan, { rewrites });
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

function laterHook(target: object, original: AnyFn, hook: LaterHook, context: SdkWrapContext): AnyFn {
  return (...args: unknown[]) => {
    const key = hook.key(args);
    if (key === undefined || !context.ledger.isAwaited(key)) return original.apply(target, args);
    const sent = [...args];
    sent[hook.optionsArg] = withMeter(
      args[hook.optionsArg],
      hook.meter(key, context.ledger, context.catalog),
    );
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
  if (typeof request !== "function") throw new TypeError("Expected an SDK client with a `request` method");
  const probe = request.call(client, new Promise<never>(() => {})) as Partial<APIPromiseLike> & object;
  if (!(probe instanceof Promise) || !("responsePromise" in probe) || !("parseResponse" in probe)) {
    throw new TypeError("This SDK version is not supported: its APIPromise has an unknown shape");
  }
  const Class = probe.constructor as APIPromiseClass;
  apiPromiseClasses.set(key, Class);
  return Class;
}
