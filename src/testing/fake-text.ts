/** Text splitting shared by the fake provider routes: how replies are cut into stream deltas and tokens. */

/** Words with their leading whitespace, so that joining the pieces gives the text back. */
export function splitWords(text: string): string[] {
  const words: string[] = text.match(/\s*\S+/g) ?? [];
  const rest = text.slice(words.join("").length);
  if (rest !== "") {
    if (words.length > 0) words[words.length - 1] += rest;
    else words.push(rest);
  }
  return words;
}

export function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/** `count` pieces of nearly equal length (fewer when the text is shorter than `count`). */
export function splitInto(text: string, count: number): string[] {
  const parts = Math.max(1, Math.min(Math.floor(count), text.length));
  const pieces: string[] = [];
  for (let index = 0; index < parts; index += 1) {
    const start = Math.floor((index * text.length) / parts);
    const end = Math.floor(((index + 1) * text.length) / parts);
    pieces.push(text.slice(start, end));
  }
  return pieces.filter((piece) => piece !== "");
}

/** Split bytes into `count` nearly equal pieces (at least one, never empty unless the input is). */
export function splitBytes(bytes: Uint8Array, count: number): Uint8Array[] {
  const parts = Math.max(1, Math.min(Math.floor(count), bytes.length));
  const pieces: Uint8Array[] = [];
  for (let index = 0; index < parts; index += 1) {
    const start = Math.floor((index * bytes.length) / parts);
    const end = Math.floor(((index + 1) * bytes.length) / parts);
    pieces.push(bytes.subarray(start, end));
  }
  return pieces;
}
