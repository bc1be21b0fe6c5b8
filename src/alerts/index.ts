export type { Alert, LargeHoldAlert, ThresholdAlert, WebhookAlertOptions } from "./types.js";
export { type WebhookAlerts, webhookAlerts } from "./webhook.js";
