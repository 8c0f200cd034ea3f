/**
 * Approximate k-nearest neighbours with a hierarchical navigable small-world graph (Malkov &
 * Yashunin 2018) through the `hnswlib-node` binding of hnswlib.
 *
 * Determinism: hnswlib draws each point's layer from its own generator seeded by `randomSeed`,
 * and we insert points one at a time in index order from this thread, so the index (and every
 * query answer) is the same on each run. Queries are answered in the calling thread too; the
 * native search is fast enough that worker threads are not worth the index copy.
 */
import hnswlib from 'hnswlib-node';
import type { DenseMatrix } from '../core/dense.js';
import type { KnnResult } from './knnExact.js';
import { sortPairs } from './knnExact.js';

/** Options of {@link knnHnsw}. */
export interface KnnHnswOptions {
  /** Leading columns to use. @default all */
  nDims?: number;
  /** Graph degree M of hnswlib. @default 16 */
  m?: number;
  /** Candidate list size while building. @default 200 */
  efConstruction?: number;
  /** Candidate list size while searching (raised to at least k). @default 100 */
  ef?: number;
  /** Seed of hnswlib's layer generator. @default 100 */
  seed?: number;
}

/**
 * Approximate kNN of every row of `x` among the rows of `x` (Euclidean). Each row's list is sorted
 * by (distance, index); the point itself is normally first, as in {@link knnExact}.
 *
 * @param x points (rows).
 * @param k neighbours per point, 1 <= k <= x.nRows.
 * @param opts see {@link KnnHnswOptions}.
 * @example
 * const knn = knnHnsw(pcs, 20, { nDims: 30, seed: 7 });
 */
export function knnHnsw(x: DenseMatrix, k: number, opts: KnnHnswOptions = {}): KnnResult {
  const n = x.nRows;
  const dim = opts.nDims ?? x.nCols;
  if (!(k >= 1 && k <= n)) throw new Error(`k must be in [1, ${n}], got ${k}`);
  const index = new hnswlib.HierarchicalNSW('l2', dim);
  index.initIndex(n, opts.m ?? 16, opts.efConstruction ?? 200, opts.seed ?? 100);
  index.setEf(Math.max(k, opts.ef ?? 100));
  // The binding takes plain number[] per point; one reusable array keeps the conversion to a
  // single O(dim) copy per point.
  const point = new Array<number>(dim);
  for (let i = 0; i < n; i++) {
    const off = i * x.nCols;
    for (let c = 0; c < dim; c++) point[c] = x.data[off + c];
    index.addPoint(point, i);
  }
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const rowD = new Float64Array(k);
  const rowI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const off = i * x.nCols;
    for (let c = 0; c < dim; c++) point[c] = x.data[off + c];
    const res = index.searchKnn(point, k);
    if (res.neighbors.length !== k) throw new Error(`hnswlib returned ${res.neighbors.length} neighbours for row ${i}, expected ${k}`);
    // hnswlib reports squared L2; sort by (distance, index) so ties match the exact kernel.
    for (let t = 0; t < k; t++) {
      rowD[t] = res.distances[t];
      rowI[t] = res.neighbors[t];
    }
    sortPairs(rowD, rowI, 0, k);
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = rowI[t];
      distances[i * k + t] = Math.sqrt(Math.max(0, rowD[t]));
    }
  }
  return { nRows: n, k, indices, distances };
}
