/**
 * The SNN graph and the UMAP connectivities of one kNN, built concurrently: they read the same
 * lists and are independent, and at 20k-50k cells each takes a second or more on one core (together
 * about a fifth of the neighbours step), so with two or more threads each runs in its own worker.
 * Both are the same pure functions in any case, so the graphs are identical for any thread count.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { parallelMap } from '../core/parallel.js';
import { buildSnnGraph } from './buildSnnGraph.js';
import { computeConnectivities } from './computeConnectivities.js';

/** Which graph a {@link neighborGraphTask} builds. */
export type NeighborGraphKind = 'snn' | 'connectivities';

/**
 * Worker kernel: one of the two graphs.
 *
 * @param kind 'snn' (Seurat Jaccard SNN, pruned) or 'connectivities' (UMAP fuzzy union).
 * @param indices row-major `n x k` neighbour indices.
 * @param distances row-major `n x k` distances.
 * @param n number of cells.
 * @param k neighbours per cell (self included).
 * @param prune SNN Jaccard pruning threshold.
 */
export function neighborGraphTask(kind: NeighborGraphKind, indices: Int32Array, distances: Float32Array, n: number, k: number, prune: number): CsrMatrix {
  return kind === 'snn' ? buildSnnGraph(indices, n, k, prune) : computeConnectivities(indices, distances, n, k);
}

/**
 * Builds the SNN graph and the connectivities of kNN lists, in two workers when `threads > 1`.
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
  const tasks: unknown[][] = [
    ['snn', indices, distances, n, k, prune],
    ['connectivities', indices, distances, n, k, prune],
  ];
  if (threads <= 1) {
    const other = whileWaiting?.();
    const [snn, connectivities] = await parallelMap<CsrMatrix>(import.meta.url, 'neighborGraphTask', tasks, 1);
    return { snn, connectivities, other };
  }
  const pending = parallelMap<CsrMatrix>(import.meta.url, 'neighborGraphTask', tasks, threads);
  // Any failure of the calling thread's work still lets the workers finish before it propagates.
  let other: T | undefined;
  try {
    other = whileWaiting?.();
  } catch (e) {
    await pending.catch(() => undefined);
    throw e;
  }
  const [snn, connectivities] = await pending;
  return { snn, connectivities, other };
}
