/**
 * The body of a paid request as it goes on the wire (DESIGN 3: the wire is the truth): read into the params
 * the provider will see, and written back after the rules' rewrites and strict mode's injected limit.
 */
export type WireBody =
  | { kind: "json"; text: string; params: Record<string, unknown> }
  | { kind: "form"; form: FormData; params: Record<string, unknown> }
  | { kind: "unreadable"; what: string };

const decoder = new TextDecoder();

/**
 * Multipart fields are strings on the wire; the plans read these as numbers or booleans. Any other field
 * (a prompt that happens to be `"42"`) stays a string.
 */
const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  "n",
  "partial_images",
  "output_compression",
  "temperature",
  "speed",
]);
const BOOLEAN_FIELDS: ReadonlySet<string> = new Set(["stream"]);

export function readWireBody(body: unknown): WireBody {
  if (typeof body === "string") return jsonBody(body);
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    return jsonBody(decoder.decode(body as Uint8Array | ArrayBuffer));
  }
  if (body instanceof FormData) return { kind: "form", form: body, params: formParams(body) };
  if (body instanceof URLSearchParams) return jsonBody(JSON.stringify(Object.fromEntries(body)));
  if (body === undefined || body === null) return { kind: "unreadable", what: "no body" };
  return { kind: "unreadable", what: `a ${describe(body)} body` };
}

function jsonBody(text: string): WireBody {
  let params: unknown;
  try {
    params = JSON.parse(text);
  } catch {
    return { kind: "unreadable", what: "a body that is not JSON" };
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    return { kind: "unreadable", what: "a JSON body that is not an object" };
  }
  return { kind: "json", text, params: params as Record<string, unknown> };
}

function formParams(form: FormData): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  form.forEach((value, rawName) => {
    const isList = rawName.endsWith("[]");
    const name = isList ? rawName.slice(0, -2) : rawName;
    const parsed = typeof value === "string" ? fieldValue(name, value) : value;
    const previous = params[name];
    if (previous === undefined) params[name] = isList ? [parsed] : parsed;
    else if (Array.isArray(previous)) previous.push(parsed);
    else params[name] = [previous, parsed];
  });
  return params;
}

function fieldValue(name: string, value: string): unknown {
  if (NUMERIC_FIELDS.has(name) && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  if (BOOLEAN_FIELDS.has(name) && (value === "true" || value === "false")) return value === "true";
  return value;
}

/**
 * The body to send for `params`: the original bytes when nothing changed; for JSON, the original text with
 * added top-level fields spliced in before its closing brace (no second stringify of a large prompt) or a new
 * text when a field changed; for a form, a copy with the changed scalar fields set.
 */
export function writeWireBody(body: WireBody, params: unknown): string | FormData | undefined {
  if (body.kind === "unreadable") return undefined;
  if (params === body.params) return body.kind === "json" ? body.text : body.form;
  const next = params as Record<string, unknown>;
  if (body.kind === "json") return spliceJson(body.text, body.params, next);
  const form = new FormData();
  body.form.forEach((value, name) => {
    form.append(name, value);
  });
  for (const name of Object.keys(next)) {
    const value = next[name];
    if (value === body.params[name] || value === undefined || typeof value === "object") continue;
    form.set(name, String(value));
  }
  return form;
}

function spliceJson(text: string, before: Record<string, unknown>, after: Record<string, unknown>): string {
  let added = "";
  for (const name of Object.keys(after)) {
    const value = after[name];
    if (value === before[name]) continue;
    if (name in before || value === undefined) return JSON.stringify(after);
    added += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
  }
  for (const name of Object.keys(before)) if (!(name in after)) return JSON.stringify(after);
  if (!added) return text;
  const end = text.lastIndexOf("}");
  const empty = text.slice(0, end).trim() === "{";
  return `${text.slice(0, end)}${empty ? added.slice(1) : added}${text.slice(end)}`;
}

function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  return (value as object).constructor?.name ?? "object";
}
