import { takeMeter } from "./meters.js";

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const METERED = Symbol.for("spendguard.meteredFetch");

export interface MeteredFetchOptions {
  /**
   * For a request without a meter: a response to answer instead of sending it (a paid request that bypassed
   * the metered methods), or undefined to send it.
   */
  refuse?(url: string, init: RequestInit | undefined): Response | undefined;
}

/**
 * Wraps a client's fetch so that the paid request of a metered call is observed: its response body passes
 * through the call's meter. Never throws a budget error itself: refusals happen before the SDK is called (a
 * throw here would be retried as a network error), or answer as a non-retryable error response.
 */
export function meteredFetch(inner: Fetch, options: MeteredFetchOptions = {}): Fetch {
  if ((inner as unknown as Record<symbol, unknown>)[METERED]) return inner;
  const metered: Fetch = async (input, rawInit) => {
    const { meter, init } = takeMeter(rawInit);
    const url = urlOf(input);
    if (!meter) return options.refuse?.(url, init) ?? inner(input, init);
    if (!meter.matches(url)) return inner(input, init);
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      meter.failed(error);
      throw error;
    }
    return meter.observe(response);
  };
  Object.defineProperty(metered, METERED, { value: true });
  return metered;
}

function urlOf(input: string | URL | Request): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return input.url;
}
