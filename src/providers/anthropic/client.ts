import { meterSdkClient, type SdkWrapContext, type SdkWrapSpec } from "../../intercept/sdk-client.js";
import { ANTHROPIC_DIALECT, OPERATIONS } from "./operations.js";

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

export const ANTHROPIC_SPEC: SdkWrapSpec = {
  dialect: ANTHROPIC_DIALECT,
  expected: "an Anthropic client (from the `@anthropic-ai/sdk` package)",
  credentials: ["apiKey", "authToken"],
  origins: ["https://api.anthropic.com"],
  methods: [...OPERATIONS.keys()],
};

/** The Anthropic client, metered in place: every request it sends passes the session's engine. */
export function wrapAnthropic<T extends object>(client: T, context: SdkWrapContext): T {
  return meterSdkClient(client, ANTHROPIC_SPEC, context);
}
