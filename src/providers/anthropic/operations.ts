import type { LaterHook, Operation } from "../types.js";
import { batchesCreate, batchesResults } from "./batches.js";
import { betaMessagesCreate, messagesCreate } from "./messages.js";

/** Every metered method of the Anthropic client, by its SDK path. */
export const OPERATIONS = new Map<string, Operation>(
  ([messagesCreate, betaMessagesCreate, batchesCreate] as Operation[]).map((operation) => [
    operation.path,
    operation,
  ]),
);

/** Free methods whose responses settle work billed later (message batches). */
export const LATER_HOOKS = new Map<string, LaterHook>([batchesResults]);
