/**
 * Spearman rank correlation as R's `cor(x, y, method = "spearman")`: Pearson's correlation of the
 * average ranks (ties share the mean of the ranks they span), not the no-ties shortcut
 * `1 - 6 sum d^2 / (n (n^2 - 1))`, which is wrong when ties are present.
 *
 * Pairs with a NaN in either vector are dropped first (R's `use = "complete.obs"`), because lot
 * readouts are often missing for some lots.
 */
import { rankWithTies } from './rankWithTies.js';

/**
 * Pearson correlation of two equal-length Float64 vectors (the kernel of {@link spearman}).
 * Two-pass (means first) for accuracy; NaN when either vector is constant, as R returns NA.
 */
export function pearsonKernel(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let t = 0; t < n; t++) {
    mx += x[t];
    my += y[t];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let t = 0; t < n; t++) {
    const dx = x[t] - mx;
    const dy = y[t] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  // Rounding can push |r| a hair above 1 for perfectly (anti)monotone data.
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/**
 * Average ranks of `values` centred on their mean ((n + 1) / 2), the representation the
 * permutation tests work with: rho is then a dot product divided by the two norms.
 */
export function centeredRanks(values: Float64Array, out?: Float64Array): Float64Array {
  const n = values.length;
  const { ranks } = rankWithTies(values);
  const res = out ?? new Float64Array(n);
  const mid = (n + 1) / 2;
  for (let t = 0; t < n; t++) res[t] = ranks[t] - mid;
  return res;
}

/**
 * Spearman's rho of `x` and `y` over the pairs where both are finite numbers.
 *
 * @param x first variable (e.g. one cluster's fraction per lot)
 * @param y second variable (e.g. a readout per lot; NaN = missing)
 * @returns rho in [-1, 1], or NaN with fewer than 2 complete pairs or a constant variable
 * @example
 * spearman([1, 2, 2, 3], [1, 3, 2, 4]); // 0.9486833 (ties averaged, as R)
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`spearman: lengths differ (${x.length} vs ${y.length})`);
  let n = 0;
  for (let t = 0; t < x.length; t++) if (!Number.isNaN(x[t]) && !Number.isNaN(y[t])) n++;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let u = 0;
  for (let t = 0; t < x.length; t++) {
    if (Number.isNaN(x[t]) || Number.isNaN(y[t])) continue;
    xs[u] = x[t];
    ys[u] = y[t];
    u++;
  }
  if (n < 2) return NaN;
  return pearsonKernel(rankWithTies(xs).ranks, rankWithTies(ys).ranks);
}
