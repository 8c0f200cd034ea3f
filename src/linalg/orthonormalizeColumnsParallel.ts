/**
 * {@link orthonormalizeColumns} with its n-row work in worker threads: the same CholQR2 with the
 * same fixed row partitions, so the result is bit-identical to the single-thread function for any
 * thread count. Randomized PCA orthonormalises an n x l block (46,766 x 60 at 50k cells) after
 * every product with A; done on the main thread that is ~0.45 s per call while the workers wait.
 *
 * Per CholQR pass: Gram blocks of {@link GRAM_TASK_ROWS} rows in workers (l x l partials, summed in
 * task order on the main thread), the l x l Cholesky factor and its inverse on the main thread,
 * then Y R^-1 over fixed row blocks in workers, written into shared memory. The column scaling
 * before the first pass and the Gram-Schmidt fallback run on the main thread as in
 * {@link orthonormalizeColumns}.
 */
import { parallelMap, splitRange } from '../core/parallel.js';
import {
  CHOLQR_MIN_PIVOT,
  cholesky,
  gramTaskRanges,
  invertUpper,
  mgsTwice,
  orthonormalizeColumns,
  packUpper,
  sumGramBlocks,
  unitNormColumns,
} from './orthonormalizeColumns.js';

/** Below this many rows the block is orthonormalised in the calling thread (worker round trips cost more). */
const MIN_PARALLEL_ROWS = 8192;

/** Row blocks of the Y R^-1 tasks (a fixed count; any partition gives the same bits). */
const MUL_TASKS = 16;

/** URL of the kernel module, with this module's extension (sources under vitest, dist/ otherwise). */
const KERNEL_URL = new URL(import.meta.url.endsWith('.ts') ? './orthonormalizeColumns.ts' : './orthonormalizeColumns.js', import.meta.url).href;

/** One CholQR pass in workers: Y R^-1 in shared memory, or null when the Cholesky factorisation fails. */
async function cholQrPassParallel(y: Float64Array, n: number, l: number, threads: number): Promise<Float64Array | null> {
  const ranges = gramTaskRanges(n);
  const gramTasks: unknown[][] = [];
  for (let t = 0; t < ranges.length; t += 2) gramTasks.push([y, l, ranges[t], ranges[t + 1]]);
  const blocks = await parallelMap<Float64Array>(KERNEL_URL, 'gramBlock', gramTasks, threads);
  const r = cholesky(sumGramBlocks(blocks, l), l, CHOLQR_MIN_PIVOT);
  if (r === null) return null;
  const up = packUpper(invertUpper(r, l), l, true);
  const out = new Float64Array(new SharedArrayBuffer(n * l * 8));
  const rows = splitRange(n, MUL_TASKS);
  const mulTasks: unknown[][] = [];
  for (let t = 0; t < rows.length; t += 2) mulTasks.push([y, l, up, rows[t], rows[t + 1], out]);
  await parallelMap<number>(KERNEL_URL, 'mulUpperBlock', mulTasks, threads);
  return out;
}

/**
 * Returns Q (n x l, row-major) with orthonormal columns spanning the columns of Y, exactly as
 * {@link orthonormalizeColumns} (same bits), with the Gram and triangular products of tall blocks
 * in `threads` workers. Y is not modified.
 * @param y - n x l row-major
 * @param n - rows
 * @param l - columns
 * @param threads - worker threads (1 = the calling thread)
 */
export async function orthonormalizeColumnsParallel(y: Float64Array, n: number, l: number, threads: number): Promise<Float64Array> {
  if (threads <= 1 || n < MIN_PARALLEL_ROWS || !(n >= l && l > 0)) return orthonormalizeColumns(y, n, l);
  // Unit-norm columns first (as orthonormalizeColumns; same loops, same bits), in shared memory.
  const q = unitNormColumns(y, n, l, true);
  if (q) {
    const q1 = await cholQrPassParallel(q, n, l, threads);
    const q2 = q1 && (await cholQrPassParallel(q1, n, l, threads));
    if (q2) return q2;
  }
  return mgsTwice(y, n, l);
}
