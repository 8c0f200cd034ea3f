/**
 * Approximate k-nearest neighbours with hierarchical navigable small-world graphs (Malkov &
 * Yashunin 2018) through the `hnswlib-node` binding of hnswlib.
 *
 * Parallel build: the binding inserts points on the calling thread only, so the points are split by
 * a fixed rule into {@link HNSW_PARTS} interleaved parts (point i goes to part i mod parts; lots and
 * clusters are spread evenly) and each part's index is built by its own `parallelMap` task from a
 * shared copy of the points, then saved to a temporary file. Every query searches all parts (k
 * each) and keeps the k best of the merged lists by (distance, index). Searches are split into fixed
 * row blocks answered in worker threads, which load the part files once.
 *
 * Determinism: hnswlib draws each point's layer from its own generator seeded by `seed`, and a part
 * inserts its points one at a time in index order, so every part's graph is the same on each run and
 * for any thread count. A search is a pure function of the indexes and the query, and the number of
 * parts never depends on `threads`: the lists are identical for any thread count.
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
  /** Graph degree M of hnswlib. @default HNSW_DEFAULTS.m */
  m?: number;
  /** Candidate list size while building. @default HNSW_DEFAULTS.efConstruction */
  efConstruction?: number;
  /** Candidate list size while searching each part (raised to at least k). @default HNSW_DEFAULTS.ef */
  ef?: number;
  /** Seed of hnswlib's layer generator. @default 100 */
  seed?: number;
  /** Worker threads for building and searching. @default 1 */
  threads?: number;
  /**
   * Number of sub-indexes (fixed; never derived from `threads`, so results do not depend on it).
   * More parts build in parallel but every query searches each. @default HNSW_PARTS
   */
  parts?: number;
}

/**
 * Sub-indexes by default: two let the build use both cores of a 2-core machine while every query
 * searches only two graphs.
 */
export const HNSW_PARTS = 2;

/**
 * Default graph parameters, chosen on the benchmark cohorts (50 PCs, k = 20; recall of the 19 exact
 * non-self neighbours; CPU seconds of build + search on a loaded 2-core machine):
 *   18,645 cells: 1 index M 16 / efConstruction 200 / ef 100 (the previous default) 0.9975, 7.3 s;
 *     2 parts M 24 / 64 / 32 0.986, 3.2 s; M 16 / 64 / 32 0.980; M 24 / 64 / 24 0.976.
 *   46,766 cells: 1 index M 16 / 200 / 100 0.995, 21.7 s; 2 parts M 24 / 64 / 32 0.974, 12.6 s;
 *     M 24 / 64 / 48 0.985, 13.5 s; M 24 / 100 / 40 0.989, 14.9 s; M 32 / 80 / 40 0.988, 15.1 s.
 * Recall falls with the number of cells, so the default keeps a margin above 0.98 at 50k cells
 * (scran.js's Annoy search reaches 0.91 at 4,655 and 0.89 at 18,645 cells on the same PCs). A wider
 * graph (M 24) buys more recall per second than a longer candidate list.
 */
export const HNSW_DEFAULTS = { m: 24, efConstruction: 100, ef: 40 } as const;

/** Query blocks: fixed, so the split never depends on the thread count. */
const QUERY_BLOCKS = 16;

/** Indexes held by this thread: built here (single-thread runs) or loaded from their files. */
const held = new Map<string, hnswlib.HierarchicalNSW>();

/**
 * Worker kernel: builds the index of part `part` (points i with i mod nParts = part, labelled by i)
 * and, with `save`, writes it to `path` for the workers that search it. The index also stays in this
 * thread under `path` for searches from the same thread (all of them when single-threaded).
 *
 * @returns the number of points inserted.
 */
export function buildHnswPart(
  x: Float32Array | Float64Array, nCols: number, dim: number, n: number, part: number, nParts: number,
  m: number, efConstruction: number, seed: number, path: string, save: boolean,
): number {
  const count = Math.floor((n - part + nParts - 1) / nParts);
  const index = new hnswlib.HierarchicalNSW('l2', dim);
  index.initIndex(count, m, efConstruction, seed);
  // The binding takes plain number[] per point; one reusable array keeps the conversion to a
  // single O(dim) copy per point.
  const point = new Array<number>(dim);
  for (let i = part; i < n; i += nParts) {
    const off = i * nCols;
    for (let c = 0; c < dim; c++) point[c] = x[off + c];
    index.addPoint(point, i);
  }
  if (save) index.writeIndexSync(path);
  held.set(path, index);
  return count;
}

/** The indexes of `paths`, loading (once per thread) the ones this thread has not built. */
function indexesOf(paths: readonly string[], dim: number, ef: number): hnswlib.HierarchicalNSW[] {
  return paths.map((path) => {
    let index = held.get(path);
    if (!index) {
      // A worker keeps only the indexes of the current search: drop those of earlier ones.
      for (const p of held.keys()) if (!paths.includes(p)) held.delete(p);
      index = new hnswlib.HierarchicalNSW('l2', dim);
      index.readIndexSync(path);
      held.set(path, index);
    }
    index.setEf(ef);
    return index;
  });
}

/**
 * Worker kernel: answers rows [rowStart, rowEnd) of `x` against every part index, writing the
 * (distance, index)-sorted lists into the shared `indices` / `distances` at the same rows (blocks
 * are disjoint).
 *
 * @returns the number of rows answered.
 */
export function searchHnswBlock(
  paths: string[], dim: number, ef: number, x: Float32Array | Float64Array, nCols: number, k: number,
  rowStart: number, rowEnd: number, indices: Int32Array, distances: Float32Array,
): number {
  const parts = indexesOf(paths, dim, ef);
  const point = new Array<number>(dim);
  // Merged candidates of all parts: at most k per part.
  const candD = new Float64Array(k * parts.length);
  const candI = new Int32Array(k * parts.length);
  // Neighbours asked of each part (a part smaller than k returns all its points); one native call each.
  const wants = parts.map((index) => Math.min(k, index.getCurrentCount()));
  for (let i = rowStart; i < rowEnd; i++) {
    const off = i * nCols;
    for (let c = 0; c < dim; c++) point[c] = x[off + c];
    let m = 0;
    for (let p = 0; p < parts.length; p++) {
      const want = wants[p];
      const res = parts[p].searchKnn(point, want);
      if (res.neighbors.length !== want) throw new Error(`hnswlib returned ${res.neighbors.length} neighbours for row ${i}, expected ${want}`);
      // hnswlib reports squared L2 (Float32 arithmetic).
      for (let t = 0; t < want; t++) {
        candD[m] = res.distances[t];
        candI[m] = res.neighbors[t];
        m++;
      }
    }
    // The parts are disjoint, so the merged list has no repeated point; sort by (distance, index).
    sortPairs(candD, candI, 0, m);
    // The search can miss the query itself (an approximate index); every cell is its own nearest
    // neighbour, so it replaces the k-th, as the exact search would have it.
    let self = false;
    for (let t = 0; t < k; t++) if (candI[t] === i) self = true;
    if (!self) {
      candD[k - 1] = 0;
      candI[k - 1] = i;
      sortPairs(candD, candI, 0, k);
    }
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = candI[t];
      distances[i * k + t] = Math.sqrt(Math.max(0, candD[t]));
    }
  }
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
  const nParts = Math.max(1, Math.min(opts.parts ?? HNSW_PARTS, n));
  const ef = Math.max(k, opts.ef ?? HNSW_DEFAULTS.ef);
  const threads = opts.threads ?? 1;
  const share = threads > 1;
  const data = share ? toShared(x.data) : x.data;
  const dir = mkdtempSync(join(tmpdir(), 'cqamine-hnsw-'));
  const paths: string[] = [];
  try {
    const build: unknown[][] = [];
    for (let p = 0; p < nParts; p++) {
      paths.push(join(dir, `part${p}.bin`));
      build.push([data, x.nCols, dim, n, p, nParts, opts.m ?? HNSW_DEFAULTS.m, opts.efConstruction ?? HNSW_DEFAULTS.efConstruction, opts.seed ?? 100, paths[p], share]);
    }
    await parallelMap<number>(import.meta.url, 'buildHnswPart', build, threads);
    const indices = share ? toShared(new Int32Array(n * k)) : new Int32Array(n * k);
    const distances = share ? toShared(new Float32Array(n * k)) : new Float32Array(n * k);
    const ranges = splitRange(n, QUERY_BLOCKS);
    const tasks: unknown[][] = [];
    for (let b = 0; b < ranges.length; b += 2) tasks.push([paths, dim, ef, data, x.nCols, k, ranges[b], ranges[b + 1], indices, distances]);
    await parallelMap<number>(import.meta.url, 'searchHnswBlock', tasks, threads);
    return share
      ? { nRows: n, k, indices: new Int32Array(indices), distances: new Float32Array(distances) }
      : { nRows: n, k, indices, distances };
  } finally {
    // The main thread's copies (built or loaded here) are dropped with the files.
    for (const p of paths) held.delete(p);
    rmSync(dir, { recursive: true, force: true });
  }
}
