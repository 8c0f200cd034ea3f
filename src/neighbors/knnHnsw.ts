/**
 * Approximate k-nearest neighbours with a hierarchical navigable small-world graph (Malkov &
 * Yashunin 2018) through the `hnswlib-node` binding of hnswlib.
 *
 * Determinism: hnswlib draws each point's layer from its own generator seeded by `randomSeed`,
 * and we insert points one at a time in index order from this thread, so the index is the same on
 * each run. The binding builds single-threaded; the queries (about a third of the time) are split
 * into fixed row blocks that worker threads answer from a copy of the index saved to a temporary
 * file. A search is a pure function of the index and the query, so any thread count gives the
 * same lists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { DenseMatrix } from '../core/dense.js';
import { parallelMap, splitRange, toShared } from '../core/parallel.js';
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
  /** Worker threads for the queries. @default 1 */
  threads?: number;
  /**
   * Points from which queries go to workers; below it the index file round trip costs more than
   * the parallel search saves. @default 20000
   */
  parallelMinPoints?: number;
}

/** Query blocks: fixed, so the split never depends on the thread count. */
const QUERY_BLOCKS = 16;

/**
 * Answers rows [rowStart, rowEnd) of `x` against `index`, writing (distance, index)-sorted lists
 * into `indices` / `distances` at the same rows.
 */
function searchRows(
  index: hnswlib.HierarchicalNSW, x: Float32Array, nCols: number, dim: number, k: number,
  rowStart: number, rowEnd: number, indices: Int32Array, distances: Float32Array,
): void {
  // The binding takes plain number[] per point; one reusable array keeps the conversion to a
  // single O(dim) copy per point.
  const point = new Array<number>(dim);
  const rowD = new Float64Array(k);
  const rowI = new Int32Array(k);
  for (let i = rowStart; i < rowEnd; i++) {
    const off = i * nCols;
    for (let c = 0; c < dim; c++) point[c] = x[off + c];
    const res = index.searchKnn(point, k);
    if (res.neighbors.length !== k) throw new Error(`hnswlib returned ${res.neighbors.length} neighbours for row ${i}, expected ${k}`);
    // hnswlib reports squared L2; sort by (distance, index) so ties match the exact kernel.
    for (let t = 0; t < k; t++) {
      rowD[t] = res.distances[t];
      rowI[t] = res.neighbors[t];
    }
    // The search can miss the query itself (an approximate index); every cell is its own nearest
    // neighbour, so it replaces the farthest one, as the exact search would have it.
    let self = false;
    for (let t = 0; t < k; t++) if (rowI[t] === i) self = true;
    if (!self) {
      let far = 0;
      for (let t = 1; t < k; t++) if (rowD[t] > rowD[far] || (rowD[t] === rowD[far] && rowI[t] > rowI[far])) far = t;
      rowD[far] = 0;
      rowI[far] = i;
    }
    sortPairs(rowD, rowI, 0, k);
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = rowI[t];
      distances[i * k + t] = Math.sqrt(Math.max(0, rowD[t]));
    }
  }
}

/** The index a worker loaded last: every block of one search reads the same file. */
let loaded: { path: string; index: hnswlib.HierarchicalNSW } | null = null;

/**
 * Worker kernel: loads the saved index (once per file) and answers one row block, writing into the
 * shared output arrays (blocks are disjoint).
 */
export function searchHnswBlock(
  indexPath: string, dim: number, n: number, ef: number, x: Float32Array, nCols: number, k: number,
  rowStart: number, rowEnd: number, indices: Int32Array, distances: Float32Array,
): number {
  if (loaded?.path !== indexPath) {
    const index = new hnswlib.HierarchicalNSW('l2', dim);
    index.readIndexSync(indexPath);
    index.setEf(ef);
    loaded = { path: indexPath, index };
  }
  searchRows(loaded.index, x, nCols, dim, k, rowStart, rowEnd, indices, distances);
  return rowEnd - rowStart;
}

/**
 * Approximate kNN of every row of `x` among the rows of `x` (Euclidean). Each row's list is sorted
 * by (distance, index); the point itself is normally first, as in {@link knnExact}.
 *
 * @param x points (rows).
 * @param k neighbours per point, 1 <= k <= x.nRows.
 * @param opts see {@link KnnHnswOptions}.
 * @example
 * const knn = await knnHnsw(pcs, 20, { nDims: 30, seed: 7, threads: 2 });
 */
export async function knnHnsw(x: DenseMatrix, k: number, opts: KnnHnswOptions = {}): Promise<KnnResult> {
  const n = x.nRows;
  const dim = opts.nDims ?? x.nCols;
  if (!(k >= 1 && k <= n)) throw new Error(`k must be in [1, ${n}], got ${k}`);
  const ef = Math.max(k, opts.ef ?? 100);
  const threads = opts.threads ?? 1;
  const index = new hnswlib.HierarchicalNSW('l2', dim);
  index.initIndex(n, opts.m ?? 16, opts.efConstruction ?? 200, opts.seed ?? 100);
  index.setEf(ef);
  const point = new Array<number>(dim);
  for (let i = 0; i < n; i++) {
    const off = i * x.nCols;
    for (let c = 0; c < dim; c++) point[c] = x.data[off + c];
    index.addPoint(point, i);
  }
  const data = x.data as Float32Array;
  if (threads <= 1 || n < (opts.parallelMinPoints ?? 20_000)) {
    const indices = new Int32Array(n * k);
    const distances = new Float32Array(n * k);
    searchRows(index, data, x.nCols, dim, k, 0, n, indices, distances);
    return { nRows: n, k, indices, distances };
  }
  const dir = mkdtempSync(join(tmpdir(), 'cqamine-hnsw-'));
  try {
    const indexPath = join(dir, 'index.bin');
    index.writeIndexSync(indexPath);
    const indices = toShared(new Int32Array(n * k));
    const distances = toShared(new Float32Array(n * k));
    const shared = toShared(data);
    const ranges = splitRange(n, QUERY_BLOCKS);
    const tasks: unknown[][] = [];
    for (let b = 0; b < ranges.length; b += 2) tasks.push([indexPath, dim, n, ef, shared, x.nCols, k, ranges[b], ranges[b + 1], indices, distances]);
    await parallelMap<number>(import.meta.url, 'searchHnswBlock', tasks, threads);
    return { nRows: n, k, indices: new Int32Array(indices), distances: new Float32Array(distances) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
