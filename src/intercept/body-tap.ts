/**
 * Observes (and may rewrite) a response body while the SDK reads it. The body is passed through, not tee-d
 * or cloned: a tee keeps the connection open after the caller stops reading (research/PROVIDERS.md,
 * finding 5), while a pass-through forwards the caller's cancel to the network at once.
 */
export interface BodyTap {
  /** The bytes to hand on for this chunk: the chunk itself, rewritten bytes, or nothing. */
  chunk(bytes: Uint8Array): Uint8Array | undefined;
  /** The body ended normally; trailing bytes to hand on, if any. */
  end(): Uint8Array | undefined;
  /** The body failed (network error, abort) or the reader cancelled it. Called at most once, never after `end`. */
  stop(reason: "error" | "cancel", error?: unknown): void;
}

/**
 * Passes a streaming body through `tap`. Nothing is read ahead of the caller, so a caller that stops reading
 * stops the provider. The SDKs iterate `response.body` with `for await`: that path reads the source directly
 * (a pull-through web stream costs several promise hops per chunk); any other reader gets a real stream.
 */
export function tapResponse(response: Response, tap: BodyTap): Response {
  const source = response.body;
  if (!source) {
    tap.end();
    return response;
  }
  const reader = source.getReader();
  let finished = false;

  /** The next bytes to hand on, or undefined at the end. Rejects with the source's error. */
  const next = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (!finished) {
          finished = true;
          tap.stop("error", error);
        }
        throw error;
      }
      if (finished) return undefined;
      if (result.done) {
        finished = true;
        const tail = tap.end();
        return tail && tail.byteLength > 0 ? tail : undefined;
      }
      const out = tap.chunk(result.value);
      if (out && out.byteLength > 0) return out;
    }
  };
  const cancel = async (reason?: unknown) => {
    if (!finished) {
      finished = true;
      tap.stop("cancel", reason);
    }
    await reader.cancel(reason);
  };

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const bytes = await next();
          if (bytes) controller.enqueue(bytes);
          else controller.close();
        } catch (error) {
          controller.error(error);
        }
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
  let iterating = false;
  Object.defineProperty(body, Symbol.asyncIterator, {
    value: (): AsyncIterableIterator<Uint8Array> => {
      if (iterating) throw new TypeError("This response body is already being read");
      iterating = true;
      const iterator: AsyncIterableIterator<Uint8Array> = {
        async next() {
          const value = await next();
          return value ? { done: false, value } : { done: true, value: undefined };
        },
        async return() {
          await cancel();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  });
  return withBody(response, body);
}

/**
 * Reads a whole (small, JSON) body before handing the response on, so the call settles from its usage
 * whether or not anyone reads the result (an un-awaited call). The same response is handed on, answering
 * `text()`, `json()` and `body` from the text already read. A body that fails to arrive is handed on as a
 * body that fails when read: the SDK reports it as it would have, and does not retry it.
 */
export async function bufferText(
  response: Response,
): Promise<{ response: Response; text: string } | { response: Response; error: unknown }> {
  let text: string;
  try {
    text = await readText(response);
  } catch (error) {
    const failing = new ReadableStream<Uint8Array>({ start: (controller) => controller.error(error) });
    return { response: withBody(response, failing), error };
  }
  buffered.set(response, { text, used: false });
  Object.defineProperties(response, BUFFERED);
  return { response, text };
}

const buffered = new WeakMap<Response, { text: string; used: boolean; parsed?: unknown }>();

/**
 * Hands `json()` the value the meter already parsed from the buffered body, instead of parsing the text a
 * second time (the meter keeps no reference into it once it has read its usage).
 */
export function shareParsed(response: Response, parsed: unknown): void {
  const state = buffered.get(response);
  if (state) state.parsed = parsed;
}

function take(response: Response): string {
  const state = buffered.get(response);
  if (!state) throw new TypeError("Not a buffered response");
  if (state.used) throw new TypeError("Body is unusable: Body has already been read");
  state.used = true;
  return state.text;
}

/** Shared (per-call allocations are the main cost of a metered call): state lives in `buffered`. */
const BUFFERED: PropertyDescriptorMap = {
  bodyUsed: {
    get(this: Response) {
      return buffered.get(this)?.used ?? false;
    },
  },
  body: {
    get(this: Response) {
      return new Response(buffered.get(this)?.text ?? "").body;
    },
  },
  text: {
    value(this: Response) {
      return Promise.resolve().then(() => take(this));
    },
  },
  json: {
    value(this: Response) {
      return Promise.resolve().then(() => {
        const parsed = buffered.get(this)?.parsed;
        const text = take(this);
        return parsed === undefined ? JSON.parse(text) : parsed;
      });
    },
  },
  arrayBuffer: {
    value(this: Response) {
      return Promise.resolve().then(() => new TextEncoder().encode(take(this)).buffer);
    },
  },
  clone: {
    value(this: Response) {
      return new Response(buffered.get(this)?.text ?? "", this);
    },
  },
};

const utf8 = new TextDecoder();

/** The body as text, read chunk by chunk (measured faster than undici's `text()` for small bodies). */
async function readText(response: Response): Promise<string> {
  const body = response.body;
  if (!body) return "";
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  if (parts.length === 1 && parts[0]) return utf8.decode(parts[0]);
  return utf8.decode(Buffer.concat(parts));
}

/**
 * The same response object with another body behind every way of reading it. `clone()` (SDK middleware reads
 * a copy) tees the body: the connection then stays open until both copies are read or cancelled.
 */
function withBody(response: Response, source: ReadableStream<Uint8Array>): Response {
  let body = source;
  const read = () => new Response(body, response);
  Object.defineProperties(response, {
    body: { get: () => body },
    bodyUsed: { get: () => body.locked },
    text: { value: () => read().text() },
    json: { value: () => read().json() },
    arrayBuffer: { value: () => read().arrayBuffer() },
    clone: {
      value: () => {
        const [mine, theirs] = body.tee();
        body = mine;
        return new Response(theirs, response);
      },
    },
  });
  return response;
}
