import type { WireDialect } from "../../intercept/wire.js";
import type { Operation } from "../types.js";
import { batchesCreate, batchesResults } from "./batches.js";
import { betaMessagesCreate, messagesCreate } from "./messages.js";

/** The paid requests on the wire (`beta.messages.create` sends the same request, with `?beta=true`). */
const PAID: readonly Operation[] = [messagesCreate, batchesCreate];

/** Every operation `session.estimate()` prices, by its SDK method path. */
export const OPERATIONS = new Map<string, Operation>(
  [...PAID, betaMessagesCreate].map((operation) => [operation.path, operation]),
);

/**
 * POSTs that are never billed per request: token counting, cancellation, files, skills, and the objects of
 * managed agents (agents, environments, vaults, memory stores, tunnels, deployments, sessions, user profiles).
 * What runs them (a deployment's `run`, a session's `events`) is billed work spendguard cannot price, and the
 * legacy `/v1/complete` has no meter: both refused.
 */
const FREE: readonly RegExp[] = [
  /\/v1\/messages\/count_tokens$/,
  /\/[^/]+\/cancel$/,
  /\/v1\/files$/,
  /\/v1\/skills(\/[^/]+(\/versions)?)?$/,
  /\/v1\/(agents|environments|vaults|memory_stores|tunnels|dreams|user_profiles)(\/.*)?$/,
  /\/v1\/deployments(\/[^/]+(\/(archive|pause|unpause))?)?$/,
  /\/v1\/sessions(\/[^/]+(\/archive|\/threads\/[^/]+\/archive)?)?$/,
];

export const ANTHROPIC_DIALECT: WireDialect = {
  provider: "anthropic",
  operations: PAID,
  later: [batchesResults],
  free: FREE,
  errorBody: (code, message) => ({ type: "error", error: { type: code, message } }),
};
