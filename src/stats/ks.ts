/**
 * Kolmogorov-Smirnov distance of a sample from the uniform distribution on [0, 1], used to check
 * that null p-values are calibrated: D = max_i max(i / N - p_(i), p_(i) - (i - 1) / N) over the
 * sorted sample. At level alpha the asymptotic critical value is c(alpha) / sqrt(N), with
 * c(0.05) = 1.358 and c(0.01) = 1.628 (Kolmogorov's limiting distribution).
 */

/**
 * KS distance between the empirical distribution of `p` (NaN entries ignored) and Uniform(0, 1).
 *
 * @param p values in [0, 1], e.g. null p-values
 * @example
 * ksUniformDistance(Float64Array.of(0.1, 0.5, 0.9)); // 0.2333...
 */
export function ksUniformDistance(p: ArrayLike<number>): number {
  let m = 0;
  for (let t = 0; t < p.length; t++) if (!Number.isNaN(p[t])) m++;
  const s = new Float64Array(m);
  let u = 0;
  for (let t = 0; t < p.length; t++) if (!Number.isNaN(p[t])) s[u++] = p[t];
  s.sort();
  let d = 0;
  for (let i = 0; i < m; i++) {
    const above = (i + 1) / m - s[i];
    const below = s[i] - i / m;
    if (above > d) d = above;
    if (below > d) d = below;
  }
  return d;
}

/**
 * One-sided KS distance D+ = max_i (i / N - p_(i)): how far the empirical distribution of `p`
 * (NaN ignored) rises above the uniform one, i.e. the excess of small p-values. A valid test has
 * P(p <= t) <= t for every t, so D+ is the calibration check; the two-sided distance also counts
 * conservative departures, which discrete permutation p-values (Spearman over ~10 lots takes few
 * values) show even for exact tests. One-sided critical value at level alpha:
 * sqrt(ln(1 / alpha) / 2) / sqrt(N) (1.517 / sqrt(N) at 1%).
 *
 * @param p values in [0, 1], e.g. null p-values
 * @example
 * ksExcessSmallP(Float64Array.of(0.1, 0.5, 0.9)); // 0.2333...
 */
export function ksExcessSmallP(p: ArrayLike<number>): number {
  const s = Float64Array.from(Array.prototype.filter.call(p, (x: number) => !Number.isNaN(x)) as number[]).sort();
  let d = 0;
  for (let i = 0; i < s.length; i++) d = Math.max(d, (i + 1) / s.length - s[i]);
  return d;
}
