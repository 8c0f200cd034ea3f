/**
 * Seurat's shared-nearest-neighbour graph (`FindNeighbors`, `ComputeSNN`): with A the n x n 0/1
 * matrix of kNN membership (row i has ones at its k neighbours, itself included), S = A A^T counts
 * shared neighbours, and the edge weight is the Jaccard index of the two kNN sets,
 *   J(i, j) = s / (k + (k - s)) = |N(i) ∩ N(j)| / |N(i) ∪ N(j)|,
 * set to 0 (not stored) when J < prune (Seurat `prune.SNN`, default 1/15).
 *
 * The product is computed row by row through the reverse neighbour lists (the CSR transpose of
 * A), never over all pairs: row i visits each of its k neighbours m and every cell that lists m,
 * so the cost is O(n k * mean in-degree). The diagonal (J = 1) is kept, as in Seurat's graph.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { allocIndices, allocIndptr, allocValues } from '../core/sparse.js';

/**
 * Builds the pruned Jaccard SNN graph from kNN lists.
 *
 * @param indices row-major `n x k` neighbour indices (each row a set: no repeated index).
 * @param n number of cells.
 * @param k neighbours per cell (self included).
 * @param prune Jaccard values below this become 0. @default 1/15
 * @returns a symmetric CSR `n x n` with sorted column indices and Float32 Jaccard values.
 * @example
 * const snn = buildSnnGraph(knn.indices, knn.nRows, knn.k);
 */
export function buildSnnGraph(indices: Int32Array, n: number, k: number, prune = 1 / 15): CsrMatrix {
  if (indices.length !== n * k) throw new Error(`indices has length ${indices.length}, expected n*k = ${n * k}`);
  // Reverse lists: revPtr/rev hold, for each cell m, the cells whose kNN contains m (A^T in CSR).
  const revPtr = new Int32Array(n + 1);
  for (let t = 0; t < indices.length; t++) revPtr[indices[t] + 1]++;
  for (let m = 0; m < n; m++) revPtr[m + 1] += revPtr[m];
  const cursor = revPtr.slice(0, n);
  const rev = new Int32Array(indices.length);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) rev[cursor[indices[i * k + t]]++] = i;
  }
  // One pass: each row's kept cells are sorted (CSR's increasing column order) and appended to
  // buffers that grow by doubling, then copied once into exact-size storage.
  const shared = new Int32Array(n);
  const touched = new Int32Array(n);
  const rowEnd = new Float64Array(n);
  let bufCols = new Int32Array(Math.max(16, 2 * n * k));
  let bufData = new Float32Array(bufCols.length);
  let pos = 0;
  const twoK = 2 * k;
  for (let i = 0; i < n; i++) {
    const nt = countShared(indices, k, i, revPtr, rev, shared, touched);
    let nk = 0;
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      const sv = shared[j];
      if (sv / (twoK - sv) >= prune) touched[nk++] = j;
      else shared[j] = 0;
    }
    touched.subarray(0, nk).sort();
    if (pos + nk > bufCols.length) {
      const grown = Math.max(2 * bufCols.length, pos + nk);
      const c = new Int32Array(grown);
      c.set(bufCols.subarray(0, pos));
      const d = new Float32Array(grown);
      d.set(bufData.subarray(0, pos));
      bufCols = c;
      bufData = d;
    }
    for (let t = 0; t < nk; t++) {
      const j = touched[t];
      const sv = shared[j];
      shared[j] = 0;
      bufCols[pos] = j;
      bufData[pos] = sv / (twoK - sv);
      pos++;
    }
    rowEnd[i] = pos;
  }
  const indptr = allocIndptr(n + 1, pos);
  for (let i = 0; i < n; i++) indptr[i + 1] = rowEnd[i];
  const cols = allocIndices(pos);
  cols.set(bufCols.subarray(0, pos));
  const data = allocValues(pos);
  data.set(bufData.subarray(0, pos));
  return { format: 'csr', nRows: n, nCols: n, indptr, indices: cols, data };
}

/** Fills `shared[j]` with |N(i) ∩ N(j)| for every j sharing a neighbour with i; returns how many j. */
function countShared(
  indices: Int32Array,
  k: number,
  i: number,
  revPtr: Int32Array,
  rev: Int32Array,
  shared: Int32Array,
  touched: Int32Array,
): number {
  let nt = 0;
  for (let t = 0; t < k; t++) {
    const m = indices[i * k + t];
    for (let e = revPtr[m]; e < revPtr[m + 1]; e++) {
      const j = rev[e];
      if (shared[j] === 0) touched[nt++] = j;
      shared[j]++;
    }
  }
  return nt;
}
