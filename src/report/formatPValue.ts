/**
 * P-value formatting: 3 significant digits, scientific below 1e-3 (`4.56e-7`), so small p-values
 * stay comparable at a glance and never round to a misleading `0.000`.
 */

/**
 * Formats a p-value (or adjusted p-value / q-value).
 * @param p The p-value; values outside [0, 1] are shown as they are, `NaN` as `NA`.
 * @example formatPValue(0.04321) // '0.0432';  formatPValue(1.234e-8) // '1.23e-8';  formatPValue(1) // '1'
 */
export function formatPValue(p: number): string {
  if (Number.isNaN(p)) return 'NA';
  if (p === 0) return '0';
  if (!Number.isFinite(p)) return p > 0 ? 'Inf' : '-Inf';
  const a = Math.abs(p);
  if (a < 1e-3) return p.toExponential(2).replace('e+', 'e');
  if (p === 1) return '1';
  // Number() drops trailing zeros of toPrecision ('0.0500' -> 0.05) so 0.05 reads as 0.05.
  return String(Number(p.toPrecision(3)));
}
