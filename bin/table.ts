/** The CLI's tables: a title line, then aligned columns (header and rows), or the title alone when there are no rows. */
export function renderTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return title;
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [title, line(header), ...rows.map(line)].join('\n');
}
