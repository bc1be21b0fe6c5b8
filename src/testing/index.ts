export type { OpenAIChatReply, OpenAIChatUsage } from "./fake-openai.js";
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
