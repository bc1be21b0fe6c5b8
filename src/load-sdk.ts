import { createRequire } from "node:module";

/**
 * An SDK's client class or factory, loaded only when a one-line factory (`BudgetedSession.openai()` …) needs
 * it: the SDKs are optional peers, so importing spendguard never loads one.
 */
export function loadSdk<T>(packageName: string, exportNames: readonly string[], factory: string): T {
  let loaded: Record<string, unknown>;
  try {
    loaded = createRequire(import.meta.url)(packageName) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${factory} needs the \`${packageName}\` package: npm install ${packageName}`, {
      cause: error,
    });
  }
  for (const name of exportNames) {
    if (typeof loaded[name] === "function") return loaded[name] as T;
  }
  throw new Error(`The installed \`${packageName}\` package exports none of ${exportNames.join(", ")}`);
}
