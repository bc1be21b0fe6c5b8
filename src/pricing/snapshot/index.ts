export {
  type DiffLimits,
  describeChange,
  diffPrices,
  type PriceChange,
  type PriceData,
  suspicious,
} from "./diff.js";
export { openSnapshot, POINTER_FILE, readPointer, readSnapshot, type SnapshotSource } from "./load.js";
export { BUNDLED_SNAPSHOT, type PriceSnapshot, SnapshotError, TABLE_FORMAT } from "./types.js";
export {
  type PriceUpdateOptions,
  type PriceUpdatePreview,
  type PriceUpdateResult,
  previewPriceUpdate,
  updatePrices,
} from "./update.js";
export { validateGenaiData, validateTable } from "./validate.js";
