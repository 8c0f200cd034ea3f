/**
 * Exact k-nearest neighbours by blocked brute force (Euclidean).
 *
 * Layout: points are rows of a row-major Float32 matrix (`nRows x dim`). Queries are processed in
 * fixed blocks of {@link KNN_QUERY_BLOCK} rows; each block is one `parallelMap` task, so the task
 * partition (and therefore every result) is the same for any thread count. Inside a block the
 * reference points are visited in tiles of {@link KNN_REF_TILE} rows, so one tile stays in cache
 * while every query of the block is compared against it.
 *
 * Precision: squared distances are accumulated in Float64 from direct differences (no
 * |a|^2 + |b|^2 - 2ab cancellation, which can make a point's distance to itself non-zero), so the
 * result equals a naive double-precision oracle bit for bit. Ties are broken by the smaller
 * reference index, which makes the order total and deterministic.
 */
import type { DenseMatrix } from '../core/dense.js';
import { parallelMap, toShared } from '../core/parallel.js';

/** Queries per task: fixed, independent of the thread count (determinism contract). */
export const KNN_QUERY_BLOCK = 512;
/** Reference rows per cache tile inside a task. */
export const KNN_REF_TILE = 256;

/** k nearest neighbours of each query row, sorted by distance then index. */
export interface KnnResult {
  /** Number of query rows. */
  readonly nRows: number;
  /** Neighbours per row. */
  readonly k: number;
  /** Row-major `nRows x k` reference indices. */
  readonly indices: Int32Array;
  /** Row-major `nRows x k` Euclidean distances (not squared), ascending within a row. */
  readonly distances: Float32Array;
}

/**
 * Worker kernel: exact kNN for queries `[qStart, qEnd)`. Returns squared distances (Float64) and
 * indices, each row sorted ascending by (distance, index).
 *
 * @param ref reference points, row-major `nRef x dim`.
 * @param nRef number of reference rows.
 * @param query query points, row-major `nQuery x dim` (may be the same array as `ref`).
 * @param dim number of columns used (the first `dim` of each row of width `stride`).
 * @param stride row width of both arrays (>= dim).
 * @param k neighbours per query (<= nRef).
 * @param qStart first query row of this block.
 * @param qEnd one past the last query row.
 */
export function knnExactBlock(
  ref: Float32Array | Float64Array,
  nRef: number,
  query: Float32Array | Float64Array,
  dim: number,
  stride: number,
  k: number,
  qStart: number,
  qEnd: number,
): { indices: Int32Array; sqDistances: Float64Array } {
  const nq = qEnd - qStart;
  // One bounded max-heap per query, stored flat: the root holds the current worst kept neighbour.
  const heapD = new Float64Array(nq * k).fill(Infinity);
  const heapI = new Int32Array(nq * k).fill(0x7fffffff);
  const q = new Float64Array(dim);
  for (let r0 = 0; r0 < nRef; r0 += KNN_REF_TILE) {
    const r1 = Math.min(nRef, r0 + KNN_REF_TILE);
    for (let t = 0; t < nq; t++) {
      const qi = (qStart + t) * stride;
      for (let c = 0; c < dim; c++) q[c] = query[qi + c];
      const base = t * k;
      let worstD = heapD[base];
      let worstI = heapI[base];
      for (let r = r0; r < r1; r++) {
        const ri = r * stride;
        let s = 0;
        // Partial-distance cut-off: terms are non-negative, so once the running sum exceeds the
        // current worst the candidate is out. Checked every 8 dims; exact, as a skipped candidate
        // could never have been kept.
        let c = 0;
        while (c < dim) {
          const stop = c + 8 < dim ? c + 8 : dim;
          for (; c < stop; c++) {
            const d = q[c] - ref[ri + c];
            s += d * d;
          }
          if (s > worstD) break;
        }
        if (c < dim) continue;
        // Keep (s, r) when it precedes the current worst in (distance, index) order.
        if (s < worstD || (s === worstD && r < worstI)) {
          heapReplaceTop(heapD, heapI, base, k, s, r);
          worstD = heapD[base];
          worstI = heapI[base];
        }
      }
    }
  }
  // Sort each heap ascending by (distance, index): k is small, so insertion sort is cheapest.
  for (let t = 0; t < nq; t++) sortPairs(heapD, heapI, t * k, k);
  return { indices: heapI, sqDistances: heapD };
}

/** True when (da, ia) comes after (db, ib) in (distance, index) order. */
function after(da: number, ia: number, db: number, ib: number): boolean {
  return da > db || (da === db && ia > ib);
}

/** Replaces the root of the max-heap at `base` (size k) and sifts it down. */
function heapReplaceTop(hd: Float64Array, hi: Int32Array, base: number, k: number, d: number, i: number): void {
  let pos = 0;
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= k) break;
    let child = l;
    const r = l + 1;
    if (r < k && after(hd[base + r], hi[base + r], hd[base + l], hi[base + l])) child = r;
    if (!after(hd[base + child], hi[base + child], d, i)) break;
    hd[base + pos] = hd[base + child];
    hi[base + pos] = hi[base + child];
    pos = child;
  }
  hd[base + pos] = d;
  hi[base + pos] = i;
}

/** Insertion sort of `len` (distance, index) pairs starting at `base`, ascending. */
export function sortPairs(d: Float64Array | Float32Array, idx: Int32Array, base: number, len: number): void {
  for (let a = base + 1; a < base + len; a++) {
    const dv = d[a];
    const iv = idx[a];
    let b = a - 1;
    while (b >= base && after(d[b], idx[b], dv, iv)) {
      d[b + 1] = d[b];
      idx[b + 1] = idx[b];
      b--;
    }
    d[b + 1] = dv;
    idx[b + 1] = iv;
  }
}

/**
 * Exact kNN of every row of `query` among the rows of `ref` (Euclidean on the first `nDims`
 * columns). When `query` is `ref`, each point finds itself first (distance 0), as Seurat and
 * scanpy count it among the k.
 *
 * @param ref reference points (rows).
 * @param k neighbours per query, 1 <= k <= ref.nRows.
 * @param opts.query query points (default: `ref` itself).
 * @param opts.nDims leading columns to use (default: all).
 * @param opts.threads worker threads (output is identical for any value).
 * @example
 * const knn = await knnExact(pcs, 20, { nDims: 10, threads: 2 });
 */
export async function knnExact(
  ref: DenseMatrix,
  k: number,
  opts: { query?: DenseMatrix; nDims?: number; threads?: number } = {},
): Promise<KnnResult> {
  const query = opts.query ?? ref;
  const dim = opts.nDims ?? ref.nCols;
  if (query.nCols !== ref.nCols) throw new Error(`query has ${query.nCols} columns, reference ${ref.nCols}`);
  if (!(k >= 1 && k <= ref.nRows)) throw new Error(`k must be in [1, ${ref.nRows}], got ${k}`);
  if (!(dim >= 1 && dim <= ref.nCols)) throw new Error(`nDims must be in [1, ${ref.nCols}], got ${dim}`);
  const threads = opts.threads ?? 1;
  // Shared memory lets workers read the points without one copy per task.
  const refData = threads > 1 ? toShared(ref.data) : ref.data;
  const queryData = query === ref ? refData : threads > 1 ? toShared(query.data) : query.data;
  const tasks: unknown[][] = [];
  for (let s = 0; s < query.nRows; s += KNN_QUERY_BLOCK) {
    tasks.push([refData, ref.nRows, queryData, dim, ref.nCols, k, s, Math.min(query.nRows, s + KNN_QUERY_BLOCK)]);
  }
  const parts = await parallelMap<{ indices: Int32Array; sqDistances: Float64Array }>(import.meta.url, 'knnExactBlock', tasks, threads);
  const indices = new Int32Array(query.nRows * k);
  const distances = new Float32Array(query.nRows * k);
  let off = 0;
  for (const part of parts) {
    indices.set(part.indices, off);
    for (let t = 0; t < part.sqDistances.length; t++) distances[off + t] = Math.sqrt(part.sqDistances[t]);
    off += part.indices.length;
  }
  return { nRows: query.nRows, k, indices, distances };
}
