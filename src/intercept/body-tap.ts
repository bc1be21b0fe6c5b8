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

export function tapResponse(response: Response, tap: BodyTap): Response {
  const source = response.body;
  if (!source) {
    tap.end();
    return response;
  }
  const reader = source.getReader();
  let stopped = false;
  const stop = (reason: "error" | "cancel", error?: unknown) => {
    if (stopped) return;
    stopped = true;
    tap.stop(reason, error);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) {
              stopped = true;
              const tail = tap.end();
              if (tail && tail.byteLength > 0) controller.enqueue(tail);
              controller.close();
              return;
            }
            const out = tap.chunk(value);
            if (out && out.byteLength > 0) {
              controller.enqueue(out);
              return;
            }
          }
        } catch (error) {
          stop("error", error);
          controller.error(error);
        }
      },
      async cancel(reason) {
        stop("cancel", reason);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const tapped = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // The SDK logs `response.url`; a constructed Response has none.
  Object.defineProperty(tapped, "url", { value: response.url });
  return tapped;
}
