export type {
  Alert,
  LargeHoldAlert,
  ThresholdAlert,
  WebhookAlertOptions,
  WebhookAlerts,
} from "./alerts/index.js";
export { webhookAlerts } from "./alerts/index.js";
export type { RuleViolationCode, SpendguardErrorCode } from "./errors.js";
export {
  BudgetExceededError,
  InvalidRequestError,
  isSpendguardError,
  RuleViolationError,
  SpendguardError,
  StoreUnavailableError,
  UnknownPriceError,
} from "./errors.js";
export type { GuardEstimate, GuardRequest, GuardSettle } from "./guard.js";
export type {
  Keychain,
  KeyProvider,
  KeySource,
  OpenKeychainOptions,
  ResolveApiKeyOptions,
  ResolvedApiKey,
} from "./keys/index.js";
export { KeychainUnavailableError, maskKey, openKeychain, resolveApiKey } from "./keys/index.js";
export type { AdmitEvent, CallObserver, RefuseEvent, SettleEvent } from "./ledger/types.js";
export { displayBalance } from "./money.js";
export type { PricingOptions, ReservationOptions, SessionOptions } from "./options.js";
export type { Period } from "./periods.js";
export type { ModelPrice } from "./pricing/describe.js";
export {
  describeChange,
  type PriceChange,
  type PriceUpdateOptions,
  type PriceUpdatePreview,
  type PriceUpdateResult,
  previewPriceUpdate,
  SnapshotError,
  updatePrices,
} from "./pricing/snapshot/index.js";
export type { PriceOverride } from "./pricing/types.js";
export {
  CostReportError,
  type DriftRow,
  type ReconcileOptions,
  type ReconcileProvider,
  type ReconcileReport,
  reconcile,
} from "./reconcile/index.js";
export type {
  GivenOptions,
  NullingCallbacks,
  NullOnRefusal,
  Refusable,
  Wrapped,
} from "./refusal-types.js";
export type {
  BudgetStatus,
  ReportDimension,
  ReportRow,
  StoreReadOptions,
} from "./report/budgets.js";
export {
  budgetStatus,
  listBudgets,
  report,
  resetBudget,
  setBudget,
  setPanic,
  storeSummary,
} from "./report/budgets.js";
export type { ImagePriceRow } from "./report/prices.js";
export { imagePriceComparison, mediaModels } from "./report/prices.js";
export { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./report/prometheus.js";
export type {
  ApprovalRule,
  CustomRule,
  ImageRules,
  RateLimit,
  RuleRequest,
  Rules,
} from "./rules/types.js";
export type {
  AnthropicFactoryOptions,
  ChildOptions,
  EstimateRequest,
  OpenAIFactoryOptions,
  ReadonlySession,
  WrapOptions,
} from "./session.js";
export { BudgetedSession } from "./session.js";
export type { MemoryStore, MemoryStoreOptions } from "./stores/memory.js";
export { memoryStore } from "./stores/memory.js";
export type {
  Balance,
  BudgetStore,
  HistoryQuery,
  RateCharge,
  ReadRequest,
  ReserveRequest,
  ReserveResult,
  ScopeInfo,
  ScopeRef,
  SettleRequest,
  SettleResult,
  UpdateRequest,
} from "./stores/types.js";
export type { OpenTelemetryOptions } from "./telemetry/index.js";
export { openTelemetry } from "./telemetry/index.js";
export type {
  BudgetSummary,
  CallFlag,
  CallRecord,
  CallStatus,
  CostEstimate,
  ModelTotals,
  OverspendEvent,
  PriceSource,
  ProviderId,
  ServiceTier,
  Usage,
  WarningEvent,
} from "./types.js";
