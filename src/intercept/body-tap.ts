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
 * `eager` reads the whole body as soon as it arrives, whether or not the SDK reads it (JSON bodies: a call
 * nobody awaits is still settled from its usage). Streams stay lazy: nothing is read ahead of the caller, so
 * a caller that stops reading stops the provider.
 */
export function tapResponse(response: Response, tap: BodyTap, options: { eager?: boolean } = {}): Response {
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
  /** Reads once from the source and hands on what the tap returns. */
  const step = async (
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<"handed-on" | "nothing" | "finished"> => {
    try {
      const { done, value } = await reader.read();
      if (stopped) return "finished";
      if (done) {
        stopped = true;
        const tail = tap.end();
        if (tail && tail.byteLength > 0) controller.enqueue(tail);
        controller.close();
        return "finished";
      }
      const out = tap.chunk(value);
      if (!out || out.byteLength === 0) return "nothing";
      controller.enqueue(out);
      return "handed-on";
    } catch (error) {
      if (stopped) return "finished";
      stop("error", error);
      controller.error(error);
      return "finished";
    }
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!options.eager) return;
        void (async () => {
          while ((await step(controller)) !== "finished") {
            // keep reading: nothing waits for the consumer
          }
        })();
      },
      async pull(controller) {
        if (options.eager) return;
        // A chunk may produce no output (a hidden frame). The stream does not call pull again for a read
        // that is still waiting, so read on until something is handed on.
        while ((await step(controller)) === "nothing") {
          // nothing handed on yet
        }
      },
      async cancel(reason) {
        stop("cancel", reason);
        await reader.cancel(reason);
      },
    },
    options.eager ? undefined : { highWaterMark: 0 },
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
