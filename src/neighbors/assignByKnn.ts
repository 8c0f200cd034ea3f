/**
 * Maps new cells onto existing clusters by a kNN vote: each query cell takes the label held by
 * most of its k nearest reference cells (exact Euclidean search), as in the simplest form of
 * label transfer (Seurat `TransferData` without anchors, scanpy `ingest` with the kNN classifier).
 * Ties go to the label whose nearest voter is closest, then to the smaller label.
 */
import type { DenseMatrix } from '../core/dense.js';
import { knnExact } from './knnExact.js';

/** Result of {@link assignByKnn}. */
export interface KnnAssignment {
  /** Winning label per query cell. */
  readonly labels: Int32Array;
  /** Fraction of the k voters that hold the winning label, per query cell. */
  readonly agreement: Float64Array;
}

/**
 * Labels query cells by majority vote of their k nearest reference cells.
 *
 * @param ref reference cells x dims (e.g. PCs of the annotated data).
 * @param refLabels label code per reference cell (>= 0; negative = unlabelled, never votes).
 * @param query query cells x dims, in the same space as `ref`.
 * @param k voters per query cell. @default 15
 * @param opts.nDims leading dims to use; opts.threads worker threads (output is identical).
 * @example
 * const { labels } = await assignByKnn(refPcs, clusterCodes, newPcs, 15);
 */
export async function assignByKnn(
  ref: DenseMatrix,
  refLabels: Int32Array,
  query: DenseMatrix,
  k = 15,
  opts: { nDims?: number; threads?: number } = {},
): Promise<KnnAssignment> {
  if (refLabels.length !== ref.nRows) throw new Error(`refLabels has ${refLabels.length} entries, ref has ${ref.nRows} rows`);
  const knn = await knnExact(ref, k, { query, nDims: opts.nDims, threads: opts.threads });
  let nLabels = 0;
  for (let i = 0; i < refLabels.length; i++) if (refLabels[i] + 1 > nLabels) nLabels = refLabels[i] + 1;
  const votes = new Int32Array(nLabels);
  const firstRank = new Int32Array(nLabels);
  const labels = new Int32Array(query.nRows).fill(-1);
  const agreement = new Float64Array(query.nRows);
  for (let i = 0; i < query.nRows; i++) {
    votes.fill(0);
    firstRank.fill(k);
    // Neighbours come sorted by distance, so the first rank seen is the closest voter.
    for (let t = 0; t < k; t++) {
      const l = refLabels[knn.indices[i * k + t]];
      if (l < 0) continue;
      if (votes[l] === 0) firstRank[l] = t;
      votes[l]++;
    }
    let best = -1;
    for (let l = 0; l < nLabels; l++) {
      if (votes[l] === 0) continue;
      if (best < 0 || votes[l] > votes[best] || (votes[l] === votes[best] && firstRank[l] < firstRank[best])) best = l;
    }
    labels[i] = best;
    agreement[i] = best < 0 ? 0 : votes[best] / k;
  }
  return { labels, agreement };
}
