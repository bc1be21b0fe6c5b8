import { meterSdkClient, type SdkWrapContext, type SdkWrapSpec } from "../../intercept/sdk-client.js";
import { OPENAI_DIALECT, OPERATIONS } from "./operations.js";

export function isOpenAIClient(client: unknown): boolean {
  const candidate = client as { chat?: { completions?: { create?: unknown } }; withOptions?: unknown };
  return (
    typeof candidate?.chat?.completions?.create === "function" && typeof candidate.withOptions === "function"
  );
}

export const OPENAI_SPEC: SdkWrapSpec = {
  dialect: OPENAI_DIALECT,
  expected: "an OpenAI client (from the `openai` package, version 5 or later)",
  credentials: ["apiKey", "adminAPIKey", "adminKey"],
  origins: ["https://api.openai.com"],
  methods: [...OPERATIONS.keys()],
};

/** The OpenAI client, metered in place: every request it sends passes the session's engine. */
export function wrapOpenAI<T extends object>(client: T, context: SdkWrapContext): T {
  return meterSdkClient(client, OPENAI_SPEC, context);
}
