import { TOOL_CALL_OVERHEAD } from "./chat.js";
import type { Tokenizer } from "./types.js";

/** Per choice that produced anything: the end-of-message token the model emits. */
const CHOICE_OVERHEAD = 1;

interface ToolCallParts {
  name: string[];
  args: string[];
}

interface ChoiceParts {
  content: string[];
  refusal: string[];
  toolCalls: Map<number, ToolCallParts>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toolCall(choice: ChoiceParts, index: number): ToolCallParts {
  let call = choice.toolCalls.get(index);
  if (!call) {
    call = { name: [], args: [] };
    choice.toolCalls.set(index, call);
  }
  return call;
}

function parse(payload: string): unknown {
  let body = payload.trim();
  if (body.startsWith("data:")) body = body.slice(5).trim();
  if (body === "" || body === "[DONE]") return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * The output tokens carried by the deltas of an OpenAI chat completions stream (`chat.completion.chunk`
 * payloads, the JSON after `data: `), for charging a stream that ended before its usage arrived. Counts
 * `delta.content`, `delta.refusal`, `delta.tool_calls[].function.{name,arguments}` and the legacy
 * `delta.function_call`, joined per choice and per tool call before tokenizing, plus a small overhead per choice
 * and per tool call. Malformed payloads count 0 and never throw. Hidden reasoning tokens and audio are not in
 * the deltas, so they are not counted.
 *
 * `text` is the streamed content (and refusal) of every choice, in choice order, separated by a newline.
 */
export function countStreamedChatOutput(
  tokenizer: Tokenizer,
  payloads: readonly string[],
): { tokens: number; text: string } {
  const choices = new Map<number, ChoiceParts>();
  for (const payload of payloads) {
    if (typeof payload !== "string") continue;
    const chunk = parse(payload);
    if (!isRecord(chunk) || !Array.isArray(chunk.choices)) continue;
    for (const entry of chunk.choices) {
      if (!isRecord(entry) || !isRecord(entry.delta)) continue;
      const index = typeof entry.index === "number" ? entry.index : 0;
      let choice = choices.get(index);
      if (!choice) {
        choice = { content: [], refusal: [], toolCalls: new Map() };
        choices.set(index, choice);
      }
      const { delta } = entry;
      if (typeof delta.content === "string") choice.content.push(delta.content);
      if (typeof delta.refusal === "string") choice.refusal.push(delta.refusal);
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) {
          if (!isRecord(call)) continue;
          const parts = toolCall(choice, typeof call.index === "number" ? call.index : 0);
          const fn = isRecord(call.function)
            ? call.function
            : isRecord(call.custom)
              ? call.custom
              : undefined;
          if (!fn) continue;
          if (typeof fn.name === "string") parts.name.push(fn.name);
          if (typeof fn.arguments === "string") parts.args.push(fn.arguments);
          if (typeof fn.input === "string") parts.args.push(fn.input);
        }
      }
      if (isRecord(delta.function_call)) {
        const parts = toolCall(choice, -1);
        if (typeof delta.function_call.name === "string") parts.name.push(delta.function_call.name);
        if (typeof delta.function_call.arguments === "string") parts.args.push(delta.function_call.arguments);
      }
    }
  }

  let tokens = 0;
  const texts: string[] = [];
  for (const index of [...choices.keys()].sort((a, b) => a - b)) {
    const choice = choices.get(index);
    if (!choice) continue;
    const content = choice.content.join("");
    const refusal = choice.refusal.join("");
    let choiceTokens = tokenizer.count(content) + tokenizer.count(refusal);
    for (const call of choice.toolCalls.values()) {
      choiceTokens +=
        TOOL_CALL_OVERHEAD + tokenizer.count(call.name.join("")) + tokenizer.count(call.args.join(""));
    }
    if (choiceTokens > 0) tokens += choiceTokens + CHOICE_OVERHEAD;
    texts.push(content + refusal);
  }
  return { tokens, text: texts.join("\n") };
}
