/** An aligned text table: a header, a rule, rows; columns in `rightAligned` (numbers) padded on the left. */
export function table(header: string[], rows: (string | number)[][], rightAligned: Set<number>): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => fmt(r.map(String)))];
}

/** Unix ms as `2026-12-01 20:51:03` (UTC). */
export function utcTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15
    ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
    : String(ms);
}
