/**
 * Row and column selections of a CSR matrix, copied by worker threads into shared memory.
 *
 * Copying a matrix costs about twice as much as reading it: every page of the new arrays is
 * faulted in and zeroed on first write. Both halves split over threads, so the copy runs over fixed
 * blocks of output rows, each written by one task. A cell and a gene selection together make one
 * copy, not two (QC keeps the passing cells and the detected genes at once). The output is the
 * same for any thread count: each entry is copied, never computed.
 */
import { type CsrMatrix, type Indptr, allocIndices, allocIndptr, allocValues, nnzOf } from './sparse.js';
import { parallelMap } from './parallel.js';
import { rowBlocks, threadsFor } from './rowBlocks.js';

/**
 * Rows `rows` (any order; null = all, in order) and columns `cols` (strictly increasing; null = all)
 * of `m`, columns renumbered 0..cols.length-1. Indices stay sorted within each row.
 * @param threads - worker threads for the counting and copying passes
 */
export async function subsetCsrParallel(m: CsrMatrix, rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, threads: number): Promise<CsrMatrix> {
  const rowList = rows === null ? null : Int32Array.from(rows);
  const nOut = rowList ? rowList.length : m.nRows;
  const colMap = cols === null ? null : columnMap(m.nCols, cols);
  const indptr = await outputIndptr(m, rowList, colMap, nOut, threads);
  const nnz = indptr[nOut];
  const out: CsrMatrix = { format: 'csr', nRows: nOut, nCols: cols ? cols.length : m.nCols, indptr, indices: allocIndices(nnz), data: allocValues(nnz) };
  await copyBlocks(m, rowList, colMap, out, true, threads);
  return out;
}

/**
 * The values of `m` at the positions `subset` kept from its source, where `m` shares indptr and
 * indices with that source and `subset = await subsetCsrParallel(source, rows, cols)`: the result
 * reuses `subset`'s indptr and indices (a counts layer beside a log-normalized X stays one structure).
 */
export async function subsetValuesParallel(m: CsrMatrix, rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, subset: CsrMatrix, threads: number): Promise<CsrMatrix> {
  const rowList = rows === null ? null : Int32Array.from(rows);
  const colMap = cols === null ? null : columnMap(m.nCols, cols);
  const out: CsrMatrix = { ...subset, data: allocValues(subset.data.length) };
  await copyBlocks(m, rowList, colMap, out, false, threads);
  return out;
}

/** True when `cols` is strictly increasing (the order {@link subsetCsrParallel} requires). */
export function isIncreasing(cols: ArrayLike<number>): boolean {
  for (let t = 1; t < cols.length; t++) if (cols[t] <= cols[t - 1]) return false;
  return true;
}

/** Old column -> new column, -1 for dropped ones. */
function columnMap(nCols: number, cols: ArrayLike<number>): Int32Array {
  if (!isIncreasing(cols)) throw new Error('subsetCsrParallel needs strictly increasing columns');
  const map = new Int32Array(nCols).fill(-1);
  for (let t = 0; t < cols.length; t++) map[cols[t]] = t;
  return map;
}

/** Index pointer of the subset: row lengths from the source, or counted in workers when columns drop. */
async function outputIndptr(m: CsrMatrix, rowList: Int32Array | null, colMap: Int32Array | null, nOut: number, threads: number): Promise<Indptr> {
  let lengths: Float64Array;
  if (colMap === null) {
    lengths = new Float64Array(nOut);
    for (let t = 0; t < nOut; t++) {
      const i = rowList ? rowList[t] : t;
      lengths[t] = m.indptr[i + 1] - m.indptr[i];
    }
  } else {
    const blocks = rowBlocks(nOut, nnzOf(m));
    const tasks: unknown[][] = [];
    for (let b = 0; b < blocks.length; b += 2) tasks.push([m.indptr, m.indices, rowList, colMap, blocks[b], blocks[b + 1]]);
    const parts = await parallelMap<Float64Array>(import.meta.url, 'keptPerRow', tasks, threadsFor(threads, nnzOf(m)));
    lengths = new Float64Array(nOut);
    for (let b = 0; b < parts.length; b++) lengths.set(parts[b], blocks[2 * b]);
  }
  let nnz = 0;
  for (let t = 0; t < nOut; t++) nnz += lengths[t];
  const indptr = allocIndptr(nOut + 1, nnz);
  for (let t = 0, pos = 0; t < nOut; t++) {
    pos += lengths[t];
    indptr[t + 1] = pos;
  }
  return indptr;
}

/** Runs {@link copyRows} over fixed blocks of output rows. */
async function copyBlocks(m: CsrMatrix, rowList: Int32Array | null, colMap: Int32Array | null, out: CsrMatrix, withIndices: boolean, threads: number): Promise<void> {
  const nnz = nnzOf(out);
  const blocks = rowBlocks(out.nRows, nnz);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) {
    tasks.push([m.indptr, m.indices, m.data, rowList, colMap, out.indptr, withIndices ? out.indices : null, out.data, blocks[b], blocks[b + 1]]);
  }
  await parallelMap<number>(import.meta.url, 'copyRows', tasks, threadsFor(threads, nnz));
}

/**
 * Worker kernel: kept entries of output rows [t0, t1).
 * @param rowList - source row of each output row (null = the same row)
 * @param colMap - new column of each old one, -1 = dropped
 */
export function keptPerRow(indptr: Indptr, indices: Int32Array, rowList: Int32Array | null, colMap: Int32Array, t0: number, t1: number): Float64Array {
  const out = new Float64Array(t1 - t0);
  for (let t = t0; t < t1; t++) {
    const i = rowList ? rowList[t] : t;
    const end = indptr[i + 1];
    let kept = 0;
    // Branch-free: a dropped column maps to -1, whose sign bit is 1.
    for (let k = indptr[i]; k < end; k++) kept += (colMap[indices[k]] >>> 31) ^ 1;
    out[t - t0] = kept;
  }
  return out;
}

/**
 * Worker kernel: copies output rows [t0, t1) into `outIndices` (unless null: values only) and
 * `outData` at the offsets of `outIndptr`.
 * @param rowList - source row of each output row (null = the same row)
 * @param colMap - new column of each old one, -1 = dropped (null = keep every column)
 * @returns entries written
 */
export function copyRows(
  indptr: Indptr, indices: Int32Array, data: Float32Array, rowList: Int32Array | null, colMap: Int32Array | null,
  outIndptr: Indptr, outIndices: Int32Array | null, outData: Float32Array, t0: number, t1: number,
): number {
  for (let t = t0; t < t1; t++) {
    const i = rowList ? rowList[t] : t;
    const start = indptr[i], end = indptr[i + 1];
    let pos = outIndptr[t];
    const rowEnd = outIndptr[t + 1];
    if (colMap === null) {
      outData.set(data.subarray(start, end), pos);
      if (outIndices) outIndices.set(indices.subarray(start, end), pos);
      continue;
    }
    // Branch-free compaction: every entry is written at `pos`, which advances only for kept ones,
    // so a dropped entry is overwritten by the next kept one. Stopping once the row is full keeps
    // the writes inside this row (the next row may belong to another thread's block).
    if (outIndices) {
      for (let k = start; k < end && pos < rowEnd; k++) {
        const c = colMap[indices[k]];
        outIndices[pos] = c;
        outData[pos] = data[k];
        pos += (c >>> 31) ^ 1;
      }
    } else {
      for (let k = start; k < end && pos < rowEnd; k++) {
        outData[pos] = data[k];
        pos += (colMap[indices[k]] >>> 31) ^ 1;
      }
    }
  }
  return outIndptr[t1] - outIndptr[t0];
}
