/**
 * Permutation p-values for rank correlations with few lots.
 *
 * With n lots the null distribution of Spearman's rho is the distribution of the correlation
 * between x's ranks and a uniformly permuted copy of y's ranks. For n <= `exactMaxN` (8 by
 * default: 8! = 40,320) every permutation is enumerated and p is the exact proportion of
 * permutations with |rho*| >= |rho| (the identity is one of them, so p >= 1/n!). Above that, B
 * seeded random permutations give the Monte Carlo estimate p = (1 + #{|rho*| >= |rho|}) / (1 + B)
 * (Phipson & Smyth 2010, Stat Appl Genet Mol Biol 9:39), which is never 0 and is a valid p-value.
 *
 * Speed: ranks are centred once, so rho = <cx, cy> / (|cx| |cy|) and, because a permutation does
 * not change |cy|, comparing |<cx, cy_perm>| with |<cx, cy>| is one dot product per permutation.
 * The permuted orders are drawn once and shared by every test against the same readout (all
 * clusters, all genes), so the per-test cost is a (tests x n) by (n x B) product.
 */
import type { Rng } from '../core/rng.js';

/** Parameters of {@link drawPermutations}. */
export interface PermutationParams {
  /** Monte Carlo permutations when n > `exactMaxN`. @default 100000 */
  nPermutations: number;
  /** Enumerate all n! permutations when n <= this (at most 10: 10! = 3.6M). @default 8 */
  exactMaxN: number;
}

/** Defaults of {@link PermutationParams}. */
export const PERMUTATION_DEFAULTS: PermutationParams = { nPermutations: 100_000, exactMaxN: 8 };

/** A set of permuted orders of n items, shared across tests. */
export interface PermutationSet {
  /** Items permuted (lots). */
  readonly n: number;
  /** Number of stored permutations (n! when exact, else B). */
  readonly count: number;
  /** True when `order` holds all n! permutations (exact test). */
  readonly exact: boolean;
  /** Row-major count x n: row b is the b-th permutation of 0..n-1. Uint8 when n <= 256 to save memory. */
  readonly order: Uint8Array | Int32Array;
}

/**
 * All permutations of n items when n <= `exactMaxN`, otherwise `nPermutations` Fisher-Yates
 * shuffles drawn from `rng`.
 *
 * @param n number of items (lots), >= 1
 * @param p permutation parameters
 * @param rng seeded stream (only used for Monte Carlo)
 */
export function drawPermutations(n: number, p: PermutationParams, rng: Rng): PermutationSet {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`drawPermutations: n must be a positive integer, got ${n}`);
  if (p.exactMaxN > 10) throw new Error(`drawPermutations: exactMaxN must be <= 10, got ${p.exactMaxN}`);
  const small = n <= 256;
  if (n <= p.exactMaxN) {
    let count = 1;
    for (let t = 2; t <= n; t++) count *= t;
    const order = small ? new Uint8Array(count * n) : new Int32Array(count * n);
    // Heap's algorithm (iterative form, Sedgewick 1977): each step swaps one pair, so the
    // sequence visits every permutation exactly once.
    const a = new Int32Array(n);
    const c = new Int32Array(n);
    for (let t = 0; t < n; t++) a[t] = t;
    order.set(a, 0);
    let row = 1;
    let i = 0;
    while (i < n) {
      if (c[i] < i) {
        const j = i % 2 === 0 ? 0 : c[i];
        const tmp = a[j];
        a[j] = a[i];
        a[i] = tmp;
        order.set(a, row * n);
        row++;
        c[i]++;
        i = 0;
      } else {
        c[i] = 0;
        i++;
      }
    }
    return { n, count, exact: true, order };
  }
  const count = p.nPermutations;
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`drawPermutations: nPermutations must be a positive integer, got ${count}`);
  const order = small ? new Uint8Array(count * n) : new Int32Array(count * n);
  const a = new Int32Array(n);
  for (let b = 0; b < count; b++) {
    for (let t = 0; t < n; t++) a[t] = t;
    for (let t = n - 1; t > 0; t--) {
      const j = rng.int(t + 1);
      const tmp = a[t];
      a[t] = a[j];
      a[j] = tmp;
    }
    order.set(a, b * n);
  }
  return { n, count, exact: false, order };
}

/** Output of {@link permutationPValues}. */
export interface PermutationResult {
  /** Observed statistic per test: <x_i, y>. */
  readonly dot: Float64Array;
  /** Two-sided permutation p-value per test (NaN when x_i or y is constant). */
  readonly pval: Float64Array;
  /** Permutations with |<x_i, y_perm>| >= |<x_i, y>| per test. */
  readonly exceed: Float64Array;
}

/**
 * Two-sided permutation p-values of m correlations sharing one permuted vector.
 *
 * @param x row-major m x n matrix; row i holds the centred ranks of test i's variable
 * @param m number of tests (rows of x)
 * @param y centred ranks of the shared variable (length n); this vector is permuted
 * @param perms permutations of n items from {@link drawPermutations}
 * @param rows optional subset [start, end) of tests to evaluate (for splitting work across threads)
 */
export function permutationPValues(x: Float64Array, m: number, y: Float64Array, perms: PermutationSet, rows?: readonly [number, number]): PermutationResult {
  const n = y.length;
  if (perms.n !== n) throw new Error(`permutationPValues: permutations are of ${perms.n} items, y has ${n}`);
  if (x.length !== m * n) throw new Error(`permutationPValues: x has ${x.length} values, expected ${m} x ${n}`);
  const start = rows ? rows[0] : 0;
  const end = rows ? rows[1] : m;
  const mm = end - start;
  const dot = new Float64Array(mm);
  const thr = new Float64Array(mm);
  const exceed = new Float64Array(mm);
  const pval = new Float64Array(mm);
  let yy = 0;
  for (let t = 0; t < n; t++) yy += y[t] * y[t];
  for (let i = 0; i < mm; i++) {
    const off = (start + i) * n;
    let s = 0;
    let xx = 0;
    for (let t = 0; t < n; t++) {
      s += x[off + t] * y[t];
      xx += x[off + t] * x[off + t];
    }
    dot[i] = s;
    // Relative slack so permutations that tie the observed |rho| count as "as extreme" despite
    // summation-order rounding (ranks are multiples of 1/2, so dots are usually exact anyway).
    thr[i] = xx === 0 || yy === 0 ? Infinity : Math.abs(s) * (1 - 1e-10) - 1e-12;
  }
  const order = perms.order;
  const yb = new Float64Array(n);
  for (let b = 0; b < perms.count; b++) {
    const ob = b * n;
    for (let t = 0; t < n; t++) yb[t] = y[order[ob + t]];
    for (let i = 0; i < mm; i++) {
      const off = (start + i) * n;
      let s = 0;
      for (let t = 0; t < n; t++) s += x[off + t] * yb[t];
      if (s >= thr[i] || -s >= thr[i]) exceed[i]++;
    }
  }
  for (let i = 0; i < mm; i++) {
    if (thr[i] === Infinity) pval[i] = NaN;
    else pval[i] = perms.exact ? exceed[i] / perms.count : (1 + exceed[i]) / (1 + perms.count);
  }
  return { dot, pval, exceed };
}
