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

/**
 * The request's headers with every placeholder replaced by its key, when the request goes to an origin the
 * key belongs to; the headers as they are otherwise (a placeholder sent elsewhere is worthless). Returns
 * undefined when nothing had to change.
 */
export async function revealKeys(url: string, headers: HeadersInitLike): Promise<Headers | undefined> {
  if (!headers) return undefined;
  const found: [string, string][] = [];
  const visit = (name: string, value: string) => {
    if (value.includes(PREFIX)) found.push([name, value]);
  };
  if (headers instanceof Headers)
    headers.forEach((value, name) => {
      visit(name, value);
    });
  else if (Array.isArray(headers)) for (const [name, value] of headers) visit(name, value);
  else for (const name of Object.keys(headers)) visit(name, String(headers[name]));
  if (found.length === 0) return undefined;
  const origin = originOf(url);
  const out = new Headers(headers as HeadersInit);
  for (const [name, value] of found) {
    let revealed = value;
    for (const placeholder of placeholdersIn(value)) {
      const secret = secrets.get(placeholder);
      if (!secret?.origins.has(origin)) continue;
      const key = typeof secret.value === "function" ? await secret.value() : secret.value;
      revealed = revealed.split(placeholder).join(key);
    }
    out.set(name, revealed);
  }
  return out;
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
