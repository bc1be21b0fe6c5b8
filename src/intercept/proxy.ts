/**
 * The Proxy around an SDK client and its resources (DESIGN 3): reads use the real object as receiver,
 * functions are bound to the real object (the SDKs keep `#private` fields that a Proxy `this` cannot read),
 * child resources get cached child proxies, and the SDK's own result objects are returned as they are.
 */
export interface ProxyPlan {
  /**
   * The function to expose for the method at `path` (e.g. `chat.completions.create`), or undefined to bind it.
   * `self` is the proxy of the object the method lives on.
   */
  method(
    path: string,
    target: object,
    value: (...args: unknown[]) => unknown,
    self: object,
  ): ((...args: unknown[]) => unknown) | undefined;
  /** Properties the root proxy answers itself (e.g. `session`, `withOptions`). */
  root(prop: string | symbol): { value: unknown } | undefined;
  /** Whether a property value is a resource to proxy (as opposed to plain data). */
  isResource(value: object): boolean;
}

const proxies = new WeakSet<object>();

export function isProxied(value: unknown): boolean {
  return typeof value === "object" && value !== null && proxies.has(value);
}

export function proxyClient<T extends object>(client: T, plan: ProxyPlan): T {
  return proxyAt(client, "", plan, true);
}

function proxyAt<T extends object>(target: T, path: string, plan: ProxyPlan, isRoot: boolean): T {
  const cache = new Map<string | symbol, unknown>();
  const proxy = new Proxy(target, {
    get(object, prop) {
      if (isRoot) {
        const answered = plan.root(prop);
        if (answered) return answered.value;
      }
      if (cache.has(prop)) return cache.get(prop);
      const value = Reflect.get(object, prop, object) as unknown;
      let exposed: unknown = value;
      if (typeof value === "function") {
        const fn = value as (...args: unknown[]) => unknown;
        const childPath = typeof prop === "string" ? joinPath(path, prop) : "";
        exposed = (childPath && plan.method(childPath, object, fn, proxy)) ?? fn.bind(object);
      } else if (
        typeof value === "object" &&
        value !== null &&
        typeof prop === "string" &&
        plan.isResource(value)
      ) {
        exposed = proxyAt(value, joinPath(path, prop), plan, false);
      } else {
        return value; // plain data can change; never cache it
      }
      cache.set(prop, exposed);
      return exposed;
    },
    set(object, prop, value) {
      cache.delete(prop);
      return Reflect.set(object, prop, value, object);
    },
  });
  proxies.add(proxy);
  return proxy;
}

function joinPath(path: string, prop: string): string {
  return path ? `${path}.${prop}` : prop;
}
