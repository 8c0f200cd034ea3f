/**
 * The sum of squares of a dense matrix (optionally about column means): the total variance that
 * PCA's explained-variance ratios divide by. One pass over the whole matrix (400 MB at 50k cells x
 * 2,000 HVGs), so it runs over fixed row blocks in workers, added in block order: the same bits for
 * any thread count.
 */
import type { DenseMatrix } from '../core/dense.js';
import { parallelMap, sharedWhen, splitRange } from '../core/parallel.js';

/** Row blocks of the sum (fixed, so the summation order never depends on threads). */
const SUM_TASKS = 16;

/** Below this many values the sum runs in the calling thread. */
const MIN_PARALLEL_VALUES = 1 << 22;

/**
 * Worker kernel: sum over rows [i0, i1) of (x_ij - means_j)^2 (means null: x_ij^2).
 * @param data - n x p row-major
 */
export function sumOfSquaresRows(data: Float32Array | Float64Array, p: number, means: Float64Array | null, i0: number, i1: number): number {
  let s = 0;
  for (let i = i0; i < i1; i++) {
    const o = i * p;
    if (means === null) {
      for (let j = 0; j < p; j++) {
        const x = data[o + j];
        s += x * x;
      }
    } else {
      for (let j = 0; j < p; j++) {
        const x = data[o + j] - means[j];
        s += x * x;
      }
    }
  }
  return s;
}

/**
 * Sum of squares of `a` (about `means` when given), the row blocks in `threads` workers.
 * @example const total = (await sumOfSquares(scaled, null, 2)) / (scaled.nRows - 1);
 */
export async function sumOfSquares(a: DenseMatrix, means: Float64Array | null, threads: number): Promise<number> {
  const n = a.nRows, p = a.nCols;
  const parallel = threads > 1 && n * p >= MIN_PARALLEL_VALUES;
  const data = sharedWhen(a.data, parallel);
  const ranges = splitRange(n, SUM_TASKS);
  const tasks: unknown[][] = [];
  for (let t = 0; t < ranges.length; t += 2) tasks.push([data, p, means, ranges[t], ranges[t + 1]]);
  const parts = await parallelMap<number>(import.meta.url, 'sumOfSquaresRows', tasks, parallel ? threads : 1);
  let s = 0;
  for (const part of parts) s += part;
  return s;
}
