/** Plain-text tables and bars for the terminal. */

/** `$5.00`, `$0.625`, `$0.0131`, `$0.000075`: up to 6 decimals, at least 2, no trailing zeros beyond them. */
export function usd(value: number): string {
  const fixed = value.toFixed(6).replace(/0+$/, "");
  const [whole, fraction = ""] = fixed.split(".");
  return `$${whole}.${fraction.padEnd(2, "0")}`;
}

export function bar(percent: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${percent.toFixed(1)}%`;
}

/** Columns left-aligned, numbers (cells starting with $ or a digit) right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => /^[-$\d]/.test(row[column] ?? "")),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

export function time(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}
