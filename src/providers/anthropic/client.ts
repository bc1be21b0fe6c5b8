import { type SdkWrapContext, type SdkWrapSpec, wrapStainlessClient } from "../../intercept/sdk-client.js";
import { LATER_HOOKS, OPERATIONS } from "./operations.js";

export function isAnthropicClient(client: unknown): boolean {
  const candidate = client as {
    messages?: { create?: unknown; countTokens?: unknown };
    withOptions?: unknown;
  };
  return (
    typeof candidate?.messages?.create === "function" &&
    typeof candidate.messages.countTokens === "function" &&
    typeof candidate.withOptions === "function"
  );
}

const SPEC: SdkWrapSpec = {
  provider: "anthropic",
  expected: "an Anthropic client (from the `@anthropic-ai/sdk` package)",
  operations: OPERATIONS,
  laterHooks: LATER_HOOKS,
  helpers: new Set([
    "messages.stream",
    "messages.parse",
    "beta.messages.stream",
    "beta.messages.parse",
    "beta.messages.toolRunner",
    "beta.messages.thread",
  ]),
  refusal: (message) => ({ type: "error", error: { type: "spendguard_unmetered", message } }),
};

/** The Anthropic client behind a Proxy: every paid method passes the session's ledger. */
export function wrapAnthropic<T extends object>(client: T, context: SdkWrapContext): T {
  return wrapStainlessClient(client, SPEC, context);
}
