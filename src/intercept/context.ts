import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What the transport (a custom fetch, a middleware) needs to meter the HTTP request of one logical call.
 * The Proxy runs the SDK method inside `callContext.run(meter, ...)`; every request the SDK makes for that
 * call, retries included, sees the meter.
 */
export interface TransportMeter {
  /** Whether this request is the paid request of the call (not an auth-token fetch or another side request). */
  matches(url: string): boolean;
  /** Called with each response of a matching request; returns the response to hand to the SDK. */
  observe(response: Response): Response;
  /** Called when an attempt of a matching request failed without a response (timeout, abort, dropped socket). */
  failed(error: unknown): void;
}

export const callContext = new AsyncLocalStorage<TransportMeter>();
