/**
 * Exact k-nearest neighbours (Euclidean): a dot-product screen, then exact distances for the few
 * candidates the screen cannot rule out.
 *
 * Screen: for a block of queries, every squared distance is first estimated as
 * |q|^2 + |r|^2 - 2 q.r with the dot products from a 4 x 4 register-tiled kernel (as the dense
 * products of the PCA: 16 accumulators, 8 loads per 16 multiply-adds, both operands packed in panels of
 * 4 points, Float64 accumulation). That is 2-3x the throughput of direct differences, but the
 * estimate carries rounding error (cancellation), so it only selects candidates: per query, tau is
 * the k-th smallest estimate and every point whose estimate is <= tau + delta is kept, where delta
 * is a rigorous bound on the error of an estimate plus that of an exact distance (see
 * {@link screenSlack}). Refine: the kept candidates (normally exactly k, more with ties) get their
 * squared distance from direct differences in Float64, in column order 0..dim-1 (the definition: a
 * point's distance to itself is exactly 0), and the k smallest by (distance, index) are returned.
 * The result therefore equals a naive double-precision oracle bit for bit.
 *
 * Why the screen is safe: with E the estimate's error bound and g the relative error of an exact
 * distance, the k screened-best points have exact distances <= (tau + E)(1 + g), while a point whose
 * estimate exceeds tau + delta has an exact distance >= (tau + delta - E)(1 - g), which is strictly
 * larger when delta > 2E + 2g(tau + E) + g delta; {@link screenSlack} makes delta 4x that. A
 * non-finite threshold (NaN or infinite coordinates) falls back to direct distances for the row.
 *
 * Layout and determinism: queries are processed in fixed blocks of {@link KNN_QUERY_BLOCK} rows, one
 * `parallelMap` task each, in sub-blocks of {@link KNN_SUB_BLOCK} whose estimates (sub-block x nRef,
 * Float64) stay in cache for the selection. The partition never depends on the thread count, and
 * neither does any result.
 */
import type { DenseMatrix } from '../core/dense.js';
import { parallelMap, toShared } from '../core/parallel.js';
import { float64Regions, simdKernels } from '../linalg/simd/simdKernels.js';

/** Queries per task: fixed, independent of the thread count (determinism contract). */
export const KNN_QUERY_BLOCK = 512;
/** Queries per screened sub-block inside a task (multiple of 4). */
export const KNN_SUB_BLOCK = 32;

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
 * Packs the first `dim` columns of rows [start, end) into panels of 4 points:
 * `out[(p / 4) * dim * 4 + c * 4 + p % 4]` (zero rows pad the last panel), Float64.
 *
 * @param data row-major points of row width `stride`.
 * @param stride row width.
 * @param dim leading columns used.
 * @param start first row.
 * @param end one past the last row.
 * @param out destination, length >= ceil((end - start) / 4) * 4 * dim.
 */
export function packPointPanels(data: Float32Array | Float64Array, stride: number, dim: number, start: number, end: number, out: Float64Array): Float64Array {
  const n = end - start;
  const nPanels = (n + 3) >> 2;
  out.fill(0, 0, nPanels * 4 * dim);
  for (let t = 0; t < n; t++) {
    const o = (t >> 2) * dim * 4 + (t & 3);
    const src = (start + t) * stride;
    for (let c = 0; c < dim; c++) out[o + c * 4] = data[src + c];
  }
  return out;
}

/** Squared Euclidean norms (Float64) of the first `dim` columns of each row. */
export function rowSquaredNorms(data: Float32Array | Float64Array, nRows: number, dim: number, stride: number): Float64Array {
  const out = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let s = 0;
    const o = r * stride;
    for (let c = 0; c < dim; c++) s += data[o + c] * data[o + c];
    out[r] = s;
  }
  return out;
}

/**
 * Slack delta of the screen for one query: 4 x the bound 2E + 2g(tau + E) + g delta of the module
 * comment, with E <= (dim + 2) u M (Higham's gamma bounds for the two norms, the dot product and the
 * two combining operations; the Float32 x Float32 products are exact in Float64), g <= (dim + 3) u
 * (a difference, a square and dim - 1 additions per exact distance), tau <= M and
 * M = (|q| + max |r|)^2, u = 2^-53. About 1e-13 M: it admits only exact or near-exact ties.
 *
 * @param qNorm2 squared norm of the query.
 * @param maxRefNorm largest reference norm (not squared).
 * @param dim columns used.
 */
export function screenSlack(qNorm2: number, maxRefNorm: number, dim: number): number {
  const m = (Math.sqrt(qNorm2) + maxRefNorm) ** 2;
  return 16 * (dim + 4) * 2 ** -53 * m * 1.01;
}

/**
 * Worker kernel: exact kNN for queries `[qStart, qEnd)`. Returns squared distances (Float64) and
 * reference indices, each row sorted ascending by (distance, index).
 *
 * @param ref reference points, row-major with row width `stride`.
 * @param refPanels the same points packed by {@link packPointPanels} (all rows).
 * @param refNorms their squared norms ({@link rowSquaredNorms}).
 * @param nRef number of reference points.
 * @param query query points, row-major with row width `stride` (may be `ref`).
 * @param dim leading columns used.
 * @param stride row width of both arrays.
 * @param k neighbours per query (<= nRef).
 * @param qStart first query row of this block.
 * @param qEnd one past the last query row.
 */
export function knnExactBlock(
  ref: Float32Array | Float64Array,
  refPanels: Float64Array,
  refNorms: Float64Array,
  nRef: number,
  query: Float32Array | Float64Array,
  dim: number,
  stride: number,
  k: number,
  qStart: number,
  qEnd: number,
): { indices: Int32Array; sqDistances: Float64Array } {
  const nq = qEnd - qStart;
  const outD = new Float64Array(nq * k);
  const outI = new Int32Array(nq * k);
  let maxRefNorm = 0;
  for (let r = 0; r < nRef; r++) if (refNorms[r] > maxRefNorm) maxRefNorm = refNorms[r];
  maxRefNorm = Math.sqrt(maxRefNorm);
  const nRefPad = ((nRef + 3) >> 2) << 2;
  // The screen's operands; in the SIMD module's memory when its kernel does the screen. Estimates
  // of one sub-block: KNN_SUB_BLOCK x nRefPad, Float64 (2 MB at 8,192 points).
  const simd = simdKernels();
  const regions = float64Regions(simd, [nRefPad * dim, nRefPad, KNN_SUB_BLOCK * dim, KNN_SUB_BLOCK, KNN_SUB_BLOCK * nRefPad]);
  const [rPanels, rNorms, qPanels, qNorms, est] = regions.views;
  const [rPanelsOff, rNormsOff, qPanelsOff, qNormsOff, estOff] = regions.offsets;
  rPanels.set(refPanels.subarray(0, nRefPad * dim));
  // Padding points get +Infinity norms so they never enter the k best.
  rNorms.set(refNorms.subarray(0, nRef));
  rNorms.fill(Infinity, nRef);
  const top = new Float64Array(k);
  const cand = new Int32Array(nRef);
  const q = new Float64Array(dim);
  for (let s0 = qStart; s0 < qEnd; s0 += KNN_SUB_BLOCK) {
    const s1 = Math.min(qEnd, s0 + KNN_SUB_BLOCK);
    const nsq = s1 - s0;
    packPointPanels(query, stride, dim, s0, s1, qPanels);
    for (let t = 0; t < nsq; t++) {
      let s = 0;
      const o = (s0 + t) * stride;
      for (let c = 0; c < dim; c++) s += query[o + c] * query[o + c];
      qNorms[t] = s;
    }
    const nqp = (nsq + 3) >> 2;
    if (simd) simd.screenTile(qPanelsOff, qNormsOff, nqp, rPanelsOff, rNormsOff, nRefPad >> 2, dim, estOff, nRefPad);
    else screenTile(qPanels, qNorms, nqp, rPanels, rNorms, nRefPad >> 2, dim, est, nRefPad);
    for (let t = 0; t < nsq; t++) {
      const qi = (s0 + t) * stride;
      for (let c = 0; c < dim; c++) q[c] = query[qi + c];
      const eo = t * nRefPad;
      const qn = qNorms[t];
      // tau = the k-th smallest estimate, through a max-heap of k values. In the same pass every
      // point within slack of the running k-th value is noted: the running value only decreases,
      // so this includes every point within slack of the final tau (one pass over the estimates
      // instead of two; about k (1 + ln(n / k)) notes per query).
      const slack = screenSlack(qn, maxRefNorm, dim);
      top.fill(Infinity);
      let nCand = 0;
      for (let r = 0; r < nRef; r++) {
        const v = est[eo + r];
        if (v < top[0]) siftDownValue(top, k, v);
        if (v <= top[0] + slack) cand[nCand++] = r;
      }
      const thr = top[0] + slack;
      const base = (s0 - qStart + t) * k;
      const hd = outD.subarray(base, base + k).fill(Infinity);
      const hi = outI.subarray(base, base + k).fill(0x7fffffff);
      // A non-finite threshold (NaN or infinite coordinates) checks every point directly.
      const finite = Number.isFinite(thr);
      const nVisit = finite ? nCand : nRef;
      let worstD = Infinity;
      let worstI = 0x7fffffff;
      for (let u = 0; u < nVisit; u++) {
        const r = finite ? cand[u] : u;
        if (finite && !(est[eo + r] <= thr)) continue;
        // Exact squared distance from direct differences (the definition).
        const ri = r * stride;
        let s = 0;
        for (let c = 0; c < dim; c++) {
          const d = q[c] - ref[ri + c];
          s += d * d;
        }
        if (s < worstD || (s === worstD && r < worstI)) {
          heapReplaceTop(hd, hi, 0, k, s, r);
          worstD = hd[0];
          worstI = hi[0];
        }
      }
      // Sort ascending by (distance, index): k is small, so insertion sort is cheapest.
      sortPairs(hd, hi, 0, k);
    }
  }
  return { indices: outI, sqDistances: outD };
}

/** Replaces the root of a max-heap of `k` values with `v` and sifts it down. */
function siftDownValue(h: Float64Array, k: number, v: number): void {
  let pos = 0;
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= k) break;
    let child = l;
    if (l + 1 < k && h[l + 1] > h[l]) child = l + 1;
    if (!(h[child] > v)) break;
    h[pos] = h[child];
    pos = child;
  }
  h[pos] = v;
}

/**
 * Screened squared distances of every query panel against every reference panel:
 * est[(4 qp + a) * ld + 4 rp + b] = |q|^2 + |r|^2 - 2 q.r (rNorms padded to whole panels). The
 * reference panel is the outer loop: its 4 points (4 dim Float64) are loaded into L1 once and reused
 * by all query panels of the sub-block, which stay in L1 (KNN_SUB_BLOCK x dim Float64, 12.8 KB at
 * 50 dims). The SIMD kernel `screenTile` of linalg/simd computes the same bits.
 */
export function screenTile(
  qPanels: Float64Array, qNorms: Float64Array, nqp: number,
  rPanels: Float64Array, rNorms: Float64Array, nrp: number,
  dim: number, est: Float64Array, ld: number,
): void {
  const stride = dim * 4;
  for (let rp = 0; rp < nrp; rp++) {
    const r0 = rp * 4;
    const n0 = rNorms[r0], n1 = rNorms[r0 + 1], n2 = rNorms[r0 + 2], n3 = rNorms[r0 + 3];
    const bo = rp * stride;
    for (let qp = 0; qp < nqp; qp++) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      let a = qp * stride;
      let b = bo;
      for (let c = 0; c < dim; c++, a += 4, b += 4) {
        const x0 = qPanels[a], x1 = qPanels[a + 1], x2 = qPanels[a + 2], x3 = qPanels[a + 3];
        const y0 = rPanels[b], y1 = rPanels[b + 1], y2 = rPanels[b + 2], y3 = rPanels[b + 3];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      const m0 = qNorms[qp * 4], m1 = qNorms[qp * 4 + 1], m2 = qNorms[qp * 4 + 2], m3 = qNorms[qp * 4 + 3];
      // Padded query rows are written too (est has KNN_SUB_BLOCK rows) and never read.
      const o = qp * 4 * ld + r0;
      est[o] = m0 + n0 - 2 * s00; est[o + 1] = m0 + n1 - 2 * s01; est[o + 2] = m0 + n2 - 2 * s02; est[o + 3] = m0 + n3 - 2 * s03;
      const o1 = o + ld;
      est[o1] = m1 + n0 - 2 * s10; est[o1 + 1] = m1 + n1 - 2 * s11; est[o1 + 2] = m1 + n2 - 2 * s12; est[o1 + 3] = m1 + n3 - 2 * s13;
      const o2 = o1 + ld;
      est[o2] = m2 + n0 - 2 * s20; est[o2 + 1] = m2 + n1 - 2 * s21; est[o2 + 2] = m2 + n2 - 2 * s22; est[o2 + 3] = m2 + n3 - 2 * s23;
      const o3 = o2 + ld;
      est[o3] = m3 + n0 - 2 * s30; est[o3 + 1] = m3 + n1 - 2 * s31; est[o3 + 2] = m3 + n2 - 2 * s32; est[o3 + 3] = m3 + n3 - 2 * s33;
    }
  }
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
  const share = threads > 1;
  const refData = share ? toShared(ref.data) : ref.data;
  const queryData = query === ref ? refData : share ? toShared(query.data) : query.data;
  const nRefPad = ((ref.nRows + 3) >> 2) << 2;
  const panels = packPointPanels(ref.data, ref.nCols, dim, 0, ref.nRows, share ? toShared(new Float64Array(nRefPad * dim)) : new Float64Array(nRefPad * dim));
  const norms = rowSquaredNorms(ref.data, ref.nRows, dim, ref.nCols);
  const refNorms = share ? toShared(norms) : norms;
  const tasks: unknown[][] = [];
  for (let s = 0; s < query.nRows; s += KNN_QUERY_BLOCK) {
    tasks.push([refData, panels, refNorms, ref.nRows, queryData, dim, ref.nCols, k, s, Math.min(query.nRows, s + KNN_QUERY_BLOCK)]);
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
