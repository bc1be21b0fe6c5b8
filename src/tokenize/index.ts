export { type ChatInputCountWithAudio, type ChatInputRequest, countChatInput } from "./chat.js";
export {
  IMAGE_TOKEN_TABLE_AS_OF,
  type ImageDetail,
  type ImageTokenEstimate,
  imageTokenBound,
  imageTokenEstimate,
  UNKNOWN_MODEL_IMAGE_TOKENS,
} from "./image-tokens.js";
export { countStreamedChatOutput } from "./stream-count.js";
export {
  encodingForModel,
  loadedTokenizer,
  loadTokenizer,
  type TokenizerMemoStats,
  tokenizerMemoStats,
} from "./tokenizer.js";
export type { ChatInputCount, EncodingName, Tokenizer } from "./types.js";
