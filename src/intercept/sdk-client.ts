import { redeemRefusal, refusalOf } from "./refusals.js";
import { isPlaceholder, originOf, placeholderFor, updateSecret } from "./vault.js";
import { type Fetch, type WireContext, type WireDialect, wireFetch } from "./wire.js";

/**
 * Metering a Stainless-generated SDK client (openai, @anthropic-ai/sdk) in place (DESIGN 3). Everything the
 * client sends goes through its `fetch`, so that is where spendguard sits: the client keeps its identity, its
 * options (Azure, Bedrock, custom fetch, headers), its helpers and every way of sending a request (methods,
 * `request()`, `post()`, helpers bound in advance, `withOptions()` copies), and each attempt on the wire is
 * metered by the engine. Around it, three small patches on the instance: credentials move into the transport,
 * a refusal comes back as the spendguard error, and in callback mode a refused paid method resolves `null`.
 */
export interface SdkWrapSpec {
  dialect: WireDialect;
  /** What to call the client in an error. */
  expected: string;
  /** Client fields (and `_options` fields) that hold credentials. */
  credentials: readonly string[];
  /** The provider's own origins a key may be sent to, besides the client's base URL. */
  origins: readonly string[];
  /** The SDK methods whose refusal resolves `null` in callback mode (`chat.completions.create`). */
  methods: readonly string[];
}

export interface SdkWrapContext extends WireContext {
  /** Exposed as `client.session` (the one-line factories do this). */
  session?: unknown;
  /** The session has a callback that makes refusals resolve `null` (`onBudgetExceeded`, `onBlocked`). */
  nullMode: boolean;
  /** Whether this refusal resolves `null` (runs `onBudgetExceeded`); false leaves it to reject. */
  nullOnRefusal(error: unknown): boolean;
}

type Client = Record<string, unknown> & {
  fetch?: Fetch;
  _options?: Record<string, unknown>;
  baseURL?: string;
  withOptions(options: object): Client;
};

const metered = new WeakSet<object>();

export function meterSdkClient<T extends object>(client: T, spec: SdkWrapSpec, context: SdkWrapContext): T {
  const target = client as unknown as Client;
  if (typeof target.withOptions !== "function" || typeof target.request !== "function") {
    throw new TypeError(`Expected ${spec.expected}`);
  }
  if (metered.has(client)) {
    throw new TypeError(
      "This client is already metered by a spendguard session (wrap() meters the client itself and returns " +
        "it); create another client for another session",
    );
  }
  meter(target, spec, context, undefined);
  if (context.session !== undefined) hidden(target, "session", context.session);
  return client;
}

/** The origins each metered client's keys may go to (a copy keeps its original's when it talks to the same). */
const trusted = new WeakMap<object, ReadonlySet<string>>();

function meter(
  client: Client,
  spec: SdkWrapSpec,
  context: SdkWrapContext,
  parentOrigins: ReadonlySet<string> | undefined,
): void {
  const origins = new Set(spec.origins);
  const own = typeof client.baseURL === "string" ? originOf(client.baseURL) : "";
  // The client handed to wrap() is trusted with its base URL; a copy only when it keeps its original's.
  if (own && (!parentOrigins || parentOrigins.has(own))) origins.add(own);
  trusted.set(client, origins);
  moveCredentials(client, spec, origins);
  client.fetch = wireFetch(client.fetch ?? globalThis.fetch, spec.dialect, context);

  const makeStatusError = client.makeStatusError as (...args: unknown[]) => unknown;
  hidden(client, "makeStatusError", function (this: unknown, ...args: unknown[]) {
    return redeemRefusal(args[3]) ?? makeStatusError.apply(this, args);
  });

  const withOptions = client.withOptions;
  hidden(client, "withOptions", function (this: unknown, options: object) {
    // The copy inherits the metered fetch (or meters the caller's) and the placeholders, never a key.
    const copy = withOptions.call(this, options);
    meter(copy, spec, context, trusted.get(this as object) ?? new Set(spec.origins));
    if (context.session !== undefined) hidden(copy, "session", context.session);
    return copy;
  });

  if (context.nullMode) for (const path of spec.methods) nullableMethod(client, path, context);
  metered.add(client);
}

/**
 * Credentials move into the transport: each field holding a key gets a placeholder that only the metered
 * fetch turns back into the key, and only on requests to the provider's origins. A key given as a function
 * (a token provider, the OS keychain) is called as before, and its token is kept in the transport too.
 */
function moveCredentials(client: Client, spec: SdkWrapSpec, origins: ReadonlySet<string>): void {
  const options = client._options;
  for (const field of spec.credentials) {
    const optionValue = options?.[field];
    const value = client[field];
    if (typeof optionValue === "function" && !isPlaceholder(value)) {
      const provider = optionValue as () => unknown;
      const placeholder = placeholderFor("", origins);
      (options as Record<string, unknown>)[field] = async () => {
        updateSecret(placeholder, String(await provider()));
        return placeholder;
      };
      if (typeof value === "string") client[field] = placeholder;
      continue;
    }
    if (typeof value !== "string" || value === "" || isPlaceholder(value)) continue;
    // A copy made by the SDK's own withOptions carries the original's placeholder; a key found here on a
    // copy was given to withOptions by the caller, and goes only where the original's key may go.
    const placeholder = placeholderFor(value, origins);
    client[field] = placeholder;
    if (options && optionValue === value) options[field] = placeholder;
  }
}

interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (client: unknown, props: unknown) => unknown;
}

/** In callback mode, a refused call of a paid method resolves `null` instead of rejecting. */
function nullableMethod(client: Client, path: string, context: SdkWrapContext): void {
  const parts = path.split(".");
  const name = parts.pop() as string;
  let resource: unknown = client;
  for (const part of parts) resource = (resource as Record<string, unknown> | undefined)?.[part];
  const method = (resource as Record<string, unknown> | undefined)?.[name];
  if (typeof method !== "function" || typeof resource !== "object" || resource === null) return;
  hidden(resource, name, function (this: unknown, ...args: unknown[]) {
    const promise = method.apply(this, args) as Partial<APIPromiseLike>;
    if (!promise || !(promise.responsePromise instanceof Promise) || !promise.parseResponse) return promise;
    const parse = promise.parseResponse;
    let answered: { response: Response } | undefined;
    promise.responsePromise = promise.responsePromise.catch((error: unknown) => {
      const refusal = refusalOf(error);
      if (refusal && !refusal.fromHelper && context.nullOnRefusal(error)) {
        answered = refusedProps(error) as { response: Response };
        return answered;
      }
      throw error;
    });
    promise.parseResponse = (sdk, props) =>
      refused.has(props as object) ? null : parse.call(promise, sdk, props);
    // openai 7 defines its own withResponse over the raw request; answer the refusal there too.
    const withResponse = (promise as { withResponse?: () => Promise<unknown> }).withResponse;
    if (Object.hasOwn(promise, "withResponse") && typeof withResponse === "function") {
      (promise as { withResponse: () => Promise<unknown> }).withResponse = () =>
        withResponse.call(promise).catch((error: unknown) => {
          if (!answered || !refusalOf(error)) throw error;
          return { data: null, response: answered.response, request_id: null };
        });
    }
    return promise;
  });
}

const refused = new WeakSet<object>();

/** What a refused call resolves with in callback mode: `null`, and a 402 for `.asResponse()`. */
function refusedProps(error: unknown): object {
  const code = (error as { code?: unknown }).code ?? "refused";
  const message = error instanceof Error ? error.message : String(error);
  const props = {
    response: new Response(JSON.stringify({ error: { type: code, code, message } }), {
      status: 402,
      headers: { "content-type": "application/json", "x-spendguard-refused": String(code) },
    }),
    options: { method: "post" },
    controller: new AbortController(),
    requestLogID: "spendguard-refused",
    retryOfRequestLogID: undefined,
    startTime: Date.now(),
  };
  refused.add(props);
  return props;
}

/** An own property that `util.inspect` and `Object.keys` do not list, and that spies can still replace. */
function hidden(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}
