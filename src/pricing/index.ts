export { type CatalogDependencies, createPriceCatalog } from "./catalog.js";
export { affordableOutputTokens, rateAt, usageCost, type WorstCaseRequest, worstCaseCost } from "./cost.js";
export { modelCandidates } from "./resolve-model.js";
export type { CatalogOptions, PriceCatalog, PriceOverride, Rate, TokenPrice } from "./types.js";
