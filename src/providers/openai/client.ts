import { type SdkWrapContext, type SdkWrapSpec, wrapStainlessClient } from "../../intercept/sdk-client.js";
import { LATER_HOOKS, OPERATIONS } from "./operations.js";

export function isOpenAIClient(client: unknown): boolean {
  const candidate = client as { chat?: { completions?: { create?: unknown } }; withOptions?: unknown };
  return (
    typeof candidate?.chat?.completions?.create === "function" && typeof candidate.withOptions === "function"
  );
}

const SPEC: SdkWrapSpec = {
  provider: "openai",
  expected: "an OpenAI client (from the `openai` package, version 5 or later)",
  operations: OPERATIONS,
  laterHooks: LATER_HOOKS,
  helpers: new Set([
    "chat.completions.parse",
    "chat.completions.stream",
    "chat.completions.runTools",
    "responses.parse",
    "responses.stream",
  ]),
  refusal: (message) => ({ error: { message, type: "spendguard_unmetered", code: "unmetered_request" } }),
};

/** The OpenAI client behind a Proxy: every paid method passes the session's ledger. */
export function wrapOpenAI<T extends object>(client: T, context: SdkWrapContext): T {
  return wrapStainlessClient(client, SPEC, context);
}
