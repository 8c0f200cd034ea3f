/**
 * The SNN graph and the UMAP connectivities of one kNN, built concurrently: they read the same
 * lists and are independent. The SNN graph, the larger of the two (1.1-1.4 s on one core at 50k
 * cells against 0.5-0.8 s), is split into fixed row blocks, so with two threads neither graph
 * waits for the other. Every task is a pure function of the lists and the blocks never depend on
 * the thread count, so the graphs are identical for any thread count.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { parallelMap, sharedWhen } from '../core/parallel.js';
import { assembleSnnRows, reverseLists, snnRows, type SnnRows } from './buildSnnGraph.js';
import { computeConnectivities } from './computeConnectivities.js';

/** Row blocks of the SNN graph (fixed: the split must not depend on the thread count). */
const SNN_BLOCKS = 8;

/**
 * Worker kernel: the connectivities (`r0 < 0`), or rows [r0, r1) of the SNN graph.
 *
 * @param indices row-major `n x k` neighbour indices.
 * @param distances row-major `n x k` distances.
 * @param revPtr reverse lists of `indices` (see reverseLists).
 * @param rev reverse lists of `indices`.
 * @param n number of cells.
 * @param k neighbours per cell (self included).
 * @param prune SNN Jaccard pruning threshold.
 */
export function neighborGraphTask(
  indices: Int32Array, distances: Float32Array, revPtr: Int32Array, rev: Int32Array, n: number, k: number, prune: number, r0: number, r1: number,
): CsrMatrix | SnnRows {
  return r0 < 0 ? computeConnectivities(indices, distances, n, k) : snnRows(indices, revPtr, rev, n, k, prune, r0, r1);
}

/**
 * Builds the SNN graph (Seurat Jaccard, pruned) and the connectivities (UMAP fuzzy union) of kNN lists.
 *
 * @param indices row-major `n x k` neighbour indices (each row a set, self included).
 * @param distances row-major `n x k` distances, ascending within a row.
 * @param n number of cells.
 * @param k neighbours per cell.
 * @param prune SNN Jaccard values below this become 0.
 * @param threads worker threads (output identical for any value).
 * @param whileWaiting work for the calling thread while the workers run (e.g. the distance CSR);
 *   its result is returned as `other`.
 * @example
 * const { snn, connectivities } = await computeNeighborGraphs(knn.indices, knn.distances, n, 20, 1 / 15, 2);
 */
export async function computeNeighborGraphs<T = undefined>(
  indices: Int32Array, distances: Float32Array, n: number, k: number, prune: number, threads: number,
  whileWaiting?: () => T,
): Promise<{ snn: CsrMatrix; connectivities: CsrMatrix; other: T | undefined }> {
  const share = threads > 1;
  const { revPtr, rev } = reverseLists(indices, n, k);
  const lists = [sharedWhen(indices, share), sharedWhen(distances, share), sharedWhen(revPtr, share), sharedWhen(rev, share), n, k, prune];
  // The connectivities first: the longest single task starts at once.
  const tasks: unknown[][] = [[...lists, -1, -1]];
  for (let b = 0; b < SNN_BLOCKS; b++) tasks.push([...lists, Math.floor((b * n) / SNN_BLOCKS), Math.floor(((b + 1) * n) / SNN_BLOCKS)]);
  const graphs = (results: (CsrMatrix | SnnRows)[]): { snn: CsrMatrix; connectivities: CsrMatrix } => ({
    connectivities: results[0] as CsrMatrix,
    snn: assembleSnnRows(results.slice(1) as SnnRows[], n),
  });
  if (!share) {
    const other = whileWaiting?.();
    return { ...graphs(await parallelMap<CsrMatrix | SnnRows>(import.meta.url, 'neighborGraphTask', tasks, 1)), other };
  }
  const pending = parallelMap<CsrMatrix | SnnRows>(import.meta.url, 'neighborGraphTask', tasks, threads);
  // Any failure of the calling thread's work still lets the workers finish before it propagates.
  let other: T | undefined;
  try {
    other = whileWaiting?.();
  } catch (e) {
    await pending.catch(() => undefined);
    throw e;
  }
  return { ...graphs(await pending), other };
}
