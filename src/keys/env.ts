/**
 * The environment variables each provider's own SDK reads its key from, tried in order. A provider missing from
 * this table reads `<PROVIDER>_API_KEY` (`minimax` → `MINIMAX_API_KEY`).
 */
export const API_KEY_ENV_VARS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  openai: ["OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY"],
  fal: ["FAL_KEY", "FAL_KEY_ID"],
});

export function apiKeyEnvVars(provider: string): readonly string[] {
  if (Object.hasOwn(API_KEY_ENV_VARS, provider)) return API_KEY_ENV_VARS[provider] ?? [];
  return [`${provider.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_API_KEY`];
}
