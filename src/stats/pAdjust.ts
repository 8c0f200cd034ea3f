/**
 * Multiple-testing adjustment of p-values, as R's `p.adjust`: Benjamini-Hochberg (`"BH"`, false
 * discovery rate) and Bonferroni. NaN entries (R's NA) stay NaN and do not count towards n.
 */

/**
 * Benjamini-Hochberg adjusted p-values, equal to R's `p.adjust(p, method = "BH")`:
 * with the m non-NaN p-values sorted ascending, p_adj(i) = min(1, min_{k >= i} m p(k) / k),
 * returned in input order. Tied p-values get the same adjusted value.
 *
 * @param p raw p-values (NaN = missing); not modified.
 * @returns a new array of adjusted p-values, NaN where `p` is NaN.
 * @example
 * pAdjustBH(Float64Array.of(0.01, 0.04, 0.03, 0.005)); // [0.02, 0.04, 0.04, 0.02]
 */
export function pAdjustBH(p: Float64Array): Float64Array {
  const n = p.length;
  const out = new Float64Array(n).fill(NaN);
  // Sort the indices of the non-NaN entries by p. Packing (p, index) into one sortable number is
  // not possible for doubles, so this one sort uses a comparator; it runs once per table, not per
  // gene and cell.
  let m = 0;
  for (let t = 0; t < n; t++) if (!Number.isNaN(p[t])) m++;
  const order = new Int32Array(m);
  let u = 0;
  for (let t = 0; t < n; t++) if (!Number.isNaN(p[t])) order[u++] = t;
  order.sort((a, b) => p[a] - p[b]);
  // Walk from the largest p down, keeping the running minimum of m p / rank (R's cummin over the
  // decreasing order).
  let running = Infinity;
  for (let r = m; r >= 1; r--) {
    const t = order[r - 1];
    const v = (m / r) * p[t];
    if (v < running) running = v;
    out[t] = running < 1 ? running : 1;
  }
  return out;
}

/**
 * Bonferroni adjusted p-values, R's `p.adjust(p, method = "bonferroni", n)`: min(1, n p).
 * Seurat's `p_val_adj` uses n = number of genes in the object, not the number tested.
 *
 * @param p raw p-values (NaN = missing); not modified.
 * @param n number of tests; default = number of non-NaN entries of `p` (must be >= that count, as R requires).
 * @returns a new array, NaN where `p` is NaN.
 */
export function pAdjustBonferroni(p: Float64Array, n?: number): Float64Array {
  let m = 0;
  for (let t = 0; t < p.length; t++) if (!Number.isNaN(p[t])) m++;
  const count = n ?? m;
  if (!(count >= m)) throw new Error(`pAdjustBonferroni: n (${count}) must be >= the number of non-NaN p-values (${m})`);
  const out = new Float64Array(p.length);
  for (let t = 0; t < p.length; t++) {
    const v = count * p[t];
    out[t] = Number.isNaN(v) ? NaN : v < 1 ? v : 1;
  }
  return out;
}
