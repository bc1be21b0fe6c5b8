import { isSpendguardError } from "../errors.js";

/**
 * A refusal decided in the transport reaches the caller as the spendguard error itself (DESIGN 3): a fetch
 * that throws would be retried by the SDK and wrapped as a connection error, so the transport answers with a
 * response the SDKs never retry (`x-should-retry: false`, 402) that carries a ticket; the client's
 * `makeStatusError` turns the ticket back into the original error. Any other reader of the response (a
 * framework, an HTTP client) sees a 402 with the error's code and message in the provider's error format.
 */
export const REFUSAL_HEADER = "x-spendguard-refusal";

interface Refusal {
  error: unknown;
  /** The request came from an SDK helper (stream, parse, runTools): it never resolves null. */
  fromHelper: boolean;
}

const tickets = new Map<string, Refusal>();
const byError = new WeakMap<object, Refusal>();
/** Tickets not redeemed (a response nobody turned into an error) are dropped past this many. */
const MAX_TICKETS = 1_000;
let counter = 0;

export function refusalResponse(
  error: unknown,
  fromHelper: boolean,
  body: (code: string, message: string) => object,
): Response {
  const ticket = `r${++counter}`;
  const refusal = { error, fromHelper };
  tickets.set(ticket, refusal);
  if (tickets.size > MAX_TICKETS) tickets.delete(tickets.keys().next().value as string);
  if (typeof error === "object" && error !== null) byError.set(error, refusal);
  const code = isSpendguardError(error) ? error.code : "refused";
  const message = error instanceof Error ? error.message : String(error);
  return new Response(JSON.stringify(body(code, message)), {
    status: 402,
    headers: {
      "content-type": "application/json",
      "x-should-retry": "false",
      [REFUSAL_HEADER]: ticket,
    },
  });
}

/** The error a refusal response stands for (once), or undefined for any other response. */
export function redeemRefusal(headers: unknown): unknown {
  const get = (headers as { get?: (name: string) => string | null } | undefined)?.get;
  const ticket = typeof get === "function" ? get.call(headers, REFUSAL_HEADER) : undefined;
  if (!ticket) return undefined;
  const refusal = tickets.get(ticket);
  tickets.delete(ticket);
  return refusal?.error;
}

/** Whether an error is a refusal from the transport, and whether it came from an SDK helper. */
export function refusalOf(error: unknown): Refusal | undefined {
  return typeof error === "object" && error !== null ? byError.get(error) : undefined;
}
