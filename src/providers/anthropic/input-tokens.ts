import { InvalidRequestError } from "../../errors.js";
import type { Tokenizer } from "../../tokenize/types.js";

/**
 * Claude has no public tokenizer, so input is counted with o200k and scaled by a factor that bounds Claude's
 * count from above: measured Claude ÷ o200k is 1.00 for English, 1.06–1.07 for code and 1.12 for mixed text
 * (research/DEPENDENCIES.md), hence 1.25; CJK text measured 1.35–1.64, hence 1.7 when a text is mostly CJK.
 * `anthropic: { exactInputTokens: true }` asks the free counting endpoint instead.
 */
export const CLAUDE_FACTOR = 1.25;
export const CLAUDE_CJK_FACTOR = 1.7;
/** Tokens of the system prompt Anthropic adds when tools are defined (its docs list 313–346 by tool choice). */
export const TOOL_SYSTEM_PROMPT_TOKENS = 400;
/** An image is resized to at most ~1.15 megapixels: (width × height) / 750 ≈ 1,600 tokens at most. */
export const IMAGE_TOKENS = 1600;
/** Role and separator tokens per message, and per request. */
const PER_MESSAGE = 7;
const PER_REQUEST = 10;

export interface ClaudeInputCount {
  tokens: number;
  confidence: "high" | "medium" | "low";
  notes: string[];
  /** Where cache_control asks for cache writes: none, 5-minute or 1-hour. */
  cacheWrite: "none" | "5m" | "1h";
}

/** An upper bound on the input tokens Anthropic bills for a Messages request (cache reads and writes included). */
export function countClaudeInput(tokenizer: Tokenizer, body: Record<string, unknown>): ClaudeInputCount {
  const state = {
    raw: 0,
    cjk: 0,
    chars: 0,
    fixed: PER_REQUEST,
    notes: [] as string[],
    low: false,
    cacheWrite: "none" as "none" | "5m" | "1h",
  };
  const text = (value: string) => {
    state.raw += tokenizer.count(value);
    state.chars += value.length;
    state.cjk += cjkCount(value);
  };
  const cache = (block: unknown) => {
    const control = (block as { cache_control?: { ttl?: unknown } | null } | null)?.cache_control;
    if (!control) return;
    if (control.ttl === "1h") state.cacheWrite = "1h";
    else if (state.cacheWrite === "none") state.cacheWrite = "5m";
  };
  const blocks = (content: unknown) => {
    if (typeof content === "string") return text(content);
    if (!Array.isArray(content)) return;
    for (const block of content as Record<string, unknown>[]) {
      cache(block);
      switch (block?.type) {
        case "text":
          text(String(block.text ?? ""));
          break;
        case "image":
          state.fixed += IMAGE_TOKENS;
          break;
        case "document": {
          const source = block.source as Record<string, unknown> | undefined;
          if (source?.type === "text" && typeof source.data === "string") text(source.data);
          else {
            // A PDF's pages cost their text plus a page image; bound it by its size.
            const data = typeof source?.data === "string" ? source.data : "";
            state.fixed += Math.ceil((data.length * 3) / 4) || 100_000;
            state.low = true;
            state.notes.push("a document block is bounded by its size (1 token per byte)");
          }
          break;
        }
        case "tool_result":
          blocks(block.content);
          break;
        case "tool_use":
        case "server_tool_use":
          text(`${String(block.name ?? "")}${JSON.stringify(block.input ?? {})}`);
          break;
        case "thinking":
          text(String(block.thinking ?? ""));
          break;
        case "redacted_thinking":
          text(String(block.data ?? ""));
          break;
        default:
          text(JSON.stringify(block));
      }
    }
  };

  const { messages } = body;
  if (!Array.isArray(messages))
    throw new InvalidRequestError("Expected `messages` to be an array of messages");
  if (typeof body.system === "string") text(body.system);
  else if (Array.isArray(body.system)) blocks(body.system);
  for (const message of messages as Record<string, unknown>[]) {
    if (typeof message !== "object" || message === null) {
      throw new InvalidRequestError("Expected each of `messages` to be an object with a role and content");
    }
    state.fixed += PER_MESSAGE;
    blocks(message.content);
  }
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    state.fixed += TOOL_SYSTEM_PROMPT_TOKENS;
    for (const tool of body.tools as Record<string, unknown>[]) {
      cache(tool);
      text(
        JSON.stringify({
          name: tool?.name,
          description: tool?.description,
          input_schema: tool?.input_schema,
        }),
      );
    }
  }
  const factor = state.cjk > state.chars / 2 ? CLAUDE_CJK_FACTOR : CLAUDE_FACTOR;
  state.notes.unshift(`estimated: o200k tokens × ${factor} (Claude's tokenizer is not public)`);
  return {
    tokens: Math.ceil(state.raw * factor) + state.fixed,
    confidence: state.low ? "low" : "medium",
    notes: state.notes,
    cacheWrite: state.cacheWrite,
  };
}

/** Characters of CJK scripts (Han, Hiragana, Katakana, Hangul), which Claude tokenizes more densely. */
function cjkCount(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (
      (code >= 0x3040 && code <= 0x30ff) ||
      (code >= 0x3400 && code <= 0x9fff) ||
      (code >= 0xac00 && code <= 0xd7af)
    ) {
      count++;
    }
  }
  return count;
}

/** Where cache_control appears, for the exact-count path (which does not walk the blocks). */
export function cacheWriteOf(body: Record<string, unknown>): "none" | "5m" | "1h" {
  const text = JSON.stringify([body.system, body.messages, body.tools]);
  if (!text.includes('"cache_control"')) return "none";
  return /"ttl"\s*:\s*"1h"/.test(text) ? "1h" : "5m";
}
