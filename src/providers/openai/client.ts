import { isSpendguardError, type SpendguardError } from "../../errors.js";
import { meteredFetch } from "../../intercept/metered-fetch.js";
import { withMeter } from "../../intercept/meters.js";
import { isProxied, type ProxyPlan, proxyClient } from "../../intercept/proxy.js";
import type { CallInfo } from "../../ledger/call-ledger.js";
import type { Admission, CallLedger, Outcome } from "../../ledger/types.js";
import type { Nano } from "../../money.js";
import type { PriceCatalog } from "../../pricing/types.js";
import type { ServiceTier } from "../../types.js";
import { CHAT_OPERATION, type ChatMeter, chatMeter, planChat } from "./chat.js";

export interface OpenAIWrapContext {
  ledger: CallLedger & { block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void> };
  catalog: PriceCatalog;
  tier: ServiceTier;
  /** Exposed as `client.session` (the one-line factory does this). */
  session?: unknown;
}

/** Helpers that call `this._client.<resource>.create`: run with our proxy as `_client`, so each call is metered. */
const HELPERS = new Set([
  "chat.completions.parse",
  "chat.completions.stream",
  "chat.completions.runTools",
  "beta.chat.completions.parse",
  "beta.chat.completions.stream",
  "beta.chat.completions.runTools",
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
  const real = withOptions.call(client, { fetch: meteredFetch(currentFetch) });
  return proxyFor(real, context);
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
            if (typeof next.fetch === "function") next.fetch = meteredFetch(next.fetch as typeof fetch);
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
      if (path === CHAT_OPERATION) return meteredChatCreate(target, fn, real, APIPromise, context);
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
 * `chat.completions.create` metered: returns the SDK's own APIPromise class (so `.withResponse()`,
 * `.asResponse()` and helpers keep working) over a response that only starts once the hold is taken.
 */
function meteredChatCreate(
  target: object,
  original: AnyFn,
  real: object,
  APIPromise: APIPromiseClass,
  context: OpenAIWrapContext,
): AnyFn {
  const { ledger } = context;
  return (params: unknown, options?: unknown) => {
    const fromHelper = hasHelperHeader(options);
    let inner: APIPromiseLike | undefined;
    let admission: Admission | undefined;
    let meter: ChatMeter | undefined;

    const started = (async () => {
      const info = callInfo(params, context.tier);
      let plan: Awaited<ReturnType<typeof planChat>>;
      try {
        plan = await planChat(params, { catalog: context.catalog, tier: context.tier, fromHelper });
      } catch (error) {
        if (isSpendguardError(error)) await ledger.block(info, error);
        throw error;
      }
      admission = await ledger.admit(plan);
      const admitted = admission;
      meter = chatMeter(admitted, plan, ledger);
      inner = original.call(target, admitted.params, withMeter(options, meter)) as APIPromiseLike;
      return inner.responsePromise;
    })();

    const responsePromise = started.then(undefined, (error: unknown) => {
      if (admission) {
        const outcome: Outcome = meter?.mayBeBilled
          ? { kind: "hold", flags: ["interrupted"] }
          : { kind: "failed", reason: failureReason(error) };
        void ledger.finish(admission, outcome);
      } else if (!fromHelper && ledger.resolvesNullOnRefusal(error)) {
        return refusedProps(error);
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

const refused = new WeakSet<object>();

/** What a refused call resolves with in callback mode: `null`, and a 402 for `.asResponse()`. */
function refusedProps(error: unknown): object {
  const code = isSpendguardError(error) ? error.code : "refused";
  const message = error instanceof Error ? error.message : String(error);
  const props = {
    response: new Response(JSON.stringify({ error: { type: code, code, message } }), {
      status: 402,
      headers: { "content-type": "application/json", "x-spendguard-refused": code },
    }),
    options: { method: "post", path: "/chat/completions" },
    controller: new AbortController(),
    requestLogID: "spendguard-refused",
    retryOfRequestLogID: undefined,
    startTime: Date.now(),
  };
  refused.add(props);
  return props;
}

function callInfo(params: unknown, tier: ServiceTier): CallInfo {
  const body = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  return {
    provider: "openai",
    operation: CHAT_OPERATION,
    model: typeof body.model === "string" ? body.model : "",
    stream: body.stream === true,
    tier,
  };
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
