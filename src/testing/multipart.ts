/**
 * A small multipart/form-data reader for the fake providers: enough for what the SDKs send (text fields and
 * file parts, one level, no nested multipart), built on Buffer alone.
 */

export interface FakeMultipartFile {
  /** The form field name, e.g. `file`, `image` or `image[]`. */
  name: string;
  filename: string;
  /** The part's Content-Type (`application/octet-stream` when the client sent none). */
  contentType: string;
  /** Byte length of the file. */
  size: number;
  data: Buffer;
}

export interface FakeMultipartBody {
  /**
   * Text fields by name. A name ending in `[]` (the SDKs' arrays) or sent more than once maps to an array of
   * values; any other name to its value.
   */
  fields: Record<string, string | string[]>;
  /** File parts in the order they arrived. */
  files: FakeMultipartFile[];
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** `undefined` when the content type has no boundary or the body holds no delimiter. */
export function parseMultipart(body: Buffer, contentType: string): FakeMultipartBody | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const value = boundary?.[1] ?? boundary?.[2];
  if (!value) return undefined;
  const delimiter = Buffer.from(`--${value}`);

  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  const fields: Record<string, string | string[]> = {};
  const files: FakeMultipartFile[] = [];

  while (position >= 0) {
    const afterDelimiter = position + delimiter.length;
    // `--boundary--` closes the body.
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString("latin1") === "--") break;
    const partStart = afterDelimiter + CRLF.length;
    const next = body.indexOf(delimiter, partStart);
    if (next < 0) break;
    // The CRLF before the next delimiter belongs to the delimiter, not to the part.
    const part = body.subarray(partStart, Math.max(partStart, next - CRLF.length));
    position = next;

    const headerEnd = part.indexOf(HEADER_END);
    if (headerEnd < 0) continue;
    const headers = parseHeaders(part.subarray(0, headerEnd).toString("utf8"));
    const content = part.subarray(headerEnd + HEADER_END.length);
    const disposition = headers["content-disposition"] ?? "";
    const name = dispositionParam(disposition, "name");
    if (name === undefined) continue;
    const filename = dispositionParam(disposition, "filename");

    if (filename !== undefined) {
      files.push({
        name,
        filename,
        contentType: headers["content-type"] ?? "application/octet-stream",
        size: content.length,
        data: Buffer.from(content),
      });
      continue;
    }
    const text = content.toString("utf8");
    const previous = fields[name];
    if (Array.isArray(previous)) previous.push(text);
    else if (previous !== undefined) fields[name] = [previous, text];
    else fields[name] = name.endsWith("[]") ? [text] : text;
  }
  return { fields, files };
}

/** The multipart body of a recorded request, or `undefined` when the request was not multipart. */
export function asMultipart(body: unknown): FakeMultipartBody | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const candidate = body as Partial<FakeMultipartBody>;
  return typeof candidate.fields === "object" && Array.isArray(candidate.files)
    ? (candidate as FakeMultipartBody)
    : undefined;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function dispositionParam(disposition: string, param: "name" | "filename"): string | undefined {
  // `name=` must not match inside `filename=`.
  const match = new RegExp(`(?:^|;)\\s*${param}="([^"]*)"`, "i").exec(disposition);
  // Clients percent-encode quotes and line breaks inside these values.
  return match?.[1]?.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
}
