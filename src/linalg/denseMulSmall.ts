/**
 * X B for a tall Float64 X (n x l, e.g. PCA's orthonormal basis) and a small B (l x k): the last
 * product of randomized PCA (U = Q V), 150 M multiply-adds at 50k cells, over fixed row blocks in
 * workers. Every output element is the sum over d = 0..l-1 in order, whatever the partition.
 */
import { allocFloat64, parallelMap, splitRange } from '../core/parallel.js';

/** Row blocks of the product. */
const MUL_TASKS = 16;

/** Below this many rows the product runs in the calling thread. */
const MIN_PARALLEL_ROWS = 8192;

/** Worker kernel: rows [i0, i1) of X B into `out` (n x k row-major, shared when in workers). */
export function mulRowsBySmall(x: Float64Array, l: number, b: Float64Array, k: number, i0: number, i1: number, out: Float64Array): number {
  for (let i = i0; i < i1; i++) {
    const xi = i * l, oi = i * k;
    for (let d = 0; d < l; d++) {
      const v = x[xi + d];
      const bd = d * k;
      for (let c = 0; c < k; c++) out[oi + c] += v * b[bd + c];
    }
  }
  return i1 - i0;
}

/**
 * X B (n x k row-major Float64). X must be in shared memory for `threads` > 1 to use workers.
 * @param x - n x l row-major
 * @param b - l x k row-major
 */
export async function denseMulSmall(x: Float64Array, n: number, l: number, b: Float64Array, k: number, threads: number): Promise<Float64Array> {
  const parallel = threads > 1 && n >= MIN_PARALLEL_ROWS && x.buffer instanceof SharedArrayBuffer;
  const out = allocFloat64(n * k, parallel);
  const ranges = splitRange(n, MUL_TASKS);
  const tasks: unknown[][] = [];
  for (let t = 0; t < ranges.length; t += 2) tasks.push([x, l, b, k, ranges[t], ranges[t + 1], out]);
  await parallelMap<number>(import.meta.url, 'mulRowsBySmall', tasks, parallel ? threads : 1);
  return out;
}
