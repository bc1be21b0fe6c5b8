import type { CallObserver } from "./types.js";

type Hook = keyof CallObserver;
type EventOf<K extends Hook> = Parameters<NonNullable<CallObserver[K]>>[0];

/**
 * Calls `hook` on every observer that has it. An observer that throws is reported as a process warning and
 * skipped: telemetry must never fail or delay a call. Callers check `observers.length` first, so a session
 * without observers does no work at all here.
 */
export function notifyObservers<K extends Hook>(
  observers: readonly CallObserver[],
  hook: K,
  event: EventOf<K>,
): void {
  for (const observer of observers) {
    const handler = observer[hook] as ((event: EventOf<K>) => void) | undefined;
    if (!handler) continue;
    try {
      handler.call(observer, event);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.emitWarning(`spendguard: observer ${hook} threw: ${message}`, {
        code: "SPENDGUARD_OBSERVER_ERROR",
      });
    }
  }
}
