export { type CatalogDependencies, createPriceCatalog } from "./catalog.js";
export { affordableOutputTokens, rateAt, usageCost, type WorstCaseRequest, worstCaseCost } from "./cost.js";
export {
  FAL_IMAGE_SIZE_PRESETS,
  FAL_MEGAPIXEL,
  type FalEndpointPrice,
  type FalQuote,
  type FalUnit,
  falCostFromUnits,
  falEndpoint,
  falEndpointIds,
  falImageQualities,
  falImageSizes,
  falMegapixels,
  falQuote,
  falUnitsFromResult,
} from "./fal.js";
export {
  gptImage2OutputTokens,
  type ImagePriceQuote,
  imageInputTokenBound,
  imagePrice,
  imageQualities,
  imageSizes,
  MIN_AUDIO_BYTES_PER_SECOND,
  maxAudioSecondsForBytes,
  SPEECH_CHARACTERS_PER_SECOND,
  type SpeechPrice,
  speechPrice,
  type ToolCallQuote,
  type TranscriptionPrice,
  toolCallPrice,
  transcriptionPrice,
  type VideoPriceQuote,
  videoMaxSeconds,
  videoPrice,
  wavDurationSeconds,
} from "./media.js";
export {
  type MediaQuote,
  minimaxBillableCharacters,
  minimaxModels,
  minimaxSpeechQuote,
  minimaxVideoQuote,
} from "./minimax.js";
export { modelCandidates } from "./resolve-model.js";
export type { CatalogOptions, PriceCatalog, PriceOverride, Rate, TokenPrice } from "./types.js";
