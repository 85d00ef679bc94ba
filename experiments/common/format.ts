/**
 * Plain-text rendering helpers for the CLI's human-readable output.
 * @category Common
 */

/**
 * Render rows as an aligned text table; numeric cells are right-aligned. Hand-written rather
 * than a table package (cli-table3, text-table): a dozen lines, plain ASCII output that tests
 * and scripts can read, no box-drawing or colour codes to strip, no dependency to keep.
 */
export const table = (header: readonly string[], rows: readonly (readonly (string | number)[])[]): string => {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: readonly (string | number)[]) =>
    r
      .map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
};

/** en-US formatters of integers and of up to 3 decimals, made at first use (toLocaleString made one per call: 27 ms of a one-run command). */
let formats: { readonly integers: Intl.NumberFormat; readonly decimals: Intl.NumberFormat } | undefined;

/** A number with thousands separators (integers) or 3 significant decimals. */
export const formatNumber = (n: number): string => {
  formats ??= { integers: new Intl.NumberFormat('en-US'), decimals: new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 }) };
  return Number.isInteger(n) ? formats.integers.format(n) : formats.decimals.format(n);
};

/** 0x-prefixed 8-digit hex of a 32-bit value. */
export const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** A duration in seconds as a rounded figure in s, min or h. */
export const formatDuration = (seconds: number): string =>
  seconds < 90 ? `${Math.round(seconds)} s` : seconds < 90 * 60 ? `${Math.round(seconds / 60)} min` : `${formatNumber(Math.round(seconds / 360) / 10)} h`;
