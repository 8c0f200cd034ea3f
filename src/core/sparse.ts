/**
 * Compressed sparse matrices (CSR for per-cell work, CSC for per-gene work), their validation
 * and conversion. Storage is Float32 (counts and log values fit); accumulate in Float64.
 * The layout matches scipy/anndata so h5ad round trips without copies.
 */

/** Index pointer array: Uint32 while nnz < 2^32, Float64 beyond (exact to 2^53). */
export type Indptr = Uint32Array | Float64Array;

/** Compressed sparse row matrix: row `i` holds `indices/data[indptr[i] .. indptr[i+1])`. */
export interface CsrMatrix {
  readonly format: 'csr';
  readonly nRows: number;
  readonly nCols: number;
  readonly indptr: Indptr;
  /** Column of each stored value, strictly increasing within a row. */
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/** Compressed sparse column matrix: column `j` holds `indices/data[indptr[j] .. indptr[j+1])`. */
export interface CscMatrix {
  readonly format: 'csc';
  readonly nRows: number;
  readonly nCols: number;
  readonly indptr: Indptr;
  /** Row of each stored value, strictly increasing within a column. */
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

export type CompressedMatrix = CsrMatrix | CscMatrix;

/*
 * Matrix storage lives in SharedArrayBuffer memory: worker threads read a matrix (and write
 * disjoint parts of a new one) without a copy, so per-row steps run in parallel at no memory cost.
 * Access is as fast as ordinary memory; allocation is lazy and zero-filled the same way.
 */

/** Allocates an index pointer wide enough for `nnz` entries, in shared memory. */
export function allocIndptr(length: number, nnz: number): Indptr {
  return nnz < 2 ** 32 ? new Uint32Array(new SharedArrayBuffer(4 * length)) : new Float64Array(new SharedArrayBuffer(8 * length));
}

/** Allocates `n` zeroed column (CSR) or row (CSC) indices in shared memory. */
export function allocIndices(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Allocates `n` zeroed stored values in shared memory. */
export function allocValues(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/** Number of stored entries. */
export function nnzOf(m: CompressedMatrix): number {
  return m.indptr[m.indptr.length - 1];
}

/** Stored entries of the rows `rows` of `m`. */
export function entriesOfRows(m: CsrMatrix, rows: ArrayLike<number>): number {
  let n = 0;
  for (let t = 0; t < rows.length; t++) n += m.indptr[rows[t] + 1] - m.indptr[rows[t]];
  return n;
}

/**
 * Checks the compressed-matrix invariants (tatami style) and returns a description of the first
 * violation, or null when valid. `where` names the source in the message.
 */
export function checkCompressed(m: CompressedMatrix): string | null {
  const major = m.format === 'csr' ? m.nRows : m.nCols;
  const minor = m.format === 'csr' ? m.nCols : m.nRows;
  const majorName = m.format === 'csr' ? 'row' : 'column';
  if (!Number.isInteger(m.nRows) || m.nRows < 0 || !Number.isInteger(m.nCols) || m.nCols < 0) {
    return `expected non-negative integer shape, got ${m.nRows} x ${m.nCols}`;
  }
  if (m.indptr.length !== major + 1) {
    return `expected indptr of length ${major + 1} (${majorName}s + 1), got ${m.indptr.length}`;
  }
  if (m.indptr[0] !== 0) return `expected indptr[0] = 0, got ${m.indptr[0]}`;
  const nnz = m.indptr[major];
  if (m.indices.length !== nnz || m.data.length !== nnz) {
    return `expected indices and data of length indptr[${major}] = ${nnz}, got ${m.indices.length} and ${m.data.length}`;
  }
  const { indptr, indices } = m;
  for (let r = 0; r < major; r++) {
    const start = indptr[r];
    const end = indptr[r + 1];
    if (end < start) return `expected non-decreasing indptr, got indptr[${r + 1}] = ${end} < indptr[${r}] = ${start}`;
    let prev = -1;
    for (let k = start; k < end; k++) {
      const c = indices[k];
      if (c < 0 || c >= minor) {
        return `expected index in [0, ${minor}) in ${majorName} ${r}, got ${c} at position ${k}`;
      }
      if (c <= prev) {
        return `expected strictly increasing indices within ${majorName} ${r}, got ${c} after ${prev} at position ${k}`;
      }
      prev = c;
    }
  }
  return null;
}

/** Throws `makeError(description)` when `m` is not a valid compressed matrix. */
export function validateCompressed<E extends Error>(m: CompressedMatrix, makeError: (problem: string) => E): void {
  const problem = checkCompressed(m);
  if (problem !== null) throw makeError(problem);
}

/**
 * Transposes the compressed layout: CSR (r x c) to CSC of the same matrix, or CSC to CSR.
 * A counting sort over the minor index, O(nnz + n); output indices come out sorted because the
 * major dimension is scanned in order.
 */
function swapLayout(m: CompressedMatrix): { indptr: Indptr; indices: Int32Array; data: Float32Array } {
  const major = m.format === 'csr' ? m.nRows : m.nCols;
  const minor = m.format === 'csr' ? m.nCols : m.nRows;
  const nnz = nnzOf(m);
  const indptr = allocIndptr(minor + 1, nnz);
  const { indices: srcIdx, data: srcData, indptr: srcPtr } = m;
  for (let k = 0; k < nnz; k++) indptr[srcIdx[k] + 1]++;
  for (let c = 0; c < minor; c++) indptr[c + 1] += indptr[c];
  const cursor = indptr.slice(0, minor) as Indptr; // a private copy: ordinary memory
  const indices = allocIndices(nnz);
  const data = allocValues(nnz);
  for (let r = 0; r < major; r++) {
    const end = srcPtr[r + 1];
    for (let k = srcPtr[r]; k < end; k++) {
      const c = srcIdx[k];
      const dst = cursor[c]++;
      indices[dst] = r;
      data[dst] = srcData[k];
    }
  }
  return { indptr, indices, data };
}

/** The same matrix in CSC layout (a copy; returns `m` itself when already CSC). */
export function toCsc(m: CompressedMatrix): CscMatrix {
  if (m.format === 'csc') return m;
  return { format: 'csc', nRows: m.nRows, nCols: m.nCols, ...swapLayout(m) };
}

/** The same matrix in CSR layout (a copy; returns `m` itself when already CSR). */
export function toCsr(m: CompressedMatrix): CsrMatrix {
  if (m.format === 'csr') return m;
  return { format: 'csr', nRows: m.nRows, nCols: m.nCols, ...swapLayout(m) };
}

/** The transpose: a CSR r x c becomes a CSR c x r (same arrays reinterpreted as CSC, then swapped). */
export function transposeCsr(m: CsrMatrix): CsrMatrix {
  const asCsc: CscMatrix = { format: 'csc', nRows: m.nCols, nCols: m.nRows, indptr: m.indptr, indices: m.indices, data: m.data };
  return toCsr(asCsc);
}

/** Rows `rows` (in that order) of a CSR matrix. */
export function subsetRows(m: CsrMatrix, rows: ArrayLike<number>): CsrMatrix {
  let nnz = 0;
  for (let t = 0; t < rows.length; t++) nnz += m.indptr[rows[t] + 1] - m.indptr[rows[t]];
  const indptr = allocIndptr(rows.length + 1, nnz);
  const indices = allocIndices(nnz);
  const data = allocValues(nnz);
  let pos = 0;
  for (let t = 0; t < rows.length; t++) {
    const start = m.indptr[rows[t]];
    const end = m.indptr[rows[t] + 1];
    indices.set(m.indices.subarray(start, end), pos);
    data.set(m.data.subarray(start, end), pos);
    pos += end - start;
    indptr[t + 1] = pos;
  }
  return { format: 'csr', nRows: rows.length, nCols: m.nCols, indptr, indices, data };
}

/**
 * Columns `cols` of a CSR matrix, renumbered 0..cols.length-1 in the given order. Column order
 * must be increasing when the result must keep sorted indices; otherwise rows are re-sorted.
 */
export function subsetCols(m: CsrMatrix, cols: ArrayLike<number>): CsrMatrix {
  const map = new Int32Array(m.nCols).fill(-1);
  let increasing = true;
  for (let t = 0; t < cols.length; t++) {
    map[cols[t]] = t;
    if (t > 0 && cols[t] <= cols[t - 1]) increasing = false;
  }
  let nnz = 0;
  const srcNnz = nnzOf(m);
  for (let k = 0; k < srcNnz; k++) if (map[m.indices[k]] >= 0) nnz++;
  const indptr = allocIndptr(m.nRows + 1, nnz);
  const indices = allocIndices(nnz);
  const data = allocValues(nnz);
  let pos = 0;
  for (let i = 0; i < m.nRows; i++) {
    const rowStart = pos;
    const end = m.indptr[i + 1];
    for (let k = m.indptr[i]; k < end; k++) {
      const t = map[m.indices[k]];
      if (t >= 0) {
        indices[pos] = t;
        data[pos] = m.data[k];
        pos++;
      }
    }
    if (!increasing) sortRowSegment(indices, data, rowStart, pos);
    indptr[i + 1] = pos;
  }
  return { format: 'csr', nRows: m.nRows, nCols: cols.length, indptr, indices, data };
}

/** Insertion/heap-free sort of one row segment by index (rows are short, so a simple sort suffices). */
export function sortRowSegment(indices: Int32Array, data: Float32Array, start: number, end: number): void {
  const n = end - start;
  if (n < 2) return;
  const order = new Int32Array(n);
  for (let t = 0; t < n; t++) order[t] = t;
  const idx = indices.slice(start, end);
  const val = data.slice(start, end);
  order.sort((a, b) => idx[a] - idx[b]);
  for (let t = 0; t < n; t++) {
    indices[start + t] = idx[order[t]];
    data[start + t] = val[order[t]];
  }
}

/** Builds a CSR matrix from a dense row-major array (tests and small inputs). */
export function csrFromDense(nRows: number, nCols: number, values: ArrayLike<number>): CsrMatrix {
  let nnz = 0;
  for (let t = 0; t < nRows * nCols; t++) if (values[t] !== 0) nnz++;
  const indptr = allocIndptr(nRows + 1, nnz);
  const indices = allocIndices(nnz);
  const data = allocValues(nnz);
  let pos = 0;
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) {
      const v = values[i * nCols + j];
      if (v !== 0) {
        indices[pos] = j;
        data[pos] = v;
        pos++;
      }
    }
    indptr[i + 1] = pos;
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}

/** Dense row-major Float64 copy of a compressed matrix (tests and small inputs only). */
export function toDenseArray(m: CompressedMatrix): Float64Array {
  const out = new Float64Array(m.nRows * m.nCols);
  const major = m.format === 'csr' ? m.nRows : m.nCols;
  for (let r = 0; r < major; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const c = m.indices[k];
      if (m.format === 'csr') out[r * m.nCols + c] = m.data[k];
      else out[c * m.nCols + r] = m.data[k];
    }
  }
  return out;
}

/** Stacks CSR matrices with the same number of columns on top of each other. */
export function vstackCsr(parts: readonly CsrMatrix[]): CsrMatrix {
  if (parts.length === 0) throw new Error('vstackCsr needs at least one matrix');
  const nCols = parts[0].nCols;
  let nRows = 0;
  let nnz = 0;
  for (const p of parts) {
    if (p.nCols !== nCols) throw new Error(`vstackCsr: column counts differ (${nCols} vs ${p.nCols})`);
    nRows += p.nRows;
    nnz += nnzOf(p);
  }
  const indptr = allocIndptr(nRows + 1, nnz);
  const indices = allocIndices(nnz);
  const data = allocValues(nnz);
  let row = 0;
  let offset = 0;
  for (const p of parts) {
    const pn = nnzOf(p);
    indices.set(p.indices.subarray(0, pn), offset);
    data.set(p.data.subarray(0, pn), offset);
    for (let i = 0; i < p.nRows; i++) indptr[row + i + 1] = offset + p.indptr[i + 1];
    row += p.nRows;
    offset += pn;
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}

/**
 * Rows `rows` of `m`, where `m` has the same sparsity structure (indptr and indices arrays) as the
 * matrix that `subset` was cut from by `subsetRows(source, rows)`: only the values are gathered, and
 * the result reuses `subset`'s indptr and indices, so a log-normalized X and its counts layer stay
 * one structure after subsetting (8 bytes per entry for both instead of 16).
 * @param m - shares `indptr`/`indices` with the source of `subset`
 * @param rows - the rows that gave `subset`
 * @param subset - `subsetRows(source, rows)`
 */
export function subsetRowsSharing(m: CsrMatrix, rows: ArrayLike<number>, subset: CsrMatrix): CsrMatrix {
  const data = allocValues(subset.data.length);
  for (let t = 0; t < rows.length; t++) {
    data.set(m.data.subarray(m.indptr[rows[t]], m.indptr[rows[t] + 1]), subset.indptr[t]);
  }
  return { format: 'csr', nRows: subset.nRows, nCols: subset.nCols, indptr: subset.indptr, indices: subset.indices, data };
}

/**
 * Columns `cols` (strictly increasing) of `m`, where `m` shares indptr and indices with the matrix
 * that `subset` was cut from by `subsetCols(source, cols)`: only the values are gathered, in the
 * order subsetCols keeps them, and `subset`'s indptr and indices are reused.
 * @param m - shares `indptr`/`indices` with the source of `subset`
 * @param cols - strictly increasing columns that gave `subset` (no re-sorting happened)
 * @param subset - `subsetCols(source, cols)`
 */
export function subsetColsSharing(m: CsrMatrix, cols: ArrayLike<number>, subset: CsrMatrix): CsrMatrix {
  const keep = new Uint8Array(m.nCols);
  for (let t = 0; t < cols.length; t++) keep[cols[t]] = 1;
  const data = allocValues(subset.data.length);
  const srcNnz = nnzOf(m);
  let pos = 0;
  for (let k = 0; k < srcNnz; k++) if (keep[m.indices[k]]) data[pos++] = m.data[k];
  return { format: 'csr', nRows: subset.nRows, nCols: subset.nCols, indptr: subset.indptr, indices: subset.indices, data };
}

/**
 * True when `idx` is 0, 1, ..., idx.length-1 (the leading rows in order) and those rows hold at least
 * half of the stored entries: such a subset can be a view of `m` (see {@link headRows}) without pinning
 * a much larger parent in memory.
 */
export function isLargePrefixSelection(idx: ArrayLike<number>, m: CompressedMatrix): boolean {
  const n = idx.length;
  if (n > m.indptr.length - 1) return false;
  for (let t = 0; t < n; t++) if (idx[t] !== t) return false;
  return 2 * m.indptr[n] >= nnzOf(m);
}

/** The first `n` rows of a CSR matrix as views of its arrays: no copy (matrices are immutable). */
export function headRows(m: CsrMatrix, n: number): CsrMatrix {
  const end = m.indptr[n];
  return { format: 'csr', nRows: n, nCols: m.nCols, indptr: m.indptr.subarray(0, n + 1), indices: m.indices.subarray(0, end), data: m.data.subarray(0, end) };
}

/** {@link headRows} of `m`, which shares indptr/indices with the source of `subset = headRows(source, n)`: the result reuses `subset`'s structure. */
export function headRowsSharing(m: CsrMatrix, subset: CsrMatrix): CsrMatrix {
  return { ...subset, data: m.data.subarray(0, subset.indices.length) };
}

/** True when `idx` is exactly 0, 1, ..., n-1 (a subset that keeps everything in order). */
export function isIdentitySelection(idx: ArrayLike<number>, n: number): boolean {
  if (idx.length !== n) return false;
  for (let t = 0; t < n; t++) if (idx[t] !== t) return false;
  return true;
}
