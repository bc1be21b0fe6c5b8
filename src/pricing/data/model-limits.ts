/**
 * The most output tokens a model can return in one response, keyed by provider and by the canonical id
 * @pydantic/genai-prices resolves the model to (so `gpt-4o-2024-08-06` finds `gpt-4o`). Data only.
 *
 * `source` is the provider's own page for the model; `evidence` says what was actually read while this table
 * was written (2026-11): the provider page itself, another page quoting it, or nothing beyond the project's
 * brief. Strict mode injects this as the output limit when a request sets none: a number too small only cuts
 * responses short, one too large can make the API reject the injected limit; neither can overspend.
 */
export interface ModelLimit {
  maxOutputTokens: number;
  source: string;
  asOf: string;
  evidence: string;
}

const AS_OF = "2026-11";
const openaiPage = (id: string) => `https://developers.openai.com/api/docs/models/${id}`;
const claudePage = (slug: string) => `https://platform.claude.com/docs/en/models/${slug}/overview`;

function limit(maxOutputTokens: number, source: string, evidence: string): ModelLimit {
  return { maxOutputTokens, source, asOf: AS_OF, evidence };
}

const OPENAI: Readonly<Record<string, ModelLimit>> = {
  "gpt-4o": limit(
    16_384,
    openaiPage("gpt-4o"),
    "vercel.com/ai-gateway/models/gpt-4o (quotes OpenAI's model card)",
  ),
  "gpt-4o-2024-05-13": limit(
    4_096,
    openaiPage("gpt-4o"),
    "brief only (snapshot row of the gpt-4o model page)",
  ),
  "gpt-4o-mini": limit(16_384, openaiPage("gpt-4o-mini"), "vercel.com/ai-gateway/models/gpt-4o-mini-fast"),
  "chatgpt-4o-latest": limit(
    16_384,
    openaiPage("chatgpt-4o-latest"),
    "OpenAI-DotNet Model.ChatGPT4o remarks",
  ),
  "gpt-4o-audio-preview": limit(16_384, openaiPage("gpt-4o-audio-preview"), "OpenAI model page"),
  "gpt-4.1": limit(32_768, openaiPage("gpt-4.1"), "vercel.com/ai-gateway/models/gpt-4.1-fast"),
  "gpt-4.1-mini": limit(32_768, openaiPage("gpt-4.1-mini"), "vercel.com/ai-gateway/models/gpt-4.1-mini-fast"),
  "gpt-4.1-nano": limit(32_768, openaiPage("gpt-4.1-nano"), "vercel.com/ai-gateway/models/gpt-4.1-nano-fast"),
  "gpt-4-turbo": limit(4_096, openaiPage("gpt-4-turbo"), "OpenAI model page"),
  "gpt-4": limit(8_192, openaiPage("gpt-4"), "OpenAI model page"),
  "gpt-3.5-turbo": limit(4_096, openaiPage("gpt-3.5-turbo"), "vercel.com/ai-gateway/models/gpt-3.5-turbo"),
  o1: limit(100_000, openaiPage("o1"), "chatai.guide citing OpenAI's o1 model page"),
  "o1-mini": limit(65_536, openaiPage("o1-mini"), "pub.dev agentic ChatModel.openaiO1Mini"),
  "o1-preview": limit(32_768, openaiPage("o1-preview"), "brief only"),
  "o1-pro": limit(100_000, openaiPage("o1-pro"), "brief only"),
  o3: limit(100_000, openaiPage("o3"), "@lobehub/chat openai model cards"),
  "o3-mini": limit(100_000, openaiPage("o3-mini"), "brief only"),
  "o3-pro": limit(100_000, openaiPage("o3-pro"), "@lobehub/chat openai model cards"),
  "o4-mini": limit(100_000, openaiPage("o4-mini"), "@lobehub/chat openai model cards"),
  "codex-mini": limit(
    100_000,
    openaiPage("codex-mini-latest"),
    "OpenAI-DotNet Model.Codex_Mini_Latest remarks",
  ),
  "gpt-5": limit(128_000, openaiPage("gpt-5"), "vercel.com/ai-gateway/models/gpt-5-fast"),
  "gpt-5-mini": limit(128_000, openaiPage("gpt-5-mini"), "brief only"),
  "gpt-5-nano": limit(128_000, openaiPage("gpt-5-nano"), "brief only"),
  "gpt-5-pro": limit(
    272_000,
    openaiPage("gpt-5-pro"),
    "api.koog.ai OpenAIModels.GPT5Pro (quotes the model page)",
  ),
  "gpt-5.1": limit(128_000, openaiPage("gpt-5.1"), "brief only (also covers gpt-5.1-codex)"),
  "gpt-5.2": limit(128_000, openaiPage("gpt-5.2"), "vercel.com/ai-gateway/models/openai/gpt-5.2-fast"),
  "gpt-5.4": limit(128_000, openaiPage("gpt-5.4"), "developer.box.com GPT-5.4 model card"),
  "gpt-5.5": limit(
    128_000,
    openaiPage("gpt-5.5"),
    "docs.oxen.ai and docs.venice.ai say 128K; vercel.com says 272K: the smaller kept",
  ),
  "gpt-5.4-pro": limit(128_000, openaiPage("gpt-5.4-pro"), "vercel.com/ai-gateway/models/gpt-5.4-pro"),
  "gpt-5.5-pro": limit(128_000, openaiPage("gpt-5.5-pro"), "docs.oxen.ai gpt-5-5-pro-2026-04-23"),
};

const ANTHROPIC: Readonly<Record<string, ModelLimit>> = {
  "claude-opus-5": limit(128_000, claudePage("opus-5"), "Anthropic model page"),
  "claude-sonnet-5": limit(128_000, claudePage("sonnet-5"), "Anthropic model page"),
  "claude-opus-4-8": limit(128_000, claudePage("opus-4-8"), "Anthropic model page"),
  "claude-opus-4-7": limit(
    128_000,
    claudePage("opus-4-7"),
    "Effect-TS/effect#7129 citing Anthropic's models overview",
  ),
  "claude-opus-4-6": limit(128_000, claudePage("opus-4-6"), "Anthropic model page"),
  "claude-sonnet-4-6": limit(128_000, claudePage("sonnet-4-6"), "Anthropic model page"),
  "claude-opus-4-5": limit(64_000, claudePage("opus-4-5"), "Anthropic model page"),
  "claude-sonnet-4-5": limit(64_000, claudePage("sonnet-4-5"), "Anthropic model page"),
  "claude-haiku-4-5": limit(64_000, claudePage("haiku-4-5"), "Anthropic model page"),
  "claude-opus-4-1": limit(32_000, claudePage("opus-4-1"), "brief only"),
  "claude-sonnet-4-0": limit(64_000, claudePage("sonnet-4"), "nutrient.io AnthropicApiSettings.getMaxTokens"),
  "claude-3-5-haiku-latest": limit(8_192, claudePage("haiku-3-5"), "brief only"),
  "claude-3-haiku": limit(4_096, claudePage("haiku-3"), "vercel.com/ai-gateway/models/claude-3-haiku"),
};

const BY_PROVIDER: Readonly<Record<string, Readonly<Record<string, ModelLimit>>>> = {
  openai: OPENAI,
  anthropic: ANTHROPIC,
};

export function modelLimit(provider: string, canonicalModel: string): ModelLimit | undefined {
  const table = BY_PROVIDER[provider];
  return table !== undefined && Object.hasOwn(table, canonicalModel) ? table[canonicalModel] : undefined;
}
