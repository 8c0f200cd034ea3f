/** Dense row-major matrices (embeddings, loadings). Float32 storage, as in h5ad obsm. */

export interface DenseMatrix {
  readonly nRows: number;
  readonly nCols: number;
  /** Row-major values: element (i, j) at `i * nCols + j`. */
  readonly data: Float32Array | Float64Array;
}

/** A zero-filled Float32 dense matrix. */
export function zerosDense(nRows: number, nCols: number): DenseMatrix {
  return { nRows, nCols, data: new Float32Array(nRows * nCols) };
}

/** The first `n` rows of a dense matrix as a view of its data (no copy). */
export function headDenseRows(m: DenseMatrix, n: number): DenseMatrix {
  return { nRows: n, nCols: m.nCols, data: m.data.subarray(0, n * m.nCols) };
}

/** Rows `rows` of a dense matrix, in that order. */
export function subsetDenseRows(m: DenseMatrix, rows: ArrayLike<number>): DenseMatrix {
  const out = new (m.data.constructor as Float32ArrayConstructor)(rows.length * m.nCols);
  for (let t = 0; t < rows.length; t++) {
    out.set(m.data.subarray(rows[t] * m.nCols, (rows[t] + 1) * m.nCols), t * m.nCols);
  }
  return { nRows: rows.length, nCols: m.nCols, data: out };
}

/** Column `j` as a Float64Array. */
export function denseColumn(m: DenseMatrix, j: number): Float64Array {
  const out = new Float64Array(m.nRows);
  for (let i = 0; i < m.nRows; i++) out[i] = m.data[i * m.nCols + j];
  return out;
}
