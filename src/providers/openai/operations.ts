import { chatCompletions } from "./chat.js";
import type { LaterHook } from "./client.js";
import type { Operation } from "./operation.js";

/** Every metered method of the OpenAI client, by its SDK path. */
export const OPERATIONS = new Map<string, Operation>(
  ([chatCompletions] as Operation[]).map((operation) => [operation.path, operation]),
);

/** Free methods whose responses can settle work billed later. */
export const LATER_HOOKS = new Map<string, LaterHook>();

/** Request paths that cost money: a POST to one of them without a meter is refused. */
export const PAID_REQUESTS: readonly RegExp[] = [...OPERATIONS.values()].map((operation) => operation.url);
