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
 * clusters, all genes), and tests whose ranks share a tie pattern share the whole null
 * distribution (see {@link permutationPValues}), so 10^5 permutations for thousands of genes
 * cost a few (pattern x n) by (n x B) products plus one binary search per gene.
 */
import type { Rng } from '../core/rng.js';

/** Permutations per block of the blocked product in {@link permutationPValues}. */
const PERM_BLOCK = 256;

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
  /** Distinct rank patterns (null distributions computed). */
  readonly nPatterns: number;
}

/**
 * Sorted |<x, y_perm>| over all stored permutations: the null distribution of the statistic for
 * every variable whose centred ranks are a rearrangement of `x`.
 *
 * Blocked product: permutations go in blocks of PERM_BLOCK, stored lots-major (n x block), so the
 * innermost loop runs over contiguous permutations with one x value held in a register.
 */
export function permutationNull(x: Float64Array, y: Float64Array, perms: PermutationSet): Float64Array {
  const n = y.length;
  const order = perms.order;
  const out = new Float64Array(perms.count);
  const yt = new Float64Array(n * PERM_BLOCK);
  for (let b0 = 0; b0 < perms.count; b0 += PERM_BLOCK) {
    const bs = Math.min(PERM_BLOCK, perms.count - b0);
    for (let b = 0; b < bs; b++) {
      const ob = (b0 + b) * n;
      for (let t = 0; t < n; t++) yt[t * PERM_BLOCK + b] = y[order[ob + t]];
    }
    const acc = out.subarray(b0, b0 + bs);
    for (let t = 0; t < n; t++) {
      const xv = x[t];
      if (xv === 0) continue;
      const yo = t * PERM_BLOCK;
      for (let b = 0; b < bs; b++) acc[b] += xv * yt[yo + b];
    }
  }
  for (let b = 0; b < perms.count; b++) out[b] = Math.abs(out[b]);
  out.sort();
  return out;
}

/**
 * Two-sided permutation p-values of m correlations sharing one permuted vector.
 *
 * Because <x, y o pi> over a set of permutations pi depends on x only through the multiset of its
 * centred ranks (relabel the lots), all variables with the same rank pattern share one null
 * distribution. Tie-free variables all have the pattern {1..n} - (n+1)/2, so the null is
 * computed once per distinct tie pattern (a handful per readout, however many genes) and each
 * test costs a binary search. With all n! permutations (exact test) this equals per-variable
 * enumeration exactly; with B random permutations each p is a valid Monte Carlo p-value against B
 * draws from the same null, and tests with equal |rho| and pattern get equal p.
 *
 * @param x row-major m x n matrix; row i holds the centred ranks of test i's variable
 * @param m number of tests (rows of x)
 * @param y centred ranks of the shared variable (length n); this vector is permuted
 * @param perms permutations of n items from {@link drawPermutations}
 * @param rows optional subset [start, end) of tests to evaluate
 */
export function permutationPValues(x: Float64Array, m: number, y: Float64Array, perms: PermutationSet, rows?: readonly [number, number]): PermutationResult {
  const n = y.length;
  if (perms.n !== n) throw new Error(`permutationPValues: permutations are of ${perms.n} items, y has ${n}`);
  if (x.length !== m * n) throw new Error(`permutationPValues: x has ${x.length} values, expected ${m} x ${n}`);
  const start = rows ? rows[0] : 0;
  const end = rows ? rows[1] : m;
  const mm = end - start;
  const dot = new Float64Array(mm);
  const exceed = new Float64Array(mm);
  const pval = new Float64Array(mm);
  let yy = 0;
  for (let t = 0; t < n; t++) yy += y[t] * y[t];
  // One null distribution per distinct rank pattern, keyed by the sorted centred ranks (a string
  // key per test, built once per test, not per permutation).
  const nulls = new Map<string, Float64Array>();
  const sorted = new Float64Array(n);
  for (let i = 0; i < mm; i++) {
    const off = (start + i) * n;
    let s = 0;
    let xx = 0;
    for (let t = 0; t < n; t++) {
      s += x[off + t] * y[t];
      xx += x[off + t] * x[off + t];
    }
    dot[i] = s;
    if (xx === 0 || yy === 0) {
      pval[i] = NaN;
      continue;
    }
    sorted.set(x.subarray(off, off + n));
    sorted.sort();
    const key = sorted.join(',');
    let nul = nulls.get(key);
    if (!nul) {
      nul = permutationNull(x.subarray(off, off + n), y, perms);
      nulls.set(key, nul);
    }
    // Relative slack so permutations that tie the observed |rho| count as "as extreme" despite
    // summation-order rounding (ranks are multiples of 1/2, so dots are usually exact anyway).
    const thr = Math.abs(s) * (1 - 1e-10) - 1e-12;
    let lo = 0;
    let hi = nul.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nul[mid] < thr) lo = mid + 1;
      else hi = mid;
    }
    exceed[i] = nul.length - lo;
    pval[i] = perms.exact ? exceed[i] / perms.count : (1 + exceed[i]) / (1 + perms.count);
  }
  return { dot, pval, exceed, nPatterns: nulls.size };
}
