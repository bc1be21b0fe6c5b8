export type EncodingName = "o200k_base" | "cl100k_base";

/** A loaded tokenizer. Special-token strings such as `<|endoftext|>` are counted as plain text, never thrown on. */
export interface Tokenizer {
  readonly encoding: EncodingName;
  /** Token count of a piece of text. Long pieces are memoized, so an agent loop pays O(new text) per turn. */
  count(text: string): number;
}

/** How many input tokens a chat request will be billed for, as an upper bound. */
export interface ChatInputCount {
  tokens: number;
  /** The part of `tokens` that comes from image parts (priced by image rules, never tokenized as text). */
  imageTokens: number;
  /** `high` when every part was counted exactly; lower when a bound had to be assumed (files, audio). */
  confidence: "high" | "medium" | "low";
  notes: string[];
}
