import {
  InvalidRequestError,
  isSpendguardError,
  RuleViolationError,
  type SpendguardError,
} from "../errors.js";
import type { Admission, CallInfo, CallLedger, CallPlan, Outcome } from "../ledger/types.js";
import type { Nano } from "../money.js";
import type { PriceCatalog } from "../pricing/types.js";
import { mayHaveReachedProvider } from "../providers/meter.js";
import { callInfo } from "../providers/request.js";
import { modelFacts } from "../providers/rule-facts.js";
import type { LaterHook, Operation, PlanContext, ProviderMemory } from "../providers/types.js";
import type { ServiceTier } from "../types.js";
import { refusalResponse } from "./refusals.js";
import { readWireBody, writeWireBody } from "./request-body.js";
import { revealKeys } from "./vault.js";

/**
 * The metering engine (DESIGN 3): one function between an HTTP client and the network. Every attempt that
 * reaches it is identified by method and path, priced from the body actually sent, screened by the rules,
 * held, sent with the rules' rewrites and strict mode's output limit, and settled from its own response. A
 * retry is a new attempt with a new hold. A paid request that matches no meter is refused, never sent. The
 * wrapped SDK clients, `session.fetch` and the proxy are doors to this one engine.
 */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What the engine knows about one provider's HTTP API. */
export interface WireDialect {
  provider: string;
  /** The paid requests, each matched by its path (POST). */
  operations: readonly Operation[];
  /** Free requests whose responses settle work billed later (`GET /responses/{id}`). */
  later: readonly LaterHook[];
  /**
   * POST paths that are never billed per request (uploads, token counting, cancellation, metadata). Every
   * other POST that matches no operation is refused.
   */
  free: readonly RegExp[];
  /** The body of a refusal response, in the provider's error format. */
  errorBody(code: string, message: string): object;
}

export interface WireContext {
  ledger: CallLedger & { block(info: CallInfo, error: SpendguardError, estimated?: Nano): Promise<void> };
  catalog: PriceCatalog;
  tier: ServiceTier;
  memory: ProviderMemory;
  countTokens?: PlanContext["countTokens"];
}

const ENGINE = Symbol.for("spendguard.wireFetch");

/** The fetch under a metered one, or the fetch itself when it is not metered. */
function unmeteredFetch(fetch: Fetch): Fetch {
  return ((fetch as unknown as Record<symbol, Fetch | undefined>)[ENGINE] ?? fetch) as Fetch;
}

export function wireFetch(inner: Fetch, dialect: WireDialect, context: WireContext): Fetch {
  const base = unmeteredFetch(inner);
  const metered: Fetch = async (input, init) => {
    let url: string;
    let sent = init;
    if (typeof input === "string") url = input;
    else if (input instanceof URL) url = input.href;
    else {
      // A Request: read what it carries into an init, so that its body can be priced.
      url = input.url;
      sent = await requestInit(input, init);
    }
    let revealed: Headers | undefined;
    try {
      const pending = revealKeys(url, sent?.headers as Headers | undefined);
      revealed = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      // No key to send (none in the keychain, a token provider that failed): nothing is sent, nothing retried.
      return refusalResponse(error, false, dialect.errorBody);
    }
    if (revealed) sent = { ...sent, headers: revealed };
    const method = (sent?.method ?? "GET").toUpperCase();
    const path = pathOf(url);
    if (method === "POST") {
      for (const operation of dialect.operations) {
        const match = operation.url.exec(path);
        if (match) return meterAttempt(operation, match.slice(1), url, sent, base, dialect, context);
      }
    }
    const later = dialect.later.length > 0 ? laterMeter(dialect, context, method, path) : undefined;
    if (later) {
      const response = await base(url, sent);
      return response.ok ? later.observe(response) : response;
    }
    if (method !== "POST" || dialect.free.some((pattern) => pattern.test(path))) return base(url, sent);
    return refuseUnmetered(path, sent, dialect, context);
  };
  Object.defineProperty(metered, ENGINE, { value: base });
  return metered;
}

/** A free request that settles work billed later, with its meter, when this session awaits that work. */
function laterMeter(dialect: WireDialect, context: WireContext, method: string, path: string) {
  for (const hook of dialect.later) {
    if (hook.method !== method) continue;
    const key = hook.url.exec(path)?.[1];
    if (key === undefined || !context.ledger.isAwaited(key)) continue;
    return hook.meter(key, context.ledger, context.catalog);
  }
  return undefined;
}

async function meterAttempt(
  operation: Operation,
  pathArgs: readonly string[],
  url: string,
  init: RequestInit | undefined,
  send: Fetch,
  dialect: WireDialect,
  context: WireContext,
): Promise<Response> {
  const { ledger } = context;
  const fromHelper = hasHeader(init?.headers, "x-stainless-helper-method");
  const body = readWireBody(init?.body);
  const params = body.kind === "unreadable" ? undefined : body.params;
  const info = callInfo(dialect.provider, operation.path, params, context.tier);
  let admission: Admission;
  let plan: CallPlan;
  try {
    if (body.kind === "unreadable") {
      throw new InvalidRequestError(
        `spendguard cannot price ${operation.path} sent with ${body.what}: a paid request must carry its ` +
          "parameters as JSON or multipart form data",
      );
    }
    const facts = () =>
      operation.facts?.(body.params, { args: pathArgs, memory: context.memory }) ?? modelFacts(body.params);
    const screening = ledger.screen(info, facts);
    const screened = screening instanceof Promise ? await screening : screening;
    const toPlan =
      screened.rewrite && operation.rewrite ? operation.rewrite(body.params, screened.rewrite) : body.params;
    try {
      const planning = operation.plan(toPlan, {
        catalog: context.catalog,
        tier: context.tier,
        fromHelper,
        args: pathArgs,
        memory: context.memory,
        ...(context.countTokens && { countTokens: context.countTokens }),
      });
      plan = planning instanceof Promise ? await planning : planning;
    } catch (error) {
      if (isSpendguardError(error)) await ledger.block(info, error);
      throw error;
    }
    admission = await ledger.admit(plan, { rewrites: screened.rewrites });
  } catch (error) {
    // Screen, block and admit record their refusals; anything else is refused here before it is sent.
    return refusalResponse(error, fromHelper, dialect.errorBody);
  }
  const meter = operation.meter(admission, plan, ledger);
  const finish = (outcome: Outcome) => void ledger.finish(admission, outcome);
  const sentBody = writeWireBody(body, admission.params);
  const attempt = sentBody === init?.body ? init : { ...init, body: sentBody as BodyInit };
  const signal = init?.signal;
  if (signal?.aborted) {
    // Cut off (the SDK's timeout, the caller's abort) while it was being priced: it never left, it costs nothing.
    finish({ kind: "failed", reason: "aborted_before_send" });
    throw signal.reason ?? new DOMException("This operation was aborted", "AbortError");
  }
  let response: Response;
  try {
    response = await send(url, attempt);
  } catch (error) {
    // A timeout, an abort or a socket closed mid-request may have been billed: charge the hold, the safe side.
    finish(
      mayHaveReachedProvider(error)
        ? { kind: "hold", flags: ["interrupted"] }
        : { kind: "failed", reason: failureReason(error) },
    );
    throw error;
  }
  if (!response.ok) {
    finish({ kind: "failed", reason: `http_${response.status}` });
    return response;
  }
  return meter.observe(response);
}

async function refuseUnmetered(
  path: string,
  init: RequestInit | undefined,
  dialect: WireDialect,
  context: WireContext,
): Promise<Response> {
  const error = new RuleViolationError(
    "unmetered_request",
    `spendguard refused POST ${path}: spendguard has no meter for it, and a paid request it cannot price is ` +
      "never sent. Use a metered endpoint, or meter it yourself with session.guard() on a client spendguard " +
      "does not wrap.",
  );
  const info: CallInfo = {
    provider: dialect.provider,
    operation: path,
    model: "",
    stream: false,
    tier: context.tier,
  };
  await context.ledger.block(info, error);
  return refusalResponse(error, hasHeader(init?.headers, "x-stainless-helper-method"), dialect.errorBody);
}

async function requestInit(request: Request, init: RequestInit | undefined): Promise<RequestInit> {
  const method = init?.method ?? request.method;
  const hasBody = method !== "GET" && method !== "HEAD";
  return {
    method,
    headers: init?.headers ?? request.headers,
    ...(hasBody && { body: init?.body ?? (await request.text()) }),
    signal: init?.signal ?? request.signal,
  };
}

function pathOf(url: string): string {
  const start = url.indexOf("://");
  const path = url.indexOf("/", start === -1 ? 0 : start + 3);
  if (path === -1) return "/";
  const query = url.indexOf("?", path);
  const hash = url.indexOf("#", path);
  const end = Math.min(query === -1 ? url.length : query, hash === -1 ? url.length : hash);
  return url.slice(path, end);
}

function hasHeader(headers: unknown, name: string): boolean {
  if (!headers || typeof headers !== "object") return false;
  if (headers instanceof Headers) return headers.has(name);
  if (Array.isArray(headers)) return headers.some(([key]) => String(key).toLowerCase() === name);
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

function failureReason(error: unknown): string {
  return error instanceof Error ? error.name : "error";
}
