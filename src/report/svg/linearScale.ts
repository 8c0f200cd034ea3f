/** Linear map from a data domain to a pixel range (d3-scale's scaleLinear, without clamping). */

/**
 * Returns `v -> r0 + (v - d0) / (d1 - d0) * (r1 - r0)`. A zero-width domain (one lot, one
 * distinct value) maps every value to the middle of the range instead of dividing by zero.
 * @param d0 Domain start.
 * @param d1 Domain end.
 * @param r0 Range start (pixels).
 * @param r1 Range end (pixels; may be less than `r0`, e.g. for y axes pointing up).
 * @example const sx = linearScale(0, 1, 40, 440); sx(0.5) // 240
 */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  if (!(Math.abs(span) > 0) || !Number.isFinite(span)) {
    const mid = (r0 + r1) / 2;
    return () => mid;
  }
  const k = (r1 - r0) / span;
  return (v: number) => r0 + (v - d0) * k;
}
