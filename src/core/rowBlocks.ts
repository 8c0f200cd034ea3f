/**
 * Row blocks for per-row kernels run in worker threads (QC metrics, normalization, HVG moments).
 *
 * The number of blocks depends only on the data, never on the thread count, and partial results are
 * combined in block order, so every result is identical for any `--threads` (the determinism
 * contract of `parallelMap`). Blocks hold about {@link ROW_BLOCK_ENTRIES} stored entries each: big
 * enough that a task dwarfs its messaging cost, small enough that two threads share the work evenly.
 */
import { parallelMap, splitRange } from './parallel.js';

/** Stored entries per block (about 16 MB of CSR). */
export const ROW_BLOCK_ENTRIES = 1 << 22;

/**
 * Stored entries per block for kernels whose output does not depend on the blocks (each row's values
 * computed alone, copies, integer counts): four times as many blocks, so that two threads share the
 * 5-20 blocks of a 5k-20k-cell matrix evenly (5 blocks split 3 : 2).
 */
export const FINE_ROW_BLOCK_ENTRIES = ROW_BLOCK_ENTRIES / 4;

/** Upper bound on blocks: per-gene partial sums cost `nCols` doubles per block. */
export const MAX_ROW_BLOCKS = 32;

/**
 * Blocks over `n` rows holding `nnz` entries in all, as pairs `[start, end)` (`splitRange` layout):
 * about equal row counts per block (cells have similar depths; the split must not depend on threads).
 * @param entriesPerBlock - {@link ROW_BLOCK_ENTRIES}, or {@link FINE_ROW_BLOCK_ENTRIES} where the blocks
 *   cannot change the result
 */
export function rowBlocks(n: number, nnz: number, entriesPerBlock = ROW_BLOCK_ENTRIES): Int32Array {
  const parts = Math.max(1, Math.min(MAX_ROW_BLOCKS, n, Math.ceil(nnz / entriesPerBlock)));
  return splitRange(n, parts);
}

/**
 * Threads worth using on `nnz` entries: below one block of work a worker's start-up and messaging
 * cost more than they save, so small inputs stay on the calling thread (same result either way).
 */
export function threadsFor(threads: number, nnz: number): number {
  return nnz < 2 * ROW_BLOCK_ENTRIES ? 1 : threads;
}

/**
 * Runs the worker kernel `fnName` of `moduleUrl` on each row block, as `fn(...args, start, end)`,
 * and adds the Float64Array partial sums it returns element by element, in block order.
 * @param n - rows (or positions in a row list) to cover
 * @param nnz - stored entries of the matrix, which sets the block count
 * @returns the summed arrays, in the order the kernel returns them
 */
export async function sumOverRowBlocks(moduleUrl: string, fnName: string, args: readonly unknown[], n: number, nnz: number, threads: number): Promise<Float64Array[]> {
  const blocks = rowBlocks(n, nnz);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) tasks.push([...args, blocks[b], blocks[b + 1]]);
  const parts = await parallelMap<Float64Array[]>(moduleUrl, fnName, tasks, threadsFor(threads, nnz));
  const total = parts[0];
  for (let p = 1; p < parts.length; p++) {
    for (let a = 0; a < total.length; a++) {
      const acc = total[a];
      const add = parts[p][a];
      for (let j = 0; j < acc.length; j++) acc[j] += add[j];
    }
  }
  return total;
}
