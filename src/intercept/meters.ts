/**
 * What the transport (a custom fetch, a middleware) needs to meter the HTTP request of one logical call.
 * The meter travels with the call's own request options (`fetchOptions`, which the SDK spreads into the
 * fetch init of every attempt), so retries, helpers and un-awaited calls all reach it, and no global
 * context is needed (AsyncLocalStorage's promise hooks cost ~100 µs per call on Node 20).
 */
export interface TransportMeter {
  /** Whether this request is the paid request of the call (not an auth-token fetch or another side request). */
  matches(url: string): boolean;
  /** Called with each response of a matching request; returns the response to hand to the SDK. */
  observe(response: Response): Response | Promise<Response>;
  /** Called when an attempt of a matching request failed without a response (timeout, abort, dropped socket). */
  failed(error: unknown): void;
}

const METER = Symbol.for("spendguard.meter");

/** The call's request options with the meter attached (the caller's object is not changed). */
export function withMeter(options: unknown, meter: TransportMeter): Record<string, unknown> {
  const base = typeof options === "object" && options !== null ? (options as Record<string, unknown>) : {};
  const fetchOptions =
    typeof base.fetchOptions === "object" && base.fetchOptions !== null ? base.fetchOptions : {};
  return { ...base, fetchOptions: { ...fetchOptions, [METER]: meter } };
}

/** The meter a fetch init carries, and the init without it (what the real fetch gets). */
export function takeMeter(init: RequestInit | undefined): {
  meter: TransportMeter | undefined;
  init: RequestInit | undefined;
} {
  const meter = (init as Record<symbol, unknown> | undefined)?.[METER] as TransportMeter | undefined;
  if (!meter || !init) return { meter: undefined, init };
  const { [METER]: _, ...rest } = init as Record<string | symbol, unknown>;
  return { meter, init: rest as RequestInit };
}
