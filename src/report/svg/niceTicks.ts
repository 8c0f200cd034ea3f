/**
 * Axis ticks at "nice" round values (steps of 1, 2 or 5 times a power of ten), after the
 * classic Heckbert (Graphics Gems, 1990) labelling used by d3-array `ticks`.
 */

/**
 * Round tick values covering `[lo, hi]`, about `count` of them, plus the nice bounds that enclose
 * the data (use them as the axis domain so the first and last ticks sit on the axis ends).
 * @param lo Smallest data value (finite).
 * @param hi Largest data value (finite, >= lo).
 * @param count Approximate number of intervals wanted (default 5).
 * @returns `{ ticks, lo, hi }` with `lo <= data <= hi`; a zero-width input is widened by 1 step.
 * @example niceTicks(0.03, 0.87) // { ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], lo: 0, hi: 1 }
 */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; lo: number; hi: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [0, 1], lo: 0, hi: 1 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    // One distinct value: centre it in a unit-wide (or value-scaled) interval.
    const w = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= w;
    hi += w;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  // Multiply an integer index by the step (rather than accumulate) so 0.1 * 3 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let t = first; t <= last; t++) ticks.push(Number((t * step).toFixed(decimals)));
  return { ticks, lo: ticks[0], hi: ticks[ticks.length - 1] };
}
