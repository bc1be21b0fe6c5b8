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
