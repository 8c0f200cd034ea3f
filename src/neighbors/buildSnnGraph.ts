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

/** The reverse kNN lists: for each cell m, the cells whose list contains m (A^T in CSR). */
export interface ReverseLists {
  revPtr: Int32Array;
  rev: Int32Array;
}

/** {@link ReverseLists} of row-major `n x k` kNN lists, each cell's lister in increasing order. */
export function reverseLists(indices: Int32Array, n: number, k: number): ReverseLists {
  if (indices.length !== n * k) throw new Error(`indices has length ${indices.length}, expected n*k = ${n * k}`);
  const revPtr = new Int32Array(n + 1);
  for (let t = 0; t < indices.length; t++) revPtr[indices[t] + 1]++;
  for (let m = 0; m < n; m++) revPtr[m + 1] += revPtr[m];
  const cursor = revPtr.slice(0, n);
  const rev = new Int32Array(indices.length);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) rev[cursor[indices[i * k + t]]++] = i;
  }
  return { revPtr, rev };
}

/** Rows [r0, r1) of the SNN graph: entries per row, then their columns (sorted) and Jaccard values. */
export interface SnnRows {
  r0: number;
  r1: number;
  lengths: Int32Array;
  cols: Int32Array;
  data: Float32Array;
}

/**
 * Worker kernel: rows [r0, r1) of the pruned Jaccard SNN graph. Every row depends only on the kNN
 * and reverse lists, so blocks of rows build independently and concatenate to the same graph.
 */
export function snnRows(indices: Int32Array, revPtr: Int32Array, rev: Int32Array, n: number, k: number, prune: number, r0: number, r1: number): SnnRows {
  const shared = new Int32Array(n);
  const touched = new Int32Array(n);
  const lengths = new Int32Array(r1 - r0);
  // Kept cells of each row, sorted (CSR's increasing column order), appended to buffers that grow
  // by doubling and are trimmed once at the end.
  let cols = new Int32Array(Math.max(16, 2 * (r1 - r0) * k));
  let data = new Float32Array(cols.length);
  let pos = 0;
  const twoK = 2 * k;
  for (let i = r0; i < r1; i++) {
    const nt = countShared(indices, k, i, revPtr, rev, shared, touched);
    let nk = 0;
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      const sv = shared[j];
      if (sv / (twoK - sv) >= prune) touched[nk++] = j;
      else shared[j] = 0;
    }
    touched.subarray(0, nk).sort();
    if (pos + nk > cols.length) {
      const grown = Math.max(2 * cols.length, pos + nk);
      const c = new Int32Array(grown);
      c.set(cols.subarray(0, pos));
      const d = new Float32Array(grown);
      d.set(data.subarray(0, pos));
      cols = c;
      data = d;
    }
    for (let t = 0; t < nk; t++) {
      const j = touched[t];
      const sv = shared[j];
      shared[j] = 0;
      cols[pos] = j;
      data[pos] = sv / (twoK - sv);
      pos++;
    }
    lengths[i - r0] = nk;
  }
  return { r0, r1, lengths, cols: cols.slice(0, pos), data: data.slice(0, pos) };
}

/** The n x n SNN graph from its row blocks, in row order. */
export function assembleSnnRows(blocks: readonly SnnRows[], n: number): CsrMatrix {
  let nnz = 0;
  for (const b of blocks) nnz += b.cols.length;
  const indptr = allocIndptr(n + 1, nnz);
  const cols = allocIndices(nnz);
  const data = allocValues(nnz);
  let pos = 0;
  for (const b of blocks) {
    for (let i = b.r0; i < b.r1; i++) indptr[i + 1] = indptr[i] + b.lengths[i - b.r0];
    cols.set(b.cols, pos);
    data.set(b.data, pos);
    pos += b.cols.length;
  }
  return { format: 'csr', nRows: n, nCols: n, indptr, indices: cols, data };
}

/**
 * Builds the pruned Jaccard SNN graph from kNN lists (on this thread; see computeNeighborGraphs
 * for the version over row blocks in workers).
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
  const { revPtr, rev } = reverseLists(indices, n, k);
  return assembleSnnRows([snnRows(indices, revPtr, rev, n, k, prune, 0, n)], n);
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
