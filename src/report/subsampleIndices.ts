/**
 * Deterministic subsample of cell indices for plotting very large embeddings: a uniform random
 * k-subset (partial Fisher-Yates on the first k slots) drawn from a seeded stream, returned in
 * ascending order so the drawn points keep the data order.
 */
import type { Rng } from '../core/rng.js';

/**
 * Picks `k` of the indices `0..n-1` uniformly at random without replacement.
 * @param n Number of cells.
 * @param k Number to keep; `k >= n` returns all indices.
 * @param rng Seeded stream (the same seed gives the same subset).
 * @returns Ascending `Int32Array` of length `min(k, n)`.
 * @example subsampleIndices(100_000, 50_000, createRng(0).fork('report_subsample'))
 */
export function subsampleIndices(n: number, k: number, rng: Rng): Int32Array {
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  if (k >= n) return all;
  // Partial Fisher-Yates: after step t, slots 0..t hold a uniform t+1-subset.
  for (let t = 0; t < k; t++) {
    const s = t + rng.int(n - t);
    const tmp = all[t];
    all[t] = all[s];
    all[s] = tmp;
  }
  return all.slice(0, k).sort();
}
