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
