/**
 * Row and column selections of a CSR matrix, copied by worker threads into shared memory.
 *
 * Copying a matrix costs about twice as much as reading it: every page of the new arrays is
 * faulted in and zeroed on first write. Both halves split over threads, so the copy runs over fixed
 * blocks of output rows, each written by one task. A cell and a gene selection together make one
 * copy, not two (QC keeps the passing cells and the detected genes at once). The output is the
 * same for any thread count: each entry is copied, never computed.
 *
 * When the caller owns the source and drops it, {@link subsetCsrInPlace} writes the selection over
 * the source's own arrays instead: moves through pages already faulted in (93% of 50k cells,
 * 197 M entries: 0.8-0.9 s instead of 1.5-2.5 s for the copy), and no second matrix in memory.
 * The moves split over threads too, and a shift by an odd number of entries goes through a plain
 * loop: a memmove by an odd number of 4-byte entries runs at a third of the speed of an even one
 * here (the CPU's fast string copy wants 8-byte relative alignment), and half the shifts are odd.
 *
 * A gene filter after QC drops a handful of genes (those seen in fewer than 3 of ~20k cells): then
 * each row is a few stretches between dropped columns, every column of a stretch renumbered by the
 * same count, so the rows move as blocks with a subtraction instead of a lookup per entry, and the
 * row lengths come from binary searches instead of a counting pass.
 */
import { type CsrMatrix, type Indptr, allocIndices, allocIndptr, allocValues, nnzOf } from './sparse.js';
import { parallelMap } from './parallel.js';
import { FINE_ROW_BLOCK_ENTRIES, rowBlocks, threadsFor } from './rowBlocks.js';

/** Kept columns: old -> new column (-1 = dropped), and the dropped ones in order when they are few. */
interface ColumnSelection {
  map: Int32Array;
  /** Sorted dropped columns when few enough to find by binary search in each row, else null. */
  dropped: Int32Array | null;
}

/**
 * Rows `rows` (any order; null = all, in order) and columns `cols` (strictly increasing; null = all)
 * of `m`, columns renumbered 0..cols.length-1. Indices stay sorted within each row.
 * @param threads - worker threads for the counting and copying passes
 */
export async function subsetCsrParallel(m: CsrMatrix, rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, threads: number): Promise<CsrMatrix> {
  const rowList = rows === null ? null : Int32Array.from(rows);
  const nOut = rowList ? rowList.length : m.nRows;
  const colMap = cols === null ? null : columnSelection(m, cols);
  const indptr = await outputIndptr(m, rowList, colMap, nOut, threads);
  const nnz = indptr[nOut];
  const out: CsrMatrix = { format: 'csr', nRows: nOut, nCols: cols ? cols.length : m.nCols, indptr, indices: allocIndices(nnz), data: allocValues(nnz) };
  await copyBlocks(m, rowList, colMap, out, true, threads);
  return out;
}

/**
 * {@link subsetCsrParallel} written over `m` itself: the result's indices and data are views of
 * `m`'s arrays, which no longer hold `m` afterwards (only for a matrix the caller owns and drops,
 * such as the unfiltered counts once QC has chosen cells and genes). The entries are identical to
 * the copying version's.
 * `rows` may come in any order: its leading increasing run moves within the arrays, and the rows
 * after it (the pool-first order of `run` puts the cells outside the pool last) are copied aside
 * first and written back behind the run.
 * @param threads - worker threads for counting and moving the entries and for copying the trailing rows aside
 * @param parts - stretches of rows moved concurrently (default: one per thread when the arrays are
 *   shared and large; the result is the same for any value)
 */
export async function subsetCsrInPlace(m: CsrMatrix, rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, threads: number, parts?: number): Promise<CsrMatrix> {
  const rowList = rows === null ? Int32Array.from({ length: m.nRows }, (_, i) => i) : Int32Array.from(rows);
  const nOut = rowList.length;
  const colMap = cols === null ? null : columnSelection(m, cols);
  let run = nOut > 0 ? 1 : 0;
  while (run < nOut && rowList[run] > rowList[run - 1]) run++;
  // Rows after the increasing run may lie anywhere in the source, so moving the run could
  // overwrite them before their turn: they are set aside first.
  const tail = run < nOut ? await subsetCsrParallel(m, rowList.subarray(run), cols, threads) : null;
  const head = rowList.subarray(0, run);
  const lengths = new Float64Array(nOut);
  if (colMap === null) {
    for (let t = 0; t < run; t++) lengths[t] = m.indptr[head[t] + 1] - m.indptr[head[t]];
  } else {
    lengths.set(await keptLengths(m, head, run, colMap, threads));
  }
  if (tail) for (let t = run; t < nOut; t++) lengths[t] = tail.indptr[t - run + 1] - tail.indptr[t - run];
  const indptr = indptrOf(lengths);
  // Workers write into the arrays, so they must see them: unshared arrays stay on this thread.
  const shared = m.indices.buffer instanceof SharedArrayBuffer && m.data.buffer instanceof SharedArrayBuffer;
  const nParts = parts ?? (shared ? threadsFor(threads, indptr[run]) : 1);
  await moveRowsDown(m, head, colMap, indptr, nParts, shared ? threads : 1);
  if (tail) {
    m.indices.set(tail.indices, indptr[run]);
    m.data.set(tail.data, indptr[run]);
  }
  const nnz = indptr[nOut];
  return { format: 'csr', nRows: nOut, nCols: cols ? cols.length : m.nCols, indptr, indices: m.indices.subarray(0, nnz), data: m.data.subarray(0, nnz) };
}

/**
 * Entries of the rows `rows` of `m` (null: its first `n` rows) in the columns `colMap` keeps,
 * counted in workers.
 */
async function keptLengths(m: CsrMatrix, rows: Int32Array | null, n: number, cols: ColumnSelection, threads: number): Promise<Float64Array> {
  const blocks = rowBlocks(n, nnzOf(m), FINE_ROW_BLOCK_ENTRIES);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) tasks.push([m.indptr, m.indices, rows, cols.map, cols.dropped, blocks[b], blocks[b + 1]]);
  const parts = await parallelMap<Float64Array>(import.meta.url, 'keptPerRow', tasks, threadsFor(threads, nnzOf(m)));
  const lengths = new Float64Array(n);
  for (let b = 0; b < parts.length; b++) lengths.set(parts[b], blocks[2 * b]);
  return lengths;
}

/**
 * Moves the increasing rows `rows` of `m` (without the columns `colMap` drops, when given) to the
 * offsets `outIndptr`, in `nParts` parts of about equal entries, run by `threads` workers. An
 * output row never starts after its source row, so within a part, taken in order, no entry is
 * overwritten before it is read. A later part writes from the start of its output, which may lie
 * inside an earlier part's source: that stretch of each part's source (about the entries dropped
 * before the next part, a few percent) is copied aside before any part moves, and read from there.
 * (Parts may also run one after another, in any order.) Each entry is moved, never computed, so
 * the result does not depend on the number of parts.
 */
async function moveRowsDown(m: CsrMatrix, rows: Int32Array, cols: ColumnSelection | null, outIndptr: Indptr, nParts: number, threads: number): Promise<void> {
  const n = rows.length;
  if (n === 0) return;
  const nnz = outIndptr[n];
  const tasks: unknown[][] = [];
  for (let p = 0, t0 = 0; p < nParts; p++) {
    let t1 = p === nParts - 1 ? n : t0;
    while (t1 < n && outIndptr[t1] < ((p + 1) * nnz) / nParts) t1++;
    if (t1 === t0) continue;
    const sourceEnd = m.indptr[rows[t1 - 1] + 1];
    const asideFrom = t1 < n ? Math.max(m.indptr[rows[t0]], Math.min(outIndptr[t1], sourceEnd)) : sourceEnd;
    const asideIndices = allocIndices(sourceEnd - asideFrom), asideData = allocValues(sourceEnd - asideFrom);
    asideIndices.set(m.indices.subarray(asideFrom, sourceEnd));
    asideData.set(m.data.subarray(asideFrom, sourceEnd));
    tasks.push([m.indptr, m.indices, m.data, rows, cols?.map ?? null, cols?.dropped ?? null, outIndptr, t0, t1, asideFrom, asideIndices, asideData]);
    t0 = t1;
  }
  await parallelMap<number>(import.meta.url, 'moveRowsWithin', tasks, threads);
}

/**
 * Worker kernel: moves rows at positions [t0, t1) of the increasing list `rows` to the offsets of
 * `outIndptr`, dropping the columns mapped to -1 (colMap null: all kept; `dropped` non-null: those
 * columns, few, in order). Source entries from `asideFrom` on are read from `asideIndices` /
 * `asideData`, copies made before any part moved.
 * @returns entries written
 */
export function moveRowsWithin(
  indptr: Indptr, indices: Int32Array, data: Float32Array, rows: Int32Array, colMap: Int32Array | null, dropped: Int32Array | null, outIndptr: Indptr,
  t0: number, t1: number, asideFrom: number, asideIndices: Int32Array, asideData: Float32Array,
): number {
  for (let t = t0; t < t1; ) {
    // A run of consecutive source rows is one stretch of the source (one copy without a column map).
    let last = t;
    if (colMap === null) while (last + 1 < t1 && rows[last + 1] === rows[last] + 1) last++;
    const start = indptr[rows[t]], end = indptr[rows[last] + 1];
    const split = Math.min(Math.max(start, asideFrom), end);
    const pos = outIndptr[t], outEnd = outIndptr[last + 1];
    // [start, split) is read in place, [split, end) from the copies set aside.
    if (colMap === null) {
      moveStretch(indices, data, start, split, indices, data, pos, 0);
      if (end > split) moveStretch(asideIndices, asideData, split - asideFrom, end - asideFrom, indices, data, pos + split - start, 0);
    } else if (dropped !== null) {
      const mid = keepStretches(indices, data, start, split, dropped, indices, data, pos);
      if (end > split) keepStretches(asideIndices, asideData, split - asideFrom, end - asideFrom, dropped, indices, data, mid);
    } else {
      const mid = keepColumns(indices, data, start, split, colMap, indices, data, pos, outEnd);
      if (end > split) keepColumns(asideIndices, asideData, split - asideFrom, end - asideFrom, colMap, indices, data, mid, outEnd);
    }
    t = last + 1;
  }
  return outIndptr[t1] - outIndptr[t0];
}

/**
 * Writes the entries [k0, k1) of (`srcIndices`, `srcData`) whose columns `colMap` keeps, renumbered,
 * from `pos` on, and stops at `outEnd` (the row's end). Branch-free: every entry is written at
 * `pos`, which advances only past kept ones, so a dropped entry is overwritten by the next kept one.
 * @returns the position after the last kept entry
 */
function keepColumns(
  srcIndices: Int32Array, srcData: Float32Array, k0: number, k1: number, colMap: Int32Array,
  indices: Int32Array, data: Float32Array, pos: number, outEnd: number,
): number {
  for (let k = k0; k < k1 && pos < outEnd; k++) {
    const c = colMap[srcIndices[k]];
    indices[pos] = c;
    data[pos] = srcData[k];
    pos += (c >>> 31) ^ 1;
  }
  return pos;
}

/**
 * Writes the entries [k0, k1) of (`srcIndices`, `srcData`) without the columns `dropped` (sorted),
 * renumbered, from `pos` on (`indices` null: values only). Between two dropped columns every kept
 * column moves down by the same count, so each stretch is one block move (and a subtraction), found
 * by binary search. The destination may be the source itself when `pos <= k0` (moves go forward).
 * @returns the position after the last kept entry
 */
function keepStretches(
  srcIndices: Int32Array, srcData: Float32Array, k0: number, k1: number, dropped: Int32Array,
  indices: Int32Array | null, data: Float32Array, pos: number,
): number {
  if (k0 >= k1) return pos;
  // q: dropped columns below the stretch starting at k, its renumbering shift.
  let q = lowerBound(dropped, 0, dropped.length, srcIndices[k0]);
  for (let k = k0; k < k1; q++) {
    const stop = q < dropped.length ? lowerBound(srcIndices, k, k1, dropped[q]) : k1;
    moveStretch(srcIndices, srcData, k, stop, indices, data, pos, q);
    pos += stop - k;
    k = stop < k1 && srcIndices[stop] === dropped[q] ? stop + 1 : stop;
  }
  return pos;
}

/**
 * Writes the entries [k0, k1) of (`srcIndices`, `srcData`) from `pos` on, columns lowered by
 * `shift` (`indices` null: values only; the destination may be the source when `pos <= k0`).
 * Native copies where they are fast, between two arrays or within one by an even number of
 * entries; a loop otherwise, which beats a memmove by an odd number of 4-byte entries here (1.2 ns
 * per entry for both arrays against 2.2).
 */
function moveStretch(
  srcIndices: Int32Array, srcData: Float32Array, k0: number, k1: number,
  indices: Int32Array | null, data: Float32Array, pos: number, shift: number,
): void {
  const within = srcData === data;
  if (shift === 0 && (!within || ((pos - k0) & 1) === 0)) {
    if (within) data.copyWithin(pos, k0, k1);
    else data.set(srcData.subarray(k0, k1), pos);
    if (indices === srcIndices) indices.copyWithin(pos, k0, k1);
    else if (indices !== null) indices.set(srcIndices.subarray(k0, k1), pos);
    return;
  }
  const d = pos - k0;
  if (indices === null) {
    for (let s = k0; s < k1; s++) data[s + d] = srcData[s];
    return;
  }
  for (let s = k0; s < k1; s++) {
    indices[s + d] = srcIndices[s] - shift;
    data[s + d] = srcData[s];
  }
}

/** First position in [lo, hi) of the sorted `a` whose value is >= `v` (hi when none). */
function lowerBound(a: Int32Array, lo: number, hi: number, v: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The values of `m` at the positions `subset` kept from its source, where `m` shares indptr and
 * indices with that source and `subset = await subsetCsrParallel(source, rows, cols)`: the result
 * reuses `subset`'s indptr and indices (a counts layer beside a log-normalized X stays one structure).
 */
export async function subsetValuesParallel(m: CsrMatrix, rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, subset: CsrMatrix, threads: number): Promise<CsrMatrix> {
  const rowList = rows === null ? null : Int32Array.from(rows);
  const colMap = cols === null ? null : columnSelection(m, cols);
  const out: CsrMatrix = { ...subset, data: allocValues(subset.data.length) };
  await copyBlocks(m, rowList, colMap, out, false, threads);
  return out;
}

/** True when `cols` is strictly increasing (the order {@link subsetCsrParallel} requires). */
export function isIncreasing(cols: ArrayLike<number>): boolean {
  for (let t = 1; t < cols.length; t++) if (cols[t] <= cols[t - 1]) return false;
  return true;
}

/**
 * Dropped columns per mean row length below which rows move in stretches: a row costs a binary
 * search (~12 steps) per dropped column instead of a lookup per entry.
 */
const STRETCH_ROW_ENTRIES_PER_DROPPED = 32;

/** The kept columns `cols` of `m`: their map, and the dropped ones when few. */
function columnSelection(m: CsrMatrix, cols: ArrayLike<number>): ColumnSelection {
  if (!isIncreasing(cols)) throw new Error('subsetCsrParallel needs strictly increasing columns');
  const map = new Int32Array(m.nCols).fill(-1);
  for (let t = 0; t < cols.length; t++) map[cols[t]] = t;
  const nDropped = m.nCols - cols.length;
  if (nDropped * STRETCH_ROW_ENTRIES_PER_DROPPED > nnzOf(m) / Math.max(1, m.nRows)) return { map, dropped: null };
  const dropped = new Int32Array(nDropped);
  for (let j = 0, t = 0; j < m.nCols; j++) if (map[j] < 0) dropped[t++] = j;
  return { map, dropped };
}

/** Index pointer of the subset: row lengths from the source, or counted in workers when columns drop. */
async function outputIndptr(m: CsrMatrix, rowList: Int32Array | null, colMap: ColumnSelection | null, nOut: number, threads: number): Promise<Indptr> {
  let lengths: Float64Array;
  if (colMap === null) {
    lengths = new Float64Array(nOut);
    for (let t = 0; t < nOut; t++) {
      const i = rowList ? rowList[t] : t;
      lengths[t] = m.indptr[i + 1] - m.indptr[i];
    }
  } else {
    lengths = await keptLengths(m, rowList, nOut, colMap, threads);
  }
  return indptrOf(lengths);
}

/** The index pointer of rows with these lengths. */
function indptrOf(lengths: Float64Array): Indptr {
  const n = lengths.length;
  let nnz = 0;
  for (let t = 0; t < n; t++) nnz += lengths[t];
  const indptr = allocIndptr(n + 1, nnz);
  for (let t = 0, pos = 0; t < n; t++) {
    pos += lengths[t];
    indptr[t + 1] = pos;
  }
  return indptr;
}

/** Runs {@link copyRows} over fixed blocks of output rows. */
async function copyBlocks(m: CsrMatrix, rowList: Int32Array | null, cols: ColumnSelection | null, out: CsrMatrix, withIndices: boolean, threads: number): Promise<void> {
  const nnz = nnzOf(out);
  const blocks = rowBlocks(out.nRows, nnz, FINE_ROW_BLOCK_ENTRIES);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) {
    tasks.push([m.indptr, m.indices, m.data, rowList, cols?.map ?? null, cols?.dropped ?? null, out.indptr, withIndices ? out.indices : null, out.data, blocks[b], blocks[b + 1]]);
  }
  await parallelMap<number>(import.meta.url, 'copyRows', tasks, threadsFor(threads, nnz));
}

/**
 * Worker kernel: kept entries of output rows [t0, t1).
 * @param rowList - source row of each output row (null = the same row)
 * @param colMap - new column of each old one, -1 = dropped
 * @param dropped - the dropped columns in order when few (found by binary search), else null
 */
export function keptPerRow(indptr: Indptr, indices: Int32Array, rowList: Int32Array | null, colMap: Int32Array, dropped: Int32Array | null, t0: number, t1: number): Float64Array {
  const out = new Float64Array(t1 - t0);
  for (let t = t0; t < t1; t++) {
    const i = rowList ? rowList[t] : t;
    const end = indptr[i + 1];
    if (dropped !== null) {
      out[t - t0] = end - indptr[i] - droppedInRow(indices, indptr[i], end, dropped);
      continue;
    }
    let kept = 0;
    // Branch-free: a dropped column maps to -1, whose sign bit is 1.
    for (let k = indptr[i]; k < end; k++) kept += (colMap[indices[k]] >>> 31) ^ 1;
    out[t - t0] = kept;
  }
  return out;
}

/** How many of the sorted columns `dropped` the sorted entries [k0, k1) hold. */
function droppedInRow(indices: Int32Array, k0: number, k1: number, dropped: Int32Array): number {
  if (k0 >= k1) return 0;
  let n = 0;
  let k = k0;
  for (let q = lowerBound(dropped, 0, dropped.length, indices[k0]); q < dropped.length && k < k1; q++) {
    k = lowerBound(indices, k, k1, dropped[q]);
    if (k < k1 && indices[k] === dropped[q]) n++;
  }
  return n;
}

/**
 * Worker kernel: copies output rows [t0, t1) into `outIndices` (unless null: values only) and
 * `outData` at the offsets of `outIndptr`.
 * @param rowList - source row of each output row (null = the same row)
 * @param colMap - new column of each old one, -1 = dropped (null = keep every column)
 * @param dropped - the dropped columns in order when few (rows copied in stretches), else null
 * @returns entries written
 */
export function copyRows(
  indptr: Indptr, indices: Int32Array, data: Float32Array, rowList: Int32Array | null, colMap: Int32Array | null, dropped: Int32Array | null,
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
    if (dropped !== null) {
      keepStretches(indices, data, start, end, dropped, outIndices, outData, pos);
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
