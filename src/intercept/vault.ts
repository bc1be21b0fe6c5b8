import { randomBytes } from "node:crypto";

/**
 * Keys live in the transport (DESIGN 3). A wrapped client holds a placeholder where its key was; the metered
 * fetch swaps the placeholder for the key in the headers of each request it sends to the provider's own
 * origins, just before the request leaves. No object agent code can reach holds a key: this module's table is
 * the only place, and nothing exports it.
 */
interface Secret {
  /** The key, or a getter for one (the OS keychain, a token provider called once per request). */
  value: string | (() => string | Promise<string>);
  /** Origins (`https://api.openai.com`) the key may be sent to. */
  origins: Set<string>;
}

const secrets = new Map<string, Secret>();
const PREFIX = "sg-key-placeholder-";

/** A new placeholder standing for `value` on requests to `origins`. */
export function placeholderFor(value: Secret["value"], origins: Iterable<string>): string {
  const placeholder = `${PREFIX}${randomBytes(12).toString("hex")}`;
  secrets.set(placeholder, { value, origins: new Set(origins) });
  return placeholder;
}

/** Lets the key of a placeholder go to the origin of `baseURL` too (the client it was made for). */
export function allowOrigin(placeholder: string, baseURL: unknown): void {
  const secret = secrets.get(placeholder);
  if (secret && typeof baseURL === "string") secret.origins.add(originOf(baseURL));
}

export function isPlaceholder(value: unknown): boolean {
  return typeof value === "string" && value.startsWith(PREFIX);
}

/** Replaces a placeholder's key with another (a token provider answered with a new token). */
export function updateSecret(placeholder: string, value: string): void {
  const secret = secrets.get(placeholder);
  if (secret) secret.value = value;
}

export function originOf(url: string): string {
  const start = url.indexOf("://");
  if (start === -1) return "";
  const end = url.indexOf("/", start + 3);
  return end === -1 ? url : url.slice(0, end);
}

type HeadersInitLike = Headers | Record<string, string> | [string, string][] | undefined;

/** The headers the SDKs put credentials in (the only fields that ever hold a placeholder). */
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "api-key"];

/**
 * The request's headers with every placeholder replaced by its key, when the request goes to an origin the
 * key belongs to (a placeholder sent elsewhere is worthless). A `Headers` object (what the SDKs build afresh
 * for each attempt) is changed in place; other forms are copied. Returns undefined when nothing changed.
 */
export function revealKeys(
  url: string,
  headers: HeadersInitLike,
): Headers | undefined | Promise<Headers | undefined> {
  if (!headers) return undefined;
  let target: Headers | undefined;
  for (const name of CREDENTIAL_HEADERS) {
    const value = headerValue(headers, name);
    if (value === undefined || !value.includes(PREFIX)) continue;
    const origin = originOf(url);
    let revealed = value;
    for (const placeholder of placeholdersIn(value)) {
      const secret = secrets.get(placeholder);
      if (!secret?.origins.has(origin)) continue;
      // A key from a getter (the OS keychain): the one case that has to wait.
      if (typeof secret.value === "function") return revealLater(url, headers, secret.value);
      revealed = revealed.split(placeholder).join(secret.value);
    }
    if (revealed === value) continue;
    target ??= headers instanceof Headers ? headers : new Headers(headers as HeadersInit);
    target.set(name, revealed);
    // A request carries one credential: the other headers need no look-up (each costs a µs on undici's Headers).
    break;
  }
  return target;
}

/** Resolves a getter's key once, keeps it in the table, and reveals again. */
async function revealLater(
  url: string,
  headers: NonNullable<HeadersInitLike>,
  getter: () => string | Promise<string>,
): Promise<Headers | undefined> {
  const key = await getter();
  for (const secret of secrets.values()) if (secret.value === getter) secret.value = key;
  return revealKeys(url, headers);
}

function headerValue(headers: NonNullable<HeadersInitLike>, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (Array.isArray(headers)) return headers.find(([key]) => key.toLowerCase() === name)?.[1];
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return String(headers[key]);
  return undefined;
}

function placeholdersIn(value: string): string[] {
  const out: string[] = [];
  let at = value.indexOf(PREFIX);
  while (at !== -1) {
    out.push(value.slice(at, at + PREFIX.length + 24));
    at = value.indexOf(PREFIX, at + 1);
  }
  return out;
}
