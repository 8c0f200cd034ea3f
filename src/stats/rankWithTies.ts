/**
 * Average ranks with ties, as R's `rank(x, ties.method = "average", na.last = "keep")`, plus the
 * tie-correction term sum(t^3 - t) over tie groups of size t used by the Wilcoxon/Mann-Whitney
 * and Spearman variance formulas.
 *
 * Method: sort a copy natively (typed-array sort, no comparator), give each run of equal values
 * the mean of the positions it spans, then find each input value's run by binary search. That
 * is O(n log n) without per-element closures or index objects.
 */

/** Result of {@link rankWithTies}. */
export interface RankResult {
  /** 1-based average ranks, in input order; NaN where the input is NaN. */
  readonly ranks: Float64Array;
  /** sum over tie groups of (t^3 - t), where t is the group size (0 when all values differ). */
  readonly tieSum: number;
}

/** First index in sorted[0, n) whose value is >= v (sorted ascending, no NaN). */
export function lowerBound(sorted: Float64Array | Float32Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Average 1-based ranks of the values of an ascending array with their tie term: `rankAt[t]` is
 * the rank of every element equal to `sorted[t]`. Kernel shared with the marker tests.
 *
 * @param sorted ascending values without NaN.
 * @param n number of leading entries of `sorted` to use.
 * @param rankAt output, length >= n.
 * @returns sum of (t^3 - t) over tie groups.
 */
export function averageRanksOfSorted(sorted: Float64Array | Float32Array, n: number, rankAt: Float64Array): number {
  let tieSum = 0;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && sorted[end] === sorted[start]) end++;
    // Positions start..end-1 hold ranks start+1..end; their mean is (start + 1 + end) / 2.
    const r = (start + 1 + end) / 2;
    for (let t = start; t < end; t++) rankAt[t] = r;
    const size = end - start;
    if (size > 1) tieSum += size * size * size - size;
    start = end;
  }
  return tieSum;
}

/**
 * Average ranks of `values` (ties share the mean of the ranks they span) and the tie term.
 * NaN values get rank NaN and are left out of the ranking (R's `na.last = "keep"`).
 *
 * @param values the data; not modified.
 * @param out optional buffer for the ranks (length >= values.length), returned as `ranks`.
 * @example
 * rankWithTies(Float64Array.of(10, 20, 20, 5)); // ranks [2, 3.5, 3.5, 1], tieSum 6
 */
export function rankWithTies(values: Float64Array, out?: Float64Array): RankResult {
  const n = values.length;
  const ranks = out ?? new Float64Array(n);
  const sorted = new Float64Array(n);
  let m = 0;
  for (let t = 0; t < n; t++) if (!Number.isNaN(values[t])) sorted[m++] = values[t];
  const used = sorted.subarray(0, m);
  used.sort();
  const rankAt = new Float64Array(m);
  const tieSum = averageRanksOfSorted(used, m, rankAt);
  for (let t = 0; t < n; t++) {
    const v = values[t];
    ranks[t] = Number.isNaN(v) ? NaN : rankAt[lowerBound(used, m, v)];
  }
  return { ranks, tieSum };
}
