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
import { allocIndptr } from '../core/sparse.js';

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
  // Pass 1 counts kept entries per row; pass 2 fills them. Recomputing the counts is cheaper
  // than holding an unknown number of entries in growable arrays.
  const shared = new Int32Array(n);
  const touched = new Int32Array(n);
  const rowNnz = new Int32Array(n);
  const keep = (s: number): boolean => s / (2 * k - s) >= prune;
  for (let i = 0; i < n; i++) {
    const nt = countShared(indices, k, i, revPtr, rev, shared, touched);
    let c = 0;
    for (let t = 0; t < nt; t++) {
      if (keep(shared[touched[t]])) c++;
      shared[touched[t]] = 0;
    }
    rowNnz[i] = c;
  }
  let nnz = 0;
  for (let i = 0; i < n; i++) nnz += rowNnz[i];
  const indptr = allocIndptr(n + 1, nnz);
  const cols = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const nt = countShared(indices, k, i, revPtr, rev, shared, touched);
    // Sorting the touched cells gives CSR's increasing column order.
    touched.subarray(0, nt).sort();
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      const s = shared[j];
      shared[j] = 0;
      if (keep(s)) {
        cols[pos] = j;
        data[pos] = s / (2 * k - s);
        pos++;
      }
    }
    indptr[i + 1] = pos;
  }
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
