import { meteredFetch } from "../../intercept/metered-fetch.js";
import { isProxied } from "../../intercept/proxy.js";
import { type SdkWrapContext, type SdkWrapSpec, wrapSdkClient } from "../../intercept/sdk-client.js";
import { LATER_HOOKS, OPERATIONS, PAID_REQUESTS } from "./operations.js";

export function isOpenAIClient(client: unknown): boolean {
  const candidate = client as { chat?: { completions?: { create?: unknown } }; withOptions?: unknown };
  return (
    typeof candidate?.chat?.completions?.create === "function" && typeof candidate.withOptions === "function"
  );
}

const SPEC: SdkWrapSpec = {
  provider: "openai",
  operations: OPERATIONS,
  laterHooks: LATER_HOOKS,
  helpers: new Map([
    ["chat.completions.parse", "client"],
    ["chat.completions.stream", "client"],
    ["chat.completions.runTools", "client"],
    ["responses.parse", "client"],
    ["responses.stream", "client"],
  ]),
  derive(options) {
    if (typeof options.fetch === "function") options.fetch = guardedFetch(options.fetch as typeof fetch);
    else delete options.fetch; // inherit the metered fetch
    return options;
  },
};

/** A Proxy over a copy of `client` whose fetch is metered: every paid method passes the session's ledger. */
export function wrapOpenAI<T extends object>(client: T, context: SdkWrapContext): T {
  if (isProxied(client))
    throw new TypeError("This client is already wrapped by spendguard; wrap the original client");
  const withOptions = (client as { withOptions?: (options: object) => T }).withOptions;
  if (typeof withOptions !== "function") {
    throw new TypeError("Expected an OpenAI client (from the `openai` package, version 5 or later)");
  }
  const currentFetch = (client as { fetch?: typeof fetch }).fetch ?? globalThis.fetch;
  const real = withOptions.call(client, { fetch: guardedFetch(currentFetch) });
  return wrapSdkClient(real, SPEC, context);
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
