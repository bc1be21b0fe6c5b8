export {
  type AnthropicBatchReply,
  type AnthropicBatchRetrieveReply,
  type AnthropicCountTokensReply,
  type AnthropicMessageReply,
  type AnthropicModelsReply,
  type AnthropicStopReason,
  type AnthropicUsage,
  ATTACHMENT_TOKENS,
  anthropicErrorBody,
  DEFAULT_ANTHROPIC_CONTENT,
  DEFAULT_ANTHROPIC_THINKING,
} from "./fake-anthropic.js";
export type { CostReportReply, FakeCostLine } from "./fake-cost-reports.js";
export {
  DEFAULT_FAL_OUTPUT,
  FAL_IMAGE_SIZES,
  type FakeFalRequestConfig,
  type FakeFalWiring,
  type FalQueueReply,
  type FalReply,
  type FalStreamReply,
  falErrorBody,
} from "./fake-fal.js";
export {
  type MiniMaxBaseResp,
  type MiniMaxReply,
  type MiniMaxTtsExtraInfo,
  type MiniMaxTtsReply,
  type MiniMaxVideoReply,
  minimaxBaseResp,
} from "./fake-minimax.js";
export type { OpenAIChatReply, OpenAIChatUsage } from "./fake-openai.js";
export {
  fakeWav,
  imageOutputTokens,
  type OpenAIImagesReply,
  type OpenAIImagesUsage,
  type OpenAISpeechReply,
  type OpenAISpeechUsage,
  type OpenAITranscriptionReply,
  type OpenAITranscriptionUsage,
  type OpenAIVideoReply,
  type OpenAIVideoRetrieveReply,
} from "./fake-openai-media.js";
export type {
  OpenAIBatchReply,
  OpenAIBatchRetrieveReply,
  OpenAIBatchUsage,
  OpenAICompletionReply,
  OpenAIEmbeddingReply,
  OpenAIFilesReply,
  OpenAIModelsReply,
  OpenAIModerationReply,
} from "./fake-openai-misc.js";
export type {
  OpenAIInputTokensReply,
  OpenAIResponsesBuiltInCall,
  OpenAIResponsesReply,
  OpenAIResponsesRetrieveReply,
  OpenAIResponsesUsage,
} from "./fake-openai-responses.js";
export type {
  FakeErrorDetails,
  FakeFault,
  FakeProviders,
  FakeProvidersOptions,
  FakeReplies,
  FakeReply,
  FakeReplySource,
  FakeRouteName,
  FakeToolCall,
  RecordedRequest,
} from "./fake-providers.js";
export { startFakeProviders } from "./fake-providers.js";
export type { FakeMultipartBody, FakeMultipartFile } from "./multipart.js";
export {
  type StoreConformanceCase,
  type StoreConformanceOptions,
  storeConformanceCases,
} from "./store-conformance.js";
