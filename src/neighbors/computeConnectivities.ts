/**
 * UMAP's fuzzy simplicial set (McInnes, Healy & Melville 2018; umap-learn `fuzzy_simplicial_set`,
 * used by scanpy for `obsp['connectivities']`).
 *
 * For each cell i with kNN distances d_i1 <= ... (self excluded):
 *   rho_i   = distance to the nearest other neighbour with d > 0 (local_connectivity = 1),
 *   sigma_i solves  sum_j exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k)  by bisection
 *           (64 steps, tolerance 1e-5, umap-learn's SMOOTH_K_TOLERANCE), floored at
 *           1e-3 x mean distance (MIN_K_DIST_SCALE) as umap-learn does,
 *   p_{j|i} = exp(-max(0, d_ij - rho_i) / sigma_i)   (1 when d_ij <= rho_i),
 * and the symmetric membership is the fuzzy union  w_ij = p + p' - p p'  with p' = p_{i|j}.
 * k counts the cell itself, as umap-learn's n_neighbors does. The diagonal is not stored.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { allocIndptr, transposeCsr } from '../core/sparse.js';

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const N_ITER = 64;

/** Smoothed kNN distances (umap-learn `smooth_knn_dist`). */
export interface SmoothKnn {
  /** Distance to the nearest neighbour with positive distance, per cell. */
  readonly rho: Float64Array;
  /** Bandwidth per cell. */
  readonly sigma: Float64Array;
}

/**
 * rho and sigma per cell from row-major `n x k` kNN lists (the cell itself is skipped by index).
 *
 * @param indices neighbour indices, row-major `n x k`.
 * @param distances matching Euclidean distances, ascending per row.
 * @param n number of cells.
 * @param k neighbours per cell, self included.
 */
export function smoothKnnDistances(indices: Int32Array, distances: Float32Array, n: number, k: number): SmoothKnn {
  const target = Math.log2(k);
  const rho = new Float64Array(n);
  const sigma = new Float64Array(n);
  let meanAll = 0;
  for (let t = 0; t < distances.length; t++) meanAll += distances[t];
  meanAll /= Math.max(1, distances.length);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let meanRow = 0;
    let r = 0;
    for (let t = 0; t < k; t++) {
      const d = distances[base + t];
      meanRow += d;
      if (r === 0 && d > 0 && indices[base + t] !== i) r = d;
    }
    meanRow /= k;
    rho[i] = r;
    // Bisection on sigma; psum decreases as sigma shrinks. hi = Infinity until first overshoot.
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < N_ITER; it++) {
      let psum = 0;
      for (let t = 0; t < k; t++) {
        if (indices[base + t] === i) continue;
        const d = distances[base + t] - r;
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const floor = MIN_K_DIST_SCALE * (r > 0 ? meanRow : meanAll);
    sigma[i] = mid < floor ? floor : mid;
  }
  return { rho, sigma };
}

/**
 * The fuzzy-union connectivity graph from kNN lists.
 *
 * @param indices neighbour indices, row-major `n x k` (self included, as returned by kNN).
 * @param distances matching distances, ascending per row.
 * @param n number of cells.
 * @param k neighbours per cell, self included.
 * @returns symmetric CSR `n x n`, sorted columns, Float32 weights in (0, 1], no diagonal.
 * @example
 * const conn = computeConnectivities(knn.indices, knn.distances, knn.nRows, knn.k);
 */
export function computeConnectivities(indices: Int32Array, distances: Float32Array, n: number, k: number): CsrMatrix {
  const { rho, sigma } = smoothKnnDistances(indices, distances, n, k);
  // Directed memberships p_{j|i} as CSR (self dropped), columns sorted per row.
  let nnz = 0;
  for (let t = 0; t < indices.length; t++) if (indices[t] !== Math.floor(t / k)) nnz++;
  const ptr = allocIndptr(n + 1, nnz);
  const col = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  const order = new Int32Array(k);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let m = 0;
    for (let t = 0; t < k; t++) if (indices[base + t] !== i) order[m++] = t;
    order.subarray(0, m).sort((a, b) => indices[base + a] - indices[base + b]);
    for (let u = 0; u < m; u++) {
      const t = order[u];
      const d = distances[base + t] - rho[i];
      col[pos] = indices[base + t];
      val[pos] = d <= 0 || sigma[i] === 0 ? 1 : Math.exp(-d / sigma[i]);
      pos++;
    }
    ptr[i + 1] = pos;
  }
  const p: CsrMatrix = { format: 'csr', nRows: n, nCols: n, indptr: ptr, indices: col, data: val };
  const pt = transposeCsr(p);
  // Merge row i of P and of P^T (both sorted): a + b - a b, in Float64 before rounding to Float32.
  const outPtr = allocIndptr(n + 1, 2 * nnz);
  const outCol = new Int32Array(2 * nnz);
  const outVal = new Float32Array(2 * nnz);
  let o = 0;
  for (let i = 0; i < n; i++) {
    let a = p.indptr[i];
    const aEnd = p.indptr[i + 1];
    let b = pt.indptr[i];
    const bEnd = pt.indptr[i + 1];
    while (a < aEnd || b < bEnd) {
      const ca = a < aEnd ? p.indices[a] : n;
      const cb = b < bEnd ? pt.indices[b] : n;
      let x = 0;
      let y = 0;
      let c: number;
      if (ca === cb) {
        c = ca; x = p.data[a++]; y = pt.data[b++];
      } else if (ca < cb) {
        c = ca; x = p.data[a++];
      } else {
        c = cb; y = pt.data[b++];
      }
      const w = x + y - x * y;
      if (w > 0) {
        outCol[o] = c;
        outVal[o] = w;
        o++;
      }
    }
    outPtr[i + 1] = o;
  }
  return { format: 'csr', nRows: n, nCols: n, indptr: outPtr, indices: outCol.slice(0, o), data: outVal.slice(0, o) };
}
