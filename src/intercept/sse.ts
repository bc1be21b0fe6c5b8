/** A server-sent event frame: its raw text (terminator included), event name and joined data lines. */
export interface SseFrame {
  raw: string;
  event: string | undefined;
  data: string;
}

/**
 * Splits decoded SSE text into complete frames as chunks arrive; an incomplete frame waits for the next
 * chunk. Handles `\n\n`, `\r\n\r\n` and `\r\r` terminators.
 */
export function createSseSplitter(): { push(text: string): SseFrame[]; rest(): string } {
  let buffer = "";
  const terminator = /\r\n\r\n|\n\n|\r\r/g;
  return {
    push(text) {
      buffer += text;
      const frames: SseFrame[] = [];
      let start = 0;
      terminator.lastIndex = 0;
      for (let match = terminator.exec(buffer); match; match = terminator.exec(buffer)) {
        const end = match.index + match[0].length;
        frames.push(parseFrame(buffer.slice(start, end)));
        start = end;
      }
      buffer = buffer.slice(start);
      return frames;
    },
    rest() {
      return buffer;
    },
  };
}

function parseFrame(raw: string): SseFrame {
  let event: string | undefined;
  let data: string | undefined;
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (line.startsWith("data:")) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === undefined ? value : `${data}\n${value}`;
    } else if (line.startsWith("event:")) {
      event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
    }
  }
  return { raw, event, data: data ?? "" };
}

/** Every frame of a whole SSE text, a last frame without its blank line included. */
export function splitSse(text: string): SseFrame[] {
  const splitter = createSseSplitter();
  const frames = splitter.push(text);
  if (splitter.rest().trim() !== "") frames.push(...splitter.push("\n\n"));
  return frames;
}
