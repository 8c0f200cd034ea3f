/**
 * Number formatting for tables and annotations. Written by hand rather than with
 * `toLocaleString`, whose output depends on the machine's locale and ICU data: the report must be
 * byte-identical for the same data on any machine.
 */

/** Inserts `,` every three digits into the integer part of a plain decimal string. */
function groupThousands(digits: string): string {
  const neg = digits.startsWith('-');
  const body = neg ? digits.slice(1) : digits;
  const dot = body.indexOf('.');
  const int = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? '' : body.slice(dot);
  let out = '';
  for (let c = 0; c < int.length; c++) {
    if (c > 0 && (int.length - c) % 3 === 0) out += ',';
    out += int[c];
  }
  return (neg ? '-' : '') + out + frac;
}

/** Shortens a JS exponent form `1.23e-7` / `1.23e+7` to `1.23e-7` / `1.23e7`. */
function tidyExponent(s: string): string {
  return s.replace('e+', 'e');
}

/**
 * Formats a number for display: integers exactly with thousands separators (`12,345`), other
 * values with `digits` significant digits (whole numbers from 10^(digits-1) up), in scientific form when `|v| < 1e-3` or `|v| >= 1e6`.
 * `NaN` shows as `NA`, infinities as `Inf`/`-Inf`.
 * @param v The value.
 * @param digits Significant digits for non-integers (default 3).
 * @example formatNumber(3000) // '3,000';  formatNumber(0.123456) // '0.123';  formatNumber(2.5e-5) // '2.50e-5'
 */
export function formatNumber(v: number, digits = 3): string {
  if (Number.isNaN(v)) return 'NA';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  if (Object.is(v, -0)) v = 0;
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return groupThousands(String(v));
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return tidyExponent(v.toExponential(digits - 1));
  // From 10^(digits-1) up, whole numbers already carry the wanted precision (toPrecision would
  // switch to exponent form at 10^digits); below it toPrecision stays in fixed notation.
  if (a >= Math.pow(10, digits - 1)) return groupThousands(v.toFixed(0));
  return v.toPrecision(digits);
}
