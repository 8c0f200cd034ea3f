/**
 * Coordinate formatting for SVG output. One decimal (0.1 px) is below what a screen or a printed
 * page resolves, and it keeps a 50k-point scatter path small and the output byte-stable.
 */

/**
 * Formats a coordinate rounded to 0.1 with no trailing `.0` and no `-0`.
 * @param v A finite coordinate in SVG user units.
 * @example coord(12.345) // '12.3';  coord(4) // '4';  coord(-0.04) // '0'
 */
export function coord(v: number): string {
  const r = Math.round(v * 10) / 10;
  return r === 0 ? '0' : String(r);
}
